"""Hypothesis properties of issue 20, for random subquadratic functions at random scales:

* ``msl check`` never reports a *certified* FAIL for Lemma 4.1 or Theorem 4.1 (the paper
  proves both for these functions, so a certified FAIL would be a false refutation);
* periodic-point's stability verdict agrees with mpmath at 50 digits wherever mpmath
  decides it (|1 - multiplier| above 1e-30), and never contradicts it.

The references solve k p'(u) = 2u (u = x/s, k = eta/s^2) for the profile p in mpmath,
independently of the package.  Small budgets: each example builds a function (sympy limits)
and the claim checks run interval certificates.
"""

from __future__ import annotations

import mpmath
import pytest
import sympy as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from proofs_check import check_lemma_4_1, check_theorem_4_1
from proofs_check.strategies import subquadratic_functions
from theory import Subquadratic, X

#: profile name -> (formula in u, p'(u), p''(u) for mpmath), p''(0) = 1
PROFILES = {
    "log_cosh": ("log(cosh({u}))", lambda u: mpmath.tanh(u), lambda u: mpmath.sech(u) ** 2),
    "f1": ("(1+abs({u}))*log(1+abs({u}))-abs({u})", lambda u: mpmath.log1p(u),
           lambda u: 1 / (1 + u)),
    "sqrt": ("sqrt(1+({u})**2)-1", lambda u: u / mpmath.sqrt(1 + u**2),
             lambda u: (1 + u**2) ** mpmath.mpf(-1.5)),
}
EXPONENTS = st.integers(min_value=-3, max_value=140)


def _reference(profile: str, k: float) -> mpmath.mpf | None:
    """1 - multiplier = a (2 - a), a = k p''(u*), at 50 digits (None: no root found)."""
    _, slope, curvature = PROFILES[profile]
    with mpmath.workdps(50):
        k = mpmath.mpf(k)
        lo, hi = mpmath.mpf("1e-30"), mpmath.mpf(10) ** 320
        if not k * slope(lo) - 2 * lo > 0:
            return None
        for _ in range(3000):  # geometric, then arithmetic bisection
            mid = mpmath.sqrt(lo * hi) if hi / lo > 4 else (lo + hi) / 2
            if k * slope(mid) - 2 * mid > 0:
                lo = mid
            else:
                hi = mid
            if hi - lo <= mpmath.mpf(10) ** -45 * hi:
                break
        a = k * curvature((lo + hi) / 2)
        return a * (2 - a)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(profile=st.sampled_from(sorted(PROFILES)), exponent=EXPONENTS,
       log_ratio=st.floats(min_value=0.01, max_value=30.0))
def test_stability_agrees_with_mpmath(profile, exponent, log_ratio):
    scale = 10.0**exponent
    f = Subquadratic(PROFILES[profile][0].format(u=f"x/10**{exponent}") if exponent >= 0
                     else PROFILES[profile][0].format(u=f"x*10**{-exponent}"))
    eta = 2 * scale**2 * float(mpmath.exp(log_ratio))  # threshold 2 s^2 (p''(0) = 1)
    if not eta < 1e307:
        return
    margin = _reference(profile, eta / scale**2)
    orbit = f.periodic_orbit(eta)
    assert margin is not None
    if abs(margin) > 1e-30:
        assert orbit.stability == ("stable" if margin > 0 else "unstable"), (margin, orbit)
    else:
        assert orbit.stability in ("marginal", "stable" if margin > 0 else "unstable")


def _scaled(f: Subquadratic, exponent: int) -> Subquadratic:
    s = sp.Integer(10) ** exponent
    return Subquadratic(f.expr.xreplace({X: X / s}), name=f"{f.name} at x/10**{exponent}")


@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(f=subquadratic_functions(), exponent=st.sampled_from([6, 13, 60]),
       factor=st.sampled_from([1.5, 4.0, 30.0]))
def test_lemma_4_1_is_never_refuted_with_a_certificate(f, exponent, factor):
    g = _scaled(f, exponent)
    eta = float(g.threshold) * factor
    result = check_lemma_4_1(g, [eta])
    assert not (result.conclusion.status.value == "fails" and result.conclusion.certified)
    assert not (result.conclusion.status.value == "fails" and result.certified)


@pytest.mark.slow
@settings(max_examples=2, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(f=subquadratic_functions(), exponent=st.sampled_from([6, 13]),
       factor=st.sampled_from([0.5, 3.0]))
def test_theorem_4_1_is_never_refuted_with_a_certificate(f, exponent, factor):
    g = _scaled(f, exponent)
    eta = float(g.threshold) * factor
    result = check_theorem_4_1(g, [eta], starts=4, max_steps=400)
    assert not (result.conclusion.status.value == "fails" and result.certified)
