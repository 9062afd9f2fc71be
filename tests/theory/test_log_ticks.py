"""Readable log ticks (issue 22): on every log/symlog axis at least two labelled ticks in
view, each label reading its tick's value (``10^k``, ``m x 10^k`` or a plain number), no
two labels overlapping, minor ticks unlabelled; on crafted ranges and on each theory
figure that draws a log axis.  The checks read the drawn labels back
(:mod:`tests.figure_checks`)."""

from __future__ import annotations

import numpy as np
import pytest

from tests.figure_checks import (
    ClosedFigures,
    check_log_ticks,
    check_markers_in_legend,
    label_value,
)
from theory.plotting import log_axis, pyplot, readable_log_ticks

RANGES = [
    (1e-16, 1e2),     # eighteen decades: every few decades labelled
    (1e-3, 1.0),      # three decades
    (1.5, 30.0),      # one power of ten in view: matplotlib labels 10^1 alone
    (0.2, 0.9),       # none: plain numbers
    (0.31, 0.38),     # a factor 1.2: evenly spaced values
    (2e-5, 8e-5),     # none, small: m x 10^k
    (0.99, 1.01),
    (3e-310, 1e200),  # nearly the whole float range (subnormal start)
]


def _axes(figsize=(4.0, 3.0)):
    return pyplot().subplots(figsize=figsize)


@pytest.mark.parametrize("lo, hi", RANGES)
@pytest.mark.parametrize("figsize", [(4.0, 3.0), (2.0, 1.6)])
def test_log_axes_on_crafted_ranges(lo, hi, figsize):
    fig, ax = _axes(figsize)
    ax.plot([lo, hi], [lo, hi])
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(lo, hi)
    ax.set_ylim(lo, hi)
    log_axis(ax, "both")
    assert check_log_ticks(fig) == 2
    pyplot().close(fig)


@pytest.mark.parametrize("lo, hi", [(-1.5, 1.5), (0.0, 10.0), (-1e-4, 5e-4), (-100.0, 100.0),
                                    (-1e6, 1e6)])
def test_symlog_axes(lo, hi):
    fig, ax = _axes((4.0, 3.0))
    ax.plot([lo, hi], [lo, hi])
    ax.set_xscale("symlog", linthresh=1e-3)
    ax.set_yscale("symlog", linthresh=1e-3)
    ax.set_xlim(lo, hi)
    ax.set_ylim(lo, hi)
    log_axis(ax, "both")
    assert check_log_ticks(fig) == 2
    pyplot().close(fig)


def test_matplotlib_alone_fails_these_checks():
    """The reference point: matplotlib's default ticks on 1.5..30 label 10^1 only."""
    fig, ax = _axes()
    ax.plot([1.5, 30.0], [1.5, 30.0])
    ax.set_yscale("log")
    ax.set_ylim(1.5, 30.0)
    with pytest.raises(AssertionError, match="1 labelled tick"):
        check_log_ticks(fig)
    log_axis(ax, "y")
    check_log_ticks(fig)
    pyplot().close(fig)


def test_the_helper_follows_later_limits_and_leaves_linear_axes_alone():
    fig, ax = _axes()
    ax.plot([1.0, 2.0], [1e-3, 1e3])
    ax.set_yscale("log")
    log_axis(ax, "both")  # x is linear: untouched
    assert type(ax.xaxis.get_major_locator()).__name__ == "AutoLocator"
    ax.set_ylim(0.2, 0.9)  # after the call: the ticks follow at draw time
    check_log_ticks(fig)
    texts = [t.get_text() for t in ax.get_yticklabels() if t.get_text()]
    assert [label_value(t) for t in texts] == pytest.approx([0.2, 0.5])
    with pytest.raises(ValueError, match="which='z'"):
        log_axis(ax, "z")
    pyplot().close(fig)


def test_saving_applies_it_to_every_log_axis(tmp_path):
    from theory.plotting import save_figure

    fig, (a, b) = pyplot().subplots(1, 2, figsize=(6, 3))
    a.semilogy([1, 2, 3], [2.0, 5.0, 20.0])
    b.loglog([1e-8, 1.0], [1.0, 1e8])
    save_figure(fig, tmp_path / "both")
    assert readable_log_ticks(fig) == 3
    check_log_ticks(fig, at_least=3)


# -- the theory figures that draw log axes --------------------------------------------


@pytest.fixture
def closed(monkeypatch):
    return ClosedFigures(monkeypatch)


def _one(closed) -> object:
    figures = closed.take()
    assert len(figures) == 1
    return figures[0]


