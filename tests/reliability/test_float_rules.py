"""Orbits that floats cannot follow are undecided with their reason, never a wrong class
(issue 20; theory.dynamics._float_rules).

1. "derivative not representable": the gradient of x^n exp(-x^2) at x ~ 1e200 evaluates
   to inf * 0 = NaN, although the true gradient is ~0 and the true step finite;
2. "step below float resolution": x - eta f'(x) rounds to x (|eta f'(x)| < ulp(x)/2)
   while f'(x) != 0 and no critical point is near: the float orbit stands still, the true
   orbit moves.

References by exact reasoning and mpmath (50 digits): the true first step is finite and
within the bound, the true orbit moves by ~eta per step and stays ~x0 away from every
critical point, so in 400 steps it neither converges nor diverges.  Families of forms,
scales and learning rates; every engine (Numba, NumPy, PyTorch on the CPU) agrees.
"""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
import sympy as sp

from msl.cli import main
from theory.dynamics import CLASS_NAMES, UNDECIDED_REASONS, simulate

CODE = {name: k for k, name in enumerate(CLASS_NAMES)}
NOT_REPRESENTABLE, STALLED = 5, 6
STEPS = 400
BUMP = "log(cosh(x))+x**4*exp(-x**2)"
ENGINES = [{"engine": "numba"}, {"engine": "numpy"}, {"device": "torch-cpu"}]


def _true_step(form: str, x0: float, eta: float) -> mpmath.mpf:
    """x1 - x0 = -eta f'(x0) at 50 digits (sympy's derivative, evaluated by mpmath)."""
    x = sp.Symbol("x", real=True)
    slope = sp.diff(sp.sympify(form, locals={"x": x}), x).subs(x, sp.Float(x0, 60))
    with mpmath.workdps(50):
        return -mpmath.mpf(eta) * mpmath.mpf(sp.N(slope, 50))


def _run(form, eta, x0, **engine):
    with np.errstate(all="ignore"):
        return simulate(form, eta, x0, STEPS, progress=False, **engine)


# ------------------------------------------------------------------------ both rules, every engine
@pytest.fixture(scope="module")
def bump_runs():
    pytest.importorskip("torch")
    eta = [0.5, 1.0, 10.0]
    x0 = [1e20, 1e52, 1e80, 1e154, 1e200, 1e300]
    return eta, x0, [_run(BUMP, eta, x0, **e) for e in ENGINES]


def test_far_out_bump_orbits_are_undecided_with_a_float_reason(bump_runs):
    """True orbit: f'(x) = tanh(x) + (4x^3 - 2x^5) exp(-x^2) = 1 to 50 digits, x falls by
    eta a step and stays ~x0 from the minimum at 0: neither converged nor diverged."""
    eta, x0, runs = bump_runs
    for e in eta:
        for x in x0:
            step = _true_step(BUMP, x, e)
            assert abs(step + e) < 1e-40  # the true step is -eta
    for r in runs:
        assert (r.classes == CODE["undecided"]).all(), r.class_names
        reasons = r.undecided_reasons()
        assert np.isin(reasons, [NOT_REPRESENTABLE, STALLED]).all()
        # the reproducers of issue 20 (at eta = 1)
        assert reasons[1, x0.index(1e200)] == NOT_REPRESENTABLE
        assert reasons[1, x0.index(1e52)] == STALLED
        # a stalled orbit is stored with its float period 1, a NaN one with its NaN state
        assert (r.period[reasons == STALLED] == 1).all()
        assert np.isnan(r.final_state[reasons == NOT_REPRESENTABLE]).all()


def test_engines_agree_on_the_float_rules(bump_runs):
    _, _, (numba, numpy_, torch_) = bump_runs
    for other in (numpy_, torch_):
        np.testing.assert_array_equal(other.classes, numba.classes)
        np.testing.assert_array_equal(other.period, numba.period)
        np.testing.assert_array_equal(other.undecided_reasons(), numba.undecided_reasons())
        np.testing.assert_array_equal(other.decided_step, numba.decided_step)


# ------------------------------------------------------------------ rule 1 over a family of forms
@pytest.mark.parametrize("form", [f"{base}+x**{n}*exp(-x**2)"
                                  for base in ("log(cosh(x))", "sqrt(1+x**2)")
                                  for n in (2, 4, 6)])
def test_overflowing_bump_is_never_diverged(form):
    """x^n exp(-x^2) at x >= 1e20 is 0 to 1e-(1e40) digits, its derivative too: the true
    step is -eta f'(x0) with f' = tanh(x) or x/sqrt(1+x^2) = 1 (mpmath), finite and far
    inside the bound 1e10 |x0|; whatever the floats do (NaN from inf * 0, or a stall),
    the verdict is undecided with that reason, never diverged or converged."""
    eta = [0.5, 1.0, 10.0]
    x0 = [1e20, 1e60, 1e100, 1e160, 1e200, 1e250, 1e300]
    for x in x0[::3]:
        assert abs(_true_step(form, x, 1.0) + 1) < 1e-30
    r = _run(form, eta, x0, engine="numpy")
    assert (r.classes == CODE["undecided"]).all(), r.class_names
    assert np.isin(r.undecided_reasons(), [NOT_REPRESENTABLE, STALLED]).all()
    # beyond x^(n+1) = inf the raw derivative form is inf * 0 somewhere
    assert (r.undecided_reasons()[:, -1] == NOT_REPRESENTABLE).all()


