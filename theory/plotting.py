"""matplotlib access shared by every figure of the project (Agg backend, PNG and PDF).

matplotlib is imported on first use only, so importing :mod:`theory` stays light.  Every
figure is written through :func:`theory.files.atomic_write` (a temporary file renamed over
the target): a reader never sees half a PNG, and a symbolic link where the figure goes is
refused, never written through.
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
    """Save ``fig`` as ``<stem>.png`` (and ``<stem>.pdf`` if asked), each atomically; close
    it; return the paths."""

    from theory.files import make_folders

    stem = Path(path_stem)
    make_folders(stem.parent)  # a linked subfolder is refused, not followed
    paths = [stem.with_suffix(".png")]
    if pdf:
        paths.append(stem.with_suffix(".pdf"))
    try:
        for path in paths:
            save_one(fig, path, dpi=dpi, bbox_inches="tight")
    finally:
        pyplot().close(fig)
    return paths


def save_one(fig, path, **kwargs) -> Path:
    """``fig.savefig(path, **kwargs)`` through a temporary file and a rename (the format is
    ``path``'s suffix); a symbolic link at ``path`` is refused."""
    from theory.files import atomic_write

    target = Path(path)
    fmt = target.suffix.lstrip(".").lower() or "png"
    return atomic_write(target, lambda tmp: fig.savefig(tmp, format=fmt, **kwargs))
