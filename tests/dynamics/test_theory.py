"""The simulator reproduces what the theory (Section 4) and Fig. 4.1 say about GD.

* Theorem 4.1 (f1, strictly subquadratic): below the threshold 2/f''(0) = 2 every orbit
  converges to 0, with exponent log|1 - eta f''(0)|; above it almost every orbit ends on the
  period-2 orbit {+-x_eta} of Lemma 4.1 (x_eta from ``periodic_point``), with exponent
  (1/2) log of the cycle multiplier (1 - eta f''(x_eta))^2 (``cycle_multiplier``).
* f2 (6.2), C = 3, Fig. 4.1 middle: for eta > 2/f2''(0) = 1/3, |1 - eta f2''(x)| > 1
  everywhere (f2'' = 6 inside |x| <= 1/3 and negative outside), so no cycle is stable:
  every orbit is chaotic, and bounded (|x_t| <= max(|x0|, 2 eta): |f2'| <= 2).
* f3, Fig. 4.1 right: chaotic but bounded at eta = 1; below 2/lambda_max(Hess f3(0)) it
  converges to the minimum.
* The logistic conjugate (see conftest): period doubling, the period-3 window and chaos
  with Lyapunov exponent ln 2, all known in closed form.
* Learning-rate decay (Fig. 4.1 left): 5 -> 3 -> 1 moves GD from {+-x_5} to {+-x_3} to 0.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from theory.dynamics import Schedule, simulate

from .conftest import logistic_eta, to_logistic


def test_f1_above_threshold_every_orbit_ends_on_plus_minus_x_eta(f1):
    """Theorem 4.1, eta > 2: all of 40 x 400 initial points except x0 = 0 (a fixed point,
    the measure-zero exception) settle on {+-x_eta}."""
    etas = np.linspace(2.2, 8.0, 40)
    x0 = np.linspace(-20.0, 20.0, 401)  # contains 0 exactly
    r = simulate(f1, etas, x0, 3000, keep_last=2, progress=False)
    not_periodic = ~r.mask("periodic")
    assert np.all(x0[np.nonzero(not_periodic)[1]] == 0.0)
    assert np.all(r.class_names[:, x0 == 0] == "converged")
    periodic = r.mask("periodic")
    assert np.all(r.period[periodic] == 2)
    x_eta = np.array([f1.periodic_point(e) for e in etas])
    final = np.abs(r.final_state[..., 0])
    np.testing.assert_allclose(final[periodic], np.broadcast_to(x_eta[:, None], final.shape)[
        periodic], rtol=1e-8)
    # the two last iterates are x_eta and -x_eta
    tail = r.tail[..., 0]
    assert np.all(np.sign(tail[..., 0][periodic]) == -np.sign(tail[..., 1][periodic]))
    # exponent of the cycle: (1/2) log((1 - eta f''(x_eta))^2)
    expected = np.array([0.5 * math.log(f1.cycle_multiplier(e)) for e in etas])
    lam = np.where(periodic, r.lyapunov, np.nan)
    np.testing.assert_allclose(np.nanmax(lam, axis=1), expected, rtol=1e-7)
    np.testing.assert_allclose(np.nanmin(lam, axis=1), expected, rtol=1e-7)
    assert np.all(expected < 0)  # stable: Theorem 4.1


def test_f1_below_threshold_every_orbit_converges_to_zero(f1):
    etas = np.linspace(0.1, 1.9, 19)
    x0 = np.linspace(-20.0, 20.0, 200)
    r = simulate(f1, etas, x0, 3000, progress=False)
    assert r.counts()["converged"] == r.classes.size
    assert np.all(np.abs(r.final_state) <= 1e-10)
    expected = np.log(np.abs(1.0 - etas))  # f1''(0) = 1; -inf at eta = 1 (superstable)
    finite = np.isfinite(expected)
    np.testing.assert_allclose(r.lyapunov[finite], np.broadcast_to(
        expected[finite, None], r.lyapunov[finite].shape), rtol=1e-9)
    assert np.all(r.lyapunov[~finite] < -30)


def test_f2_above_threshold_is_chaotic_and_bounded(f2):
    """Fig. 4.1 middle; no stable cycle exists (|1 - eta f2''| > 1), none is reported."""
    etas = np.linspace(0.4, 3.0, 14)
    x0 = np.linspace(-5.0, 5.0, 100)  # 0 excluded: it is a fixed point
    r = simulate(f2, etas, x0, 4000, keep_last=200, progress=False)
    counts = r.counts()
    assert counts["chaotic"] == r.classes.size
    assert np.all(r.lyapunov > 0.01)
    bound = np.maximum(5.0, 2.0 * etas)[:, None, None]
    assert np.all(np.abs(r.tail[..., 0]) <= bound + 1e-12)


def test_f2_below_threshold_converges_with_exponent_log_of_1_minus_6_eta(f2):
    etas = np.array([0.05, 0.1, 0.2, 0.3])
    r = simulate(f2, etas, np.linspace(-5.0, 5.0, 50), 6000, progress=False)
    assert r.counts()["converged"] == r.classes.size
    np.testing.assert_allclose(r.lyapunov, np.log(np.abs(1 - 6 * etas))[:, None] + 0 * r.lyapunov,
                               rtol=1e-9)


def test_f3_fig_4_1_right_is_chaotic_bounded_then_converges(f3, rng):
    """eta = 1 from (-3, 3) and nearby points: chaotic, never diverged, bounded.  Below
    2/lambda_max of Hess f3(0) = [[6 + 6 + 1/2, 6], [6, 6 + 1/2]] (f2''(0) = 6, f1''(0) = 1):
    converged to the minimum 0."""
    x0 = np.array([-3.0, 3.0]) + 0.2 * rng.standard_normal((40, 2))
    x0[0] = (-3.0, 3.0)
    hessian_at_0 = np.array([[12.5, 6.0], [6.0, 6.5]])
    threshold = 2.0 / np.linalg.eigvalsh(hessian_at_0).max()
    r = simulate(f3, [1.0, 0.9 * threshold], x0, 3000, keep_last=100, progress=False)
    chaotic = r.class_names[0]
    assert np.all(chaotic == "chaotic") and np.all(r.lyapunov[0] > 0.05)
    assert np.max(np.abs(r.tail[0])) < 10.0
    assert np.all(r.class_names[1] == "converged")
    assert np.all(np.abs(r.final_state[1]) < 1e-10)


def test_logistic_conjugate_period_doubling_window_and_chaos(cubic):
    rs = [3.2, 3.5, 3.55, 3.83, 4.0]
    etas = [logistic_eta(r) for r in rs]
    x0 = np.linspace(0.05, 1.2, 40)  # inside (0, (1 + eta)/eta) for all these eta
    res = simulate(cubic, etas, x0, 20000, keep_last=8, progress=False)
    assert list(res.period[:4, 0]) == [2, 4, 8, 3]
    assert np.all(res.period[:4] == res.period[:4, :1])
    assert np.all(res.class_names[4] == "chaotic")
    # r = 3.2: the 2-cycle y = (r + 1 +- sqrt((r - 3)(r + 1))) / (2r), multiplier 4 + 2r - r^2
    r = 3.2
    cycle = (r + 1 + np.array([-1, 1]) * math.sqrt((r - 3) * (r + 1))) / (2 * r)
    y = np.sort(np.unique(np.round(to_logistic(res.tail[0, :, -2:, 0], etas[0]), 12)))
    np.testing.assert_allclose(y, cycle, rtol=1e-10)
    np.testing.assert_allclose(res.lyapunov[0], 0.5 * math.log(4 + 2 * r - r * r), rtol=1e-9)
    # r = 4: Lyapunov exponent ln 2 (Ulam-von Neumann)
    assert np.median(res.lyapunov[4]) == pytest.approx(math.log(2.0), abs=0.02)
    assert np.all(np.abs(res.lyapunov[4] - math.log(2.0)) < 0.1)


def test_learning_rate_decay_moves_between_periodic_orbits(f1):
    """Fig. 4.1 left: x0 = -5, eta 5 -> 3 (step 100) -> 1 (step 150).  The orbit sits on
    {+-x_5}, then on {+-x_3}, then converges to 0 (1 < 2)."""
    schedule = Schedule.from_rates((5.0, 3.0, 1.0), (100, 150))
    r = simulate(f1, 5.0, [-5.0], 300, schedule=schedule, keep_last=301, progress=False)
    path = np.abs(r.tail[0, 0, :, 0])
    assert np.allclose(path[80:101], f1.periodic_point(5.0), rtol=1e-9)
    assert np.allclose(path[130:151], f1.periodic_point(3.0), rtol=1e-9)
    assert path[-1] < 1e-12
    assert r.class_names[0, 0] == "converged"
    # stopped before the last decay, the orbit is periodic, decided on the eta = 3 part only
    r = simulate(f1, 5.0, [-5.0], 199, schedule=Schedule.from_rates((5.0, 3.0), (100,)),
                 progress=False)
    assert r.class_names[0, 0] == "periodic"
    assert abs(r.final_state[0, 0, 0]) == pytest.approx(f1.periodic_point(3.0), rel=1e-9)
