"""The empirical figures read well (issue 22): readable ticks on every log axis (at least
two labels in view, each reading its tick's value, none overlapping, minor ticks
unlabelled) and a legend entry for every kind of vertical marker (Figs. 2.1 and 3.2), on
tiny crafted inputs.  The checks read what was drawn (:mod:`tests.figure_checks`)."""

from __future__ import annotations

import types

import numpy as np
import pytest
import torch

from empirical import (
    EosResult,
    FunctionObjective,
    GDTrace,
    ProblemSpec,
    ScalesExperiment,
    ScalesResult,
    detect_eos,
    scale_profile,
)
from tests.empirical.test_decay_figures import _decay
from tests.figure_checks import ClosedFigures, check_log_ticks, check_markers_in_legend


@pytest.fixture
def closed(monkeypatch):
    return ClosedFigures(monkeypatch)


def _eos(spec=None) -> EosResult:
    """Sharpness rising 2 -> 10 = 2/eta and hovering; the loss falling over two decades."""
    s = np.arange(0, 201, 10)
    t = np.arange(201)
    sharp = np.minimum(2 + 0.1 * s, 10 + 0.3 * np.sin(s))
    loss = 1 / (1 + 0.5 * t)
    trace = GDTrace(loss_steps=t, losses=loss, lrs=np.full(len(t), 0.2), sharp_steps=s,
                    sharpness=sharp)
    return EosResult(spec or ProblemSpec(), 0.2, 200, 10, trace,
                     detect_eos(s, sharp, t, loss, 0.2))


def _two_wells(x, depth=0.01, w1=0.01, w2=1.0):
    return depth * (1 - torch.exp(-((x / w1) ** 2))) + (1 - torch.exp(-((x / w2) ** 2)))


def _scales() -> ScalesResult:
    """A sharp well inside a flat one (two wells, a rim) and a single well."""
    zero, one = torch.zeros(1, dtype=torch.float64), torch.ones(1, dtype=torch.float64)
    grid = dict(r_min=1e-4, r_max=10.0, n_radii=41)
    two = scale_profile(FunctionObjective(lambda th: _two_wells(th[0]), 1), zero, one,
                        name="gradient", **grid)
    single = scale_profile(FunctionObjective(lambda th: 1 - torch.exp(-th[0] ** 2), 1), zero,
                           one, name="random 0", **grid)
    assert any(np.isfinite(w.rim_radius) for w in two.wells)
    return ScalesResult((two, single), 1.0)


def test_fig_2_1_eos_figure(closed, tmp_path):
    from empirical.figures import fig_2_1

    fig_2_1.plot(_eos(), tmp_path)
    (fig,) = closed.take()
    check_log_ticks(fig)
    check_markers_in_legend(fig)  # "2/eta first reached (step ...)"


@pytest.mark.parametrize("which", ["fig_2_1_right", "plot_lr_decay"])
def test_fig_2_1_right_decay_markers_and_log_loss(closed, tmp_path, which):
    data = _decay(0.95, 0.96)
    if which == "fig_2_1_right":
        from empirical.figures import fig_2_1_right

        fig_2_1_right.plot(data, tmp_path)
    else:
        from empirical import plot_lr_decay

        plot_lr_decay(data, tmp_path / "decay.png")
    (fig,) = closed.take()
    check_log_ticks(fig)  # the losses span 0.01 - 0.02: under one decade
    check_markers_in_legend(fig, at_least=2)  # both panels' decay lines


def test_fig_3_2_wells_and_rims(closed, tmp_path):
    from empirical.figures import fig_3_2

    fig_3_2.plot(ScalesExperiment(_eos(), 200, _scales()), tmp_path)
    (fig,) = closed.take()
    assert check_log_ticks(fig, at_least=8) == 8  # 2 directions x (rise, curvature) x (x, y)
    check_markers_in_legend(fig, at_least=2)  # inner radius (green), rim radius (red)


def test_fig_3_2_on_section_6_data(closed, tmp_path):
    from empirical.figures import fig_3_2_multiscale

    section6 = ProblemSpec(data="multiscale", input_scales=(1.0, 10.0, 100.0))
    data = fig_3_2_multiscale.MultiscaleScales(ScalesExperiment(_eos(), 200, _scales()),
                                               ScalesExperiment(_eos(section6), 200, _scales()))
    fig_3_2_multiscale.plot(data, tmp_path)
    (fig,) = closed.take()
    check_log_ticks(fig, at_least=8)
    check_markers_in_legend(fig)


def test_homogeneity_figure(closed, tmp_path):
    from empirical import plot_homogeneity

    check = types.SimpleNamespace(relation="i", activation="relu", bias=False, k=10.0,
                                  max_rel_error=3e-16, holds=True, tolerance=1e-10)
    checks = types.SimpleNamespace(checks=[check, types.SimpleNamespace(
        **{**vars(check), "relation": "ii", "max_rel_error": 2e-13})], dtype="float64")
    radii = np.geomspace(1e-3, 10, 30)
    res = types.SimpleNamespace(scales=(1.0, 10.0), radii=radii,
                                rises=[radii**2, 100 * radii**2 / (1 + radii)],
                                group_sharpness=[2.0, 200.0], level=0.1, width_spread=9.5)
    plot_homogeneity(checks, types.SimpleNamespace(rescaled=res, control=res),
                     tmp_path / "homogeneity.png")
    (fig,) = closed.take()
    assert check_log_ticks(fig, at_least=5) == 5


def test_central_flow_output_figure(closed, tmp_path):
    from empirical import plot_central_flow

    t = np.arange(0, 101)
    loss = 0.5 * np.exp(-t / 40) + 0.01
    result = types.SimpleNamespace(
        steps=t, gd_loss=loss * (1 + 0.1 * np.sin(t)), gd_loss_average=loss,
        cf_predicted_loss=loss, cf_loss=0.9 * loss, gd_sharpness_steps=t[::10],
        gd_sharpness=np.full(11, 20.0), cf_sharpness=np.full(len(t), 19.9), threshold=20.0,
        cf_sigma2=np.full(len(t), 1e-3), distance=np.full(len(t), 0.05))
    plot_central_flow(result, tmp_path / "central_flow")
    (fig,) = closed.take()
    check_log_ticks(fig)


def test_monitor_figure(closed, tmp_path, tiny_monitor):
    """Two SGD steps: the loss changes by a few per cent, far under a decade."""
    tiny_monitor.save(tmp_path)
    (fig,) = closed.take()
    check_log_ticks(fig)
