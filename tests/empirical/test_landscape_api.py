"""The landscape on the public entry (issue 11): the gradient slice and its growth
exponent (Fig. 3.1), Li et al.'s filter-normalised directions in 1-D and 2-D, and the
separate-scales profile (Fig. 3.2), each against independent evaluations or the dense
Hessian."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
from torch import nn

import empirical
from empirical.errors import ExperimentError


@pytest.fixture(scope="module")
def convnet():
    torch.manual_seed(11)
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.Tanh(), nn.Flatten(),
                          nn.Linear(2 * 3 * 3, 3)).double()
    gen = torch.Generator().manual_seed(12)
    x = torch.randn(15, 1, 5, 5, generator=gen, dtype=torch.float64)
    y = torch.randint(0, 3, (15,), generator=gen)
    return model, x, y, empirical.hessian(model, nn.CrossEntropyLoss(), (x, y))


def loss_at(model, x, y, theta) -> float:
    """Cross-entropy of a copy of ``model`` with its parameters set to ``theta``."""
    clone = copy.deepcopy(model)
    torch.nn.utils.vector_to_parameters(theta, clone.parameters())
    with torch.no_grad():
        return float(nn.functional.cross_entropy(clone(x), y))


def test_quadratic_model_slice_is_quadratic_with_exponent_two():
    torch.manual_seed(13)
    model = nn.Linear(3, 2).double()
    x, y = torch.randn(20, 3, dtype=torch.float64), torch.randn(20, 2, dtype=torch.float64)
    hess = empirical.hessian(model, nn.MSELoss(), (x, y))
    res = hess.gradient_slice(n_points=21)
    assert res.verdict == "quadratic" and res.fit.p == pytest.approx(2.0, abs=1e-3)
    g = hess.objective.grad(hess.theta)
    u = g / g.norm()
    assert res.uhu == pytest.approx(float(u @ hess.dense() @ u), rel=1e-10)


def test_filter_normalised_directions_and_the_2d_surface(convnet, tmp_path):
    model, x, y, hess = convnet
    theta = hess.theta
    for bias in ("zero", "copy"):
        d = empirical.li_direction(theta, hess.objective.layout, 3, bias=bias)
        for (_, sl, shape), p in zip(hess.objective.layout.block_slices(), model.parameters(),
                                     strict=True):
            if len(shape) >= 2:  # every filter has the norm of theta's filter
                np.testing.assert_allclose(d[sl].view(shape[0], -1).norm(dim=1),
                                           p.detach().reshape(shape[0], -1).norm(dim=1),
                                           rtol=1e-12)
            else:
                expected = torch.zeros(shape, dtype=torch.float64) if bias == "zero" else p
                torch.testing.assert_close(d[sl], expected.detach().reshape(-1))
    surf = hess.loss_surface(dims=2, span=0.5, n_points=5, seed=3)
    d1 = empirical.li_direction(theta, hess.objective.layout, 3)
    d2 = empirical.li_direction(theta, hess.objective.layout, 4)
    for i, j in [(0, 0), (1, 3), (4, 2)]:
        point = theta + surf.alphas[i] * d1 + surf.betas[j] * d2
        assert surf.losses[i, j] == pytest.approx(loss_at(model, x, y, point), rel=1e-12)
    assert surf.losses[2, 2] == pytest.approx(surf.loss0, rel=1e-12)
    line = hess.loss_surface(dims=1, span=0.5, n_points=5, seed=3)
    np.testing.assert_allclose(line.losses, surf.losses[:, 2], rtol=1e-12)
    for s, name in ((surf, "surface.png"), (line, "line.png")):
        assert empirical.plot_surface(s, tmp_path / name).stat().st_size > 5000
    with pytest.raises(ExperimentError, match="dims=3"):
        hess.loss_surface(dims=3)
    with pytest.raises(ExperimentError, match="bias='keep'"):
        hess.loss_surface(bias="keep")


def test_separate_scales_profile_starts_at_the_hessian_curvature(convnet):
    _, _, _, hess = convnet
    res = hess.separate_scales(n_random=1, seed=5, r_min=1e-3, r_max=10.0, n_radii=21)
    dense = hess.dense()
    for profile, d in zip(res.profiles[1:], [empirical.li_direction(
            hess.theta, hess.objective.layout, 5)], strict=True):
        # c(r) -> d^T H d as r -> 0 (the even part's secant curvature)
        assert profile.curvature[0] == pytest.approx(float(d @ dense @ d), rel=1e-4)
