"""Experiment 6: RSI, error bound and Definition 4.1's constant."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from empirical import FunctionObjective, path_geometry, run_geometry
from empirical._geometry import refine_minimum

from .conftest import CI_EOS, CI_LR, CI_STEPS


def test_quadratic_path_geometry_matches_formulas():
    """f = x^T A x / 2, x* = 0: RSI = x^T A x / |x|^2, EB = |A x| / |x|, and the cosine
    is at least 2 sqrt(kappa) / (1 + kappa) (Kantorovich)."""
    a = torch.diag(torch.tensor([1.0, 4.0, 9.0], dtype=torch.float64))
    obj = FunctionObjective(lambda th: 0.5 * th @ a @ th, 3)
    pts = torch.randn(20, 3, dtype=torch.float64)
    geo = path_geometry(obj, np.arange(20), pts, torch.zeros(3, dtype=torch.float64))
    xax = torch.einsum("ni,ij,nj->n", pts, a, pts)
    norms = pts.norm(dim=1)
    np.testing.assert_allclose(geo.rsi, (xax / norms**2).numpy(), rtol=1e-12)
    np.testing.assert_allclose(geo.eb, ((pts @ a).norm(dim=1) / norms).numpy(), rtol=1e-12)
    kappa = 9.0
    assert geo.c_min >= 2 * np.sqrt(kappa) / (1 + kappa) - 1e-12
    assert geo.definition_4_1_holds and geo.c_positive_fraction == 1.0


def test_points_at_theta_star_are_skipped():
    obj = FunctionObjective(lambda th: (th**2).sum(), 2)
    pts = torch.tensor([[1.0, 0.0], [0.0, 0.0]], dtype=torch.float64)
    geo = path_geometry(obj, [0, 1], pts, torch.zeros(2, dtype=torch.float64))
    assert geo.steps.tolist() == [0]


def test_refine_minimum_lowers_the_gradient():
    obj = FunctionObjective(lambda th: (th**4).sum() + (th**2).sum(), 2)
    start = torch.tensor([0.5, -0.3], dtype=torch.float64)
    out = refine_minimum(obj, start, lr=0.1, steps=200)
    assert float(obj.grad(out).norm()) < 1e-6 * float(obj.grad(start).norm())


def test_geometry_along_a_small_eos_run(tmp_path):
    from empirical import ProblemSpec

    exp = run_geometry(ProblemSpec(**CI_EOS), lr=CI_LR, steps=CI_STEPS, sharpness_every=10,
                       out_dir=tmp_path, refine_steps=100, progress=False)
    g = exp.geometry
    assert len(g.steps) >= 50
    # RSI = c * EB exactly (both share <g, theta - theta*> and the distances)
    np.testing.assert_allclose(g.rsi, g.cosine * g.eb, rtol=1e-10)
    assert np.all(np.abs(g.cosine) <= 1 + 1e-12)
    assert g.grad_norm_star < np.median(g.grad_norm)
    assert g.c_min == pytest.approx(float(np.min(g.cosine)))
