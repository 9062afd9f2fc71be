"""matplotlib access shared by every figure of the project (Agg backend, PNG and PDF).

matplotlib is imported on first use only, so importing :mod:`theory` stays light.  Every
figure is written through :func:`theory.files.atomic_write` (a temporary file renamed over
the target): a reader never sees half a PNG, and a symbolic link where the figure goes is
refused, never written through.

Log and symlog axes get readable ticks (:func:`log_axis`: at least two labels in view,
``10^k`` or plain numbers, never crowded, minor ticks unlabelled); :func:`save_one` (so
every figure saved here) applies it to each such axis of the figure before writing.
"""

from __future__ import annotations

from pathlib import Path


def pyplot():
    """matplotlib.pyplot with the non-interactive Agg backend (unless one is already set)."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


LOG_SCALES = ("log", "symlog")


def log_axis(ax, which: str = "y") -> None:
    """Readable ticks on the log/symlog axis ``which`` (``"x"``, ``"y"`` or ``"both"``) of
    ``ax``, recomputed at every draw from its limits and length
    (:mod:`theory._log_ticks`); a linear axis is left alone."""
    from theory._log_ticks import apply

    if which not in ("x", "y", "both"):
        raise ValueError(f"which={which!r}: must be 'x', 'y' or 'both'")
    for name in ("x", "y") if which == "both" else (which,):
        axis = ax.xaxis if name == "x" else ax.yaxis
        if axis.get_scale() in LOG_SCALES:
            apply(axis)


def readable_log_ticks(fig) -> int:
    """:func:`log_axis` on every log/symlog x or y axis of ``fig``; returns how many."""
    count = 0
    for ax in fig.axes:
        for name in ("x", "y"):
            if getattr(ax, f"get_{name}scale")() in LOG_SCALES:
                log_axis(ax, name)
                count += 1
    return count


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
    readable_log_ticks(fig)
    return atomic_write(target, lambda tmp: fig.savefig(tmp, format=fmt, **kwargs))
