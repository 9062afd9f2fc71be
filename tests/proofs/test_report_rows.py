"""Catalog check rows as report claims: the paper's claim applies only where the
hypotheses hold (Section 4), so a row with failed hypotheses is "not applicable"."""

from __future__ import annotations

import pytest

from proofs_check import check_function
from theory.figures import Verdict


@pytest.mark.parametrize("name, expected", [
    ("f1", Verdict.CONFIRMED),          # f1 satisfies Theorem 4.1 (certified)
    ("f2", Verdict.NOT_APPLICABLE),     # f2 is not convex: f'' is not non-increasing
])
def test_theorem_4_1_rows(name, expected):
    (result,) = check_function(name, ["theorem_4_1"])
    claim = result.as_claim()
    assert claim.verdict is expected
    assert claim.source == f"Theorem 4.1, {name}"
    assert claim.numbers["hypotheses"] == result.hypotheses_status.value
    assert claim.numbers["threshold 2/f''(0)"] == pytest.approx(2 / float(
        {"f1": 1, "f2": 6}[name]))  # 2/f''(0): f1''(0) = 1, f2''(0) = 2 C^2/3 = 6
    if expected is Verdict.NOT_APPLICABLE:
        assert "f'' non-increasing" in claim.why
