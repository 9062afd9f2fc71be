"""A wall-clock limit for sympy work (SIGALRM, main thread on Unix)."""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from collections.abc import Iterator


@contextlib.contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise TimeoutError in the block after ``seconds`` (main thread on Unix; else no limit).

    The alarm repeats every 0.25 s until the block ends, so a TimeoutError that lands where
    it cannot propagate (a garbage-collector callback, or code that swallows exceptions) is
    raised again.  Limits nest: an enclosing limit keeps its deadline.
    """
    if threading.current_thread() is not threading.main_thread() or not hasattr(
        signal, "setitimer"
    ):
        yield
        return
    active = [True]

    def _raise(signum, frame):
        if active[0]:
            raise TimeoutError(f"sympy took longer than {seconds} s")

    start = time.monotonic()
    outer_delay, outer_interval = signal.getitimer(signal.ITIMER_REAL)
    delay = min(seconds, outer_delay) if outer_delay > 0 else seconds
    previous = signal.signal(signal.SIGALRM, _raise)
    signal.setitimer(signal.ITIMER_REAL, max(delay, 1e-3), 0.25)
    try:
        yield
    finally:
        active[0] = False
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if outer_delay > 0:  # give the enclosing limit what is left of its time
            left = outer_delay - (time.monotonic() - start)
            signal.setitimer(signal.ITIMER_REAL, max(left, 1e-3), outer_interval)
