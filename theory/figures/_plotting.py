"""Shared matplotlib helpers for the paper figures (Agg backend, PNG and optional PDF)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from theory.errors import GridError

FORMATS = ("png", "pdf")


def save(fig, out_dir: str | Path, name: str, formats: Sequence[str] = ("png",)) -> list[Path]:
    """Write ``fig`` as out_dir/name.<format> for each format; returns the paths."""
    bad = [f for f in formats if f not in FORMATS]
    if bad:
        raise GridError(f"formats={list(formats)}: unsupported {bad}; choose from {FORMATS}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for fmt in formats:
        path = out / f"{name}.{fmt}"
        fig.savefig(path, dpi=130, bbox_inches="tight")
        paths.append(path)
    plt.close(fig)
    return paths


def subplots(*args, **kwargs):
    return plt.subplots(*args, **kwargs)