@pytest.mark.parametrize("form,eta,x0", [
    ("x**4", [0.5, 1.0], [10.0, 1e3, 1e30]),  # x - 4 eta x^3: |x| grows without bound
    ("cosh(x)", [1.0, 3.0], [5.0, 20.0]),  # x - eta sinh(x) overshoots to ~e^69, then inf
    ("x**2*exp(x**2)", [1.0], [3.0, 10.0]),  # the gradient overflows to inf first
])
def test_genuine_divergence_through_inf_and_nan_stays_diverged(form, eta, x0):
    """Divergence leaves the bound through a huge finite value or +-inf before any NaN (an
    inf - inf later): diverged, as before (exact reasoning on each map)."""
    r = _run(form, eta, x0, engine="numpy")
    assert (r.classes == CODE["diverged"]).all(), r.class_names


# ------------------------------------------------------------------ rule 2 over a family of forms
@pytest.mark.parametrize("form,eta", [
    ("log(cosh(x))", [0.5, 1.0, 3.0]),  # f' = 1: the true orbit moves by eta a step
    ("sqrt(1+x**2)", [0.5, 1.0, 3.0]),  # f' = 1 to 1e-34
    ("log(cosh(x))+x**2*exp(-x**2)", [1.0]),
    ("x**2/2", [1e-18, 1e-17]),  # x <- (1 - eta) x: a contraction too slow for floats
])
def test_a_stalled_float_orbit_is_undecided(form, eta):
    """|eta f'(x0)| < ulp(x0)/2 at x0 >= 1e17 (ulp(1e17) = 16), f'(x0) != 0, and the
    nearest critical point (0) is ~x0 away: the float orbit stands still, the true one
    does not (x_400 = x0 - 400 eta, or x0 (1 - eta)^400 != x0 at 50 digits)."""
    x0 = [1e17, 1e30, 1e52, 1e100]
    with mpmath.workdps(50):
        for x in x0:
            for e in eta:
                assert abs(_true_step(form, x, e)) > 0
                assert abs(_true_step(form, x, e)) < math.ulp(x) / 2
    r = _run(form, eta, x0, engine="numpy")
    assert (r.classes == CODE["undecided"]).all(), r.class_names
    assert (r.undecided_reasons() == STALLED).all()
    np.testing.assert_array_equal(r.final_state[..., 0], np.broadcast_to(x0, r.classes.shape))


@pytest.mark.parametrize("form,x0,x_star", [
    ("(x-1)**2", [-3.0, 0.3, 2.5], 1.0),  # float fixed point within an ulp of 1
    ("(x-1000)**2/2", [990.0, 1010.0], 1000.0),
    ("log(cosh(x-7))", [5.0, 9.0], 7.0),
    ("x**4", [1e-100, -1e-90], 0.0),  # |x| far below atol: converged where it stands
])
def test_true_convergence_stays_converged(form, x0, x_star):
    """Minima reached to rounding (a float fixed point next to the true one, within the
    tolerance atol + rtol |x*|) stay converged, period 1, at x*."""
    r = _run(form, [0.1, 0.3, 0.7], x0, engine="numpy")
    assert (r.classes == CODE["converged"]).all(), r.class_names
    assert (r.period == 1).all()
    np.testing.assert_allclose(r.final_state[..., 0], x_star, atol=1e-8)


# ------------------------------------------------------------------------------------ the CLI
@pytest.mark.parametrize("x0,reason", [("1e200", NOT_REPRESENTABLE), ("1e52", STALLED)])
def test_msl_simulate_prints_the_reason(x0, reason, capsys):
    assert main(["simulate", BUMP, "--eta", "1", "--x0", x0, "--steps", str(STEPS),
                 "--engine", "numpy"]) == 0
    out = capsys.readouterr().out
    assert UNDECIDED_REASONS[reason] in out
    assert "diverged           0" in out and "converged          0" in out


# ------------------------------------------------------------------------------- momentum kernels
@pytest.mark.parametrize("method", ["momentum", "nesterov"])
def test_momentum_kernels_apply_both_rules(method):
    """Heavy ball / Nesterov on the bump: from 1e200 the float gradient is inf * 0 (the true
    step ~ -eta / (1 - beta) per step, finite); from 1e52 the float orbit stands still (eta
    f' = eta < ulp/2); from 1 both converge to the minimum 0 (eta f''(0) = 1 < 2 + 2 beta)."""
    from theory.dynamics import simulate_momentum, undecided_reasons

    r = simulate_momentum(BUMP, [1.0], [0.0, 0.5], [1e200, 1e52, 1.0], STEPS, method=method)
    names = np.asarray(CLASS_NAMES)[r.classes]
    assert (names[..., :2] == "undecided").all() and (names[..., 2] == "converged").all()
    reasons = undecided_reasons(r)
    assert (reasons[..., 0] == NOT_REPRESENTABLE).all()
    assert (reasons[..., 1] == STALLED).all() and (r.period[..., 1] == 1).all()
