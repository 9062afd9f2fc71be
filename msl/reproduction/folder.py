"""The output folder of ``msl reproduce``: one run's settings, validated pieces, atomic files.

* ``run.json`` records the preset, its settings, the seed and the device of the run that
  owns the folder; a run with other settings is refused (:class:`FolderInUseError`) unless
  ``--force`` hands the folder over to it, so two runs never overwrite each other's stages.
* A stage's ``summary.json`` counts as finished only if it reads back as a summary and every
  figure and file it lists is still there and intact (:func:`theory.files.artefact_intact`:
  not empty; a PNG with its signature and ``IEND`` end chunk, a PDF with ``%PDF-`` and
  ``%%EOF``, JSON that parses, an ``.npz`` whose archive reads); otherwise it is redone.
* ``timings.json`` that cannot be read is started afresh; stray ``.tmp-*`` files of killed
  runs are removed.
"""

from __future__ import annotations

import json
from pathlib import Path

from theory.errors import MslValueError
from theory.files import (
    artefact_intact,
    atomic_write_text,
    read_json_dict,
    remove_stray_temporaries,
)

#: keys every finished stage summary has
SUMMARY_KEYS = ("name", "settings", "claims", "figures", "files")


class FolderInUseError(MslValueError):
    """The output folder holds a run with other settings (preset, seed or device)."""


def prepare(root: Path, record: dict, *, force: bool) -> None:
    """Claim ``root`` for the run described by ``record`` (see the module doc)."""
    remove_stray_temporaries(root, recursive=True)
    path = root / "run.json"
    held = read_json_dict(path)
    wanted = json.loads(json.dumps(record))
    if held is not None and held != wanted and not force:
        differences = sorted(k for k in set(held) | set(wanted) if held.get(k) != wanted.get(k))
        shown = "; ".join(f"{k}: {_short(held.get(k))} there, {_short(wanted.get(k))} now"
                          for k in differences)
        raise FolderInUseError(
            f"--out {str(root)!r} holds a run with other settings ({shown}); use another "
            "folder, or --force to redo its stages with these settings"
        )
    if held != wanted:
        atomic_write_text(path, json.dumps(wanted, indent=1, sort_keys=True) + "\n")


def _short(value) -> str:
    text = json.dumps(value, sort_keys=True)
    return text if len(text) <= 60 else text[:57] + "..."


def finished_summary(root: Path, stage: str) -> dict | None:
    """The stage's summary if it is intact and everything it lists exists, else None."""
    summary = read_json_dict(root / stage / "summary.json", required=SUMMARY_KEYS)
    if summary is None or not isinstance(summary["claims"], list):
        return None
    listed = [*summary["figures"], *summary["files"]]
    if not all(isinstance(p, str) and artefact_intact(root / p) for p in listed):
        return None
    return summary


def read_timings(root: Path) -> dict[str, float]:
    """Stage -> seconds from ``timings.json`` (empty when missing or damaged)."""
    held = read_json_dict(root / "timings.json") or {}
    return {k: v for k, v in held.items() if isinstance(v, (int, float))}


def write_json(path: Path, value) -> None:
    atomic_write_text(path, json.dumps(value, indent=1, sort_keys=True, allow_nan=False))
