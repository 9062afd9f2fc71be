"""Compiled momentum sweeps against GD (beta = 0), the derived theory and themselves."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from theory import catalog
from theory.dynamics import CLASS_NAMES, simulate, simulate_momentum
from theory.errors import GridError
from theory.optimizers import HeavyBall, Nesterov, periodic_orbit, threshold

X0 = np.array([-2.5, -0.7, 0.05, 0.4, 1.3, 3.0])
ETAS = np.array([0.5, 1.5, 1.99, 2.01, 3.0, 4.0, 6.0])
STEPS = 3000


@pytest.fixture(scope="module")
def f1():
    return catalog.get("f1")


@pytest.fixture(scope="module")
def gd_reference():
    return simulate("f1", ETAS, X0, STEPS, progress=False)


@pytest.mark.parametrize("method", ["momentum", "nesterov"])
def test_beta_zero_is_gd_bit_for_bit(gd_reference, method):
    sweep = simulate_momentum("f1", ETAS, [0.0], X0, STEPS, method=method)
    np.testing.assert_array_equal(sweep.classes[:, 0], gd_reference.classes)
    np.testing.assert_array_equal(sweep.period[:, 0], gd_reference.period)
    np.testing.assert_array_equal(sweep.decided_step[:, 0], gd_reference.decided_step)
    np.testing.assert_array_equal(sweep.final_state[:, 0, :, 0], gd_reference.final_state[..., 0])
    np.testing.assert_allclose(sweep.lyapunov[:, 0], gd_reference.lyapunov, rtol=1e-12)


@pytest.mark.parametrize("method", ["momentum", "nesterov"])
@pytest.mark.parametrize("beta", [0.3, 0.8])
def test_sweep_matches_derived_threshold_and_orbit(f1, method, beta):
    optimizer = HeavyBall(beta) if method == "momentum" else Nesterov(beta)
    eta_star = threshold(f1, optimizer)
    etas = eta_star * np.array([0.5, 0.95, 1.05, 2.0, 5.0])
    near_zero = np.array([-0.7, -0.05, 0.05, 0.4])  # far starts can find other cycles (below)
    sweep = simulate_momentum("f1", etas, [beta], near_zero, 20000, method=method)
    classes = sweep.classes[:, 0]
    assert np.all(classes[:2] == CLASS_NAMES.index("converged"))
    assert np.all(classes[2:] == CLASS_NAMES.index("periodic"))
    assert np.all(sweep.period[2:, 0] == 2)
    for k, eta in enumerate(etas[2:], start=2):
        orbit = periodic_orbit(f1, optimizer, eta)
        np.testing.assert_allclose(np.abs(sweep.final_state[k, 0]), orbit.x_eta, rtol=1e-8)
        # Lyapunov exponent of the cycle = log(spectral radius of the two-step Jacobian) / 2
        np.testing.assert_allclose(sweep.lyapunov[k, 0], np.log(orbit.spectral_radius) / 2,
                                   rtol=1e-6)


def test_chunking_does_not_change_the_numbers():
    from theory.dynamics import SimulationOptions

    base = SimulationOptions(steps=500)
    a = simulate_momentum("f1", [3.0, 5.0], [0.2, 0.6], X0, options=base)
    b = simulate_momentum("f1", [3.0, 5.0], [0.2, 0.6], X0,
                          options=base.replace(chunk_size=5, block=3))
    for name in ("classes", "period", "decided_step", "final_state", "lyapunov"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))


@given(beta=st.floats(0.0, 0.95), factor=st.floats(0.3, 0.9) | st.floats(1.1, 3.0),
       nesterov=st.booleans())
def test_converged_below_and_period_two_above_the_threshold(f1, beta, factor, nesterov):
    optimizer = Nesterov(beta) if nesterov else HeavyBall(beta)
    eta = threshold(f1, optimizer) * factor
    sweep = simulate_momentum("f1", [eta], [beta], [0.37, -0.2], 30000,
                              method="nesterov" if nesterov else "momentum")
    expected = ("converged", 1) if factor < 1 else ("periodic", 2)
    assert np.all(sweep.classes == CLASS_NAMES.index(expected[0]))
    assert np.all(sweep.period == expected[1])


def test_heavy_ball_has_a_period_four_attractor_beside_the_period_two_orbit(f1):
    """Unlike GD on f1 (Theorem 4.1), heavy ball at beta = 0.8, eta = 1.05 x threshold
    settles from x0 = -2.5 on a 4-cycle; checked here with the map written out by hand."""
    import math

    eta = threshold(f1, HeavyBall(0.8)) * 1.05
    sweep = simulate_momentum("f1", [eta], [0.8], [-2.5, 0.4], 20000)
    assert sweep.period[0, 0].tolist() == [4, 2]
    x, prev = sweep.final_state[0, 0, 0]
    seen = []
    for _ in range(8):
        x, prev = x - eta * math.copysign(math.log1p(abs(x)), x) + 0.8 * (x - prev), x
        seen.append(x)
    assert seen[4:] == pytest.approx(seen[:4], rel=1e-12)
    assert abs(seen[2] - seen[0]) > 1.0  # not the 2-cycle
    assert abs(seen[0]) != pytest.approx(periodic_orbit(f1, HeavyBall(0.8), eta).x_eta)


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"beta": [1.0]}, "beta=1.0"), ({"beta": [-0.1]}, "beta=-0.1"),
    ({"method": "adam"}, "method="), ({"function": "fig4.2"}, "1-D functions"),
])
def test_bad_arguments_are_named(kwargs, match):
    args = {"function": "f1", "eta": [1.0], "beta": [0.5], "x0": [1.0], "steps": 10, **kwargs}
    with pytest.raises(GridError, match=match):
        simulate_momentum(args.pop("function"), args.pop("eta"), args.pop("beta"),
                          args.pop("x0"), **args)


def test_phase_diagram_draws_the_derived_threshold(f1, tmp_path):
    from theory.dynamics import plot_momentum_bifurcation, plot_momentum_phase_diagram

    sweep = simulate_momentum("f1", np.linspace(1.0, 6.0, 6), [0.0, 0.5], [0.3, -1.0], 800)
    fig = plot_momentum_phase_diagram(sweep, f1)
    (line,) = [ln for ln in fig.axes[0].lines if ln.get_linestyle() == "--"]
    eta_curve, beta_curve = line.get_data()
    np.testing.assert_allclose(eta_curve, 2 * (1 + beta_curve))  # 2(1+beta)/f1''(0)
    fig.savefig(tmp_path / "phase.png")
    fig = plot_momentum_bifurcation(sweep, f1)
    fig.savefig(tmp_path / "bifurcation.png")
    assert (tmp_path / "phase.png").stat().st_size > 0


@pytest.mark.parametrize("method", ["momentum", "nesterov"])
def test_beta_zero_finite_time_exponent_of_a_transient_is_gd_s(method):
    """An orbit still converging after 100 steps (eta = 0.01, far out on f1) has the finite-
    time exponent (1/50) sum log|1 - eta f1''(x_t)| < 0 over its window; with beta = 0 the
    2-state's tangent must give it too (a start along (1, 0) added ln(sqrt 2) / 50 = +0.007)."""
    gd = simulate("f1", 0.01, [5.0, -4.0], 100, progress=False)
    sweep = simulate_momentum("f1", 0.01, [0.0], [5.0, -4.0], 100, method=method,
                              progress=False)
    assert (gd.lyapunov < 0).all()
    np.testing.assert_allclose(sweep.lyapunov[0, 0], gd.lyapunov[0], rtol=0.05)
