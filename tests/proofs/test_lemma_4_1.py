"""Lemma 4.1: x_eta exists exactly for eta > 2/f''(0), increases with eta; h decreases from
f''(0) to 0 (Section 4.1)."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
import sympy as sp
from hypothesis import example, given, settings
from hypothesis import strategies as st

from proofs_check import Status, check_lemma_4_1
from proofs_check.families import profile, quadratic_plus_f1
from proofs_check.strategies import (
    learning_rate_factors,
    theorem_4_1_functions,
    violating_functions,
)
from tests.proofs._budget import examples
from theory import X_POS, catalog
from theory.errors import LearningRateError


def assert_lemma_4_1(f, factors: list[float]) -> None:
    """The lemma's conclusion on f, independently of proofs_check: the core's x_eta is a
    root of eta f'(x) = 2x (sign change at 50 digits), increasing in eta; h decreasing with
    limits f''(0) and 0; no root below the threshold (float grid)."""
    threshold = float(f.threshold)
    slope = sp.lambdify(X_POS, f.branch(1), modules="mpmath")
    previous = 0.0
    for factor in sorted(factors):
        eta = threshold * factor
        x_eta = f.periodic_point(eta)
        with mpmath.workdps(50):
            e = mpmath.mpf(eta)
            below, above = mpmath.mpf(x_eta) * (1 - 1e-9), mpmath.mpf(x_eta) * (1 + 1e-9)
            assert e * slope(below) - 2 * below > 0 > e * slope(above) - 2 * above
        assert x_eta > previous
        previous = x_eta
    grid = np.geomspace(1e-6, 1e6, 2001)
    h = np.asarray(f.h(grid))
    assert np.all(np.diff(h) <= 1e-12 * h[:-1])
    assert h[0] == pytest.approx(float(f.curvature_at_zero), rel=1e-4)
    assert h[-1] < 1e-3 * h[0]


@settings(max_examples=examples(0.3))
@given(f=theorem_4_1_functions(),
       factors=st.lists(learning_rate_factors("above"), min_size=2, max_size=3, unique=True),
       below=learning_rate_factors("below"))
@example(f=catalog.f1(), factors=[1.01, 2.5], below=0.5)
@example(f=profile("log_cosh", sp.Integer(4), sp.Rational(1, 4)), factors=[1.2, 3.0],
         below=0.95)
def test_lemma_4_1_on_functions_satisfying_its_hypotheses(f, factors, below):
    threshold = float(f.threshold)
    result = check_lemma_4_1(f, [threshold * k for k in [below, *factors]])
    assert result.applies, [(h.name, h.status, h.evidence) for h in result.hypotheses]
    assert result.certified  # every used hypothesis and proof step by certificate/sympy
    assert result.proof_step("h decreasing").status is Status.HOLDS
    assert result.confirmed, result.conclusion.evidence
    for k in factors:  # the enclosures are those of the independent check below
        c = result.constant(f"x_eta(eta={threshold * k:.6g})")
        assert c.lower <= f.periodic_point(threshold * k) <= c.upper
    assert_lemma_4_1(f, factors)
    with pytest.raises(LearningRateError):
        f.periodic_point(threshold * below)
    grid = np.geomspace(1e-6, 1e6, 801)
    assert np.all(threshold * below * np.asarray(f.df(grid)) < 2 * grid)


@settings(max_examples=examples(0.25))
@given(f=violating_functions())
@example(f=quadratic_plus_f1(sp.Rational(1, 2), sp.Integer(1)))
@example(f=catalog.f2())
def test_lemma_4_1_reports_violated_hypotheses(f):
    """A hypothesis breaks (f'' does not vanish, f'' not decreasing, or f' jumps): it is
    reported as failing, with a certificate or exact sympy, and the report says whether
    the conclusion still held."""
    result = check_lemma_4_1(f)
    failing = [h for h in result.hypotheses if h.used_by_proof and h.status is Status.FAILS]
    assert failing and all(h.certified for h in failing)
    assert not result.applies and result.ok
    assert result.notes and ("still holds" in result.notes[0]) is result.confirmed


def test_quadratic_tail_has_no_x_eta_at_large_eta():
    """a x^2 + f1: h = 2a + log(1+x)/x > 2a, so for 2/eta <= 2a there is no x_eta.  The
    intervals certify that there is no root on (0, R] only; beyond R nothing is certified,
    so the conclusion is unknown with that reason, never a certified FAIL (issue 20)."""
    f = quadratic_plus_f1(sp.Rational(1, 2), sp.Integer(1))  # h -> 1: no root for eta >= 2
    result = check_lemma_4_1(f, [0.5, 1.0, 3.0])
    assert result.hypothesis("f'' -> 0").status is Status.FAILS
    assert result.conclusion.status is Status.UNKNOWN
    assert "eta = 3: no root of eta f'(x) = 2x on (0," in result.conclusion.evidence
    assert "beyond the certified range" in result.conclusion.evidence


def test_f2_fails_the_hypothesis_but_keeps_the_conclusion():
    """f2 (6.2) is not convex: f'' increases for |x| > 1/C (certified), but h = f'/x still
    decreases, so x_eta = (eta/(3C))^(1/3) exists and increases."""
    result = check_lemma_4_1(catalog.f2(), [0.5, 2.0])
    assert result.hypothesis("f'' non-increasing").status is Status.FAILS
    assert result.hypothesis("f'' non-increasing").certified
    assert result.proof_step("h decreasing").status is Status.HOLDS
    assert result.confirmed
    for eta in (0.5, 2.0):  # the closed form of the paper (caption of f2 in the catalog)
        c = result.constant(f"x_eta(eta={eta:.6g})")
        assert c.lower <= (eta / 9) ** (1 / 3) <= c.upper


def test_empirical_loss_has_no_x_eta_inside_the_jumps_of_h():
    """The empirical loss of Section 6 (inputs 1, 10, 100) has f' jumping down at 1/100:
    for 2/eta between h(1/100+) and h(1/100-) eta f'(x) = 2x has no root (certified)."""
    result = check_lemma_4_1("two_layer_3pt", [0.02])
    assert result.hypothesis("C^1").status is Status.FAILS
    assert result.conclusion.status is Status.FAILS
    record = result.conclusion.data["learning_rates"][0]
    assert record["status"] == "no root"
    assert record["no_root_certificate"]["verified"]
