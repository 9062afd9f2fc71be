"""Thresholds and period-2 orbits of momentum methods against independent references.

References: the linearised maps and the period-2 equations written out by hand (not the
sympy derivation under test), numpy eigenvalues, mpmath root finding on the raw equation
x_{t+1}(a, -a) = -a, and long float simulations of the iteration itself.
"""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
import sympy as sp
from hypothesis import example, given, settings
from hypothesis import strategies as st

from theory import ETA, catalog
from theory.errors import LearningRateError
from theory.optimizers import (
    BETA,
    CURVATURE,
    GD,
    SGD,
    HeavyBall,
    Nesterov,
    OptimizerError,
    derive,
    periodic_orbit,
    periodic_point_expr,
    threshold,
)


@pytest.fixture(scope="module")
def f1():
    return catalog.get("f1")


def f1_slope(x):  # f1'(x) = sign(x) log(1 + |x|), written out
    return math.copysign(math.log1p(abs(x)), x)


def step(kind, beta, eta, x, prev, slope=f1_slope):
    """One step of the optimizer, written out independently of theory.optimizers."""
    if kind == "momentum":
        return x - eta * slope(x) + beta * (x - prev)
    look = x + beta * (x - prev)
    return look - eta * slope(look)


def linear_matrix(kind, beta, eta, c):
    """The linearisation at 0 on (x_t, x_{t-1}), by hand."""
    if kind == "momentum":
        return np.array([[1 + beta - eta * c, -beta], [1.0, 0.0]])
    q = 1 - eta * c
    return np.array([[q * (1 + beta), -q * beta], [1.0, 0.0]])


def test_derived_thresholds_in_closed_form():
    c, b = CURVATURE, BETA
    assert sp.simplify(derive(GD()).threshold - 2 / c) == 0
    assert sp.simplify(derive(HeavyBall(0.5)).threshold - 2 * (1 + b) / c) == 0
    assert sp.simplify(derive(Nesterov(0.5)).threshold - 2 * (1 + b) / ((1 + 2 * b) * c)) == 0


def test_stochastic_optimizer_has_no_derivation():
    with pytest.raises(OptimizerError, match="stochastic"):
        derive(SGD(0.1))


kinds = st.sampled_from(["momentum", "nesterov"])
betas = st.floats(0.0, 0.95)


def _make(kind, beta):
    return HeavyBall(beta) if kind == "momentum" else Nesterov(beta)


@given(kind=kinds, beta=betas)
@example(kind="nesterov", beta=0.0)
def test_threshold_is_where_the_linearisation_loses_stability(f1, kind, beta):
    eta_star = threshold(f1, _make(kind, beta))  # f1''(0) = 1
    below = np.abs(np.linalg.eigvals(linear_matrix(kind, beta, eta_star * (1 - 1e-6), 1.0)))
    above = np.abs(np.linalg.eigvals(linear_matrix(kind, beta, eta_star * (1 + 1e-6), 1.0)))
    assert below.max() < 1 < above.max()
    # and for every smaller eta as well (no earlier complex crossing)
    for eta in np.linspace(1e-3, eta_star * (1 - 1e-3), 25):
        assert np.abs(np.linalg.eigvals(linear_matrix(kind, beta, eta, 1.0))).max() < 1


def _mp_root(kind, beta, eta, dps=40):
    """a > 0 with x_{t+1}(a, -a) = -a for f1, by mpmath root finding from scratch."""
    def residual(a):
        slope = lambda z: mpmath.sign(z) * mpmath.log1p(abs(z))  # noqa: E731
        if kind == "momentum":
            new = a - eta * slope(a) + beta * 2 * a
        else:
            look = a + beta * 2 * a
            new = look - eta * slope(look)
        return new + a
    with mpmath.workdps(dps):
        return mpmath.findroot(residual, (mpmath.mpf("1e-12"), mpmath.mpf(1e6)),
                               solver="anderson")


@settings(max_examples=15)  # mpmath root finding: ~0.25 s per example
@given(kind=kinds, beta=betas, factor=st.floats(1.05, 30.0))
def test_period_two_point_solves_the_raw_equation(f1, kind, beta, factor):
    optimizer = _make(kind, beta)
    eta = threshold(f1, optimizer) * factor
    orbit = periodic_orbit(f1, optimizer, eta)
    a = orbit.x_eta
    assert a == pytest.approx(float(_mp_root(kind, beta, eta)), rel=1e-9)
    # monotone in eta (Lemma 4.1 for the optimizer)
    assert periodic_orbit(f1, optimizer, eta * 1.01).x_eta > a
    # f1 is strictly subquadratic: the orbit is stable (as for GD, Theorem 4.1)
    assert orbit.stable


