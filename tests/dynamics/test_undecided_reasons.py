"""Undecided orbits carry their reason (issue 12: "a drifting or transient orbit is reported
as such (its own class, or undecided with the reason)").

Known answers: a 20-step run of the logistic map (r = 4) has too few steps to test
recurrence; GD with a tiny learning rate is still converging after 100 steps (a transient:
exponent below the threshold); with ``lyapunov=False`` nothing tests for chaos; with the
chaos threshold just below ln 2, the logistic map's exponent (ln 2, Section "chaos" of
docs/simulator.md) is above it but not by 3 standard errors.  The recurrence-sample count
is checked against the segment arithmetic of a plain run (one sample per 16 steps).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from theory.dynamics import UNDECIDED_REASONS, simulate
from theory.dynamics._reasons import recurrence_samples
from theory.dynamics._support import CHAOTIC, UNDECIDED

from .conftest import logistic_eta


def test_recurrence_samples_of_a_plain_run():
    # window [1000, 2000], midpoint 1500; segments end at 1008, 1024, ..., 2000 (RENORM = 16);
    # those ending at or before 1500: 1008 ... 1488 (31); after: 1504 ... 2000 (32)
    r_meta = {"steps": 2000, "lyapunov": True, "transient": 1000, "early_exit": True,
              "history": 192, "schedule": {"boundaries": [], "factors": [1.0]},
              "keep_last": 0}
    assert recurrence_samples(r_meta) == (31, 32)
    # window [10, 20], midpoint 15: segments end at 16 (next multiple of 16) and 20, both
    # after the midpoint
    assert recurrence_samples({**r_meta, "steps": 20, "transient": 10}) == (0, 2)


def test_a_short_chaotic_run_is_undecided_for_too_few_steps(cubic):
    r = simulate(cubic, logistic_eta(4.0), [0.37, 0.61], 20, progress=False)
    assert (r.classes == UNDECIDED).all() and (r.lyapunov > 0.1).all()
    assert (r.undecided_reasons() == 3).all()
    assert r.undecided_reason_counts() == {UNDECIDED_REASONS[3]: 2}


def test_a_transient_is_undecided_as_not_chaotic_and_without_exponent_as_such(f1):
    # eta f1''(x) <= 0.01: |x_t| shrinks by at most ~1% per step, 100 steps from 5 stay far
    # from the fixed point 0 (atol 1e-12): no period, exponent ~ log(1 - 0.01 f1'') < 0
    r = simulate(f1, 0.01, [5.0, -4.0], 100, progress=False)
    assert (r.classes == UNDECIDED).all() and (r.lyapunov < 0).all()
    assert (r.undecided_reasons() == 2).all()
    r = simulate(f1, 0.01, [5.0, -4.0], 100, lyapunov=False, progress=False)
    assert (r.classes == UNDECIDED).all()
    assert (r.undecided_reasons() == 1).all()


def test_an_exponent_above_the_threshold_but_not_significantly(cubic):
    x0 = np.array([0.1, 0.37, 0.61, 0.93, 1.17])
    threshold = math.log(2.0) - 0.01  # the logistic map's exponent is ln 2 (+- ~0.03 here)
    r = simulate(cubic, logistic_eta(4.0), x0, 1000, chaos_threshold=threshold,
                 progress=False)
    reasons = r.undecided_reasons()
    above = (r.classes == UNDECIDED) & (r.lyapunov > threshold)
    assert above.any(), (r.classes, r.lyapunov)
    assert (reasons[above] == 4).all()
    assert (reasons[(r.classes == UNDECIDED) & ~above] == 2).all()
    assert (reasons[r.classes != UNDECIDED] == 0).all()


@pytest.mark.parametrize("steps", [300, 4000])
def test_decided_points_have_no_reason(f2, steps):
    r = simulate(f2, [0.2, 1.0, 2.0], np.linspace(-2, 2, 7), steps, progress=False)
    assert (r.classes == CHAOTIC).any()
    assert (r.undecided_reasons()[r.classes != UNDECIDED] == 0).all()


def test_momentum_sweeps_get_reasons_too(f1):
    """Heavy ball: 100 steps, window [50, 100], midpoint 75: segments end at 64 (first half),
    80, 96, 100 (second): 1 sample in the first half, too few whatever the exponent."""
    from theory.dynamics import simulate_momentum, undecided_reasons

    r = simulate_momentum(f1, 0.01, 0.0, [5.0, -4.0], 100, progress=False)
    assert recurrence_samples(r.metadata) == (1, 3)
    assert (r.classes == UNDECIDED).all()
    expected = np.where(r.lyapunov > r.metadata["chaos_threshold"], 3, 2)
    np.testing.assert_array_equal(undecided_reasons(r), expected)
