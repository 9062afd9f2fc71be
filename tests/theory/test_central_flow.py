"""The central flow, the secant flow and the self-stabilization map (theory.central_flow).

References: closed forms on L = -c x + (a + b x) y^2 / 2 (where GD, the reduced map and
the central flow coincide exactly), GD iterates, sympy's own third derivatives, the KKT
conditions of the complementarity problem, and the Fig. 4.2 valley's (4.7)/(4.8).
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

from theory import catalog, quasistatic
from theory.central_flow import (
    CentralFlowOptions,
    Derivatives,
    central_flow,
    reduced_map,
    secant_flow,
    self_stabilization_constants,
    solve_lcp,
)
from theory.central_flow.valley import (
    gradient_descent,
    tilted_valley,
    valley_comparison,
    variance_sweep,
)
from theory.errors import GridError, LearningRateError
from theory.landscape import Landscape

ETA = 3.0
A, B, C = 0.3, 0.2, 0.05
#: -c x + (a + b x) y^2 / 2 reaches S = a + b x = 2/eta at x* with Sigma = (2c/b) e_y e_y
X_STAR = (2 / ETA - A) / B
SIGMA2 = 2 * C / B


@pytest.fixture(scope="module")
def sharpening():
    return Landscape(f"-{C}*x + ({A} + {B}*x)*y**2/2", variables=("x", "y"))


def test_lcp_meets_its_kkt_conditions(rng):
    for _ in range(20):
        k = int(rng.integers(1, 6))
        root = rng.normal(size=(k, k + 1))
        matrix = root @ root.T
        q = rng.normal(size=k)
        x = solve_lcp(matrix, q)
        w = q + matrix @ x
        assert np.all(x >= 0) and np.all(w >= -1e-9)
        assert abs(x @ w) < 1e-8 * (1 + np.abs(q).max())


def test_third_derivatives_match_sympy():
    expr = "x1**3*x2 + sin(x1)*x2**2 + exp(x2/3)*x1"
    landscape = Landscape(expr)
    x1, x2 = landscape.variables
    third = Derivatives(landscape).third(np.array([0.4, -0.7]))
    for idx in np.ndindex(2, 2, 2):
        exact = sp.diff(landscape.expr, *(landscape.variables[i] for i in idx))
        value = float(exact.subs({x1: 0.4, x2: -0.7}))
        assert third[idx] == pytest.approx(value, rel=1e-12, abs=1e-12)


def test_reduced_map_is_gd_on_the_sharpening_landscape(sharpening):
    """There x' = x + eta c - eta b y^2/2 and y' = (1 - eta S) y: the map of Damian et al.
    with alpha = b c and beta = b^2, exactly."""
    w0 = np.array([X_STAR - 0.1, 0.01])
    path = gradient_descent(sharpening, w0, ETA, 15)
    alpha, beta = self_stabilization_constants(sharpening, [w0[0], 0.0], ETA)
    assert (alpha, beta) == pytest.approx((B * C, B * B), rel=1e-12)
    orbit = reduced_map(alpha, beta, ETA, w0[1], A + B * w0[0] - 2 / ETA, 15)
    # past the edge (GD blows up later on this landscape)
    assert np.all(np.isfinite(path)) and np.abs(path[:, 1]).max() > 0.1
    np.testing.assert_allclose(orbit.x, path[:, 1], rtol=1e-9, atol=1e-14)
    np.testing.assert_allclose(orbit.y, A + B * path[:, 0] - 2 / ETA, rtol=1e-9, atol=1e-12)
    assert orbit.amplitude2 == pytest.approx(SIGMA2)


@pytest.mark.parametrize("method", ["Radau", "euler"])
def test_central_flow_holds_the_edge_with_sigma_2_alpha_over_beta(sharpening, method):
    flow = central_flow(sharpening, ETA, [X_STAR - 1.0, 0.0], 400, method=method)
    assert flow.sharpness.max() <= 2 / ETA * (1 + 1e-6)
    assert flow.w[-1, 0] == pytest.approx(X_STAR, rel=1e-6)
    assert flow.sigma2[-1] == pytest.approx(SIGMA2, rel=1e-6)
    # before the edge it is gradient flow: x grows at eta c per step
    assert flow.w[1, 0] - flow.w[0, 0] == pytest.approx(ETA * C, rel=1e-6)
    # predicted loss = L + tr(Sigma)/eta on the edge (GD's own orbit here is not stable:
    # the reduced map of this landscape spirals out, so there is no GD average to compare)
    assert flow.predicted_loss[-1] == pytest.approx(-C * X_STAR + SIGMA2 / ETA, rel=1e-6)


def test_two_critical_eigenvalues_by_the_complementarity_problem():
    landscape = Landscape(
        "-0.05*a - 0.02*b + (0.3 + 0.2*a)*y**2/2 + (0.4 + 0.1*b)*z**2/2",
        variables=("a", "b", "y", "z"),
    )
    flow = central_flow(landscape, ETA, [0.0, 0.0, 0.0, 0.0], 600)
    np.testing.assert_allclose(flow.w[-1, :2], [(2 / ETA - 0.3) / 0.2, (2 / ETA - 0.4) / 0.1],
                               rtol=1e-5)
    assert flow.sigma2[-1] == pytest.approx(2 * 0.05 / 0.2 + 2 * 0.02 / 0.1, rel=1e-5)


@pytest.fixture(scope="module")
def comparison():
    return valley_comparison(catalog.fig_4_2(), ETA, (1.0, 1.0), 800)


def test_secant_flow_is_4_8_and_gd_on_the_fig_4_2_valley(comparison):
    """Along the valley the secant (multiscale central) flow, (4.8) and GD's time average
    agree to 1%; the secant width is the period-2 amplitude (4.7)."""
    secant = comparison.secant
    assert comparison.relative_error(secant.w[:, 0]) < 0.01
    assert comparison.relative_error(comparison.quasistatic.x[:, 0]) < 0.01
    np.testing.assert_allclose(secant.w[:, 0], comparison.quasistatic.x[:, 0], rtol=2e-3)
    exact = quasistatic.amplitude(catalog.fig_4_2(),
                                  secant.w[:, :1], ETA)
    np.testing.assert_allclose(secant.sigma, exact, rtol=1e-8)
    late = slice(200, None)
    np.testing.assert_allclose(secant.sigma[late], np.abs(comparison.gd[late, 1]), rtol=1e-2)


def test_quadratic_central_flow_leaves_the_valley_floor(comparison):
    """The quadratic central flow sits on S = 2/eta: for f1, h |y| = eta h^2/2 - 1 (from
    f1''(u) = 1/(1 + |u|)), not on GD's mean y = 0, and drifts faster than GD."""
    central = comparison.central
    on_edge = central.sharpness > 2 / ETA * (1 - 1e-9)
    assert on_edge[100:].all()
    h = 1 / (1 + central.w[100:, 0] / 100)
    # (S is the top eigenvalue of the full Hessian: H_xy adds a relative O(1e-4) here)
    np.testing.assert_allclose(h * central.w[100:, 1], ETA * h**2 / 2 - 1, rtol=1e-3)
    assert comparison.relative_error(central.w[:, 0]) > 0.1
    assert np.all(central.w[100:, 0] > comparison.gd_mean[100:, 0])
    assert np.all(central.w[:, 0] < comparison.halting_x)
    assert comparison.halting_x == pytest.approx(100 * (np.sqrt(ETA / 2) - 1), rel=1e-10)


