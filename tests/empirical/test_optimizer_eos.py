"""Edge of stability with Nesterov and SGD (issue 13): the arithmetic against run_gd
(beta = 0, sigma = 0) and hand-written loops, the thresholds, and SGD's seeding."""

from __future__ import annotations

import numpy as np
import pytest

from empirical import run_gd, run_momentum_eos, run_optimizer_eos
from empirical.errors import ExperimentError
from theory.optimizers import GD, SGD, HeavyBall, Nesterov

RUN = dict(lr=0.4, steps=20, sharpness_every=10, progress=False)


@pytest.fixture(scope="module")
def gd_losses(tiny_problem):
    return run_gd(tiny_problem.loss, tiny_problem.theta0, lr=0.4, steps=20,
                  progress=False).losses


@pytest.mark.parametrize("optimizer", [GD(), Nesterov(0.0), HeavyBall(0.0), SGD(0.0)],
                         ids=["gd", "nesterov", "momentum", "sgd"])
def test_beta_zero_and_sigma_zero_are_run_gd_exactly(tiny_spec, tiny_problem, gd_losses,
                                                     optimizer):
    result = run_optimizer_eos(tiny_spec, optimizer=optimizer, problem=tiny_problem, **RUN)
    np.testing.assert_array_equal(result.losses, gd_losses)
    assert result.threshold == 2 / 0.4 and result.verdict.threshold == 2 / 0.4


def test_nesterov_matches_a_hand_written_loop(tiny_spec, tiny_problem):
    lr, beta = 0.3, 0.7
    result = run_optimizer_eos(tiny_spec, optimizer=Nesterov(beta), problem=tiny_problem,
                               **{**RUN, "lr": lr})
    loss = tiny_problem.loss
    theta = prev = tiny_problem.theta0.clone()
    expected = []
    for _ in range(21):
        expected.append(loss.value(theta))
        look = theta + beta * (theta - prev)
        theta, prev = look - lr * loss.value_and_grad(look)[1], theta
    np.testing.assert_allclose(result.losses, expected, rtol=1e-12)
    limit = 2 * (1 + beta) / ((1 + 2 * beta) * lr)
    assert result.threshold == pytest.approx(limit, rel=1e-14)
    assert result.verdict.threshold == pytest.approx(limit, rel=1e-14)
    assert result.summary()["optimizer"] == "nesterov" and result.sharp_steps.tolist() == [
        0, 10, 20]


def test_heavy_ball_through_the_general_runner_is_run_momentum_eos(tiny_spec, tiny_problem):
    general = run_optimizer_eos(tiny_spec, optimizer=HeavyBall(0.5), problem=tiny_problem,
                                **RUN)
    old = run_momentum_eos(tiny_spec, beta=0.5, problem=tiny_problem, **RUN)
    np.testing.assert_array_equal(general.losses, old.losses)
    np.testing.assert_array_equal(general.sharpness, old.sharpness)
    assert general.threshold == pytest.approx(old.threshold, rel=1e-14)


def test_sgd_adds_seeded_gaussian_noise(tiny_spec, tiny_problem):
    lr, sigma, seed = 0.4, 0.05, 3
    result = run_optimizer_eos(tiny_spec, optimizer=SGD(sigma, seed=seed),
                               problem=tiny_problem, **RUN)
    torch = pytest.importorskip("torch")
    gen = torch.Generator().manual_seed(seed)
    loss = tiny_problem.loss
    theta = tiny_problem.theta0.clone()
    expected = []
    for _ in range(21):
        value, g = loss.value_and_grad(theta)
        expected.append(value)
        theta = theta - lr * (g + sigma * torch.randn(loss.dim, generator=gen,
                                                      dtype=theta.dtype))
    np.testing.assert_allclose(result.losses, expected, rtol=1e-12)
    assert result.threshold == 2 / lr
    again = run_optimizer_eos(tiny_spec, optimizer=SGD(sigma, seed=seed), problem=tiny_problem,
                              **RUN)
    np.testing.assert_array_equal(again.losses, result.losses)
    np.testing.assert_array_equal(again.sharpness, result.sharpness)
    other = run_optimizer_eos(tiny_spec, optimizer=SGD(sigma, seed=seed + 1),
                              problem=tiny_problem, **RUN)
    assert not np.array_equal(other.losses, result.losses)
    summary = result.summary()
    assert (summary["sigma"], summary["seed"], summary["noise"]) == (sigma, seed, "additive")


@pytest.mark.parametrize(("optimizer", "match"), [
    ("nesterov", "not a theory.optimizers optimizer"),
    (SGD(0.1, noise="interpolation"), "additive"),
])
def test_bad_optimizers_are_named(tiny_spec, tiny_problem, optimizer, match):
    with pytest.raises(ExperimentError, match=match):
        run_optimizer_eos(tiny_spec, optimizer=optimizer, problem=tiny_problem, **RUN)
