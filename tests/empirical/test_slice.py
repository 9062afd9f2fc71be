"""Experiment 2: gradient-direction slices and the subquadratic verdict."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from empirical import FunctionObjective, ProblemSpec, fit_growth_exponent, gradient_slice, run_slice
from empirical.errors import ExperimentError

from .conftest import CI_EOS, CI_LR, CI_STEPS


def f1(x):
    """The paper's subquadratic f_1(x) = (1 + |x|) ln(1 + |x|) - |x| (Fig. 4.1 left)."""
    a = x.abs()
    return (1 + a) * torch.log1p(a) - a


def _objective(fn, dim=2):
    return FunctionObjective(fn, dim)


def test_quadratic_function_gets_quadratic_verdict():
    a = torch.tensor([[3.0, 0.5], [0.5, 1.0]], dtype=torch.float64)
    obj = _objective(lambda th: 0.5 * th @ a @ th)
    res = gradient_slice(obj, torch.tensor([1.0, -2.0], dtype=torch.float64))
    assert res.verdict == "quadratic"
    assert res.fit.p == pytest.approx(2.0, abs=1e-6)
    g = a @ torch.tensor([1.0, -2.0], dtype=torch.float64)
    u = g / g.norm()
    assert res.uhu == pytest.approx(float(u @ a @ u), rel=1e-12)
    # second differences of a quadratic are constant: uHu h^2
    np.testing.assert_allclose(res.second_differences / res.grid_step**2, res.uhu, rtol=1e-6)
    # the line minimum of a quadratic along -g: t* = -||g|| / uHu
    assert res.t_min == pytest.approx(-float(g.norm()) / res.uhu, rel=1e-7)


def test_subquadratic_function_gets_subquadratic_verdict():
    obj = _objective(lambda th: f1(th[0]) + f1(th[1]))
    res = gradient_slice(obj, torch.tensor([1.5, 0.0], dtype=torch.float64))
    assert res.verdict == "subquadratic"
    assert res.fit.p_high < 2
    assert res.d2_spearman < -0.9
    assert res.t_min == pytest.approx(-1.5, abs=1e-6)  # the minimum at theta = 0
    # f1''(x) = 1 / (1 + |x|): the centre check uses the exact second derivative
    assert res.uhu == pytest.approx(1 / 2.5, rel=1e-9)
    assert res.centre_curvature == pytest.approx(1 / 2.5, rel=1e-5)


def test_quartic_function_gets_superquadratic_verdict():
    obj = _objective(lambda th: (th**4).sum() + 0.01 * (th**2).sum())
    res = gradient_slice(obj, torch.tensor([1.0, 0.0], dtype=torch.float64))
    assert res.verdict == "superquadratic"
    assert res.fit.p_low > 2


@given(p=st.floats(1.0, 3.0), log_a=st.floats(-3.0, 3.0))
def test_growth_fit_recovers_exact_power_laws(p, log_a):
    r = np.geomspace(0.1, 2.0, 15)
    fit = fit_growth_exponent(r, np.exp(log_a) * r**p)
    assert fit.p == pytest.approx(p, abs=1e-9)
    assert fit.log_a == pytest.approx(log_a, abs=1e-8)
    assert fit.p_low <= p + 1e-9 and p - 1e-9 <= fit.p_high


def test_stationary_point_and_bad_grids_are_rejected():
    obj = _objective(lambda th: (th**2).sum())
    with pytest.raises(ExperimentError, match="gradient vanishes"):
        gradient_slice(obj, torch.zeros(2, dtype=torch.float64))
    theta = torch.tensor([1.0, 0.0], dtype=torch.float64)
    with pytest.raises(ExperimentError, match="odd"):
        gradient_slice(obj, theta, n_points=20)
    with pytest.raises(ExperimentError, match="radius"):
        gradient_slice(obj, theta, radius=0.5)  # the line minimum is at t* = -1


def test_edge_of_stability_point_is_subquadratic_and_linear_regression_quadratic(tmp_path):
    """The issue's criterion on CI-sized runs."""
    eos = run_slice(ProblemSpec(**CI_EOS), lr=CI_LR, steps=CI_STEPS, sharpness_every=10,
                    out_dir=tmp_path / "eos", progress=False)
    assert eos.run.verdict.edge_of_stability
    assert eos.slice.centre_matches
    assert eos.slice.verdict == "subquadratic"
    lin = run_slice(ProblemSpec(model="linear", n_train=100, n_test=0), lr=0.1, steps=20,
                    sharpness_every=10, progress=False)
    assert lin.slice.verdict == "quadratic"
