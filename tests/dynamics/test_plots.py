"""Phase-diagram figures carry the theory of Section 4.1 where it belongs."""

from __future__ import annotations

import numpy as np
import pytest

from theory.dynamics import (
    plot_bifurcation,
    plot_class_map,
    plot_lyapunov_map,
    save_figure,
    simulate,
    theory_curves,
)
from theory.dynamics._plots import MAP_CATEGORIES, map_categories


@pytest.fixture(scope="module")
def f1_sweep():
    from theory import catalog

    return simulate(catalog.f1(), np.linspace(0.5, 6, 40), np.linspace(-5, 5, 30), 1000,
                    keep_last=8, progress=False)


def _lines(ax):
    return [(line.get_xdata(), line.get_ydata(), line.get_linestyle()) for line in ax.lines]


def test_bifurcation_overlays_x_eta_solid_where_stable(f1, f1_sweep):
    fig = plot_bifurcation(f1_sweep, f1)
    ax = fig.axes[0]
    branches = [(x, y, s) for x, y, s in _lines(ax) if len(x) > 2]
    assert branches, "no x_eta curve drawn"
    for x, y, style in branches:
        expected = np.array([f1.periodic_point(e) for e in x])
        np.testing.assert_allclose(np.abs(y), expected, rtol=1e-12)
        assert style == "-"  # f1's period-2 orbit is stable (Theorem 4.1)
    assert {np.sign(y[-1]) for _, y, _ in branches} == {1.0, -1.0}
    thresholds = [x for x, y, s in _lines(ax) if len(x) == 2 and x[0] == x[1]]
    assert [2.0, 2.0] in [list(x) for x in thresholds]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any("x_\\eta" in t for t in labels) and any("2/f''(0)" in t for t in labels)
    assert ax.get_xlabel() == r"learning rate $\eta$"


def test_unstable_period_two_orbit_of_f2_is_dashed(f2):
    curves = theory_curves(f2, 0.2, 2.0, n=50)
    assert curves["threshold"] == pytest.approx(1 / 3)
    assert not curves["stable"].any()  # multiplier 25 (catalog.f2 docstring)
    np.testing.assert_allclose(curves["x_eta"], (curves["eta"] / 9) ** (1 / 3), rtol=1e-9)
    r = simulate(f2, [0.2, 1.0, 2.0], np.linspace(-2, 2, 10), 300, keep_last=4,
                 progress=False)
    ax = plot_bifurcation(r, f2).axes[0]
    styles = {s for x, _, s in _lines(ax) if len(x) > 2}
    assert styles == {"--"}


def test_class_map_shows_each_category_where_it_occurs(f1, f1_sweep, tmp_path):
    fig = plot_class_map(f1_sweep, f1)
    ax = fig.axes[0]
    mesh = ax.collections[0]
    cats = map_categories(f1_sweep)
    np.testing.assert_array_equal(np.asarray(mesh.get_array()).reshape(cats.T.shape), cats.T)
    labels = {t.get_text() for t in ax.get_legend().get_texts()}
    present = {MAP_CATEGORIES[i][0] for i in np.unique(cats)}
    assert present <= labels and {"converged", "period 2"} <= present
    paths = save_figure(fig, tmp_path / "map", pdf=True)
    assert [p.suffix for p in paths] == [".png", ".pdf"]
    assert paths[1].read_bytes()[:4] == b"%PDF"


def test_lyapunov_map_greys_out_diverged_points(cubic):
    r = simulate(cubic, [2.0, 3.0], [-0.5, 0.5, 0.9], 2000, progress=False)
    ax = plot_lyapunov_map(r).axes[0]
    values = ax.collections[0].get_array()
    assert np.ma.count_masked(values) == int(r.mask("diverged").sum()) == 2


def test_full_preset_bifurcation_has_a_pixel_per_learning_rate_column():
    """Issue 12: `msl reproduce --full` draws the f1/f2 bifurcation diagrams with at least
    1,000 learning-rate columns, and the figure is wide enough to show each one."""
    from msl.reproduction.presets import FULL, QUICK
    from theory.dynamics._plots import SAVE_DPI

    columns = {sweep.name: sweep.eta[2] for sweep in FULL.phase_sweeps}
    assert set(columns) == {"f1", "f2"} and min(columns.values()) >= 1000
    assert max(sweep.eta[2] for sweep in QUICK.phase_sweeps) < 200  # quick stays quick
    n_eta = columns["f2"]
    r = simulate("f2", np.linspace(0.1, 3.0, n_eta), [-1.0, 0.5], 60, progress=False)
    fig = plot_bifurcation(r)
    fig.set_dpi(SAVE_DPI)
    fig.canvas.draw()
    assert fig.axes[0].get_window_extent().width >= n_eta
