"""The full-batch loss, its gradient and Hessian-vector products (torch.func)."""

from __future__ import annotations

import pytest
import torch

from empirical import FunctionObjective, ProblemSpec, build_problem
from empirical.errors import CurvatureError, ExperimentError


@pytest.mark.parametrize("batch_size", [1, 7, 13, 40, 1000])
def test_batched_value_grad_hvp_equal_full_batch(tiny_spec, tiny_problem, batch_size):
    """Batch b weighted by |b|/n: the batched loss, gradient and HVP equal the full ones,
    also when the last batch is smaller (40 = 5 * 7 + 5)."""
    full = tiny_problem.loss
    batched = build_problem(tiny_spec.replace(batch_size=batch_size)).loss
    theta = full.theta0
    v = torch.randn(full.dim, dtype=torch.float64)
    assert batched.value(theta) == pytest.approx(full.value(theta), rel=1e-13)
    torch.testing.assert_close(batched.grad(theta), full.grad(theta), rtol=1e-12, atol=1e-14)
    torch.testing.assert_close(batched.hvp(theta, v), full.hvp(theta, v), rtol=1e-11, atol=1e-13)


@pytest.mark.parametrize("loss", ["mse", "ce"])
@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_hvp_matches_dense_hessian(tiny_spec, loss, activation):
    problem = build_problem(tiny_spec.replace(loss=loss, activation=activation))
    theta = problem.theta0 + 0.01 * torch.randn(problem.loss.dim, dtype=torch.float64)
    hess = torch.func.hessian(lambda th: problem.loss.loss_fn(
        problem.loss.outputs(th, problem.data.x_train), problem.data.y_train))(theta)
    v = torch.randn(problem.loss.dim, dtype=torch.float64)
    torch.testing.assert_close(problem.loss.hvp(theta, v), hess @ v, rtol=1e-10, atol=1e-12)


def test_mse_is_half_squared_error_to_one_hot(tiny_problem):
    loss = tiny_problem.loss
    theta = loss.theta0
    out = loss.outputs(theta, loss.x)
    target = torch.zeros_like(out)
    target[torch.arange(len(loss.y)), loss.y] = 1.0
    expected = float(0.5 * ((out - target) ** 2).sum() / len(loss.y))
    assert loss.value(theta) == pytest.approx(expected, rel=1e-13)


def test_hvp_of_quadratic_form_is_matrix_product():
    a = torch.randn(5, 5, dtype=torch.float64)
    a = a + a.T
    obj = FunctionObjective(lambda th: 0.5 * th @ a @ th, 5)
    v = torch.randn(5, dtype=torch.float64)
    theta = torch.randn(5, dtype=torch.float64)
    torch.testing.assert_close(obj.hvp(theta, v), a @ v)
    torch.testing.assert_close(obj.grad(theta), a @ theta)


def test_float32_hvp_close_to_float64(tiny_spec):
    p64 = build_problem(tiny_spec)
    p32 = build_problem(tiny_spec.replace(dtype="float32"))
    v = torch.randn(p64.loss.dim, dtype=torch.float64)
    h64 = p64.loss.hvp(p64.theta0, v)
    h32 = p32.loss.hvp(p64.theta0.float(), v.float()).double()
    assert float((h32 - h64).norm() / h64.norm()) < 1e-5


def test_bad_vectors_are_rejected(tiny_problem):
    loss = tiny_problem.loss
    with pytest.raises(CurvatureError, match="shape"):
        loss.value(torch.zeros(3, dtype=torch.float64))
    with pytest.raises(CurvatureError, match="dtype"):
        loss.hvp(loss.theta0, torch.zeros(loss.dim, dtype=torch.float32))
    with pytest.raises(ExperimentError, match="empty"):
        loss.accuracy(loss.theta0, loss.x[:0], loss.y[:0])


def test_accuracy_counts_argmax_hits(tiny_problem):
    loss = tiny_problem.loss
    theta = loss.theta0
    pred = loss.outputs(theta, loss.x).argmax(dim=1)
    assert loss.accuracy(theta) == pytest.approx(float((pred == loss.y).double().mean()))


def test_problem_spec_rejects_bad_values():
    from empirical.errors import DataError, DeviceError, ModelError

    with pytest.raises(DataError, match="n_train"):
        ProblemSpec(n_train=0)
    with pytest.raises(ModelError, match="activation"):
        ProblemSpec(activation="sigmoid")
    with pytest.raises(DeviceError, match="dtype"):
        ProblemSpec(dtype="float16")
    with pytest.raises(DataError, match="data_dir"):
        ProblemSpec(data="cifar10")
    with pytest.raises(ExperimentError, match="batch_size"):
        ProblemSpec(batch_size=0)
