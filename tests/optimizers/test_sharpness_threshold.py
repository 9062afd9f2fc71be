"""theory.optimizers.sharpness_threshold: the edge-of-stability threshold on the sharpness,
checked against the spectral radius of each optimizer's linear map on (x_t, x_{t-1}) for the
quadratic lambda x^2/2, written out by hand here (an independent reference)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from theory.errors import LearningRateError, MslValueError
from theory.optimizers import GD, SGD, HeavyBall, Nesterov, sharpness_threshold


def _linear_map(kind: str, beta: float, eta: float, curvature: float) -> np.ndarray:
    """(x_t, x_{t-1}) -> (x_{t+1}, x_t) for f'(x) = curvature x."""
    q = 1.0 - eta * curvature
    if kind == "momentum":  # x_{t+1} = x_t - eta c x_t + beta (x_t - x_{t-1})
        return np.array([[q + beta, -beta], [1.0, 0.0]])
    # nesterov: y = x_t + beta (x_t - x_{t-1}), x_{t+1} = (1 - eta c) y
    return np.array([[q * (1.0 + beta), -q * beta], [1.0, 0.0]])


def _radius(matrix: np.ndarray) -> float:
    return float(np.max(np.abs(np.linalg.eigvals(matrix))))


@given(kind=st.sampled_from(["momentum", "nesterov"]),
       beta=st.floats(0.01, 0.95), eta=st.floats(0.01, 10.0))
def test_stable_just_below_and_unstable_just_above(kind, beta, eta):
    optimizer = HeavyBall(beta) if kind == "momentum" else Nesterov(beta)
    limit = sharpness_threshold(optimizer, eta)
    assert _radius(_linear_map(kind, beta, eta, limit * (1 - 1e-6))) < 1.0
    assert _radius(_linear_map(kind, beta, eta, limit * (1 + 1e-6))) > 1.0


@pytest.mark.parametrize(("optimizer", "expected"), [
    (GD(), 2 / 0.3),
    (HeavyBall(0.5), 3 / 0.3),               # (2 + 2 beta)/eta
    (Nesterov(0.5), 2 * 1.5 / (2 * 0.3)),    # 2(1 + beta)/((1 + 2 beta) eta)
    (Nesterov(0.9), 2 * 1.9 / (2.8 * 0.3)),
    (SGD(0.1), 2 / 0.3),
])
def test_closed_forms(optimizer, expected):
    assert sharpness_threshold(optimizer, 0.3) == pytest.approx(expected, rel=1e-14)


@pytest.mark.parametrize("optimizer", [GD(), HeavyBall(0.0), Nesterov(0.0), SGD(0.0)])
def test_beta_zero_is_gds_two_over_eta_exactly(optimizer):
    for eta in (0.1, 0.3, 0.7, 1e-3):
        assert sharpness_threshold(optimizer, eta) == 2.0 / eta


@pytest.mark.parametrize(("optimizer", "eta", "error", "match"), [
    (GD(), 0.0, LearningRateError, "eta=0.0"),
    (Nesterov(0.5), float("nan"), LearningRateError, "eta=nan"),
    ("momentum", 0.1, MslValueError, "not a theory.optimizers optimizer"),
])
def test_bad_values_are_named(optimizer, eta, error, match):
    with pytest.raises(error, match=match):
        sharpness_threshold(optimizer, eta)
