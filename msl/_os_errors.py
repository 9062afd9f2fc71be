"""One line for an operating-system refusal to write output (no numpy/sympy import).

Kept apart from :mod:`theory.files` (whose :func:`~theory.files.output_directory`, which
vets every ``--out`` before any work, words the same causes) so that ``import msl.cli``
imports neither numpy nor sympy.
"""

from __future__ import annotations

import os

from theory.errors import OUTPUT_ERRNOS

_CAUSES = OUTPUT_ERRNOS


def output_problem(exc: OSError) -> str | None:
    """``cannot write 'PATH': CAUSE (strerror)`` for output-related errors, else None."""
    cause = _CAUSES.get(exc.errno) if exc.errno is not None else None
    if cause is None or exc.errno is None:
        return None
    path = exc.filename if exc.filename is not None else "?"
    return f"cannot write {str(path)!r}: {cause} ({os.strerror(exc.errno)})"
