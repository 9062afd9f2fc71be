"""Experiment 3: filter normalisation and curvature profiles over scales."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from empirical import (
    FunctionObjective,
    ParamLayout,
    filter_normalise,
    locate_wells,
    scale_profile,
    separate_scales,
)
from empirical.errors import ExperimentError


def test_filter_normalisation_matches_filter_norms(tiny_problem):
    loss = tiny_problem.loss
    theta = loss.theta0
    d = filter_normalise(torch.randn(loss.dim, dtype=torch.float64), theta, loss.layout)
    for name, sl, shape in loss.layout.block_slices():
        dv, wv = d[sl].view(shape), theta[sl].view(shape)
        if len(shape) >= 2:
            torch.testing.assert_close(dv.reshape(shape[0], -1).norm(dim=1),
                                       wv.reshape(shape[0], -1).norm(dim=1))
        else:
            assert float(dv.abs().max()) == 0.0, name  # biases are left out


def _two_wells(x, depth=0.01, w1=0.01, w2=1.0):
    """A sharp well (width w1, depth `depth`) inside a flat well (width w2)."""
    return depth * (1 - torch.exp(-(x / w1) ** 2)) + (1 - torch.exp(-(x / w2) ** 2))


def test_sharp_well_inside_flat_well_is_located():
    obj = FunctionObjective(lambda th: _two_wells(th[0]), 1)
    prof = scale_profile(obj, torch.zeros(1, dtype=torch.float64),
                         torch.ones(1, dtype=torch.float64), r_min=1e-4, r_max=10, n_radii=81)
    assert prof.separate_scales and len(prof.wells) == 2
    inner, outer = prof.wells
    assert 0.01 < inner.rim_radius < 0.1  # the sharp well (width 0.01) ends
    assert 0.02 < outer.inner_radius < 1.0 < outer.rim_radius  # the flat well's wall
    # the sharp well's curvature: 2 (depth / w1^2 + 1 / w2^2) = 202; the flat one's ~2
    assert inner.curvature == pytest.approx(2 * (0.01 / 0.01**2 + 1), rel=1e-3)
    assert prof.scale_ratio > 20


def test_single_well_and_quadratic_have_one_scale():
    r = np.geomspace(1e-3, 10, 61)
    assert len(locate_wells(r, 1 - np.exp(-(r**2)))) == 1
    quad = locate_wells(r, r**2)
    assert len(quad) == 1 and np.isinf(quad[0].rim_radius)


def test_locate_wells_rejects_bad_grids():
    with pytest.raises(ExperimentError, match="radii"):
        locate_wells([1, 2, 3], [1, 2, 3])
    with pytest.raises(ExperimentError, match="low"):
        locate_wells(np.geomspace(0.1, 1, 6), np.ones(6), high=1.0, low=1.5)


def test_separate_scales_on_a_network_uses_seeded_directions(tiny_problem):
    loss, theta = tiny_problem.loss, tiny_problem.theta0
    a = separate_scales(loss, theta, ParamLayout.of(tiny_problem.model), n_random=1, seed=3,
                        n_radii=21)
    b = separate_scales(loss, theta, loss.layout, n_random=1, seed=3, n_radii=21)
    assert [p.name for p in a.profiles] == ["gradient", "random 0"]
    np.testing.assert_array_equal(a.profiles[1].loss_plus, b.profiles[1].loss_plus)
    # at small radii the secant curvature is the directional second derivative d^T H d
    d = filter_normalise(loss.grad(theta), theta, loss.layout)
    dhd = float(d @ loss.hvp(theta, d))
    assert a.profiles[0].curvature[0] == pytest.approx(dhd, rel=1e-4)
