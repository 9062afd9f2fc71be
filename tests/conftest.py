"""Shared pytest configuration: Hypothesis profiles and seeded fixtures.

Profiles (select with ``HYPOTHESIS_PROFILE=dev|ci``; ``dev`` is the default):

* ``dev`` -- few examples, for a quick local loop;
* ``ci``  -- more examples, derandomized so that a CI run is reproducible.

They are the plugin's ``msl-dev`` and ``msl-ci`` profiles (one definition, in
:mod:`proofs_check.pytest_plugin`, which users get through the ``pytest11`` entry point);
``--msl-profile dev|ci|thorough`` on the command line overrides ``HYPOTHESIS_PROFILE``.  The
plugin is also named below, so that its fixtures and option exist in a source checkout
that was not pip-installed (pytest registers it once either way: the entry point has the
module's name).

Numba-compiling tests use ``deadline=None`` (first calls compile).
"""

from __future__ import annotations

import os

import numpy as np
import pytest

pytest_plugins = ["proofs_check.pytest_plugin"]


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    """Load HYPOTHESIS_PROFILE before the plugin's pytest_configure (which loads
    --msl-profile if given, so the option wins) and before test modules are imported."""
    from hypothesis import settings

    from proofs_check.pytest_plugin import register_profiles

    register_profiles()
    # simulate(engine="auto") would run small sweeps of functions whose kernel is not yet
    # compiled on the NumPy engine (issue 12); the suite's sweeps test the compiled kernels
    # (tests/dynamics/test_numpy_engine.py tests the NumPy engine and the rule)
    os.environ.setdefault("MSL_NUMPY_MAX_WORK", "0")
    for name in ("dev", "ci"):
        settings.register_profile(name, parent=settings.get_profile(f"msl-{name}"))
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


@pytest.fixture
def rng() -> np.random.Generator:
    """A seeded generator: the same numbers on every run."""
    return np.random.default_rng(20220404)


@pytest.fixture(scope="module")
def tiny_monitor():
    """A SharpnessMonitor after two SGD steps on a 2-parameter linear model (shared by the
    reliability writer/lock/healing tests and the figure-readability tests)."""
    torch = pytest.importorskip("torch")
    import empirical

    torch.manual_seed(0)
    model = torch.nn.Linear(2, 1)
    x, y = torch.randn(8, 2), torch.randn(8, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    monitor = empirical.SharpnessMonitor(model, torch.nn.MSELoss(), (x, y), opt, every=1,
                                         progress=False)
    for _ in range(2):
        opt.zero_grad()
        torch.nn.functional.mse_loss(model(x), y).backward()
        opt.step()
        monitor.step()
    return monitor
