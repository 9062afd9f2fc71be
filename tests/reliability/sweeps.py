"""Shared by the healing and lock tests: the small f1 sweep they interrupt and re-run, the
comparison of two of its results, and a pid that no process has any more."""

from __future__ import annotations

import subprocess
import sys

import numpy as np

GRID = dict(eta=np.linspace(1.0, 3.0, 4), x0=np.linspace(0.1, 1.0, 5), steps=50,
            chunk_size=4, progress=False)


def same_result(a, b) -> None:
    """Two results of the GRID sweep hold the same numbers."""
    for name in ("classes", "period", "final_state", "decided_step"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    np.testing.assert_array_equal(np.isnan(a.lyapunov), np.isnan(b.lyapunov))


def dead_pid() -> int:
    """The pid of a process that has exited (a stale lock's or temp file's owner)."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid
