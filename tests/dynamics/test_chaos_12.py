"""Chaos that means chaos (issue 12): only bounded, recurrent, aperiodic orbits with an
exponent significantly above zero are chaotic; a drifting orbit is ``drifting``.

Known answers:

* GD on the cubic x^3/3 - x^2/2 with eta = r - 1 is conjugate to the logistic map
  (tests/dynamics/conftest.py): r = 4 is chaotic with exponent ln 2; r = 3.83 is in the
  period-3 window;
* f2 = 1 - 2/(9|x|) for |x| > 1/3 (eq. 6.2, C = 3) has a flat, concave tail
  (f2'' = -4/(9|x|^3)): there |1 - eta f2''| > 1, so the finite-time exponent is positive
  (at most log(1 + 4 eta/(9|x|^3))), while GD moves monotonically inwards by
  2 eta/(9 x^2) per step -- a drift, not chaos (the motivating case of issue 12);
* f2 above its threshold 2/f2''(0) = 1/3 (Fig. 4.1 middle) is chaotic.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from theory.dynamics import (
    CLASS_NAMES,
    SimulationResult,
    simulate,
    simulate_momentum,
    zero_one_statistic,
    zero_one_test,
)
from theory.dynamics._plots import MAP_CATEGORIES, map_categories
from theory.dynamics._support import (
    CHAOS_Z,
    DRIFTING,
    STAT_INSIDE,
    chaos_class,
    init_chaos_stats,
    lyapunov_lower_bound,
    sample_recurrence,
)

from .conftest import logistic_eta

DRIFT_ETA = 2.0  # Fig. 4.1 middle


@pytest.fixture(scope="module")
def drift(f2):
    # x0 far out on the tail: |x|^3 shrinks by 4 eta / 3 per step, 400 steps stay on it
    return simulate(f2, DRIFT_ETA, [9.0, -9.5, 10.0], 400, keep_last=120, progress=False)


@pytest.fixture(scope="module")
def logistic(cubic):
    etas = [logistic_eta(4.0), logistic_eta(3.83)]
    x0 = np.array([0.1, 0.37, 0.61, 0.93, 1.17])  # y = 0.75 x in (0, 1), off 1/2
    return simulate(cubic, etas, x0, 4000, keep_last=400, progress=False)


def test_class_codes_are_backward_compatible():
    assert CLASS_NAMES[:5] == ("converged", "periodic", "chaotic", "diverged", "undecided")
    assert CLASS_NAMES[5] == "drifting"


def test_logistic_r4_is_chaotic_with_exponent_ln2(logistic):
    assert np.all(logistic.class_names[0] == "chaotic")
    np.testing.assert_allclose(logistic.lyapunov[0], math.log(2.0), atol=0.1)
    k = zero_one_statistic(logistic)[0]
    assert np.all(k > 0.8), k  # the 0-1 test agrees: chaos


def test_logistic_period_3_window_is_periodic_and_regular(logistic):
    assert np.all(logistic.class_names[1] == "periodic") and np.all(logistic.period[1] == 3)
    k = zero_one_statistic(logistic)[1]
    assert np.all(np.abs(k) < 0.2), k


def test_a_short_chaotic_run_is_not_called_chaotic(cubic):
    """20 steps: 10 steps of exponent average cannot show significance (the old rule,
    exponent > 1e-3, called these chaotic)."""
    r = simulate(cubic, logistic_eta(4.0), [0.37, 0.61], 20, progress=False)
    assert np.all(r.lyapunov > 1e-3)
    assert np.all(r.class_names == "undecided")


def test_slow_drift_on_a_concave_tail_is_drifting_not_chaotic(drift):
    tail = drift.tail[0, :, :, 0]
    # the known answer: a monotone inward drift that stays on the tail
    signs = np.sign(drift.x0[:, 0])[:, None]
    assert np.all(np.diff(tail, axis=1) * signs < 0)
    assert np.all(np.abs(tail) > 4)
    # positive finite-time exponent (the old rule said chaotic) ...
    assert np.all(drift.lyapunov > 1e-3)
    x_end = np.abs(drift.final_state[0, :, 0])
    assert np.all(drift.lyapunov[0] <= np.log1p(4 * DRIFT_ETA / (9 * x_end**3)) * 1.0001)
    # ... but it does not come back: drifting
    assert np.all(drift.class_names == "drifting")
    assert drift.counts()["drifting"] == 3 and drift.counts()["chaotic"] == 0
    k = zero_one_statistic(drift)[0]
    assert np.all(k < 0.5), k


def test_momentum_with_beta_0_agrees_on_the_drift(f2, drift):
    sweep = simulate_momentum(f2, [DRIFT_ETA], [0.0], drift.x0[:, 0], 400, progress=False)
    assert np.all(sweep.classes[0, 0] == CLASS_NAMES.index("drifting"))


def test_f2_above_threshold_is_chaotic_by_both_tests(f2):
    r = simulate(f2, [0.5, 1.5], [-2.3, 0.7, 3.1], 3000, keep_last=300, progress=False)
    assert np.all(r.class_names == "chaotic")
    assert np.all(zero_one_statistic(r) > 0.8)


def test_drifting_survives_save_load_and_has_a_map_category(drift, tmp_path):
    for name in ("r.npz", "r.nc"):
        back = SimulationResult.load(drift.save(tmp_path / name))
        assert np.array_equal(back.classes, drift.classes)
        assert back.counts() == drift.counts()
    assert drift.metadata["classes"] == list(CLASS_NAMES)
    assert {MAP_CATEGORIES[i][0] for i in np.unique(map_categories(drift))} == {"drifting"}


def test_lyapunov_lower_bound_is_the_batch_means_bound():
    # two segments of 16 steps with averages 1 and 3: mean 2, variance 1, se 1
    lsum = 16 * 1.0 + 16 * 3.0
    lsq = (16.0**2 + 48.0**2) / 16
    assert lyapunov_lower_bound(lsum, lsq, 32, 2) == pytest.approx(2.0 - CHAOS_Z * 1.0)
    assert lyapunov_lower_bound(lsum, lsq, 32, 1) == -np.inf
    # no spread: the bound is the mean
    assert lyapunov_lower_bound(32.0, 2 * 16.0**2 / 16, 32, 2) == pytest.approx(1.0)


def _inside_counts(series: np.ndarray) -> np.ndarray:
    """sample_recurrence over series (samples, points): first half builds the box."""
    n_samples, n = series.shape
    stats = np.empty((4, n))
    init_chaos_stats(stats, n)
    for s in range(n_samples):
        sample_recurrence(np.ascontiguousarray(series[s][None, :]), stats, n,
                          s < n_samples // 2)
    return stats[STAT_INSIDE]


def test_recurrence_samples_separate_drift_from_recurrence():
    n = 64
    rng = np.random.default_rng(5)
    s = np.arange(n, dtype=float)
    series = np.stack([
        100.0 - 0.5 * s,  # monotone drift: only the samples near the box's edge
        rng.uniform(-1, 1, n),  # irregular, bounded
        (-1.0) ** s * (2.0 - 1e-3 * s),  # slowly shrinking alternation
        np.where(s < n // 2, -1.0, 1.0) * rng.uniform(0.5, 1.0, n),  # jumps to a new place
    ], axis=1)
    inside = _inside_counts(series)
    half = n - n // 2
    assert inside[0] <= 0.2 * half + 1
    assert inside[1] >= 0.9 * half and inside[2] == half
    assert inside[3] == 0
    stats = np.zeros((4, 1))
    stats[STAT_INSIDE, 0] = inside[0]
    assert chaos_class(stats, 0, 1.0, 100, 6, n // 2, half, 1e-3) == DRIFTING
    assert chaos_class(stats, 0, 1.0, 100, 6, 3, half, 1e-3) == CLASS_NAMES.index("undecided")


def test_zero_one_test_on_known_series():
    y = np.empty(2000)
    y[0] = 0.3
    for i in range(1, y.size):
        y[i] = 4.0 * y[i - 1] * (1.0 - y[i - 1])
    assert zero_one_test(y) > 0.9
    assert abs(zero_one_test(np.sin(0.3 * np.arange(2000)))) < 0.2
    assert math.isnan(zero_one_test(y[:50]))
    assert zero_one_test(np.ones(500)) == 0.0
