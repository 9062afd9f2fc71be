"""Heavy-ball edge of stability: the arithmetic against run_gd (beta = 0) and a hand-written
loop, and the threshold (2 + 2 beta)/eta (issue 13)."""

from __future__ import annotations

import numpy as np
import pytest

from empirical import run_gd, run_momentum_eos
from empirical.errors import ExperimentError


def test_beta_zero_is_run_gd_exactly(tiny_spec, tiny_problem):
    result = run_momentum_eos(tiny_spec, lr=0.4, beta=0.0, steps=20, sharpness_every=10,
                              progress=False, problem=tiny_problem)
    trace = run_gd(tiny_problem.loss, tiny_problem.theta0, lr=0.4, steps=20, progress=False)
    np.testing.assert_array_equal(result.losses, trace.losses)
    assert result.threshold == 2 / 0.4


def test_heavy_ball_matches_a_hand_written_loop(tiny_spec, tiny_problem):
    lr, beta = 0.3, 0.7
    result = run_momentum_eos(tiny_spec, lr=lr, beta=beta, steps=20, sharpness_every=10,
                              progress=False, problem=tiny_problem)
    loss = tiny_problem.loss
    theta = prev = tiny_problem.theta0.clone()
    expected = []
    for _ in range(21):
        value, g = loss.value_and_grad(theta)
        expected.append(value)
        theta, prev = theta - lr * g + beta * (theta - prev), theta
    np.testing.assert_allclose(result.losses, expected, rtol=1e-12)
    assert result.threshold == pytest.approx((2 + 2 * beta) / lr)
    assert result.verdict.threshold == pytest.approx(result.threshold)
    assert result.sharp_steps.tolist() == [0, 10, 20]


@pytest.mark.parametrize(("kwargs", "match"), [({"beta": 1.0}, "beta="),
                                               ({"lr": -1.0}, "lr="),
                                               ({"steps": 5, "sharpness_every": 10}, "steps=")])
def test_bad_values_are_named(tiny_spec, tiny_problem, kwargs, match):
    with pytest.raises(ExperimentError, match=match):
        run_momentum_eos(tiny_spec, **{"progress": False, "problem": tiny_problem, **kwargs})
