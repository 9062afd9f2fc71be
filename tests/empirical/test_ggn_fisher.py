"""GGN, Fisher (exact and Monte Carlo) and empirical Fisher against dense matrices built
independently: the Jacobian of the outputs and of the log-likelihoods by
``torch.autograd.functional.jacobian``, the output Hessian of the criterion by
``torch.autograd.functional.hessian`` (issue 22: top-3 eigenvalues to 1e-8 in float64)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn
from torch.autograd.functional import hessian as autograd_hessian
from torch.autograd.functional import jacobian
from torch.func import functional_call

import empirical
from empirical.errors import CurvatureError

N, C = 14, 3


def setup(seed=31):
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(4, 5), nn.Tanh(), nn.Linear(5, C)).double()
    gen = torch.Generator().manual_seed(seed + 1)
    x = torch.randn(N, 4, generator=gen, dtype=torch.float64)
    labels = torch.randint(0, C, (N,), generator=gen)
    targets = torch.randn(N, C, generator=gen, dtype=torch.float64)
    names = [n for n, _ in model.named_parameters()]
    shapes = [p.shape for p in model.parameters()]
    theta = torch.cat([p.detach().reshape(-1) for p in model.parameters()])

    def f(th):
        tensors, off = {}, 0
        for n, s in zip(names, shapes, strict=True):
            tensors[n] = th[off:off + s.numel()].view(s)
            off += s.numel()
        return functional_call(model, tensors, (x,))

    return model, x, labels, targets, theta, f


def dense_ggn(f, theta, loss_of_outputs):
    jac = jacobian(f, theta).reshape(N * C, -1)
    out = f(theta).detach().reshape(-1)
    h_out = autograd_hessian(lambda o: loss_of_outputs(o.view(N, C)), out)
    return jac.T @ h_out @ jac


def top3(matrix):
    return np.linalg.eigvalsh(matrix.numpy())[::-1][:3]


def check_operator(op, dense):
    ref = top3(dense)
    est = op.eigenvalues(k=3, tol=1e-11)
    np.testing.assert_allclose(est.eigenvalues, ref, rtol=1e-8)
    v = torch.randn(op.dim, dtype=torch.float64, generator=torch.Generator().manual_seed(5))
    torch.testing.assert_close(op.hvp(v), dense @ v, rtol=1e-10, atol=1e-12)
    full = op.trace(method="hutch++", n_samples=3 * op.dim)
    assert full.value == pytest.approx(float(dense.trace()), rel=1e-9)
    lin = op.as_linear_operator()
    np.testing.assert_allclose(lin @ v.numpy(), (dense @ v).numpy(), rtol=1e-10, atol=1e-12)
    assert op.density(n_probes=1, steps=5).nodes.shape == (1, 5)


@pytest.mark.parametrize("criterion", ["ce", "mse-module", "quartic"])
def test_ggn_matches_jacobian_times_output_hessian(criterion):
    model, x, labels, targets, theta, f = setup()
    if criterion == "ce":
        crit, y = nn.CrossEntropyLoss(), labels
    elif criterion == "mse-module":
        crit, y = nn.MSELoss(), targets
    else:
        def crit(o, t):
            return ((o - t) ** 4).mean() + (o.sin() * t).mean()
        y = targets
    op = empirical.ggn(model, crit, (x, y), batch_size=5)  # 3 uneven batches
    ref = dense_ggn(f, theta, lambda o: crit(o, y))
    check_operator(op, ref)
    assert op.kind == "GGN"


def log_likelihood_jacobian(f, theta):
    """``d log p(c | x_i) / d theta`` for every example and class: ``(N, C, P)``."""
    return jacobian(lambda th: torch.log_softmax(f(th), dim=1), theta)


def test_exact_fisher_of_cross_entropy_is_the_expected_outer_product():
    model, x, labels, _, theta, f = setup()
    jl = log_likelihood_jacobian(f, theta)
    p = torch.softmax(f(theta), dim=1).detach()
    ref = torch.einsum("ic,icp,icq->pq", p, jl, jl) / N
    op = empirical.fisher(model, nn.CrossEntropyLoss(), (x, labels), batch_size=4)
    check_operator(op, ref)
    assert op.samples is None


def test_exact_fisher_of_mse_equals_the_ggn():
    model, x, _, targets, theta, f = setup()
    ref = dense_ggn(f, theta, lambda o: nn.functional.mse_loss(o, targets))
    op = empirical.fisher(model, nn.MSELoss(), (x, targets))
    check_operator(op, ref)


def test_mc_fisher_equals_the_outer_product_of_its_draws_and_converges():
    model, x, labels, _, theta, f = setup()
    jl = log_likelihood_jacobian(f, theta)
    op = empirical.fisher(model, "ce", (x, labels), mc_samples=3, seed=7, batch_size=6)
    draws = torch.cat(op.samples, dim=1)  # (3, N) labels drawn from the model
    assert draws.shape == (3, N)
    g = jl[torch.arange(N)[None, :], draws]  # (3, N, P)
    ref = torch.einsum("mip,miq->pq", g, g) / (3 * N)
    check_operator(op, ref)
    again = empirical.fisher(model, "ce", (x, labels), mc_samples=3, seed=7, batch_size=6)
    assert all(torch.equal(a, b) for a, b in zip(again.samples, op.samples, strict=True))
    exact = empirical.fisher(model, "ce", (x, labels)).eigenvalues(k=1).sharpness
    many = empirical.fisher(model, "ce", (x, labels), mc_samples=4000, seed=1)
    assert many.eigenvalues(k=1).sharpness == pytest.approx(exact, rel=0.05)


@pytest.mark.parametrize("criterion", ["ce", "mse"])
def test_empirical_fisher_is_the_sum_of_per_example_gradient_outer_products(criterion):
    model, x, labels, targets, theta, f = setup()
    if criterion == "ce":
        per_example = jacobian(lambda th: nn.functional.cross_entropy(
            f(th), labels, reduction="none"), theta)
        weight, crit, y = 1 / N, nn.CrossEntropyLoss(), labels
    else:
        per_example = jacobian(lambda th: ((f(th) - targets) ** 2).sum(dim=1), theta)
        weight, crit, y = 1 / (N * C), nn.MSELoss(), targets
    ref = weight * per_example.T @ per_example
    op = empirical.empirical_fisher(model, crit, (x, y), batch_size=5)
    check_operator(op, ref)


def test_fisher_refuses_a_loss_without_a_likelihood():
    model, x, _, targets, _, _ = setup()
    with pytest.raises(CurvatureError, match=r"criterion=L1Loss: the Fisher needs"):
        empirical.fisher(model, nn.L1Loss(), (x, targets))
    with pytest.raises(CurvatureError, match="mc_samples=0"):
        empirical.fisher(model, "ce", (x, torch.zeros(N, dtype=torch.int64)), mc_samples=0)
