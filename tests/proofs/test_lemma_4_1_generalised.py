"""Lemma 4.1 generalised (issue 21, beyond the paper): the flip direction of GD for asymmetric
functions, against construction and against simulation.

The strategy builds each function with an exact, known normal-form coefficient k (its
docstring); the simulator here is a vectorised NumPy iteration of x <- x - eta f'(x) with
f' written out from the drawn parameters (independent of theory's lambdify), started next to
the minimum just above the threshold: a stable 2-cycle near x* is found iff k > 0.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from proofs_check import check_function
from proofs_check.strategies import asymmetric_flip_functions
from theory.bifurcation import flip_criterion

BATCH, BATCHES = 200, 1  # 200 functions, simulated together
OFFSET, STEPS, RADIUS = 1e-3, 8000, 0.3


def _simulate(cases) -> np.ndarray:
    """True where a stable 2-cycle within RADIUS of x* attracts x* + 1e-3."""
    a = np.array([float(c.a) for c in cases])
    b = np.array([float(c.b) for c in cases])
    c4 = np.array([float(c.c) for c in cases])
    s = np.array([float(c.minimum) for c in cases])
    poly = np.array([c.family == "polynomial" for c in cases])
    eta = 2 / a * (1 + OFFSET)

    def grad(x):
        u = x - s
        return a * np.where(poly, u, np.tanh(u)) + 3 * b * u**2 + 4 * c4 * u**3

    x = s + 1e-3
    with np.errstate(all="ignore"):
        for _ in range(STEPS):
            x = x - eta * grad(x)
            x = np.where(np.abs(x - s) > 1e3, np.nan, x)  # escaped: stop growing
        x1 = x - eta * grad(x)
        x2 = x1 - eta * grad(x1)
    return (np.isfinite(x2) & (np.abs(x2 - x) < 1e-9) & (np.abs(x1 - x) > 1e-6)
            & (np.abs(x - s) < RADIUS) & (np.abs(x1 - s) < RADIUS))


@settings(max_examples=BATCHES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(asymmetric_flip_functions(mild=True), min_size=BATCH, max_size=BATCH))
def test_criterion_agrees_with_construction_and_simulation(cases):
    found = _simulate(cases)
    for case, cycle in zip(cases, found, strict=True):
        crit = flip_criterion(case.expr, minimum=float(case.minimum))
        assert crit.verdict == case.direction, case
        assert crit.minimum[0] == pytest.approx(float(case.minimum), abs=1e-15)
        assert crit.threshold == pytest.approx(2 / float(case.a), rel=1e-15)
        if crit.verdict == "degenerate":
            assert crit.exact_zero, case  # certified zero, not merely undecided
            continue
        assert cycle == crit.supercritical, case


@settings(max_examples=30, deadline=None)
@given(asymmetric_flip_functions())
def test_criterion_agrees_with_construction_on_the_whole_family(case):
    crit = flip_criterion(case.expr, minimum=float(case.minimum))
    assert crit.verdict == case.direction
    lo, hi = crit.quantity_enclosure
    assert lo <= float(case.quantity) <= hi


def test_claim_rows():
    (cubic,) = check_function("x**2/2 + x**3/2 + 3*x**4/4",
                              claims=["lemma_4_1_generalised"])
    assert cubic.applies and cubic.confirmed and cubic.certified  # Q = 27 - 18 = 9 > 0
    assert "stable" in cubic.conclusion.evidence
    (quartic,) = check_function("x**2/2 + x**4", claims=["lemma_4_1_generalised"])
    assert quartic.applies and quartic.confirmed  # Q = -24: unstable 2-cycle below eta*
    assert "unstable" in quartic.conclusion.evidence and quartic.etas[0] < 2.0
    (kinked,) = check_function("f1", claims=["lemma_4_1_generalised"])
    assert not kinked.applies and kinked.ok  # |x|^3 term: not C^4 (Lemma 4.1 decides it)
    (flat,) = check_function("f2", claims=["lemma_4_1_generalised"])
    assert not flat.applies  # 3x^2 near 0: Q = 0 exactly
