"""Numerical edges (issue 20): float precision is not presented as fact, overflowing
derivative forms do not decide orbits, certified refutations are certified, grids are not
cut silently.

Each cause is tested on its own family of inputs (scales 1e6 ... 1e300, several overflowing
forms); every reference comes from mpmath at 50 digits or from exact reasoning, never from
the code under test.
"""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
import sympy as sp

from msl.cli import main
from proofs_check import check_lemma_4_1
from proofs_check._gd import gradient_descent
from proofs_check._results import Check, ClaimResult, Status
from proofs_check.testing import assert_lemma_4_1
from theory import Subquadratic, catalog
from theory._overflow_safe import overflow_safe

X = sp.Symbol("x", real=True)


def _log_cosh_reference(eta: float, scale: float = 1.0) -> tuple[mpmath.mpf, mpmath.mpf]:
    """(x_eta, a = eta f''(x_eta)) of log(cosh(x/s)) at 50 digits: with u = x/s, the orbit
    solves (eta/s^2) tanh(u) = 2u and a = (eta/s^2) sech(u)^2."""
    with mpmath.workdps(50):
        k = mpmath.mpf(eta) / mpmath.mpf(scale) ** 2
        u = mpmath.findroot(lambda v: k * mpmath.tanh(v) - 2 * v, k / 2)
        return u * mpmath.mpf(scale), k / mpmath.cosh(u) ** 2


# ----------------------------------------------------------------- stability without cancellation
@pytest.mark.parametrize("eta", [45.0, 60.0, 80.0, 150.0])
def test_log_cosh_cycle_is_stable_although_the_multiplier_rounds_to_1(eta):
    """1 - (1 - a)^2 = a (2 - a) with a = eta sech(x_eta)^2 ~ 1e-17 ... 1e-63: stable."""
    orbit = catalog.log_cosh().periodic_orbit(eta)
    x_ref, a = _log_cosh_reference(eta)
    margin = a * (2 - a)
    assert margin > 0
    assert orbit.stability == "stable" and orbit.stable and not orbit.marginal
    assert orbit.x_eta == pytest.approx(float(x_ref), rel=1e-14)
    assert orbit.one_minus_multiplier == pytest.approx(float(margin), rel=1e-6)


@pytest.mark.parametrize("eta", [1e10, 1e50, 1e150])
def test_sqrt_cycle_margin_from_exact_reasoning(eta):
    """f = sqrt(1 + x^2): h = (1 + x^2)^(-1/2) = 2/eta, so 1 + x_eta^2 = eta^2/4 and
    a = eta (1 + x^2)^(-3/2) = 8/eta^2 exactly: 1 - multiplier = a (2 - a) > 0."""
    orbit = Subquadratic("sqrt(1+x**2)").periodic_orbit(eta)
    a = 8 / eta**2
    assert orbit.stability == "stable"
    assert orbit.x_eta == pytest.approx(math.sqrt(eta**2 / 4 - 1), rel=1e-12)
    if a * 2 > 1e-300:
        assert orbit.one_minus_multiplier == pytest.approx(a * (2 - a), rel=1e-9)


def test_flat_curvature_at_the_orbit_is_marginal_not_unstable(capsys):
    """Huber: f'' = 0 for |x| > 1, so at x_eta = eta/2 the multiplier is exactly 1: linear
    stability is undecided (marginal), not 'unstable'."""
    huber = "x**2/2*heaviside(1-abs(x)) + (abs(x)-1/2)*heaviside(abs(x)-1)"
    orbit = Subquadratic(huber).periodic_orbit(30.0)
    assert orbit.x_eta == pytest.approx(15.0)
    assert orbit.marginal and not orbit.stable and orbit.stability == "marginal"
    assert main(["periodic-point", huber, "--eta", "30", "--json"]) == 0
    import json

    record = json.loads(capsys.readouterr().out)
    assert record["stability"] == "marginal" and record["stable"] is None


