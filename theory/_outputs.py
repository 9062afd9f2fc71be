"""Output folders that msl may write into, and artefacts that can be trusted when read back.

* :func:`claim_output_folder` refuses system folders (``/``, ``/etc``, ``/usr``, the home
  folder itself, ...) and non-empty folders that are not msl output folders; an msl output
  folder is recognised by its marker file ``.msl-output`` (written when msl first uses a
  folder), or, for folders written before the marker existed, by an msl file in it
  (``run.json``, ``manifest.json``, ``result.npz``, ``report.json``, ``sweep.npz``, the
  JSON of an experiment command such as ``eos.json``, or a ``*.ckpt.pt`` checkpoint).
* :func:`artefact_intact` checks a finished file before it is trusted: not empty, and for a
  PNG its signature and its final ``IEND`` chunk, for a PDF ``%PDF-`` and ``%%EOF``, for
  JSON that it parses, for ``.npz`` that its zip directory reads.
"""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path

from theory.errors import MslValueError

#: the file that marks a folder as an msl output folder
MARKER_NAME = ".msl-output"
#: files whose presence marks a folder written by msl before the marker existed
_LEGACY = ("run.json", "manifest.json", "result.npz", "report.json", "zarr.json", ".zgroup",
           ".msl-lock", "sweep.npz", "eos.json", "geometry.json", "homogeneity.json",
           "lr_decay.json", "scales.json", "slice.json")
#: suffix of the empirical checkpoints (another sign of an older msl folder)
_CHECKPOINT = ".ckpt.pt"
#: folders no run may write into (their subfolders are refused too where listed below)
SYSTEM_FOLDERS = ("/", "/bin", "/boot", "/dev", "/etc", "/home", "/lib", "/lib32", "/lib64",
                  "/opt", "/proc", "/root", "/run", "/sbin", "/srv", "/sys", "/tmp", "/usr",
                  "/var", "/System", "/Library", "/Applications", "/Users", "/private")
#: system folders whose whole tree is refused (the others only as the folder itself)
_SYSTEM_TREES = ("/bin", "/boot", "/dev", "/etc", "/lib", "/lib32", "/lib64", "/proc",
                 "/sbin", "/sys", "/usr", "/System")

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_END = b"IEND\xaeB`\x82"


class OutputFolderRefused(MslValueError):
    """A folder msl must not write into (a system folder, or someone else's files)."""


def system_folder(path) -> str | None:
    """The system folder ``path`` is (or lies in, for ``/usr``, ``/etc``, ...), else None."""
    real = os.path.realpath(path)
    home = os.path.realpath(os.path.expanduser("~"))
    if real == home and home != os.path.realpath("/tmp"):
        return real
    for folder in SYSTEM_FOLDERS:
        if real == folder:
            return folder
    for tree in _SYSTEM_TREES:
        if real.startswith(tree + "/"):
            return tree
    return None


def is_msl_folder(folder: Path) -> bool:
    """Whether ``folder`` carries the msl marker (or an msl file of an older version)."""
    if any((folder / name).exists() for name in (MARKER_NAME, *_LEGACY)):
        return True
    return any(True for _ in folder.glob(f"*{_CHECKPOINT}"))


def claim_output_folder(path, argument: str = "--out", *, create: bool = True) -> Path:
    """Check that msl may write into ``path`` (see the module), create it if asked, and mark
    it as an msl output folder.  Raises :class:`OutputFolderRefused` naming the folder."""
    folder = Path(path)
    system = system_folder(folder)
    if system is not None:
        raise OutputFolderRefused(
            f"{argument} {str(path)!r} is the system folder {system!r}; msl writes only into "
            "its own output folders: give a new or empty folder")
    if folder.is_dir():
        try:
            entries = [entry.name for entry in os.scandir(folder)]
        except OSError:
            entries = []
        if entries and not is_msl_folder(folder):
            shown = ", ".join(sorted(entries)[:3]) + (", ..." if len(entries) > 3 else "")
            raise OutputFolderRefused(
                f"{argument} {str(path)!r} is a non-empty folder ({shown}) that is not an msl "
                f"output folder (no {MARKER_NAME} file); give a new or empty folder, so that "
                "no file of yours is overwritten")
    elif create:
        folder.mkdir(parents=True, exist_ok=True)
    if folder.is_dir():
        from theory._links import register_root

        register_root(folder)  # the folder named is the root, even if it is a link
        if not (folder / MARKER_NAME).exists():
            from theory.files import atomic_write_text

            atomic_write_text(folder / MARKER_NAME,
                              "an msl output folder; msl may write here\n")
    return folder


def artefact_intact(path) -> bool:
    """Whether the finished file at ``path`` reads back whole (see the module); a missing
    file, a link, an empty file or a truncated PNG/PDF/JSON/npz is not."""
    target = Path(path)
    try:
        if target.is_symlink() or not target.is_file():
            return False
        size = target.stat().st_size
        if size == 0:
            return False
        suffix = target.suffix.lower()
        with target.open("rb") as fh:
            head = fh.read(8)
            fh.seek(max(0, size - 1024))
            tail = fh.read()
        if suffix == ".png":
            return head == _PNG_SIGNATURE and tail.endswith(_PNG_END) and size >= 57
        if suffix == ".pdf":
            return head.startswith(b"%PDF-") and b"%%EOF" in tail
        if suffix == ".json":
            json.loads(target.read_text(encoding="utf-8"))
            return True
        if suffix in (".npz", ".zip"):
            with zipfile.ZipFile(target) as archive:
                return archive.testzip() is None
    except (OSError, ValueError, UnicodeDecodeError, zipfile.BadZipFile):
        return False
    return True


__all__ = ["MARKER_NAME", "SYSTEM_FOLDERS", "OutputFolderRefused", "artefact_intact",
           "claim_output_folder", "is_msl_folder", "system_folder"]
