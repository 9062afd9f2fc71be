"""Shared pytest configuration: Hypothesis profiles and seeded fixtures.

Profiles (select with ``HYPOTHESIS_PROFILE=dev|ci``; ``dev`` is the default):

* ``dev`` -- few examples, for a quick local loop;
* ``ci``  -- more examples, derandomized so that a CI run is reproducible.

Numba-compiling tests use ``deadline=None`` (first calls compile).
"""

from __future__ import annotations

import os

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "dev",
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "ci",
    max_examples=40,
    deadline=None,
    derandomize=True,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


@pytest.fixture
def rng() -> np.random.Generator:
    """A seeded generator: the same numbers on every run."""
    return np.random.default_rng(20220404)