def test_variance_sweep_against_gd_and_the_flow():
    f1 = catalog.f1()
    eps = np.geomspace(1e-3, 0.3, 7)
    sweep = variance_sweep(f1, eps, ETA)
    np.testing.assert_allclose(sweep.ratio, np.sqrt(2 / (2 + eps)), rtol=1e-9)
    assert sweep.divergence == pytest.approx(1 - np.sqrt(2 / 2.3), rel=1e-9)
    # the exact side against GD on the tilted valley, the flow's side against its ODE
    landscape = tilted_valley(f1, sweep.tilt[-1])
    start_y = 1.1 * np.sqrt(sweep.x_eta2[-1]) * (1 + sweep.x_gd[-1] / 100)
    path = gradient_descent(landscape, [sweep.x_gd[-1], start_y], ETA, 3000)
    h = 1 / (1 + path[-1, 0] / 100)
    assert path[-1, 0] == pytest.approx(sweep.x_gd[-1], rel=1e-4)
    assert (h * path[-1, 1]) ** 2 == pytest.approx(sweep.x_eta2[-1], rel=1e-4)
    flow = central_flow(landscape, ETA, [sweep.x_central[-1] + 1.0, 0.0], 1500)
    h_cf = 1 / (1 + flow.w[-1, 0] / 100)
    assert flow.w[-1, 0] == pytest.approx(sweep.x_central[-1], rel=1e-5)
    assert h_cf**2 * flow.sigma2[-1] == pytest.approx(sweep.sigma2_central[-1], rel=1e-4)


