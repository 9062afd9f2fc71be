"""matplotlib access shared by every figure of the project (Agg backend, PNG and PDF).

matplotlib is imported on first use only, so importing :mod:`theory` stays light.
"""

from __future__ import annotations

from pathlib import Path


def pyplot():
    """matplotlib.pyplot with the non-interactive Agg backend (unless one is already set)."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


def save_figure(fig, path_stem, *, pdf: bool = False, dpi: int = 150) -> list[Path]:
    """Save ``fig`` as ``<stem>.png`` (and ``<stem>.pdf`` if asked); close it; return paths."""
    stem = Path(path_stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    paths = [stem.with_suffix(".png")]
    if pdf:
        paths.append(stem.with_suffix(".pdf"))
    for path in paths:
        fig.savefig(path, dpi=dpi, bbox_inches="tight")
    pyplot().close(fig)
    return paths
