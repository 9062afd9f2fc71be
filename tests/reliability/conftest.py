"""A fixed memory limit, so that "refused up front" cases do not depend on the machine; the
fresh GRID sweep shared by the healing, lock and writer tests (their tiny monitor is
``tiny_monitor`` of tests/conftest.py)."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _memory_limit(monkeypatch):
    monkeypatch.setenv("MSL_MEMORY_LIMIT_GB", "16")


@pytest.fixture(scope="module")
def fresh():
    """The GRID sweep of f1 run once, without a store (the numbers a healed run must give)."""
    from tests.reliability.sweeps import GRID
    from theory.dynamics import simulate

    return simulate("f1", **GRID)