# ----------------------------------------------------------------- root search over the scale
@pytest.mark.parametrize("eta", [1e6, 1e50, 1e150, 1e300])
def test_f1_orbit_is_found_at_every_scale(eta):
    """Lemma 4.1 guarantees x_eta for f1 at every eta > 2: eta log(1 + x) = 2x (mpmath)."""
    with mpmath.workdps(50):
        e = mpmath.mpf(eta)
        ref = mpmath.findroot(lambda x: e * mpmath.log1p(x) - 2 * x, (e / 2, 400 * e),
                              solver="anderson")
    assert catalog.f1().periodic_point(eta) == pytest.approx(float(ref), rel=1e-12)


@pytest.mark.parametrize("scale", [1e6, 1e13, 1e100, 1e150])
def test_log_cosh_at_scale_s_has_its_orbit_at_s_u(scale):
    """log(cosh(x/s)) at eta = 3 s^2: x_eta = s u with 1.5 tanh(u) = u (mpmath)."""
    f = Subquadratic(f"log(cosh(x/10**{round(math.log10(scale))}))")
    eta = 3 * scale**2
    x_ref, a = _log_cosh_reference(eta, scale)
    orbit = f.periodic_orbit(eta)
    assert orbit.x_eta == pytest.approx(float(x_ref), rel=1e-12)
    assert orbit.stability == ("stable" if 0 < a < 2 else "unstable")


def test_eta_a_hair_above_the_exact_threshold():
    """float(2e26) = 200000000000000004764729344 > 2 10^26 = 2/f''(0) of log(cosh(x/1e13)):
    the orbit exists (tiny, u^2/3 = 2.4e-17 so u = 8.5e-9) and is found."""
    f = Subquadratic("log(cosh(x/10**13))")
    with mpmath.workdps(60):
        ratio = mpmath.mpf(2e26) / mpmath.mpf(2 * 10**26)  # tanh(u)/u = 1/ratio
        u = mpmath.findroot(lambda v: ratio * mpmath.tanh(v) - v, mpmath.mpf("1e-8"))
    assert f.periodic_point(2e26) == pytest.approx(float(u) * 1e13, rel=1e-9)


# ----------------------------------------------------------------- overflow-safe forms
FORMS = [
    sp.sinh(X) / sp.cosh(X),
    sp.sinh(3 * X) / sp.cosh(3 * X) ** 3,
    (-2 * X**5 + 4 * X**3 + sp.exp(X**2) * sp.tanh(X)) * sp.exp(-(X**2)),
    (4 * X**6 + sp.exp(X**2) / sp.cosh(X) ** 2) * sp.exp(-(X**2)),
    X / sp.sqrt(X**2 + 1),
    X / sp.sqrt(4 * X**2 + 9),
    (X**2 + 4) ** sp.Rational(-3, 2),
]


@pytest.mark.parametrize("form", FORMS, ids=str)
@pytest.mark.parametrize("x", [0.0, 0.3, -5.0, 800.0, 3000.0, 1e40])
def test_overflow_safe_forms_match_mpmath(form, x):
    """The rewritten form evaluates in floats to the 50-digit value, where the raw form
    gives NaN or a silent 0 (x^6 exp(-x^2) is left alone beyond 1e51: not tested there)."""
    safe = sp.lambdify(X, overflow_safe(form), "numpy")
    with np.errstate(all="ignore"):
        value = float(safe(np.float64(x)))
    with mpmath.workdps(50):
        ref = float(sp.N(form.subs(X, sp.Float(x, 60)), 50))
    assert value == pytest.approx(ref, rel=1e-12, abs=1e-300)


@pytest.mark.parametrize("engine", [{"engine": "numpy"}, {"engine": "numba"},
                                    {"device": "torch-cpu"}], ids=str)
