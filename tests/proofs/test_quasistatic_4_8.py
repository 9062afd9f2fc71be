"""The quasistatic flow (4.8) tracks GD on slowly varying valleys and stops where it
predicts (Section 4.4, Fig. 4.2)."""

from __future__ import annotations

import math

import numpy as np
import sympy as sp
from hypothesis import example, given, settings

from proofs_check import Status, check_quasistatic_4_8
from proofs_check.families import valley
from proofs_check.quasistatic_4_8 import STOPPING, TRACKING
from proofs_check.strategies import slow_valleys
from tests.proofs._budget import examples


@settings(max_examples=examples(0.25))
@given(case=slow_valleys())
@example(case=(valley(sp.Integer(1), sp.Rational(1, 25)), 1.8 * 2.0))
def test_quasistatic_flow_tracks_gd_and_stops_where_predicted(case):
    v, eta = case
    result = check_quasistatic_4_8(v, eta, steps=4000)
    assert result.applies, [(h.name, h.status, h.evidence) for h in result.hypotheses]
    assert result.confirmed, result.conclusion.evidence
    data = result.conclusion.data
    assert data["tracking"] <= TRACKING and data["stop_error"] <= STOPPING
    # independent prediction of the stop: eta h(x*)^2 f''(0) = 2 with h = 1/(1 + s x1)
    slope = float(1 / v.h.subs(v.x[0], 1) - 1)
    x_star = (math.sqrt(eta * float(v.f.curvature_at_zero) / 2) - 1) / slope
    assert result.constant("predicted stop x*").value == np.float64(x_star).item() or \
        abs(result.constant("predicted stop x*").value - x_star) <= 1e-9 * x_star


def test_fig_4_2():
    """Fig. 4.2: F = f1(x2/(1 + 0.01 x1)), eta = 3, from (1, 1): (4.8) tracks GD and the
    motion stops at x1 = 100 (sqrt(3/2) - 1) (eta h^2 f1''(0) = 2)."""
    result = check_quasistatic_4_8("fig4.2")
    assert result.applies and result.confirmed, result.conclusion.evidence
    x_star = result.constant("predicted stop x*").value
    assert abs(x_star - 100 * (math.sqrt(1.5) - 1)) <= 1e-9
    assert result.proof_step("(4.7) y on the orbit").status is Status.HOLDS
    final = result.conclusion.data["final_x_gd"][0]
    assert 1.0 < final < x_star  # moved towards flatter minima, not beyond the halt
