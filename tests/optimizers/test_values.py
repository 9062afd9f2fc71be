"""The optimizer value objects validate on construction (issue 13)."""

import math

import pytest

from theory.errors import MslValueError
from theory.optimizers import (
    GD,
    SGD,
    HeavyBall,
    Nesterov,
    OptimizerError,
    make_optimizer,
)


@pytest.mark.parametrize("beta", [-0.1, 1.0, 1.5, math.nan, math.inf, "0.5", True])
@pytest.mark.parametrize("kind", [HeavyBall, Nesterov])
def test_momentum_outside_unit_interval_is_rejected_naming_beta(kind, beta):
    with pytest.raises(OptimizerError, match="beta="):
        kind(beta)


def test_errors_are_msl_value_errors():
    assert issubclass(OptimizerError, MslValueError)
    assert issubclass(OptimizerError, ValueError)


@pytest.mark.parametrize("sigma", [-1e-9, math.nan, math.inf])
def test_bad_noise_scale_is_rejected(sigma):
    with pytest.raises(OptimizerError, match="sigma="):
        SGD(sigma)


@pytest.mark.parametrize("seed", [-1, 1.5, True])
def test_bad_seed_is_rejected(seed):
    with pytest.raises(OptimizerError, match="seed="):
        SGD(0.1, seed=seed)


def test_unknown_noise_model_is_rejected():
    with pytest.raises(OptimizerError, match="noise="):
        SGD(0.1, noise="pink")


def test_values_are_frozen_and_compare_by_value():
    assert HeavyBall(0.5) == HeavyBall(0.5) and HeavyBall(0.5) != Nesterov(0.5)
    with pytest.raises(AttributeError):
        HeavyBall(0.5).beta = 0.1
    assert HeavyBall(0).beta == 0.0 and GD().beta == 0.0
    assert GD().deterministic and not SGD(0.0).deterministic


def test_make_optimizer_by_cli_name():
    assert make_optimizer("gd") == GD()
    assert make_optimizer("momentum", beta=0.9) == HeavyBall(0.9)
    assert make_optimizer("nesterov", beta=0.3) == Nesterov(0.3)
    assert make_optimizer("sgd", sigma=0.2, seed=3) == SGD(0.2, seed=3)


@pytest.mark.parametrize(
    ("name", "kwargs", "match"),
    [
        ("adam", {}, "optimizer="),
        ("gd", {"sigma": 0.1}, "sigma=.*deterministic"),
        ("momentum", {"sigma": 0.1, "beta": 0.5}, "sigma=.*deterministic"),
        ("gd", {"beta": 0.5}, "beta=.*no momentum"),
        ("momentum", {}, "needs a momentum"),
        ("sgd", {}, "needs a noise scale"),
        ("momentum", {"beta": 1.0}, "beta=1.0 is outside"),
        ("sgd", {"sigma": -1.0}, "sigma=-1.0"),
    ],
)
def test_make_optimizer_errors_name_the_argument(name, kwargs, match):
    with pytest.raises(OptimizerError, match=match):
        make_optimizer(name, **kwargs)
