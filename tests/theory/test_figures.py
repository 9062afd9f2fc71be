"""The reproduced theory figures say what the paper's captions and text say."""

from __future__ import annotations

import numpy as np
import pytest

from theory import catalog
from theory.figures import fig_4_1, fig_4_2, fig_5_1, fig_6_1


@pytest.fixture(scope="module")
def panels():
    return {p.spec.name: p for p in fig_4_1.compute()}


def test_fig_4_1_f1_settles_on_each_period_two_orbit(panels):
    """Theorem 4.1: for eta > 2 GD ends on {+-x_eta}; for eta = 1 < 2 it converges to 0."""
    f1 = catalog.f1()
    p5, p3, p1 = panels["f1"].phases
    for phase in (p5, p3):
        assert phase.above_threshold and phase.stable
        assert phase.x_eta == pytest.approx(f1.periodic_point(phase.eta))
        assert phase.abs_range[0] == pytest.approx(phase.x_eta, rel=1e-6)
        assert phase.abs_range[1] == pytest.approx(phase.x_eta, rel=1e-6)
    assert not p1.above_threshold and p1.abs_range[1] < 1e-12


@pytest.mark.parametrize("name", ["f2", "f3"])
def test_fig_4_1_nonconvex_functions_are_chaotic_then_converge(name, panels):
    """Fig. 4.1 middle/right: chaotic for the two large rates (positive Lyapunov exponent,
    no settling), bounded throughout, and convergent once eta is below the threshold."""
    chaotic_1, chaotic_2, small = panels[name].phases
    for phase in (chaotic_1, chaotic_2):
        assert phase.above_threshold and phase.lyapunov > 0.1
        assert phase.abs_range[1] > 10 * phase.abs_range[0]
    assert np.all(np.isfinite(panels[name].path.x)) and np.abs(panels[name].path.x).max() < 10
    assert not small.above_threshold and small.abs_range[1] < 1e-10


def test_fig_4_1_f3_threshold_from_the_hessian_at_0(panels):
    """H(0) = 6 [[1,0],[0,0]] + 6 [[1,1],[1,1]] + I/2 (f2''(0) = 6, f1''(0) = 1)."""
    top = np.linalg.eigvalsh(np.array([[12.5, 6.0], [6.0, 6.5]])).max()
    assert panels["f3"].threshold == pytest.approx(2 / top, rel=1e-6)


def test_fig_4_2_flow_tracks_gd_and_stops_at_the_predicted_point():
    data = fig_4_2.compute(steps=3000)
    assert data.x1_deviation < 0.01 and data.y_deviation < 0.01
    assert data.x1_stop == pytest.approx(100 * (np.sqrt(1.5) - 1))
    assert data.gd.x[:, 0].max() < data.x1_stop


def test_fig_5_1_matches_the_caption_and_the_text():
    """Caption: x1 first exceeds -4 at iteration 466.  Text: decaying too early leaves GD on
    the large valley; the latest decay reaches the small valley, so its loss ends lowest."""
    data = fig_5_1.compute()
    assert data.first_above_minus_4 == 466
    early, middle, late = data.decays
    assert late.final_loss < 0.5 * min(early.final_loss, middle.final_loss)
    # the losses at the decay steps are similar (within 10%), as the text says
    losses = [d.loss_at_decay for d in data.decays]
    assert max(losses) < 1.1 * min(losses)


def test_fig_6_1_curvature_levels_are_the_piecewise_formula():
    data = fig_6_1.compute(data=(1.0, 10.0, 100.0))
    expected = (2 / 3 * (1 + 100 + 10000), 2 / 3 * (1 + 100), 2 / 3)
    np.testing.assert_allclose(data.curvature_levels, expected)
    # the population curve is the formula (6.2)
    C = data.C
    a = np.abs(data.w)
    with np.errstate(divide="ignore"):
        formula = np.where(a <= 1 / C, C**2 * a**2 / 3, 1 - 2 / (3 * C * a))
    np.testing.assert_allclose(data.population, formula, atol=1e-15)


def test_plots_are_written(tmp_path):
    """Every figure writes a PNG (and a PDF on request) that matplotlib can read back."""
    import matplotlib.image as mpimg

    paths = fig_6_1.plot(fig_6_1.compute(), tmp_path, pdf=True)
    assert [p.suffix for p in paths] == [".png", ".pdf"]
    image = mpimg.imread(paths[0])
    assert image.shape[0] > 300 and image.shape[1] > 600
    assert image.std() > 0.05  # not a blank canvas
    assert paths[1].read_bytes()[:4] == b"%PDF"


def test_fig_4_2_drift_extrapolates_to_the_predicted_stop():
    """Section 4.4: the drift stops where eta h(x1)^2 f1''(0) = 2, h(x1) = 1/(1 + 0.01 x1),
    eta = 3, f1''(0) = 1: x1* = 100 (sqrt(3/2) - 1).  GD only approaches it, so the stop
    is measured by extrapolating x1 to zero amplitude |x2| -> 0."""
    from theory.figures import Verdict

    data = fig_4_2.compute(steps=5000)
    predicted = 100 * (np.sqrt(1.5) - 1)
    assert data.x1_extrapolated_stop == pytest.approx(predicted, rel=1e-3)
    assert data.gd.x[-1, 0] < data.x1_extrapolated_stop  # still short of it after 5000 steps
    stop = fig_4_2.claims(data)[1]
    assert stop.verdict is Verdict.CONFIRMED
    assert stop.numbers["predicted_stop"] == pytest.approx(predicted)
    # a run too short for the amplitude to shrink does not extrapolate to the stop
    short = fig_4_2.claims(fig_4_2.compute(steps=400))[1]
    assert short.verdict is Verdict.NOT_CONFIRMED


def test_fig_5_1_only_the_late_decay_converges_within_500_steps():
    from theory.figures import Verdict

    data = fig_5_1.compute()
    early, middle, late = data.decays
    assert early.steps_to_minimum == -1 and middle.steps_to_minimum == -1
    assert 0 <= late.steps_to_minimum <= 500
    assert late.final_distance < fig_5_1.NEAR_MINIMUM < middle.final_distance
    assert [c.verdict for c in fig_5_1.claims(data)] == [Verdict.CONFIRMED] * 3
    # decays at 650 and 700 only: no late decay, so the third claim must fail
    assert fig_5_1.claims(fig_5_1.compute((650, 700)))[2].verdict is Verdict.NOT_CONFIRMED


def test_fig_6_1_population_loss_is_subquadratic_and_a_quadratic_is_not():
    import dataclasses

    from theory.figures import Verdict

    data = fig_6_1.compute()
    assert [c.verdict for c in fig_6_1.claims(data)] == [Verdict.CONFIRMED] * 2
    quadratic = dataclasses.replace(data, population=data.w**2)
    assert fig_6_1.claims(quadratic)[0].verdict is Verdict.NOT_CONFIRMED