@pytest.mark.parametrize(("kind", "beta", "eta"),
                         [("momentum", 0.5, 4.0), ("momentum", 0.9, 5.0),
                          ("nesterov", 0.5, 3.0), ("nesterov", 0.8, 2.0)])
def test_long_simulation_settles_on_the_orbit(f1, kind, beta, eta):
    orbit = periodic_orbit(f1, _make(kind, beta), eta)
    x, prev = 0.3, 0.3
    for _ in range(20000):
        x, prev = step(kind, beta, eta, x, prev), x
    assert abs(x) == pytest.approx(orbit.x_eta, rel=1e-9)
    assert x == pytest.approx(-prev, rel=1e-9)


@pytest.mark.parametrize(("kind", "beta", "eta"), [("momentum", 0.5, 4.0), ("nesterov", 0.3, 3.0)])
def test_spectral_radius_is_the_measured_contraction_rate(f1, kind, beta, eta):
    """Perturb the orbit and measure the decay per two steps (long-run geometric rate)."""
    orbit = periodic_orbit(f1, _make(kind, beta), eta)
    with mpmath.workdps(250):
        a = _mp_root(kind, beta, eta, dps=250)
        x, prev = a * (1 + mpmath.mpf("1e-20")), -a
        slope = lambda z: mpmath.sign(z) * mpmath.log1p(abs(z))  # noqa: E731
        errors = []
        for t in range(64):
            x, prev = step(kind, beta, eta, x, prev, slope), x
            if t % 2 == 1:
                errors.append(float(abs(x - a) + abs(prev + a)))
    rate = (errors[30] / errors[10]) ** (1 / 20)
    assert rate == pytest.approx(orbit.spectral_radius, rel=2e-2)


@pytest.mark.parametrize("name", ["f1", "log_cosh"])
@pytest.mark.parametrize("eta_factor", [1.001, 1.5, 4.0, 40.0])
@pytest.mark.parametrize("optimizer", [GD(), HeavyBall(0), Nesterov(0)])
def test_beta_zero_reproduces_gd_exactly(name, eta_factor, optimizer):
    f = catalog.get(name)
    eta = float(f.threshold) * eta_factor
    gd = f.periodic_orbit(eta)
    orbit = periodic_orbit(f, optimizer, eta)
    assert threshold(f, optimizer) == float(f.threshold)
    assert orbit.x_eta == gd.x_eta
    assert orbit.spectral_radius == gd.multiplier
    assert orbit.stable == gd.stable


@pytest.mark.parametrize(("optimizer", "eta"), [(HeavyBall(0.5), 4.0), (Nesterov(0.25), 3.0)])
def test_closed_form_is_lambert_w_minus_one(f1, optimizer, eta):
    expr = periodic_point_expr(f1, optimizer)
    assert expr.has(sp.LambertW)
    value = complex(sp.N(expr.xreplace({ETA: sp.Float(eta, 30)}), 30))
    assert value.real == pytest.approx(periodic_orbit(f1, optimizer, eta).x_eta, rel=1e-12)
    assert abs(value.imag) < 1e-12


def test_learning_rate_at_or_below_threshold_is_rejected(f1):
    with pytest.raises(LearningRateError, match="threshold 3"):
        periodic_orbit(f1, HeavyBall(0.5), 3.0)


def test_orbit_stability_interval_generalises_eta_f2_below_2():
    assert derive(GD()).orbit_stability_interval == (0, 2)
    lo, hi = derive(HeavyBall(0.5)).orbit_stability_interval
    assert lo == 0 and sp.simplify(hi - 2 * (1 + BETA)) == 0


@pytest.mark.parametrize("optimizer", [HeavyBall(0.6), Nesterov(0.4), GD()])
def test_vectorised_periodic_points_match_pointwise(f1, optimizer):
    from theory.optimizers import periodic_point_array

    etas = threshold(f1, optimizer) * np.array([1.01, 1.5, 3.0, 10.0])
    expected = [periodic_orbit(f1, optimizer, e).x_eta for e in etas]
    np.testing.assert_allclose(periodic_point_array(f1, optimizer, etas), expected, rtol=1e-12)
    with pytest.raises(LearningRateError):
        periodic_point_array(f1, optimizer, [threshold(f1, optimizer)])