def test_log_cosh_plus_bump_from_800_converges(engine):
    """log(cosh(x)) + x^4 exp(-x^2) at eta = 1 from 800: x falls by tanh(x) ~ 1 a step,
    reaches 0 near step 810 (eta = 1 < threshold 2): converged, not diverged."""
    if "device" in engine:
        pytest.importorskip("torch")
    from theory.dynamics import simulate

    result = simulate("log(cosh(x))+x**4*exp(-x**2)", 1.0, 800.0, 1000, progress=False,
                      **engine)
    assert result.class_names.ravel().tolist() == ["converged"]


def test_sqrt_far_out_is_not_converged():
    """sqrt(1 + x^2) at eta = 1e150 from 1e160: f' ~ 1, x falls by 1e150 a step; in 500
    steps it cannot converge (x/sqrt(1 + x^2) = 1e160/inf = 0 made it 'converged')."""
    from theory.dynamics import simulate

    result = simulate("sqrt(1+x**2)", 1e150, 1e160, 500, progress=False, engine="numpy")
    assert result.class_names.ravel().tolist() != ["converged"]


# ----------------------------------------------------------------- certified means certified
def test_a_nan_gradient_is_not_a_divergence():
    run = gradient_descent(lambda x: np.where(np.abs(x) > 10, np.nan, x), np.array([1.0, 50.0]),
                           0.5, 5)
    assert run.unrepresentable.tolist() == [False, True]
    assert not run.diverged.any()


def test_a_simulated_fail_is_never_certified():
    holds = Check("h", "s", Status.HOLDS, "interval", True, "e")
    fails = Check("c", "s", Status.FAILS, "simulation", False, "e")
    result = ClaimResult("Theorem 4.3", "f", (1.0,), (holds,), (), (holds,), fails)
    assert not result.certified


@pytest.mark.parametrize("scale", [10**7, 10**13])
def test_lemma_4_1_at_large_scales_is_not_refuted(scale):
    """x_eta of log(cosh(x/s)) at 1.5 times the threshold is 1.29 s (mpmath), beyond the
    old certified range 2^40 for s = 1e13; the check must confirm it, not FAIL."""
    f = Subquadratic(f"log(cosh(x/{scale}))")
    eta = 3.0 * scale**2
    result = check_lemma_4_1(f, [eta])
    assert result.conclusion.status is not Status.FAILS
    x_ref, _ = _log_cosh_reference(eta, scale)
    x_eta = result.constant(f"x_eta(eta={eta:.6g})")
    assert x_eta.lower <= float(x_ref) <= x_eta.upper
    assert_lemma_4_1(f, eta=eta)


# ----------------------------------------------------------------- grids and clean errors
@pytest.mark.parametrize("argv", [
    ["periodic-point", "f1", "--eta", "3", "--optimizer", "momentum", "--beta", "0.1:0.9:5"],
    ["simulate", "f1", "--eta", "3", "--x0", "1", "--steps", "10", "--optimizer", "nesterov",
     "--beta", "0:0.5:2"],
])
def test_a_beta_grid_where_one_value_is_expected_is_refused(argv, capsys):
    assert main(argv) == 2
    assert "--beta" in capsys.readouterr().err


@pytest.mark.parametrize(("argv", "fragment"), [
    (["simulate", "f1", "--eta", "1:1e309:3", "--x0", "1", "--steps", "5"], "finite"),
    (["periodic-point", "f2(C=1e-320)", "--eta", "3"], "not a finite float"),
    (["periodic-point", "log(cosh(x/10**400))", "--eta", "3"], "not a finite float"),
])
def test_numbers_beyond_the_floats_are_clean_errors(argv, fragment, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and fragment in err[0]


def test_a_module_calling_sys_exit_is_an_error(tmp_path, capsys):
    module = tmp_path / "exits.py"
    module.write_text("import sys\nsys.exit(0)\n")
    assert main(["check", f"{module}:F"]) == 2
    assert "sys.exit" in capsys.readouterr().err
