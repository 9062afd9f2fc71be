"""Lemma 4.1 for momentum (interval certificates via the reduction) and the simulated
Theorem 4.1 analogue (a report, not a proof)."""

from __future__ import annotations

from itertools import pairwise

import pytest

from proofs_check import Status, check_lemma_4_1_momentum, simulate_theorem_4_1_momentum
from theory.errors import MslValueError
from theory.optimizers import GD, HeavyBall, Nesterov


@pytest.mark.parametrize("optimizer", [HeavyBall(0.5), Nesterov(0.3)])
def test_lemma_4_1_momentum_holds_on_f1_with_certified_enclosures(optimizer):
    result = check_lemma_4_1_momentum("f1", optimizer)
    assert result.conclusion.status is Status.HOLDS and result.ok
    assert all(step.status is Status.HOLDS for step in result.proof_steps)
    amplitudes = [c for c in result.constants if c.name.startswith("x_eta")]
    assert len(amplitudes) == 6  # the factors above 1 of DEFAULT_FACTORS
    assert all(c.certified and c.lower <= c.value <= c.upper for c in amplitudes)
    assert all(a.upper < b.lower for a, b in pairwise(amplitudes))


def test_lemma_4_1_momentum_rejects_non_momentum_optimizers():
    with pytest.raises(MslValueError, match="optimizer="):
        check_lemma_4_1_momentum("f1", GD())


def test_lemma_4_1_momentum_fails_hypotheses_on_f2():
    """f2 (6.2) is not convex: f'' is not decreasing (as for GD's Lemma 4.1)."""
    result = check_lemma_4_1_momentum("f2", HeavyBall(0.5), eta=[4.0])
    assert result.hypotheses_status is not Status.HOLDS


def test_theorem_4_1_analogue_reports_the_period_four_basin():
    report = simulate_theorem_4_1_momentum("f1", "momentum", betas=(0.3, 0.8),
                                           factors=(0.5, 1.05), x0=[-3.5, -0.5, 0.7, 3.0],
                                           steps=20000)
    fractions = {(r["beta"], r["eta_over_threshold"]): r["fraction"] for r in report["rows"]}
    assert fractions[(0.3, 0.5)] == fractions[(0.3, 1.05)] == fractions[(0.8, 0.5)] == 1.0
    assert fractions[(0.8, 1.05)] < 1.0 and not report["holds_everywhere"]
    assert {o["period"] for o in report["other_attractors"]} == {4}
