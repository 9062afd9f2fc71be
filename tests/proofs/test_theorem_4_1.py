"""Theorem 4.1: GD converges to 0 (eta <= 2/f''(0)) or to the orbit {+-x_eta} (Section 4.1),
and the proof's inequality (4.2)."""

from __future__ import annotations

import numpy as np
import sympy as sp
from hypothesis import example, given, settings
from hypothesis import strategies as st

from proofs_check import Status, check_theorem_4_1
from proofs_check.families import profile
from proofs_check.strategies import theorem_4_1_cases
from tests.proofs._budget import examples
from theory import catalog


def assert_theorem_4_1(f, eta: float, x0: np.ndarray, steps: int = 4000) -> None:
    """Plain GD (4.1) on the core's f', independent of proofs_check: every trajectory ends
    within 1e-6 (relative) of 0 below the threshold, of +-x_eta (the core's) above it, and
    the distance to that limit set never grows by more than rounding between steps (4.2)."""
    threshold = float(f.threshold)
    x_eta = f.periodic_point(eta) if eta > threshold else 0.0
    x = np.array(x0, dtype=float)
    distance = np.abs(np.abs(x) - x_eta)
    reference = x_eta if eta > threshold else float(np.max(np.abs(x0)))
    for _ in range(steps):
        x = x - eta * np.asarray(f.df(x))
        new = np.abs(np.abs(x) - x_eta)
        assert np.all(new <= distance + 1e-12 * (reference + distance))
        distance = new
    assert np.all(np.isfinite(x))
    assert np.all(distance <= 1e-6 * reference), (eta, threshold, x_eta, x)


@settings(max_examples=examples(0.35))
@given(case=theorem_4_1_cases(),
       x0=st.lists(st.floats(0.01, 10.0).flatmap(lambda r: st.sampled_from((r, -r))),
                   min_size=4, max_size=8))
@example(case=(catalog.f1(), 3.0), x0=[-5.0, 0.5, 2.0, 9.0])  # Fig. 4.1 left, x0 = -5
@example(case=(profile("pseudo_huber", sp.Integer(1), sp.Integer(1)), 2.4), x0=[0.01, -10.0,
                                                                                  3.0, 7.0])
def test_gd_converges_as_theorem_4_1_says(case, x0):
    f, eta = case
    scale = float(f.periodic_point(2 * float(f.threshold)))
    assert_theorem_4_1(f, eta, scale * np.asarray(x0))
    result = check_theorem_4_1(f, eta, starts=8, max_steps=4000)
    assert result.applies and result.certified
    assert result.confirmed, result.conclusion.evidence
    if eta > float(f.threshold):  # (4.2), Cases 1 and 2, certified with intervals
        step = result.proof_step(f"(4.2) (eta={eta:.6g})")
        assert step.status is Status.HOLDS and step.certified


def test_at_the_threshold_gd_still_converges_to_0():
    """eta = 2/f''(0): |x - eta f'(x)| < |x| (certified), sublinear convergence."""
    result = check_theorem_4_1(catalog.pseudo_huber(), 2.0, starts=8)
    assert result.proof_step("contraction (eta=2)").status is Status.HOLDS
    assert result.confirmed, result.conclusion.evidence


def test_f2_theorem_4_1_report_names_the_failing_hypothesis_and_the_chaos():
    """f2 (6.2): f'' is not decreasing (certified), (4.2) fails (certified), and GD is
    chaotic (positive Lyapunov exponent) but bounded instead of converging to +-x_eta."""
    result = check_theorem_4_1(catalog.f2(), [1 / 6, 2.0], starts=8)
    assert result.hypothesis("f'' non-increasing").status is Status.FAILS
    assert result.hypothesis("f'' strictly decreasing").status is Status.FAILS
    step = result.proof_step("(4.2) (eta=2)")
    assert step.status is Status.FAILS and step.certified
    assert result.conclusion.status is Status.FAILS
    above = result.conclusion.data["simulations"][1]
    assert above["lyapunov_exponent"] > 0.1
    # bounded by R_eta = 11/3 of Theorem 4.3's proof (max |x - 2 f2'(x)| on |x| <= x_eta)
    assert above["max_abs_x_after_burn_in"] <= 11 / 3 + 1e-9
    multiplier = result.constant("cycle multiplier (eta=2)")
    assert multiplier.lower <= 25.0 <= multiplier.upper  # (1 + 4)^2: unstable orbit
    below = result.conclusion.data["simulations"][0]
    assert below["relative_final_distance"] <= 1e-8  # below threshold it still converges
    assert "does not hold" in result.notes[0]
