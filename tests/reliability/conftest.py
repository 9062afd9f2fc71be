"""A fixed memory limit, so that "refused up front" cases do not depend on the machine; the
fresh GRID sweep and a tiny monitor shared by the healing, lock and writer tests."""

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


@pytest.fixture(scope="module")
def tiny_monitor():
    """A SharpnessMonitor after two SGD steps on a 2-parameter linear model."""
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