def test_fig_4_1_lower_row_is_log_scaled_to_each_loss(closed, tmp_path):
    """Issue 22: the lower row's log axes are autoscaled to each panel's losses (above
    1e-16), with readable ticks."""
    from theory.figures import fig_4_1

    panels = fig_4_1.compute()
    fig_4_1.plot(panels, tmp_path)
    fig = _one(closed)
    assert check_log_ticks(fig, at_least=3) == 3
    bottoms = [ax for ax in fig.axes if ax.get_yscale() == "log"]
    for ax, panel in zip(bottoms, panels, strict=True):
        loss = np.asarray(panel.path.loss, dtype=float)
        shown = loss[np.isfinite(loss) & (loss > 1e-16)]
        lo, hi = ax.get_ylim()
        assert lo <= shown.min() and hi >= shown.max()  # every loss above 1e-16 in view
        assert lo >= 1e-16 and hi <= 10 * shown.max()   # and no empty decades beyond
    renderer = fig.canvas.get_renderer()
    for ax in fig.axes:  # each y label (beside its 10^k labels) clear of the next panel
        label = ax.yaxis.label.get_window_extent(renderer)
        assert not any(label.overlaps(other.get_window_extent(renderer))
                       for other in fig.axes if other is not ax)


def _theory_figure(name: str, out):
    from theory.figures import central_flow, fig_5_1, fig_6_1, remark_4_1

    if name == "fig_5_1":
        fig_5_1.plot(fig_5_1.compute(), out)
    elif name == "fig_6_1":
        fig_6_1.plot(fig_6_1.compute(), out)  # symlog x
    elif name == "remark_4_1":
        remark_4_1.plot(remark_4_1.compute(steps=400, replicas=2), out)
    else:
        central_flow.plot(central_flow.compute(steps=100, eps_points=3), out)


@pytest.mark.parametrize("name", ["fig_5_1", "fig_6_1", "remark_4_1", "central_flow"])
def test_theory_figures_with_log_axes(closed, tmp_path, name):
    _theory_figure(name, tmp_path)
    fig = _one(closed)
    check_log_ticks(fig)
    if name == "fig_5_1":
        check_markers_in_legend(fig)  # the decay steps


def _data_points(ax) -> np.ndarray:
    """Display coordinates of every scatter point and line vertex of ``ax`` (no
    axhline/axvline, whose data spans the axes)."""
    points = [c.get_offset_transform().transform(c.get_offsets()) for c in ax.collections
              if hasattr(c, "get_offsets") and len(c.get_offsets())]
    for line in ax.get_lines():
        xy = np.column_stack([line.get_xdata(), line.get_ydata()]).astype(float)
        if len(xy) > 2:
            points.append(ax.transData.transform(xy[np.isfinite(xy).all(axis=1)]))
    return np.concatenate(points) if points else np.zeros((0, 2))


def test_momentum_figures_keep_the_legend_off_the_data():
    """Issue 22: the phase diagram's legend sits outside the coloured map; the
    bifurcation diagram's legend covers none of its points; its symlog |x_T| axis has
    readable ticks."""
    from theory import catalog
    from theory.dynamics import (
        plot_momentum_bifurcation,
        plot_momentum_phase_diagram,
        simulate_momentum,
    )

    f1 = catalog.f1()
    sweep = simulate_momentum(f1, np.linspace(1.0, 6.0, 12), [0.0, 0.3, 0.6],
                              np.linspace(-3.0, 3.0, 6), 300)
    phase = plot_momentum_phase_diagram(sweep, f1)
    phase.canvas.draw()
    ax = phase.axes[0]
    legend = ax.get_legend().get_window_extent()
    assert not legend.overlaps(ax.get_window_extent())  # the map fills the whole axes
    bifurcation = plot_momentum_bifurcation(sweep, f1)
    check_log_ticks(bifurcation)
    ax = bifurcation.axes[0]
    box = ax.get_legend().get_window_extent()
    inside = [box.contains(x, y) for x, y in _data_points(ax)]
    assert len(inside) > 100 and not any(inside)
    for fig in (phase, bifurcation):
        pyplot().close(fig)


@pytest.mark.parametrize("scale", ["log", "symlog"])
@pytest.mark.parametrize("view", [(1.0, np.inf), (np.nan, 1.0), (5.0, 5.0), (10.0, 1.0)])
def test_degenerate_views_draw_without_error(scale, view):
    """Infinite, NaN, empty or inverted view limits: the figure still draws and saves."""
    from theory._log_ticks import ReadableLocator

    fig, ax = _axes()
    ax.plot([1.0, 10.0], [1.0, 10.0])
    ax.set_yscale(scale)
    log_axis(ax, "y")
    locator = ReadableLocator()
    locator.set_axis(ax.yaxis)
    ticks = locator.tick_values(*view)
    assert np.all(np.isfinite(ticks))
    if view == (10.0, 1.0):  # inverted: the same ticks as upright
        np.testing.assert_array_equal(ticks, locator.tick_values(1.0, 10.0))
    fig.canvas.draw()
    pyplot().close(fig)
