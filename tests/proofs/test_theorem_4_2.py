"""Theorem 4.2: on f(x) = sum_i f_i(p_i^T x) (4.4) every component converges to 0 or to its
own +-x_eta^(i) (Section 4.2)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from proofs_check import Status, check_theorem_4_2
from proofs_check.strategies import separable_cases
from tests.proofs._budget import examples


def assert_theorem_4_2(f, eta: float, x0: np.ndarray, steps: int = 3000) -> None:
    """GD on the landscape's own gradient (the symbolic sum, not the components), then the
    components z^(i) = p_i^T x against 0 or the core's x_eta of f_i."""
    x = np.array(x0, dtype=float)
    land = f.landscape
    for _ in range(steps):
        x = x - eta * land.gradient(x)
    z = x @ f.basis.T
    for i, fi in enumerate(f.functions):
        if eta <= float(fi.threshold):
            assert np.all(np.abs(z[:, i]) <= 1e-6), (i, z[:, i])
        else:
            x_eta = fi.periodic_point(eta)
            assert np.all(np.abs(np.abs(z[:, i]) - x_eta) <= 1e-6 * x_eta), (i, z[:, i])


@settings(max_examples=examples(0.2))
@given(case=separable_cases(), seed=st.integers(0, 2**16))
def test_components_converge_as_theorem_4_2_says(case, seed):
    f, eta = case
    rng = np.random.default_rng(seed)
    x0 = rng.normal(size=(6, f.dim)) * 2.0
    assert_theorem_4_2(f, eta, x0)
    result = check_theorem_4_2(f, eta, starts=6, max_steps=3000)
    assert result.applies
    assert all(h.certified for h in result.hypotheses[1:])  # Theorem 4.1 for every f_i
    assert result.confirmed, result.conclusion.evidence


def test_two_layer_2d_components_fail_theorem_4_1():
    """The two-valley loss of Section 6 is separable (identity basis, found symbolically),
    but its components (6.2) violate Theorem 4.1: the check says so and GD is chaotic."""
    result = check_theorem_4_2("two_layer_2d", [2 / 3], starts=6, max_steps=3000)
    assert result.hypothesis("form (4.4)").status is Status.HOLDS
    assert result.hypothesis("form (4.4)").certified
    assert result.hypothesis("f_1: Theorem 4.1").status is Status.FAILS
    assert result.conclusion.status is Status.FAILS
    assert "NOT converging" in result.conclusion.evidence
