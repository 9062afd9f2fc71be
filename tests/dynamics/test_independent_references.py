"""The package's deliberately independent GD loops agree with the iterated-map core (issue
19; docs/architecture.md, "Independent references"): ``proofs_check._gd.gradient_descent``
(the claim checks' numpy oracle) and ``empirical.run_gd`` (full-batch GD on a torch
objective) against :func:`theory.dynamics.simulate`'s recorded iterates."""

from __future__ import annotations

import numpy as np
import pytest

from theory.dynamics import simulate

EXPR = "log(cosh(x)) + x**2/10"
ETA = np.array([0.5, 1.9])
X0 = np.array([-2.0, 0.3, 1.7])
STEPS = 30


def _core_tail(engine: str = "numpy") -> np.ndarray:
    r = simulate(EXPR, ETA, X0, STEPS, keep_last=STEPS + 1, early_exit=False,
                 lyapunov=False, engine=engine, progress=False)
    return r.tail[..., 0]  # (eta, x0, t)


def test_proofs_check_loop_matches_the_core():
    from proofs_check._gd import gradient_descent

    def fprime(x):
        return np.tanh(x) + x / 5

    core = _core_tail()
    for i, eta in enumerate(ETA):
        run = gradient_descent(fprime, X0, float(eta), STEPS)
        np.testing.assert_allclose(run.path.T, core[i], rtol=1e-13, atol=1e-15)


def test_empirical_run_gd_matches_the_core():
    torch = pytest.importorskip("torch")
    from empirical._gd import run_gd
    from empirical._objective import Objective

    class Scalar(Objective):
        dim = 1
        dtype = torch.float64
        device = torch.device("cpu")

        def _pieces(self):
            yield 1.0, lambda th: torch.log(torch.cosh(th[0])) + th[0] ** 2 / 10

    core = _core_tail()
    for i, eta in enumerate(ETA):
        for j, x in enumerate(X0):
            trace = run_gd(Scalar(), torch.tensor([float(x)], dtype=torch.float64),
                           lr=float(eta), steps=STEPS, progress=False)
            assert float(trace.final_theta[0]) == pytest.approx(core[i, j, -1], rel=1e-12,
                                                               abs=1e-14)
