"""No write through a symbolic link msl did not create, at any depth of an output folder.

msl creates no symbolic links, so a link anywhere between an output folder (the folder
given as ``--out``, ``store=``, ``out_dir``: its *root*) and a file msl writes there was
put by someone else: a subfolder such as ``figures/`` or a stage folder replaced by a link
to elsewhere would otherwise carry the write out of the output folder.

* The root is the folder the caller named.  It may itself be a link (the user's choice),
  and so may the folders above it, unless it lies inside another output root (then the
  link is below that root, and refused).  Roots are remembered when a folder is vetted or locked
  (:func:`register_root`, called by :func:`theory.files.output_directory`,
  :func:`theory.files.claim_output_folder` and :func:`theory.files.lock_folder`); in a
  process that has not vetted the folder, the nearest folder above the file that carries
  msl's marker (``.msl-output``) or lock file (``.msl-lock``) and is not itself a link is
  the root.
* :func:`refuse_foreign_links` raises :class:`~theory.files.SymlinkError` naming the link
  when a component of the path below the root is a link; a path under no root is left to
  the last-component check (:func:`theory.files.refuse_symlink`).
* :func:`scan_for_links` refuses a folder that holds a link anywhere below it (at lock
  time): it covers writers whose files are opened by a library (the Zarr store).

The check runs before the write (a link made between the check and the write is not
caught; the rename itself never replaces the file a link points to).
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

_ROOTS: set[str] = set()
_GUARD = threading.Lock()
#: files whose presence makes a folder an msl root (theory._outputs.MARKER_NAME,
#: theory._locks.LOCK_NAME; repeated here to keep this module import-free)
_ROOT_FILES = (".msl-output", ".msl-lock")


def _absolute(path) -> Path:
    return Path(os.path.abspath(os.fspath(path)))


def register_root(folder) -> None:
    """Remember ``folder`` (as named, not resolved) as an output root of this process.

    A folder inside another output root (a chunk store in ``--out``) must be reached
    without a link below that root (:func:`refuse_foreign_links`), or it would turn a
    linked subfolder into a root of its own."""
    refuse_foreign_links(folder)
    with _GUARD:
        _ROOTS.add(str(_absolute(folder)))


def _is_root(folder: Path) -> bool:
    if str(folder) in _ROOTS:
        return True
    if os.path.islink(folder):
        return False  # a marker reached through a link does not make a root
    return any(os.path.lexists(folder / name) for name in _ROOT_FILES)


def _link_error(link: Path, root: Path, path) -> Exception:
    from theory.files import SymlinkError

    try:
        points = os.readlink(link)
    except OSError:
        points = "?"
    return SymlinkError(
        f"{str(link)!r} is a symbolic link (to {points!r}) inside the output folder "
        f"{str(root)!r}; msl does not write through links it did not create, so "
        f"{str(path)!r} is not written: remove the link or choose another output folder")


def refuse_foreign_links(path) -> None:
    """Raise ``SymlinkError`` if a component of ``path`` below its output root (``path``
    itself included) is a symbolic link (see the module)."""
    target = _absolute(path)
    link: Path | None = None
    for folder in (target, *target.parents):
        if _is_root(folder):
            if link is not None:
                raise _link_error(link, folder, path)
            return
        if os.path.islink(folder):
            link = folder  # the highest link below the root is the one to name


def scan_for_links(folder) -> None:
    """Raise ``SymlinkError`` naming the first symbolic link found anywhere below
    ``folder`` (links are not followed)."""
    root = Path(folder)
    for top, dirs, files in os.walk(root):
        for name in sorted(dirs) + sorted(files):
            entry = Path(top) / name
            if os.path.islink(entry):
                raise _link_error(entry, root, entry)


__all__ = ["refuse_foreign_links", "register_root", "scan_for_links"]
