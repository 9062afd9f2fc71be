"""Resumable runs: atomic checkpoints in an output folder.

A checkpoint is a dict saved with ``torch.save`` (tensors, lists, numbers, strings only,
so it loads with ``weights_only=True``).  It carries the run's settings; a folder that
holds a run with other settings is refused (:class:`~empirical.errors.ResumeError`), so
results never mix.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch

from empirical.errors import ResumeError
from theory.files import atomic_write, remove_stray_temporaries


def checkpoint_path(out_dir: str | Path | None, name: str) -> Path | None:
    """``out_dir / f"{name}.ckpt.pt"`` (created folder), or ``None`` without an ``out_dir``."""
    if out_dir is None:
        return None
    root = Path(out_dir)
    if root.exists() and not root.is_dir():
        raise ResumeError(f"out_dir={str(out_dir)!r}: exists and is not a folder")
    root.mkdir(parents=True, exist_ok=True)
    remove_stray_temporaries(root)
    return root / f"{name}.ckpt.pt"


def _canonical(config: dict) -> str:
    return json.dumps(config, sort_keys=True, default=str)


def save_checkpoint(path: Path | None, config: dict, state: dict) -> None:
    """Write ``{"config": config, **state}`` to ``path`` atomically (temp file + rename)."""
    if path is None:
        return
    payload = {"config": _canonical(config), **state}
    atomic_write(path, lambda tmp: torch.save(payload, tmp), suffix=".pt")


def load_checkpoint(path: Path | None, config: dict) -> dict | None:
    """The saved state at ``path`` if it exists and can be read (``None`` otherwise: a
    damaged checkpoint is redone, and overwritten by the next save).

    Raises :class:`ResumeError` when it was written by a run with other settings.
    """
    if path is None or not path.exists():
        return None
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
        saved = json.loads(state["config"])
    except Exception:  # truncated, emptied or foreign: never trusted; the run starts afresh
        return None
    if not isinstance(saved, dict):
        return None
    wanted = json.loads(_canonical(config))
    if saved != wanted:
        diff = sorted(k for k in set(saved) | set(wanted) if saved.get(k) != wanted.get(k))
        shown = ", ".join(f"{k}: saved {saved.get(k)!r} vs now {wanted.get(k)!r}" for k in diff)
        raise ResumeError(f"out_dir holds a run with other settings ({shown}); use another "
                          f"out_dir or delete {str(path)!r}")
    return state
