"""Fixtures of the empirical tests: one torch thread, seeded, tiny problems.

One thread: the models are tiny, and several OpenMP threads on a busy 2-core machine
are far slower than one.  The setting is process-wide (OpenMP), so it is made for each
empirical test and undone after it: set at import, it left every later test of the session,
such as the OpenMP C reference of the simulator benchmark, on one core.
"""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("sklearn")

torch.use_deterministic_algorithms(True)


@pytest.fixture(autouse=True)
def _seed_torch():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="session")
def tiny_spec():
    """A 40-example digits problem with a 2 x 6 tanh MLP in float64 (dim 502)."""
    from empirical import ProblemSpec

    return ProblemSpec(n_train=40, n_test=10, width=6, depth=2, dtype="float64")


@pytest.fixture(scope="session")
def tiny_problem(tiny_spec):
    from empirical import build_problem

    return build_problem(tiny_spec)


#: the CI-sized edge-of-stability setting: 100 digits, tanh MLP 2 x 16, eta = 0.5
CI_EOS = dict(n_train=100, n_test=0, width=16)
CI_LR = 0.5
CI_STEPS = 600
