"""time_limit: the guard that keeps sympy from hanging (closed forms, limits, simplify)."""

from __future__ import annotations

import time

import pytest

from theory._sympy_utils import time_limit


def busy(seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        pass


def test_interrupts_a_long_computation():
    start = time.monotonic()
    with pytest.raises(TimeoutError), time_limit(0.2):
        busy(5)
    assert time.monotonic() - start < 1.5


def test_a_swallowed_timeout_is_raised_again():
    """Code that catches the first TimeoutError (as sympy's broad excepts may) is still
    stopped: the alarm repeats until the block ends."""
    swallowed = 0
    start = time.monotonic()
    with pytest.raises(TimeoutError), time_limit(0.2):
        try:
            busy(5)
        except TimeoutError:
            swallowed += 1
        busy(5)
    assert swallowed == 1
    assert time.monotonic() - start < 2.5


def test_nested_limits_keep_the_outer_deadline():
    start = time.monotonic()
    with pytest.raises(TimeoutError), time_limit(0.5):
        with time_limit(10):
            busy(0.05)
        busy(5)
    assert time.monotonic() - start < 2.0


def test_no_alarm_after_the_block():
    with time_limit(0.1):
        busy(0.01)
    busy(0.5)  # would raise if the timer were still armed
