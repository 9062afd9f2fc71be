"""Output files that heal: atomic writes, validated reads, stray temporaries removed.

* Every write goes to a temporary ``.tmp-<pid>-*`` file in the same folder and is renamed
  over the target (:func:`atomic_write_text`, :func:`atomic_write_bytes`,
  :func:`atomic_savez`): a reader sees the old file or the new one, never half of one.
* Reads check what they read (:func:`read_json_dict`, :func:`read_npz`) and return ``None``
  for a missing, truncated, empty or foreign file, so that the caller redoes that piece of
  work instead of failing on it.
* :func:`remove_stray_temporaries` deletes the temporaries of runs that were killed (their
  process no longer exists); a live concurrent run's temporaries are left alone.
* :func:`output_directory` checks an output folder argument up front (``msl``'s
  ``--out`` too) and turns the operating system's refusals (read-only file system, a file
  where a folder is expected) into one line naming the path and the cause (``msl`` does
  the same for errors met later, in ``msl._os_errors``); system folders and non-empty
  folders that are not msl output folders are refused (:func:`claim_output_folder`,
  marker file ``.msl-output``).
* No write follows a symbolic link: msl creates none, so a link where a file is to be
  written, or anywhere between the output folder and that file (a subfolder replaced by a
  link), is refused with :class:`SymlinkError` naming it (the link and the file it points
  to are left as they are; :mod:`theory._links`).  :func:`make_folders` creates a
  subfolder under the same rule.
* :func:`folder_lock` gives a folder to one writer (``.msl-lock``: pid, host and start
  time of the holder; a lock of a dead process is taken over), see :mod:`theory._locks`.
* :func:`artefact_intact` checks a finished PNG/PDF/JSON/npz before it is trusted.

This module imports numpy only when an ``.npz`` is written or read, so that ``msl``'s
front door stays light.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from theory._links import refuse_foreign_links, register_root, scan_for_links
from theory._locks import LOCK_NAME, FolderLock, FolderLockedError, folder_lock
from theory._locks import acquire as lock_folder
from theory._outputs import (
    MARKER_NAME,
    SYSTEM_FOLDERS,
    OutputFolderRefused,
    artefact_intact,
    claim_output_folder,
    is_msl_folder,
    system_folder,
)
from theory.errors import OUTPUT_ERRNOS, MslValueError

if TYPE_CHECKING:
    import numpy as np

#: temporaries of this process start with this prefix
TMP_PREFIX = ".tmp-"
#: a temporary without a process id is stray after this many seconds
_ORPHAN_AGE = 3600.0


class OutputError(MslValueError):
    """An output folder or file cannot be used (read-only, full, not a folder, ...)."""


class SymlinkError(OutputError):
    """A symbolic link where msl is to write a file: refused, never followed or replaced."""


def refuse_symlink(path) -> None:
    """Raise :class:`SymlinkError` if ``path`` is a symbolic link (msl creates none, so a
    link there was put by someone else; writing would replace it or, for a plain
    ``open``, modify the file it points to)."""
    target = Path(path)
    if target.is_symlink():
        try:
            points = os.readlink(target)
        except OSError:
            points = "?"
        raise SymlinkError(
            f"{str(target)!r} is a symbolic link (to {points!r}); msl does not write through "
            "links it did not create: remove the link or choose another output folder")


def output_directory(path, argument: str = "--out", *, shared: bool = False) -> Path:
    """``path`` as a folder that exists (created if needed), or :class:`OutputError` (an
    empty path, a file, a path under a file, a folder that cannot be created).  ``msl``
    checks every ``--out`` with it before any work.

    A system folder is refused (:class:`OutputFolderRefused`), and so, unless ``shared``, is
    a non-empty folder that is not an msl output folder; an accepted folder gets the marker
    file ``.msl-output``.  ``shared=True`` is for a folder the caller names as the place of
    a few named files among others (``SharpnessMonitor.save``): no marker, no emptiness
    rule."""
    if path is None or str(path).strip() == "":
        raise OutputError(f"{argument} {str(path)!r} is empty; give an output folder")
    folder = Path(path)
    if folder.exists() and not folder.is_dir():
        raise OutputError(f"{argument} {str(path)!r} exists and is not a folder")
    for parent in folder.parents:  # the nearest existing folder above must be one
        if parent.exists():
            if not parent.is_dir():
                raise OutputError(f"{argument} {str(path)!r}: cannot create the folder "
                                  f"({str(parent)!r} is a file, not a folder)")
            break
    refuse_foreign_links(folder)  # named through a link inside another output folder
    if shared:
        system = system_folder(folder)
        if system is not None:
            raise OutputFolderRefused(f"{argument} {str(path)!r} is the system folder "
                                      f"{system!r}; give another folder")
    else:
        claim_output_folder(folder, argument, create=False)  # before creating anything
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        cause = (OUTPUT_ERRNOS.get(exc.errno) if exc.errno is not None else None) \
            or os.strerror(exc.errno or 0)
        raise OutputError(f"{argument} {str(path)!r}: cannot create the folder ({cause})") \
            from None
    if not shared:
        claim_output_folder(folder, argument)
    register_root(folder)
    return folder


def make_folders(path) -> Path:
    """``path`` and its missing parents created as folders, unless a component below its
    output folder is a symbolic link (:class:`SymlinkError`; ``mkdir`` would create the
    missing folders wherever the link points)."""
    folder = Path(path)
    refuse_foreign_links(folder)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _file_mode() -> int:
    """The mode a plainly created file gets (0o666 less the umask), read without a race."""
    try:  # Linux: the umask is in /proc; os.umask would have to set it to read it
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return 0o666 & ~int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    return 0o644


def _temporary(directory: Path, suffix: str) -> tuple[int, str]:
    """A temporary file beside the target, with the mode a plain write would give it
    (``mkstemp`` makes it 0600, which would hide results from other users)."""
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f"{TMP_PREFIX}{os.getpid()}-",
                               suffix=suffix)
    try:
        os.fchmod(fd, _file_mode())
    except OSError:
        pass
    return fd, tmp


def atomic_write(path, write: Callable[[str], object], *, suffix: str | None = None) -> Path:
    """Run ``write(temporary)`` on a temporary file beside ``path``, then rename it to
    ``path``: a reader sees the old file or the whole new one, never part of it.  The
    temporary (named ``.tmp-<pid>-*``, ending in ``suffix`` or ``path``'s suffix) is removed
    if ``write`` fails or the process is interrupted.  A symbolic link at ``path`` is refused
    (:class:`SymlinkError`), and so is a link between the output folder and ``path`` (a
    subfolder replaced by a link, :func:`theory._links.refuse_foreign_links`); the rename
    would replace a link made meanwhile, never the file it points to."""
    target = Path(path)
    refuse_symlink(target)
    refuse_foreign_links(target.parent)
    fd, tmp = _temporary(target.parent, target.suffix if suffix is None else suffix)
    os.close(fd)
    try:
        write(tmp)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def atomic_write_bytes(path, data: bytes) -> Path:
    """Write ``data`` to ``path`` through a temporary file and a rename."""
    return atomic_write(path, lambda tmp: Path(tmp).write_bytes(data))


def atomic_write_text(path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    return atomic_write_bytes(path, text.encode("utf-8"))


def atomic_savez(path, **arrays: np.ndarray) -> Path:
    """``numpy.savez`` to ``path`` atomically (the file name keeps its ``.npz``)."""
    import numpy as np

    return atomic_write(path, lambda tmp: np.savez(tmp, **arrays),  # type: ignore[arg-type]
                        suffix=".npz")


def read_json_dict(path, required: tuple[str, ...] = ()) -> dict | None:
    """The JSON object in ``path`` if it is readable, a dict and has the ``required`` keys;
    ``None`` for a missing, empty, truncated or foreign file."""
    try:
        value = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError):
        return None
    if not isinstance(value, dict) or any(key not in value for key in required):
        return None
    return value


def read_npz(path, required: tuple[str, ...] = ()) -> dict[str, np.ndarray] | None:
    """The arrays of an ``.npz`` file, or ``None`` if it is missing, truncated or lacks one
    of the ``required`` arrays (numeric data only: no pickles)."""
    import numpy as np

    try:
        with np.load(Path(path), allow_pickle=False) as data:
            arrays = {name: data[name] for name in data.files}
    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile):
        return None
    if any(key not in arrays for key in required):
        return None
    return arrays


def _pid_of(name: str) -> int | None:
    head = name[len(TMP_PREFIX):].split("-", 1)[0]
    return int(head) if head.isdigit() else None


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's live process
        return True
    return True


def remove_stray_temporaries(directory, *, recursive: bool = False) -> list[Path]:
    """Delete ``.tmp-*`` files left by killed runs (their process is gone, or, without a
    process id in the name, older than an hour).  Returns what was removed."""
    folder = Path(directory)
    if not folder.is_dir():
        return []
    pattern = f"**/{TMP_PREFIX}*" if recursive else f"{TMP_PREFIX}*"
    removed = []
    now = time.time()
    for path in folder.glob(pattern):
        if not path.is_file():
            continue
        pid = _pid_of(path.name)
        try:
            stray = (not _alive(pid)) if pid is not None else (
                now - path.stat().st_mtime > _ORPHAN_AGE)
            if stray:
                path.unlink()
                removed.append(path)
        except OSError:
            continue
    return removed


__all__ = [
    "LOCK_NAME",
    "MARKER_NAME",
    "OUTPUT_ERRNOS",
    "SYSTEM_FOLDERS",
    "TMP_PREFIX",
    "FolderLock",
    "FolderLockedError",
    "OutputError",
    "OutputFolderRefused",
    "SymlinkError",
    "artefact_intact",
    "atomic_savez",
    "atomic_write",
    "atomic_write_bytes",
    "atomic_write_text",
    "claim_output_folder",
    "folder_lock",
    "is_msl_folder",
    "lock_folder",
    "make_folders",
    "output_directory",
    "read_json_dict",
    "read_npz",
    "refuse_foreign_links",
    "refuse_symlink",
    "remove_stray_temporaries",
    "scan_for_links",
    "system_folder",
]
