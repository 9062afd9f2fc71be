"""Lanczos and power iteration against dense eigendecompositions."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from empirical import EigenEstimate, ProblemSpec, build_problem, lanczos, power_iteration
from empirical.errors import CurvatureError


def _counting(matvec):
    calls = [0]

    def wrapped(v):
        calls[0] += 1
        return matvec(v)

    return wrapped, calls


def _dense_top(problem, theta, k):
    hess = problem.loss.dense_hessian(theta)
    evals, evecs = torch.linalg.eigh(hess)
    return evals.flip(0)[:k].numpy(), evecs.flip(1)[:, :k].T, hess


@pytest.mark.parametrize("k", [1, 3])
@pytest.mark.parametrize(("activation", "loss"), [("tanh", "mse"), ("relu", "ce")])
def test_lanczos_matches_dense_hessian_float64(tiny_spec, k, activation, loss):
    """Relative error of the top-k eigenvalues <= 1e-6 in float64 (the issue's target)."""
    problem = build_problem(tiny_spec.replace(activation=activation, loss=loss))
    theta = problem.theta0
    ref, ref_vecs, hess = _dense_top(problem, theta, k)
    matvec, calls = _counting(problem.loss.operator(theta))
    est = lanczos(matvec, problem.loss.dim, k=k, dtype=torch.float64, seed=1)
    assert isinstance(est, EigenEstimate)
    assert est.converged
    assert np.max(np.abs(est.eigenvalues - ref) / abs(ref[0])) <= 1e-6
    # eigenvectors up to sign
    overlaps = (est.eigenvectors @ ref_vecs.T).abs().diagonal()
    assert torch.all(overlaps > 1 - 1e-6)
    # the reported residual is the true ||Hv - lambda v||, and n_hvp counts every product
    for i in range(k):
        r = hess @ est.eigenvectors[i] - est.eigenvalues[i] * est.eigenvectors[i]
        assert float(r.norm()) == pytest.approx(est.residuals[i], rel=1e-3, abs=1e-12)
    assert est.n_hvp == calls[0]


def test_lanczos_float32_relative_error(tiny_spec):
    p64 = build_problem(tiny_spec)
    p32 = build_problem(tiny_spec.replace(dtype="float32"))
    ref, _, _ = _dense_top(p64, p64.theta0, 1)
    est = lanczos(p32.loss.operator(p64.theta0.float()), p32.loss.dim, dtype=torch.float32)
    assert est.converged
    assert abs(est.sharpness - ref[0]) / ref[0] <= 1e-4


def test_warm_start_needs_fewer_products(tiny_problem):
    loss = tiny_problem.loss
    theta = loss.theta0
    cold = lanczos(loss.operator(theta), loss.dim, dtype=torch.float64, seed=3)
    moved = theta + 1e-3 * loss.grad(theta)
    warm = lanczos(loss.operator(moved), loss.dim, dtype=torch.float64, seed=3,
                   v0=cold.eigenvectors[0])
    fresh = lanczos(loss.operator(moved), loss.dim, dtype=torch.float64, seed=3)
    assert warm.sharpness == pytest.approx(fresh.sharpness, rel=1e-8)
    assert warm.n_hvp < fresh.n_hvp


def test_power_iteration_finds_top_eigenvalue(tiny_problem):
    theta = tiny_problem.theta0
    ref, _, _ = _dense_top(tiny_problem, theta, 2)
    est = power_iteration(tiny_problem.loss.operator(theta), tiny_problem.loss.dim, k=2,
                          dtype=torch.float64, tol=1e-9, max_iter=5000)
    assert est.method == "power"
    np.testing.assert_allclose(est.eigenvalues, ref, rtol=1e-4)


def test_top_eigenvalue_of_linear_regression_with_repeated_eigenvalues():
    """MSE linear regression: H = I_10 (x) X^T X / n has every eigenvalue 10 times."""
    problem = build_problem(ProblemSpec(model="linear", n_train=50, n_test=0, dtype="float64"))
    ref, _, _ = _dense_top(problem, problem.theta0, 1)
    est = lanczos(problem.loss.operator(problem.theta0), problem.loss.dim, dtype=torch.float64)
    assert est.sharpness == pytest.approx(ref[0], rel=1e-8)


@given(
    spectrum=st.lists(st.floats(-5.0, 50.0, allow_nan=False), min_size=6, max_size=40,
                      unique=True).filter(lambda s: sorted(s)[-1] - sorted(s)[-2] > 1e-2),
    seed=st.integers(0, 2**16),
)
def test_lanczos_on_matrices_with_known_spectrum(spectrum, seed):
    """Q diag(spectrum) Q^T with a random orthogonal Q: the top eigenvalue comes back."""
    gen = torch.Generator().manual_seed(seed)
    n = len(spectrum)
    q, _ = torch.linalg.qr(torch.randn(n, n, generator=gen, dtype=torch.float64))
    a = q @ torch.diag(torch.tensor(spectrum, dtype=torch.float64)) @ q.T
    est = lanczos(lambda v: a @ v, n, dtype=torch.float64, seed=seed)
    top = max(spectrum)
    assert abs(est.sharpness - top) <= 1e-7 * max(abs(x) for x in spectrum)
    assert est.residuals[0] <= 1e-6 * max(abs(x) for x in spectrum)


def test_bad_settings_are_rejected():
    a = torch.eye(4, dtype=torch.float64)
    with pytest.raises(CurvatureError, match="k="):
        lanczos(lambda v: a @ v, 4, k=5, dtype=torch.float64)
    with pytest.raises(CurvatureError, match="tol="):
        lanczos(lambda v: a @ v, 4, tol=2.0, dtype=torch.float64)
    with pytest.raises(CurvatureError, match="v0"):
        lanczos(lambda v: a @ v, 4, dtype=torch.float64, v0=torch.zeros(4, dtype=torch.float64))
    with pytest.raises(CurvatureError, match="not finite"):
        lanczos(lambda v: v * float("nan"), 4, dtype=torch.float64)
