"""``eigenvalues(which=..., per_module=/blocks=)`` against dense eigendecompositions
(numpy ``eigh`` of the dense Hessian and of its diagonal blocks), and the product count
of ``eigenvalues(k)``: one Lanczos run, nothing more (issue 22)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

import empirical
from empirical.errors import CurvatureError


@pytest.fixture(scope="module")
def mlp():
    torch.manual_seed(21)
    model = nn.Sequential(nn.Linear(5, 6), nn.Tanh(), nn.Linear(6, 3)).double()
    gen = torch.Generator().manual_seed(22)
    x = torch.randn(30, 5, generator=gen, dtype=torch.float64)
    y = torch.randint(0, 3, (30,), generator=gen)
    hess = empirical.hessian(model, nn.CrossEntropyLoss(), (x, y))
    dense = hess.dense().numpy()
    return hess, dense, np.linalg.eigvalsh(dense)


@pytest.mark.parametrize("which", ["LA", "SA", "LM"])
def test_which_matches_the_dense_spectrum(mlp, which):
    hess, dense, evals = mlp
    assert evals[0] < 0 < evals[-1]  # an indefinite Hessian: SA and LM differ from LA
    want = {"LA": evals[::-1], "SA": evals,
            "LM": evals[np.argsort(-np.abs(evals), kind="stable")]}[which][:3]
    est = hess.eigenvalues(k=3, which=which, tol=1e-10)
    np.testing.assert_allclose(est.eigenvalues, want, rtol=0, atol=1e-8 * abs(evals).max())
    for lam, vec, res in zip(est.eigenvalues, est.eigenvectors.numpy(), est.residuals,
                             strict=True):
        assert np.linalg.norm(dense @ vec - lam * vec) == pytest.approx(res, abs=1e-9)


def test_top_k_costs_one_lanczos_run(mlp):
    hess, _, _ = mlp
    before = hess.n_hvp
    est = hess.eigenvalues(k=5, tol=1e-8)
    used = hess.n_hvp - before
    assert est.n_hvp == used
    bare = empirical.lanczos(hess.objective.operator(hess.theta), hess.dim, k=5,
                             dtype=torch.float64, tol=1e-8, check_residual=False)
    assert used == bare.n_hvp  # same run, no extra pass


def test_per_module_and_blocks_match_the_dense_diagonal_blocks(mlp):
    hess, dense, _ = mlp
    spans = {name: sl for name, sl, _ in hess.objective.layout.block_slices()}
    res = hess.eigenvalues(k=2, per_module=True, tol=1e-10)
    assert list(res) == ["0", "2"]
    for module, est in res.items():
        idx = np.concatenate([np.arange(spans[n].start, spans[n].stop)
                              for n in (f"{module}.weight", f"{module}.bias")])
        ref = np.linalg.eigvalsh(dense[np.ix_(idx, idx)])[::-1][:2]
        np.testing.assert_allclose(est.eigenvalues, ref, rtol=1e-8)
    only = hess.eigenvalues(k=1, blocks={"last weight": ["2.weight"]}, which="SA")
    sl = spans["2.weight"]
    assert only["last weight"].eigenvalues[0] == pytest.approx(
        np.linalg.eigvalsh(dense[sl, sl])[0], abs=1e-7)
    with pytest.raises(CurvatureError, match="blocks: block 'x'"):
        hess.eigenvalues(blocks={"x": ["nope"]})
    with pytest.raises(CurvatureError, match="which='BE'"):
        hess.eigenvalues(which="BE")
