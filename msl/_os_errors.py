"""One line for an operating-system refusal to write output (no numpy/sympy import).

Kept apart from :mod:`theory.files` (whose :func:`~theory.files.output_directory` words the
same causes) so that ``import msl.cli`` imports neither numpy nor sympy.
"""

from __future__ import annotations

import os
from pathlib import Path

from theory.errors import OUTPUT_ERRNOS, MslValueError

_CAUSES = OUTPUT_ERRNOS


def output_problem(exc: OSError) -> str | None:
    """``cannot write 'PATH': CAUSE (strerror)`` for output-related errors, else None."""
    cause = _CAUSES.get(exc.errno) if exc.errno is not None else None
    if cause is None or exc.errno is None:
        return None
    path = exc.filename if exc.filename is not None else "?"
    return f"cannot write {str(path)!r}: {cause} ({os.strerror(exc.errno)})"


class OutputFolderError(MslValueError):
    """An --out argument that cannot be an output folder."""


def check_output_folder(out) -> None:
    """Refuse an ``--out`` that is empty, a file, under a file, a system folder, a
    non-empty folder that is not an msl output folder, or cannot be created (read-only),
    before any work; create and mark it otherwise (:func:`theory.files.claim_output_folder`)."""
    if not str(out).strip():
        raise OutputFolderError(f"--out {str(out)!r} is empty; give an output folder")
    folder = Path(out)
    if folder.exists() and not folder.is_dir():
        raise OutputFolderError(f"--out {str(out)!r} exists and is not a folder")
    for parent in folder.parents:
        if parent.exists():
            if not parent.is_dir():
                raise OutputFolderError(f"--out {str(out)!r}: {str(parent)!r} is a file, not a "
                                        "folder")
            break
    from theory.files import claim_output_folder

    claim_output_folder(folder, "--out", create=False)  # system / someone else's folder
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        cause = (_CAUSES.get(exc.errno, os.strerror(exc.errno)) if exc.errno is not None
                 else str(exc))
        raise OutputFolderError(f"--out {str(out)!r}: cannot create the folder ({cause})") \
            from None
    claim_output_folder(folder, "--out")  # marks it as an msl output folder
