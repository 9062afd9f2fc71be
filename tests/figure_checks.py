"""Checks on drawn figures, shared by the theory and empirical figure tests (issue 22):
readable log ticks, and capturing the figures a plotting function saves.

The checks read what matplotlib drew (tick label texts and their boxes in pixels after
``fig.canvas.draw()``), not the tick code: a label is read back as a number from its text
(``$10^{k}$``, ``$m\\times10^{k}$``, ``0.25``) and compared with its tick's position.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

_POWER = re.compile(r"^(-?)10\^\{(-?\d+)\}$")
_MANTISSA = re.compile(r"^(-?[\d.]+)\\times10\^\{(-?\d+)\}$")


def label_value(text: str) -> float:
    """The number a tick label shows."""
    t = text.strip().strip("$").replace("\N{MINUS SIGN}", "-")
    if t.startswith("\\mathdefault{") and t.endswith("}"):  # matplotlib's own labels
        t = t[len("\\mathdefault{"):-1]
    if m := _POWER.match(t):
        return (-1.0 if m.group(1) else 1.0) * 10.0 ** int(m.group(2))
    if m := _MANTISSA.match(t):
        return float(m.group(1)) * 10.0 ** int(m.group(2))
    return float(t)


def log_axes(fig) -> list[tuple[object, str]]:
    """(axes, "x" or "y") of every log or symlog axis of ``fig``."""
    return [(ax, name) for ax in fig.axes for name in ("x", "y")
            if getattr(ax, f"get_{name}scale")() in ("log", "symlog")]


def check_log_ticks(fig, *, at_least: int = 1) -> int:
    """Every log/symlog axis of ``fig`` shows >= 2 non-empty major labels for ticks inside
    its view, each reading its tick's value, with no two label boxes overlapping, and no
    minor label; returns the number of such axes (at least ``at_least``)."""
    if not hasattr(fig.canvas, "get_renderer"):  # closed by pyplot after saving
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        FigureCanvasAgg(fig)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    axes = log_axes(fig)
    assert len(axes) >= at_least, f"expected >= {at_least} log axes, found {len(axes)}"
    for ax, name in axes:
        axis = getattr(ax, f"{name}axis")
        lo, hi = sorted(axis.get_view_interval())
        where = f"{ax.get_title() or ax.get_ylabel() or ax.get_xlabel()!r} ({name})"
        shown = []
        for label in axis.get_majorticklabels():
            if not label.get_visible() or not label.get_text():
                continue
            loc = label.get_position()[0 if name == "x" else 1]
            if not (lo - 1e-9 * abs(lo) <= loc <= hi + 1e-9 * abs(hi)):
                continue
            value = label_value(label.get_text())
            assert value == pytest.approx(loc, rel=1e-6, abs=1e-300), (
                f"{where}: label {label.get_text()!r} at {loc}")
            shown.append(label)
        assert len(shown) >= 2, (f"{where}: {len(shown)} labelled tick(s) in "
                                 f"[{lo:.3g}, {hi:.3g}]: {[t.get_text() for t in shown]}")
        boxes = [label.get_window_extent(renderer) for label in shown]
        for i in range(len(boxes)):
            for j in range(i + 1, len(boxes)):
                assert not boxes[i].overlaps(boxes[j]), (
                    f"{where}: labels {shown[i].get_text()!r} and {shown[j].get_text()!r} "
                    "overlap")
        minor = [t.get_text() for t in axis.get_minorticklabels() if t.get_text()]
        assert not minor, f"{where}: labelled minor ticks {minor}"
    return len(axes)


def _vertical_markers(fig) -> dict[tuple, list]:
    """Vertical lines (axvline) grouped by (axes, colour, style)."""
    groups: dict[tuple, list] = {}
    for ax in fig.axes:
        for line in ax.get_lines():
            x = np.asarray(line.get_xdata(), dtype=float)
            y = np.asarray(line.get_ydata(), dtype=float)
            if len(x) == 2 and x[0] == x[1] and list(y) == [0.0, 1.0]:
                key = (id(ax), str(line.get_color()), line.get_linestyle())
                groups.setdefault(key, []).append(line)
    return groups


def _legend_texts(fig) -> set[str]:
    legends = [ax.get_legend() for ax in fig.axes] + list(fig.legends)
    return {t.get_text() for leg in legends if leg is not None for t in leg.get_texts()}


def check_markers_in_legend(fig, at_least: int = 1) -> None:
    """Each kind of vertical marker has a line labelled in one of the figure's legends."""
    groups = _vertical_markers(fig)
    assert len(groups) >= at_least
    texts = _legend_texts(fig)
    for lines in groups.values():
        labels = {line.get_label() for line in lines}
        assert labels & texts, f"vertical marker(s) without a legend entry: {labels}"


class ClosedFigures:
    """Records every figure passed to ``pyplot.close`` (each save path closes the figure
    it wrote), so a test can inspect what a ``plot(...) -> paths`` function drew."""

    def __init__(self, monkeypatch):
        import matplotlib.pyplot as plt

        self.figures: list = []
        close = plt.close

        def recording(fig=None):
            if fig is not None and not isinstance(fig, str | int):
                self.figures.append(fig)
            return close(fig)

        monkeypatch.setattr(plt, "close", recording)

    def take(self) -> list:
        figures, self.figures = self.figures, []
        unique = []
        for fig in figures:
            if all(fig is not other for other in unique):
                unique.append(fig)
        return unique