@pytest.mark.parametrize(("call", "error"), [
    (lambda: central_flow("x**2", -1.0, [1.0], 5), LearningRateError),
    (lambda: central_flow("x**2", 1.0, [1.0], 0), GridError),
    (lambda: central_flow("x**2", 1.0, [1.0, 2.0], 5), GridError),
    (lambda: CentralFlowOptions(method="rk4"), GridError),
    (lambda: CentralFlowOptions(track=1.5), GridError),
    (lambda: secant_flow("x**2", 1.0, [float("nan")], 5), GridError),
    (lambda: reduced_map(1.0, -1.0, 1.0, 0.1, 0.0, 5), GridError),
    (lambda: variance_sweep(catalog.f1(), [0.0, 0.1]), GridError),
])
def test_bad_input_is_refused(call, error):
    with pytest.raises(error):
        call()


def test_preconditioned_flows_against_closed_forms():
    """GD's rule is central_flow; heavy ball holds S at its threshold (2 + 2 beta)/eta; scalar
    RMSProp settles where nu = c^2 / (1 - 8c/(b eta^2)) (the steady state of
    nu' = (1 - beta2)(|grad L|^2 + X |H u|^2 - nu) with X = 2 c p / b and lambda = 2 p,
    p = sqrt(nu)/eta), with Sigma = 2c/b in w's units in every case."""
    from theory.central_flow import Rule, preconditioned_central_flow

    landscape = f"-{C}*x + ({A} + {B}*x)*y**2/2"
    gd = preconditioned_central_flow(landscape, Rule("gd", ETA), [0.0, 0.0], 100)
    np.testing.assert_allclose(gd.w[-1], [X_STAR, 0.0], atol=1e-6)
    heavy = preconditioned_central_flow(landscape, Rule("heavy_ball", ETA, beta=0.5),
                                        [0.0, 0.0], 200)
    assert heavy.w[-1, 0] == pytest.approx((3.0 / ETA - A) / B, rel=1e-6)
    assert heavy.sigma2[-1] == pytest.approx(SIGMA2, rel=1e-6)
    a, eta = 0.01, 2.0
    rms = preconditioned_central_flow(f"-{C}*x + ({a} + {B}*x)*y**2/2",
                                      Rule("scalar_rmsprop", eta, beta2=0.9), [0.0, 0.0], 400)
    nu = C**2 / (1 - 8 * C / (B * eta**2))
    assert rms.state[-1, 0] == pytest.approx(nu, rel=1e-6)
    assert rms.w[-1, 0] == pytest.approx((2 * np.sqrt(nu) / eta - a) / B, rel=1e-6)
    assert rms.sigma2[-1] == pytest.approx(SIGMA2, rel=1e-6)
    assert rms.lt_max[-1] == pytest.approx(1.0, rel=1e-8)
    # in one dimension the per-coordinate RMSProp is the scalar one
    one = [preconditioned_central_flow("x**2/2 + x**4/4", Rule(name, 0.5, beta2=0.9), [1.0],
                                       30, state0=[0.5]) for name in ("rmsprop",
                                                                      "scalar_rmsprop")]
    np.testing.assert_allclose(one[0].w, one[1].w, rtol=1e-9)
    with pytest.raises(GridError):
        Rule("adam", 0.1)
