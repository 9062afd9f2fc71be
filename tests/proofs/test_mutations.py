"""The checks fail when a core formula is broken (run in-process on mutated functions; no
core file is edited): the factor 2 in eta f'(x) = 2x, the sign of the GD step, the
threshold 2/f''(0), and the orbit amplitude of the quasistatic flow (4.7)."""

from __future__ import annotations

import numpy as np
import pytest

import theory.quasistatic
from msl.cli import main
from proofs_check import (
    Status,
    check_lemma_4_1,
    check_quasistatic_4_8,
    check_theorem_4_1,
    check_theorem_4_3,
)
from tests.proofs.test_lemma_4_1 import assert_lemma_4_1
from tests.proofs.test_theorem_4_1 import assert_theorem_4_1
from theory import Subquadratic, catalog


@pytest.fixture
def half_factor(monkeypatch):
    """periodic_points solves eta f'(x) = x instead of eta f'(x) = 2x."""
    original = Subquadratic.periodic_points
    monkeypatch.setattr(Subquadratic, "periodic_points",
                        lambda self, eta, **kw: original(self, 2 * eta, **kw))


@pytest.fixture
def ascent(monkeypatch):
    """f' with the wrong sign: GD steps uphill, x + eta f'(x)."""
    original = Subquadratic.df
    monkeypatch.setattr(Subquadratic, "df", lambda self, x: -np.asarray(original(self, x)))


def test_broken_factor_2_fails_lemma_and_theorem_4_1(half_factor):
    f = catalog.f1()
    lemma = check_lemma_4_1(f, [3.0])
    assert lemma.applies and lemma.conclusion.status is Status.FAILS
    assert "OUTSIDE the enclosure" in lemma.conclusion.evidence
    theorem = check_theorem_4_1(f, [3.0], starts=4, max_steps=2000)
    assert theorem.conclusion.status is Status.FAILS
    with pytest.raises(AssertionError):
        assert_lemma_4_1(f, [1.5])
    with pytest.raises(AssertionError):
        assert_theorem_4_1(f, 3.0, np.array([0.5, -2.0]))


def test_broken_step_sign_fails_theorems_4_1_and_4_3(ascent):
    f = catalog.log_cosh()
    theorem = check_theorem_4_1(f, [1.0, 3.0], starts=4, max_steps=2000)
    assert theorem.applies and theorem.conclusion.status is Status.FAILS
    bounded = check_theorem_4_3(f, [3.0], starts=4, max_steps=1000)
    assert bounded.applies and bounded.conclusion.status is Status.FAILS
    with pytest.raises(AssertionError):
        assert_theorem_4_1(f, 1.0, np.array([0.5, -2.0]), steps=200)
    assert main(["check", "log_cosh", "--claim", "theorem_4_1"]) == 1


def test_broken_threshold_fails_lemma_4_1(monkeypatch):
    """threshold 1/f''(0) instead of 2/f''(0): learning rates in between have no x_eta."""
    monkeypatch.setattr(Subquadratic, "threshold",
                        property(lambda self: 1 / self.curvature_at_zero))
    f = catalog.pseudo_huber()
    result = check_lemma_4_1(f, [1.5])  # 'above' the broken threshold 1, below 2
    assert result.conclusion.status is Status.FAILS


def test_broken_orbit_amplitude_fails_the_quasistatic_check(monkeypatch):
    original = theory.quasistatic.amplitude
    monkeypatch.setattr(theory.quasistatic, "amplitude",
                        lambda valley, x, eta: 2 * original(valley, x, eta))
    result = check_quasistatic_4_8("fig4.2", steps=2000)
    assert result.conclusion.status is Status.FAILS
    assert result.proof_step("(4.7) y on the orbit").status is Status.FAILS
