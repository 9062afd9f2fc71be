"""Remarks 4.1 and 4.2: SGD's noise-driven drift, measured against the formula and GD."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

from theory import quasistatic
from theory.catalog import get, valley
from theory.errors import LandscapeError, MslValueError
from theory.optimizers import GD, SGD
from theory.optimizers.noise_drift import QuadraticValley, measure_drift, quasistatic_drift
from theory.optimizers.valley_contrast import run_on_valley, valley_contrast

x, x1, x2 = sp.symbols("x x1 x2", real=True)
DIAGONAL = QuadraticValley(sp.Matrix([[1 + x**2 / 10, 0], [0, 2 + sp.sin(x)]]), (x,))
COUPLED = QuadraticValley(sp.Matrix([[2 + x1**2 / 10, x2 / 5], [x2 / 5, 3 + sp.cos(x1)]]),
                          (x1, x2))


def test_drift_formula_for_a_diagonal_h():
    eta, sigma = sp.Rational(1, 10), 2
    expected = -(eta * sigma**2 / 4) * (x / 5 + sp.cos(x))  # d/dx (1 + x^2/10 + 2 + sin x)
    assert sp.simplify(quasistatic_drift(DIAGONAL, eta, sigma)[0] - expected) == 0


@pytest.mark.parametrize(("valley", "x0"), [(DIAGONAL, [1.0]), (COUPLED, [1.0, 0.5])])
def test_sde_drift_matches_remark_4_2_within_its_error_bar(valley, x0):
    result = measure_drift(valley, x0, eta=0.1, sigma=1.0, time=5.0, dt=0.02, replicas=128,
                           seed=7)
    assert result.within(3.0), result.to_dict()
    # and the measurement resolves the drift (it is not trivially inside a huge error bar)
    assert abs(result.measured[0]) > 10 * result.stderr[0]


def test_sgd_drift_matches_the_discrete_prediction():
    result = measure_drift(DIAGONAL, [1.0], eta=0.05, sigma=1.0, time=5.0, replicas=128,
                           seed=3, method="sgd")
    assert result.within(3.0), result.to_dict()
    # the discrete correction (I - eta H)^{-1} is what the error bar resolves
    assert abs(result.predicted[0] - result.formula[0]) > 3 * result.stderr[0]


def test_same_seed_same_numbers_whatever_the_number_of_blocks():
    a = measure_drift(DIAGONAL, [0.0], eta=0.1, sigma=1.0, time=0.2, dt=0.02, replicas=64,
                      seed=11)
    b = measure_drift(DIAGONAL, [0.0], eta=0.1, sigma=1.0, time=0.2, dt=0.02, replicas=96,
                      seed=11)
    np.testing.assert_array_equal(a.per_replica, b.per_replica[:64])


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [({"eta": 0.0}, MslValueError, "eta="), ({"sigma": -1.0}, MslValueError, "sigma="),
     ({"replicas": 1}, MslValueError, "replicas="),
     ({"method": "euler"}, MslValueError, "method=")],
)
def test_bad_arguments_are_named(kwargs, error, match):
    base = {"eta": 0.1, "sigma": 1.0, "time": 1.0}
    with pytest.raises(error, match=match):
        measure_drift(DIAGONAL, [0.0], **{**base, **kwargs})


def test_non_symmetric_or_indefinite_h_is_rejected():
    with pytest.raises(LandscapeError, match="symmetric"):
        QuadraticValley(sp.Matrix([[1, x], [0, 1]]), (x,))
    with pytest.raises(LandscapeError, match="positive definite"):
        measure_drift(QuadraticValley(sp.Matrix([[x]]), (x,)), [-1.0], eta=0.1, sigma=1.0,
                      time=0.1, dt=0.05)


@pytest.fixture(scope="module")
def contrast():
    """A valley that flattens 10x faster than Fig. 4.2's (the halt is reached sooner)."""
    fast = valley(get("f1"), "1/(1 + x1/10)")
    return fast, valley_contrast(fast, eta=3.0, small_eta=1.0, x0=(0.1, 1.0), steps=1500,
                                 sigma=0.3, replicas=16, seed=1)


def test_remark_4_1_gd_halts_where_sgd_keeps_moving(contrast):
    fast, runs = contrast
    level = quasistatic.halting_level(fast, 3.0)  # eta h^2 f''(0) = 2
    gd, sgd = runs["gd"], runs["sgd_additive"]
    assert gd.flatness_final >= level * (1 - 1e-9)  # GD never gets flatter than the halt
    assert gd.flatness_final < 1.005 * level  # ... and it gets there (slowly: 0.2% at 1500)
    assert sgd.moving() and sgd.flatness_final < 0.5 * level
    assert gd.late_motion < sgd.late_motion / 100


def test_remark_4_1_interpolation_noise_stops_below_the_edge(contrast):
    _, runs = contrast
    interpolation = runs["sgd_interpolation_small_eta"]
    assert not interpolation.moving()
    assert abs(interpolation.late_motion) < 1e-12 and interpolation.across_final < 1e-12
    assert runs["sgd_additive_small_eta"].moving()  # the stop is the noise vanishing
    assert runs["gd"].x_final > runs["gd_small_eta"].x_final + 1  # GD above the edge moved


def test_valley_runs_take_only_gd_or_sgd():
    from theory.optimizers import HeavyBall

    with pytest.raises(MslValueError, match="optimizer="):
        run_on_valley(get("fig4.2"), HeavyBall(0.5), eta=1.0, x0=(1, 1), steps=10)
    run = run_on_valley(get("fig4.2"), GD(), eta=1.0, x0=(1, 1), steps=10)
    assert run.replicas == 1 and SGD(0.1).noise == "additive"


@pytest.mark.parametrize("beta", [0.5, 0.8])
def test_sgd_with_momentum_drift_matches_the_derived_ar2_prediction(beta):
    """Remark 4.2 adapted to heavy ball: -Tr(dH S)/(1 - beta), S the AR(2) covariance;
    to leading order the drift is 1/(1 - beta)^2 times the plain formula."""
    result = measure_drift(DIAGONAL, [1.0], eta=0.02, sigma=1.0, time=8.0, replicas=128,
                           seed=3, method="sgd", beta=beta)
    assert result.within(3.0), result.to_dict()
    ratio = result.measured[0] / result.formula[0]
    assert ratio == pytest.approx(1 / (1 - beta) ** 2, rel=0.1)


def test_momentum_is_only_for_sgd():
    with pytest.raises(MslValueError, match="beta="):
        measure_drift(DIAGONAL, [0.0], eta=0.1, sigma=1.0, time=1.0, beta=0.5)
    with pytest.raises(MslValueError, match="beta="):
        measure_drift(DIAGONAL, [0.0], eta=0.1, sigma=1.0, time=1.0, method="sgd", beta=1.0)
