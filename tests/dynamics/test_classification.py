"""Orbit classification from the last iterates (theory.dynamics._support), edge cases first.

The compiled helpers are called on hand-made histories whose answer is known by
construction: exact fixed points and cycles, NaN and inf, slow drift on a plateau (f2 far
from its minimum), an orbit spiralling into a fixed point with multiplier near -1, rounding
jitter.  The last tests run the whole simulator on orbits with a known fate.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from theory.dynamics import simulate
from theory.dynamics._options import history_length
from theory.dynamics._support import MIN_WINDOW, SEPARATION, find_period, is_diverged

RTOL, ATOL = 1e-10, 1e-12
PMAX = 16
H = history_length(PMAX)


def history(orbit) -> tuple[np.ndarray, int, int]:
    """(HIST, t, m) for the orbit x_0..x_t of one point (1-D or (T+1, d))."""
    orbit = np.asarray(orbit, dtype=float)
    if orbit.ndim == 1:
        orbit = orbit[:, None]
    t = orbit.shape[0] - 1
    hist = np.full((H + 1, orbit.shape[1], 1), -7.0)  # junk outside the window
    for tau in range(max(0, t - H + 1), t + 1):
        hist[tau % H, :, 0] = orbit[tau]
    return hist, t, min(H, t + 1)


def period(orbit) -> int:
    hist, t, m = history(orbit)
    return find_period(hist, t, m, 0, PMAX, RTOL, ATOL)


def diverged(orbit, bound=1e10, m=None) -> bool:
    hist, t, m_full = history(orbit)
    return is_diverged(hist, t, m_full if m is None else m, 0, bound)


def test_exact_fixed_point_has_period_one():
    assert period(np.full(100, 0.7)) == 1
    assert period(np.zeros(100)) == 1


def test_exact_cycles_have_their_minimal_period():
    a, b, c = 0.1, 0.5, 0.9
    assert period(np.tile([1.3, -1.3], 50)) == 2
    assert period(np.tile([a, b, c], 40)) == 3
    # period 4 whose lag-2 error (1e-6) is far above tolerance: not period 2
    assert period(np.tile([1.0, -1.0, 1.0 + 1e-6, -1.0 - 1e-6], 30)) == 4
    # a 2-D period-2 orbit
    assert period(np.tile([[1.0, -2.0], [-1.0, 2.0]], (50, 1))) == 2


def test_longest_period_needs_enough_history():
    cycle = np.linspace(0.0, 1.0, PMAX)
    assert period(np.tile(cycle, 3 * H // PMAX + 1)) == PMAX
    too_long = np.linspace(0.0, 1.0, PMAX + 1)
    assert period(np.tile(too_long, 3 * H // PMAX + 1)) == 0


def test_too_short_window_decides_nothing():
    assert period(np.full(MIN_WINDOW, 0.5)) == 0  # m - 1 < MIN_WINDOW
    assert period(np.full(MIN_WINDOW + 1, 0.5)) == 1


def test_converging_orbit_is_fixed_once_steps_are_below_tolerance():
    t = np.arange(400)
    assert period(0.5**t) == 1  # x_t -> 0 fast: |x| < 1e-12 over the window
    assert period(0.9**t[:150]) == 0  # still 1e-7 away: not yet


def test_spiral_into_a_fixed_point_is_not_mistaken_for_period_two():
    """x_t = c (-0.82)^t (f1 with eta = 1.82 < 2 near 0): over the check window the lag-2
    errors |x_t - x_{t-2}| = 0.49 |x_t| are all below 1e-12 while the lag-1 steps 2.2 |x_t|
    are not, so period 2 passes the recurrence test before period 1 does.  The cycle {+-x}
    is not resolved (|x_t - x_{t-1}| < SEPARATION * tol), so the orbit is left undecided at
    that check, and is converged once the steps are below tolerance too."""
    window = max(MIN_WINDOW, PMAX)
    t = np.arange(120)
    orbit = 1e-12 * (-0.82) ** (t - (119 - window + 1))  # |x| = 1e-12 at the window start
    start = 119 - window + 1
    lag1 = np.abs(orbit[start:] - orbit[start - 1 : -1])
    lag2 = np.abs(orbit[start:] - orbit[start - 2 : -2])
    assert lag2.max() <= ATOL < lag1.max()  # the ambiguous situation
    assert lag1[-1] < SEPARATION * ATOL
    assert period(orbit) == 0
    assert period(1e-3 * orbit) == 1


def test_slow_drift_on_a_plateau_is_not_convergence():
    """f2 far out: steps of 1e-8 inside the tolerance rtol*|x| = 1e-6, but growing as the
    orbit moves in; a converging orbit has shrinking steps."""
    steps = 1e-8 * 1.01 ** np.arange(200)
    assert period(1e4 - np.cumsum(steps)) == 0
    assert period(1e4 - np.cumsum(steps[::-1])) == 1


def test_rounding_jitter_at_a_fixed_point_is_converged():
    x = 0.37 + np.spacing(0.37) * np.tile([0.0, 1.0, -1.0, 2.0], 50)
    assert period(x) == 1


def test_float_cycle_jittering_by_ulps_of_the_intermediate_terms_is_periodic():
    """GD on the cubic at eta = 2.4 (logistic r = 3.4) from x0 = 0.008: a float orbit on the
    2-cycle {1.1929, 0.6409} whose lag-2 error wanders between 0 and 2.1e-15 (10 ulp of
    x, 2 ulp of the terms (1 + eta) x ~ 4): a period-2 orbit, not an undecided one."""
    rng = np.random.default_rng(5)
    cycle = np.tile([1.19291907, 0.64093673], 100)
    jitter = rng.integers(-5, 6, cycle.size) * np.spacing(1.19291907)
    assert period(cycle + jitter) == 2


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
@pytest.mark.parametrize("where", [0, 37, -1])
def test_non_finite_iterate_in_the_window_is_diverged(bad, where):
    orbit = np.tile([0.8, -0.8], 100)
    orbit[where] = bad
    _, t, m = history(orbit)
    in_window = where == -1 or where >= t - m + 1
    assert diverged(orbit) == in_window


def test_beyond_bound_is_diverged_and_infinite_bound_keeps_finite_orbits():
    orbit = np.linspace(1.0, 2e10, 100)
    assert diverged(orbit, bound=1e10)
    assert not diverged(orbit, bound=math.inf)
    assert diverged(np.append(orbit, math.nan), bound=math.inf)
    assert not diverged(np.full(50, 0.3), bound=1.0)


# ----------------------------------------------------------------- whole simulator


def test_exact_fixed_points_of_gd_are_converged_with_their_exponent(f1, cubic):
    """x0 = 0 is a fixed point of GD on f1 for every eta (Theorem 4.1's exceptional set);
    above the threshold it is unstable: exponent log|1 - eta f1''(0)| = log 2 at eta = 3.
    x0 = 1, the minimum of the cubic: log|1 - eta f''(1)| = log 1.5 at eta = 2.5."""
    r = simulate(f1, 3.0, [0.0], 500, progress=False)
    assert r.class_names[0, 0] == "converged" and r.period[0, 0] == 1
    assert r.lyapunov[0, 0] == pytest.approx(math.log(2.0), rel=1e-12)
    r = simulate(cubic, 2.5, [1.0], 500, progress=False)
    assert r.class_names[0, 0] == "converged"
    assert r.lyapunov[0, 0] == pytest.approx(math.log(1.5), rel=1e-12)


@pytest.mark.parametrize("early_exit", [True, False])
def test_orbit_to_minus_infinity_is_diverged_never_converged(cubic, early_exit):
    """GD on x^3/3 - x^2/2 from x0 < 0 runs off to -inf; with bound = inf it overflows and then
    sits at -inf, which x_t = x_{t-1} would call a fixed point: it must be diverged."""
    r = simulate(cubic, 2.0, [-0.5, 0.5], 600, bound=math.inf, early_exit=early_exit,
                 record_loss=True, progress=False)
    assert list(r.class_names[0]) == ["diverged", "converged"]
    assert r.final_state[0, 0, 0] == -math.inf and r.period[0, 0] == 0
    assert math.isnan(r.lyapunov[0, 0])
    step = r.decided_step[0, 0]
    assert (step < 600) == early_exit
    assert np.all(np.isinf(r.loss[0, 0, step + 1 :]) | (step == 600))
    r = simulate(cubic, 2.0, [-0.5], 600, bound=1e6, early_exit=early_exit, progress=False)
    assert r.class_names[0, 0] == "diverged" and abs(r.final_state[0, 0, 0]) > 1e6
