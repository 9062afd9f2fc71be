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
