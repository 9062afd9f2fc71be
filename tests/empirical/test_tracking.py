"""``track_top_eigenpairs``: warm starts along a slowly changing symmetric matrix, against
``numpy.linalg.eigvalsh`` of each dense matrix (issue 22)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import empirical
from empirical.errors import CurvatureError


def matrices(n=80, steps=6, seed=3):
    rng = np.random.default_rng(seed)
    q, _ = np.linalg.qr(rng.standard_normal((n, n)))
    spectrum = np.concatenate([[10.0, 9.0, 8.5], rng.uniform(-2, 6, n - 3)])
    base = q @ np.diag(spectrum) @ q.T
    drift = rng.standard_normal((n, n))
    drift = 0.5 * (drift + drift.T) / np.linalg.norm(drift, 2)
    return [base + 0.02 * s * drift for s in range(steps)]


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_tracking_follows_the_top_eigenvalue_and_costs_less_than_a_cold_start(dtype):
    tol = 1e-8 if dtype == torch.float64 else 1e-4
    est, warm, cold = None, [], []
    for m in matrices():
        mat = torch.as_tensor(m, dtype=dtype)
        est = empirical.track_top_eigenpairs(lambda v, mat=mat: mat @ v, m.shape[0], est,
                                             dtype=dtype, tol=tol)
        top = np.linalg.eigvalsh(m)[-1]
        assert abs(est.sharpness - top) <= tol * top
        warm.append(est.n_hvp)
        cold.append(empirical.lanczos(lambda v, mat=mat: mat @ v, m.shape[0], dtype=dtype,
                                      tol=tol, seed=1).n_hvp)
    assert sum(warm[1:]) < 0.7 * sum(cold[1:])


def test_tracking_k_smallest_and_an_exact_start():
    m = matrices(steps=1)[0]
    mat = torch.as_tensor(m)
    evals, evecs = np.linalg.eigh(m)
    est = empirical.track_top_eigenpairs(lambda v: mat @ v, 80, torch.as_tensor(evecs[:, :2].T),
                                         k=2, which="SA", dtype=torch.float64)
    np.testing.assert_allclose(est.eigenvalues, evals[:2], atol=1e-7 * abs(evals).max())
    with pytest.raises(CurvatureError, match="previous: eigenvectors of shape"):
        empirical.track_top_eigenpairs(lambda v: mat @ v, 80, torch.zeros(3, 5),
                                       dtype=torch.float64)


def test_value_and_operator_match_the_dense_hessian():
    from torch import nn

    from empirical._tracking import value_and_operator

    torch.manual_seed(6)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2)).double()
    x, y = torch.randn(11, 3, dtype=torch.float64), torch.randint(0, 2, (11,))
    hess = empirical.hessian(model, "ce", (x, y), batch_size=4)
    dense = hess.dense()
    with torch.no_grad():
        loss = float(nn.functional.cross_entropy(model(x), y))
    for budget in (hess.objective.memory_bytes, 1):  # retained graphs, then the fallback
        hess.objective.memory_bytes = budget
        value, matvec = value_and_operator(hess.objective, hess.theta)
        assert value == pytest.approx(loss, rel=1e-13)
        v = torch.randn(hess.dim, dtype=torch.float64)
        torch.testing.assert_close(matvec(v), dense @ v, rtol=1e-10, atol=1e-12)


def test_parameter_operator_matches_torch_dense_hessian_and_the_flat_one():
    """One leaf per parameter (the monitor's products): against the float64 Hessian that
    ``torch.autograd.functional.hessian`` assembles from the loss formula, with batches,
    a frozen parameter, a parameter the loss does not use and a buffer."""
    from torch import nn

    from empirical._tracking import parameter_value_and_operator, value_and_operator

    class Net(nn.Sequential):
        def __init__(self):
            super().__init__(nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 2))
            self.unused = nn.Linear(2, 2)  # selected, never called
            self.register_buffer("scale", torch.tensor(1.5))

        def forward(self, x):
            return self[2](self[1](self[0](x))) * self.scale

    torch.manual_seed(7)
    model = Net().double()
    model[0].bias.requires_grad_(False)
    x, y = torch.randn(13, 3, dtype=torch.float64), torch.randint(0, 2, (13,))
    params = ["0.weight", "2.weight", "2.bias", "unused.weight"]
    hess = empirical.hessian(model, "ce", (x, y), batch_size=5, params=params)
    w0, b0 = model[0].weight.detach().clone(), model[0].bias.detach()

    def loss(w_in, w_out, b_out, _unused):
        hidden = torch.tanh(x @ w_in.T + b0)
        return nn.functional.cross_entropy(1.5 * (hidden @ w_out.T + b_out), y)

    inputs = (w0, model[2].weight.detach().clone(), model[2].bias.detach().clone(),
              model.unused.weight.detach().clone())
    blocks = torch.autograd.functional.hessian(loss, inputs)
    dense = torch.cat([torch.cat([blocks[i][j].reshape(inputs[i].numel(), inputs[j].numel())
                                  for j in range(4)], dim=1) for i in range(4)])
    for budget in (hess.objective.memory_bytes, 1):  # retained graphs, then the fallback
        hess.objective.memory_bytes = budget
        value, matvec = parameter_value_and_operator(hess.objective)
        assert value == pytest.approx(float(loss(*inputs)), rel=1e-13)
        flat_value, flat = value_and_operator(hess.objective, hess.objective.theta0)
        assert value == flat_value
        for _ in range(3):
            v = torch.randn(hess.dim, dtype=torch.float64)
            torch.testing.assert_close(matvec(v), dense @ v, rtol=1e-10, atol=1e-12)
            torch.testing.assert_close(matvec(v), flat(v), rtol=1e-12, atol=1e-14)
        with pytest.raises(CurvatureError, match="expected a vector of shape"):
            matvec(torch.zeros(3, dtype=torch.float64))


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_lean_top_eigenpair_tracker_against_dense_and_the_general_one(dtype):
    """``track_top_eigenpair`` (the monitor's loop): within tol of ``eigvalsh`` at every
    step, the same products as ``track_top_eigenpairs`` (same rule), an exact
    eigenvector start (breakdown restart) and its errors."""
    from empirical._tracking import track_top_eigenpair

    tol = 1e-8 if dtype == torch.float64 else 1e-4
    lean = general = None
    for m in matrices():
        mat = torch.as_tensor(m, dtype=dtype)
        lean = track_top_eigenpair(lambda v, mat=mat: mat @ v, 80, lean, dtype=dtype)
        general = empirical.track_top_eigenpairs(lambda v, mat=mat: mat @ v, 80, general,
                                                 dtype=dtype)
        evals, evecs = np.linalg.eigh(m)
        assert abs(lean.sharpness - evals[-1]) <= tol * evals[-1]
        assert abs(lean.n_hvp - general.n_hvp) <= 1 and lean.converged
        assert abs(float(lean.eigenvectors[0].double() @ torch.as_tensor(evecs[:, -1]))) \
            == pytest.approx(1.0, abs=1e-3)
    mat = torch.as_tensor(m)
    exact = track_top_eigenpair(lambda v: mat @ v, 80, torch.as_tensor(evecs[:, -1]),
                                dtype=torch.float64)
    assert exact.sharpness == pytest.approx(evals[-1], rel=1e-12) and exact.n_hvp >= 3
    with pytest.raises(CurvatureError, match="previous: eigenvectors of shape"):
        track_top_eigenpair(lambda v: mat @ v, 80, torch.zeros(3, 5), dtype=torch.float64)
    with pytest.raises(CurvatureError, match="not finite"):
        track_top_eigenpair(lambda v: v * float("nan"), 80, dtype=torch.float64)
    with pytest.raises(CurvatureError, match="must return a tensor of shape"):
        track_top_eigenpair(lambda v: v[:3], 80, dtype=torch.float64)
