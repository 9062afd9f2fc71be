"""empirical.hessian on a user's own model, criterion and data (issue 11).

Reference: ``torch.func.hessian`` of the full-batch loss written out directly
(``functional_call`` on all the data at once, the criterion called once): independent of
the batching, the retained graphs and the solvers under test.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest
import scipy.sparse.linalg
import torch
from torch import nn
from torch.func import functional_call

import empirical
from empirical._spectral import lanczos_tridiagonal
from empirical.errors import CurvatureError, DataError, DeviceError, ModelError


def small_convnet(dtype=torch.float64) -> nn.Module:
    torch.manual_seed(1)
    return nn.Sequential(nn.Conv2d(1, 2, 3), nn.Tanh(), nn.Flatten(),
                         nn.Linear(2 * 4 * 4, 3)).to(dtype)


def reference_hessian(model, criterion, x, y, names=None) -> torch.Tensor:
    """Dense Hessian of ``criterion(model(x), y)`` w.r.t. the named parameters."""
    model = copy.deepcopy(model).double()  # outside the transform (.double() mutates)
    params = dict(model.named_parameters())
    names = list(params) if names is None else names
    shapes = [params[n].shape for n in names]
    theta = torch.cat([params[n].detach().reshape(-1) for n in names]).double()
    fixed = {n: p.detach().double() for n, p in params.items() if n not in names}

    def loss(th):
        tensors, off = dict(fixed), 0
        for n, s in zip(names, shapes, strict=True):
            tensors[n] = th[off:off + s.numel()].view(s)
            off += s.numel()
        return criterion(functional_call(model, tensors, (x.double(),)),
                         y.double() if y.is_floating_point() else y)

    return torch.func.hessian(loss)(theta)


@pytest.fixture(scope="module")
def setting():
    model = small_convnet()
    gen = torch.Generator().manual_seed(2)
    x = torch.randn(23, 1, 6, 6, generator=gen, dtype=torch.float64)
    y = torch.randint(0, 3, (23,), generator=gen)
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=5)
    hess = empirical.hessian(model, nn.CrossEntropyLoss(), loader)  # batches 5,5,5,5,3
    ref = reference_hessian(model, nn.functional.cross_entropy, x, y)
    return model, x, y, hess, ref, torch.linalg.eigvalsh(ref)


def test_dense_from_uneven_batches_equals_full_batch_hessian(setting):
    _, _, _, hess, ref, _ = setting
    assert len(hess.objective.batches) == 5 and hess.objective.n == 23
    torch.testing.assert_close(hess.dense(), ref, rtol=1e-10, atol=1e-12)


def test_hvp_flat_and_dict_match_dense(setting):
    _, _, _, hess, ref, _ = setting
    v = torch.randn(hess.dim, dtype=torch.float64)
    torch.testing.assert_close(hess.hvp(v), ref @ v, rtol=1e-10, atol=1e-12)
    as_dict = hess.hvp(hess.unflatten(v))
    torch.testing.assert_close(hess.flatten(as_dict), ref @ v, rtol=1e-10, atol=1e-12)


def test_top_eigenpairs_match_eigvalsh(setting):
    _, _, _, hess, ref, evals = setting
    est = hess.eigenvalues(k=3)
    np.testing.assert_allclose(est.eigenvalues, evals.flip(0)[:3].numpy(), rtol=1e-8)
    for lam, vec, res in zip(est.eigenvalues, est.eigenvectors, est.residuals, strict=True):
        assert float((ref @ vec - lam * vec).norm()) == pytest.approx(res, abs=1e-10)
        assert res < 1e-6 * est.eigenvalues[0]


def test_repeated_eigenvalues_are_all_found():
    """A bias-free linear map to 3 outputs under MSE: H = (2 / 3n) I_3 (x) X^T X, so each
    eigenvalue of X^T X appears three times."""
    torch.manual_seed(3)
    model = nn.Linear(4, 3, bias=False).double()
    x = torch.randn(20, 4, dtype=torch.float64)
    y = torch.randn(20, 3, dtype=torch.float64)
    hess = empirical.hessian(model, nn.MSELoss(), (x, y))
    gram = torch.linalg.eigvalsh(x.T @ x * 2 / 60).flip(0)
    est = hess.eigenvalues(k=4, repeated=True)
    expected = [gram[0]] * 3 + [gram[1]]
    np.testing.assert_allclose(est.eigenvalues, torch.stack(expected).numpy(), rtol=1e-8)
    assert torch.allclose(est.eigenvectors @ est.eigenvectors.T, torch.eye(4, dtype=torch.float64),
                          atol=1e-8)


def test_trace_estimates_bracket_the_dense_trace(setting):
    _, _, _, hess, _, evals = setting
    exact = float(evals.sum())
    for method in ("hutchinson", "hutch++"):
        est = hess.trace(method=method, n_samples=30, seed=4)
        assert abs(est.value - exact) <= 4 * est.stderr + 1e-9, (method, est, exact)
    full = hess.trace(method="hutch++", n_samples=3 * hess.dim, seed=4)  # sketch spans all
    assert full.value == pytest.approx(exact, rel=1e-9)


def test_density_nodes_and_moments_against_the_dense_spectrum(setting):
    _, _, _, hess, ref, evals = setting
    dens = hess.density(n_probes=3, steps=hess.dim, seed=5)
    assert np.allclose(dens.weights.sum(axis=1), 1.0)
    heavy = dens.nodes[dens.weights > 1e-6]
    gaps = np.min(np.abs(heavy[:, None] - evals.numpy()[None, :]), axis=1)
    assert gaps.max() < 1e-8 * float(evals.abs().max())  # every node is an eigenvalue
    # Gauss quadrature of one probe integrates degree < 2m exactly: v^T H^p v / |v|^2
    v = torch.randn(hess.dim, dtype=torch.float64, generator=torch.Generator().manual_seed(6))
    alphas, betas = lanczos_tridiagonal(lambda w: ref @ w, v, 6)
    theta, s = np.linalg.eigh(np.diag(alphas) + np.diag(betas, 1) + np.diag(betas, -1))
    u = v / v.norm()
    for p in range(12):
        exact = float(u @ torch.linalg.matrix_power(ref, p) @ u)
        assert float(np.sum(s[0] ** 2 * theta**p)) == pytest.approx(exact, rel=1e-8, abs=1e-14)
    grid = np.linspace(float(evals.min()) - 1, float(evals.max()) + 1, 5)
    assert np.all(np.diff(dens.cdf(grid)) >= 0) and dens.cdf(grid)[-1] == pytest.approx(1.0)


def test_scipy_linear_operator_gives_the_top_eigenvalue(setting):
    _, _, _, hess, _, evals = setting
    op = hess.as_linear_operator()
    assert op.shape == (hess.dim, hess.dim) and op.dtype == np.float64
    top = scipy.sparse.linalg.eigsh(op, k=1, which="LA", tol=1e-10)[0][0]
    assert top == pytest.approx(float(evals[-1]), rel=1e-8)


def test_float32_model_in_float64_and_parameter_selection(setting):
    model, x, y, _, ref, _ = setting
    model32 = small_convnet(torch.float32)
    h64 = empirical.hessian(model32, "ce", (x.float(), y), dtype="float64")
    assert h64.dtype == torch.float64
    ref32 = reference_hessian(small_convnet(torch.float32), nn.functional.cross_entropy,
                               x.float(), y)
    torch.testing.assert_close(h64.dense(), ref32, rtol=1e-9, atol=1e-11)
    names = ["3.weight", "3.bias"]
    sub = empirical.hessian(model, nn.CrossEntropyLoss(), (x, y), params=names)
    n0 = sum(p.numel() for n, p in model.named_parameters() if n.startswith("0."))
    torch.testing.assert_close(sub.dense(), ref[n0:, n0:], rtol=1e-10, atol=1e-12)
    by_predicate = empirical.hessian(model, nn.CrossEntropyLoss(), (x, y),
                                     params=lambda name, p: name.startswith("3."))
    assert by_predicate.dim == sub.dim


def test_frozen_parameters_are_constants_by_default(setting):
    _, x, y, _, ref, _ = setting
    model = small_convnet()
    model[0].weight.requires_grad_(False)
    hess = empirical.hessian(model, nn.CrossEntropyLoss(), (x, y))
    n_w = model[0].weight.numel()
    assert hess.dim == ref.shape[0] - n_w
    torch.testing.assert_close(hess.dense(), ref[n_w:, n_w:], rtol=1e-10, atol=1e-12)


def test_eval_mode_on_request_equals_the_model_in_eval_mode():
    torch.manual_seed(7)
    model = nn.Sequential(nn.Linear(4, 5), nn.BatchNorm1d(5), nn.Tanh(), nn.Dropout(0.5),
                          nn.Linear(5, 2)).double()
    model.train()
    x, y = torch.randn(12, 4, dtype=torch.float64), torch.randint(0, 2, (12,))
    with pytest.raises(ModelError, match=r"model: .*BatchNorm1d.*Dropout.*model\.eval\(\)"):
        empirical.hessian(model, "ce", (x, y))
    asked = empirical.hessian(model, "ce", (x, y), eval_mode=True).dense()
    assert model.training  # the user's model is left as it was
    model.eval()
    torch.testing.assert_close(asked, reference_hessian(model, nn.functional.cross_entropy,
                                                        x, y), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize(("criterion", "targets", "pattern"), [
    ("mse", torch.rand(6, 3, dtype=torch.float64), r"targets of dtype torch.float64.*'mse'"),
    (nn.CrossEntropyLoss(), torch.rand(6, dtype=torch.float64), r"targets .*class labels"),
    (nn.MSELoss(), torch.zeros(6, 3, dtype=torch.int64), r"needs floating targets"),
    (nn.MSELoss(), torch.zeros(6, dtype=torch.float64), r"shape \(6,\).*outputs of shape"),
    ("ce", torch.full((6,), 5), r"class labels in \[5, 5\].*3 outputs"),
])
def test_targets_of_the_wrong_kind_are_refused(criterion, targets, pattern):
    model = nn.Linear(4, 3).double()
    with pytest.raises(DataError, match=pattern):
        empirical.hessian(model, criterion, (torch.zeros(6, 4, dtype=torch.float64), targets))


def test_bad_inputs_name_the_argument():
    model = nn.Linear(4, 3).double()
    x, y = torch.zeros(6, 4, dtype=torch.float64), torch.zeros(6, dtype=torch.int64)
    with pytest.raises(DataError, match="data: holds no examples"):
        empirical.hessian(model, "ce", [])
    with pytest.raises(DataError, match="data: holds no examples"):
        empirical.hessian(model, "ce", (x[:0], y[:0]))
    with pytest.raises(DataError, match="data="):
        empirical.hessian(model, "ce", x)
    with pytest.raises(DataError, match="same first dimension"):
        empirical.hessian(model, "ce", (x, y[:3]))
    with pytest.raises(DataError, match=r"criterion=mse_loss: fails on the model's outputs"):
        empirical.hessian(model, nn.functional.mse_loss, (x, torch.zeros(6, 7)))
    with pytest.raises(CurvatureError, match="criterion='hinge'"):
        empirical.hessian(model, "hinge", (x, y))
    with pytest.raises(CurvatureError, match="reduction='none'"):
        empirical.hessian(model, nn.CrossEntropyLoss(reduction="none"), (x, y))
    with pytest.raises(ModelError, match="no parameter named 'w'"):
        empirical.hessian(model, "ce", (x, y), params=["w"])
    with pytest.raises(ModelError, match="model=str"):
        empirical.hessian("resnet", "ce", (x, y))
    with pytest.raises(DeviceError, match="dtype="):
        empirical.hessian(model, "ce", (x, y), dtype="float16")
    with pytest.raises(DeviceError, match="device='cuda'"):
        empirical.hessian(model, "ce", (x, y), device="cuda")  # absent here, or model on cpu
    split = nn.Linear(4, 3).double()
    split.bias = nn.Parameter(torch.zeros(3, dtype=torch.float64, device="meta"))
    with pytest.raises(DeviceError, match=r"model: its tensors are on several devices"):
        empirical.hessian(split, "ce", (x, y))
    big = empirical.hessian(model, "ce", (x, y))
    with pytest.raises(CurvatureError, match=r"max_bytes=1000: .*dim=15 in torch.float64, n=6"):
        big.dense(max_bytes=1000)


def test_sum_reduction_is_the_full_batch_sum():
    model = nn.Linear(3, 2).double()
    x, y = torch.randn(9, 3, dtype=torch.float64), torch.randn(9, 2, dtype=torch.float64)
    hess = empirical.hessian(model, nn.MSELoss(reduction="sum"), (x, y), batch_size=4)
    ref = reference_hessian(model, nn.MSELoss(reduction="sum"), x, y)
    torch.testing.assert_close(hess.dense(), ref, rtol=1e-10, atol=1e-12)
