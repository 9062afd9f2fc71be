"""Definition 4.1 and Theorem 4.3: GD ends inside the ball B_{R_eta} the proof constructs
(Section 4.3)."""

from __future__ import annotations

import numpy as np
import sympy as sp
from hypothesis import example, given, settings
from hypothesis import strategies as st

from proofs_check import Status, check_theorem_4_3
from proofs_check.families import f2_plus_f1, population_loss
from proofs_check.strategies import definition_4_1_functions
from tests.proofs._budget import examples
from theory import catalog


def assert_ends_in_ball(f, eta: float, radius: float, x0: np.ndarray, steps: int = 20000
                        ) -> None:
    """Plain GD from x0: after ``steps`` steps every trajectory is in B_radius and stays
    there for 300 more steps."""
    x = np.array(x0, dtype=float)
    for _ in range(steps):
        x = x - eta * np.asarray(f.df(x))
    for _ in range(300):
        x = x - eta * np.asarray(f.df(x))
        assert np.all(np.abs(x) <= radius * (1 + 1e-12)), (eta, radius, x)


#: learning rates as multiples of the threshold 2/f''(0), away from the threshold itself: at
#: eta f''(0) = 2 GD contracts towards 0 only algebraically (|x_t| ~ t^-1/2), and near it at
#: the rate |1 - eta f''(0)| -> 1, so no finite run can watch the "eventually" of Theorem 4.3
#: (the check then says unknown: see test_at_the_threshold_the_conclusion_is_unknown_not_false)
_FACTORS = st.floats(0.2, 0.9) | st.floats(1.1, 10.0)


@settings(max_examples=examples(0.3))
@given(f=definition_4_1_functions(), factor=_FACTORS,
       x0=st.lists(st.floats(-2.0, 2.0), min_size=4, max_size=8))
@example(f=catalog.f2(), factor=6.0, x0=[-2.0, 0.2, 1.0, 2.0])  # Fig. 4.1 middle, eta = 2
@example(f=population_loss("quadratic", sp.Integer(5)), factor=0.2, x0=[2.0, -2.0, 0.1, 1.0])
@example(f=population_loss("linear", sp.Integer(1)), factor=7.0, x0=[2.0, -2.0, 1.5, 0.0])
def test_gd_ends_in_the_ball_of_the_proof(f, factor, x0):
    """From x0 in [-2, 2] x max(R_eta, L) (L: the x where h = f''(0)/2; from much farther
    the decaying gradient of a population loss, f' ~ 1/x^3, moves GD too slowly to watch)."""
    eta = float(f.threshold) * factor
    result = check_theorem_4_3(f, eta, starts=8)
    assert result.applies, [(h.name, h.status, h.evidence) for h in result.hypotheses]
    assert result.certified  # Definition 4.1 and (4.5), invariance: interval certificates
    radius = result.constant(f"r2 = R_eta (eta={eta:.6g})")
    assert radius.certified
    assert result.confirmed, result.conclusion.evidence
    scale = max(radius.value, float(f.periodic_point(2 * float(f.threshold))))
    assert_ends_in_ball(f, eta, radius.value, scale * np.asarray(x0))


def test_at_the_threshold_the_conclusion_is_unknown_not_false():
    """Hypothesis found f2(C=1) + f1/10 at eta = 2/f''(0) exactly (factor 1.0): the proof's
    radii are certified, GD from 8 starts does not reach B_{R_eta} in 20000 steps (it
    contracts like t^-1/2), and the check says unknown rather than claiming a failure."""
    f = f2_plus_f1(sp.Integer(1), sp.Rational(1, 10))
    eta = float(f.threshold)
    result = check_theorem_4_3(f, eta, starts=8)
    assert result.applies and result.certified
    assert result.conclusion.status is Status.UNKNOWN, result.conclusion.evidence
    assert "trajectories stay in B_R" in result.conclusion.evidence


def test_f2_theorem_4_3_applies_with_c_1():
    """f2 is outside Theorem 4.1 but inside Definition 4.1 (c = 1, in 1-D) except for the
    letter of C^2, which the proof does not use; at eta = 2 (Fig. 4.1) R_eta = 11/3."""
    result = check_theorem_4_3(catalog.f2(), 2.0, starts=8)
    assert result.applies and result.confirmed
    assert result.hypothesis("C^2").status is Status.FAILS
    assert not result.hypothesis("C^2").used_by_proof
    assert result.constant("c").value == 1.0
    radius = result.constant("r2 = R_eta (eta=2)")
    assert radius.lower <= 11 / 3 <= radius.upper * (1 + 1e-12)  # |x - 2 f2'(x)| at x = 1/3


def test_empirical_loss_stationary_tail_is_a_counterexample():
    """two_layer_3pt: f' = 0 for |w| > 1 (sympy): GD from there never moves, so no R_eta."""
    result = check_theorem_4_3("two_layer_3pt", 0.003, starts=8)
    assert result.hypothesis("unique minimum").status is Status.FAILS
    assert result.conclusion.status is Status.FAILS
    assert result.conclusion.certified


def test_f3_satisfies_definition_4_1_numerically():
    result = check_theorem_4_3("f3", 1.0, starts=8, max_steps=2000)
    assert result.applies and result.confirmed
    assert 0 < result.constant("c").value < 1
    assert not result.certified  # two dimensions: numerical evidence only


def test_fig_5_1_violates_definition_4_1_and_gd_diverges():
    """(5.1)'s valley flatness 1 + x^2/1000 makes |grad f|/|x| grow: GD diverges from far
    points at the paper's learning rate 2.5."""
    result = check_theorem_4_3("fig5.1", 2.5, starts=8, max_steps=1000)
    assert result.hypothesis("|grad f|/|x| -> 0").status is Status.FAILS
    assert result.conclusion.status is Status.FAILS
    assert "diverges" in result.conclusion.evidence


def test_valley_of_minima_violates_uniqueness():
    result = check_theorem_4_3("fig4.2", 3.0, starts=8, max_steps=1000)
    assert result.hypothesis("unique minimum").status is Status.FAILS
    assert result.hypothesis("unique minimum").certified  # symbolic: f(x1, 0) = 0
    assert result.conclusion.status is Status.FAILS


def test_separable_sum_of_f2_fails_the_angle_condition_but_stays_bounded():
    """two_layer_2d = l(w1) + l(10 w2): the cosine of Definition 4.1 tends to 0 along
    (a, 1/30), a -> oo, so no c > 0; GD still stays in the ball built from the 1-D radii."""
    result = check_theorem_4_3("two_layer_2d", 1 / 30, starts=8)
    assert result.hypothesis("angle condition").status is Status.FAILS
    assert result.conclusion.status is Status.HOLDS


def test_f2_plus_f1_is_in_definition_4_1():
    result = check_theorem_4_3(f2_plus_f1(sp.Integer(3), sp.Rational(1, 10)), 1.0, starts=8)
    assert result.applies and result.confirmed and result.certified
