"""A fixed memory limit, so that "refused up front" cases do not depend on the machine."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _memory_limit(monkeypatch):
    monkeypatch.setenv("MSL_MEMORY_LIMIT_GB", "16")
