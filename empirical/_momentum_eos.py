"""Edge of stability with heavy-ball momentum (issue 13; Section 2.1 beyond GD).

Full-batch heavy ball theta_{t+1} = theta_t - eta grad L(theta_t) + beta (theta_t -
theta_{t-1}) (theta_{-1} = theta_0).  On a quadratic with curvature lambda it is stable only
while lambda < (2 + 2 beta)/eta (:func:`theory.optimizers.threshold`: 2(1+beta)/f''(0)), so
the edge-of-stability prediction is that the sharpness rises to (2 + 2 beta)/eta and hovers
there.  :func:`run_momentum_eos` records the loss every step and the sharpness (Lanczos,
warm-started) every ``sharpness_every`` steps, and judges the series with
:func:`empirical.detect_eos` against (2 + 2 beta)/eta.  beta = 0 is plain GD with the very
same arithmetic as :func:`empirical.run_gd`.  It is the heavy-ball case of
:func:`empirical.run_optimizer_eos` (which also runs Nesterov and SGD), kept with its own
result type.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from empirical._eos import EosVerdict
from empirical._optimizer_eos import OptimizerEosResult, plot_optimizer_eos, run_optimizer_eos
from empirical._problem import Problem
from empirical._spec import ProblemSpec
from empirical._threads import with_library_threads
from empirical.errors import ExperimentError
from theory import validation as v

__all__ = ["MomentumEosResult", "plot_momentum_eos", "run_momentum_eos"]


@dataclass(frozen=True)
class MomentumEosResult:
    """A heavy-ball edge-of-stability run: the series and the verdict against
    (2 + 2 beta)/eta."""

    lr: float
    beta: float
    steps: int
    loss_steps: np.ndarray
    losses: np.ndarray
    sharp_steps: np.ndarray
    sharpness: np.ndarray
    verdict: EosVerdict

    @property
    def threshold(self) -> float:
        """(2 + 2 beta)/eta."""
        return (2.0 + 2.0 * self.beta) / self.lr

    def summary(self) -> dict:
        return {"experiment": "eos", "optimizer": "momentum" if self.beta else "gd",
                "lr": self.lr, "beta": self.beta, "steps": self.steps,
                "threshold": self.threshold, "verdict": self.verdict.summary(),
                "final_sharpness": float(self.sharpness[-1]),
                "final_loss": float(self.losses[-1])}


@with_library_threads
def run_momentum_eos(spec: ProblemSpec | None = None, *, lr: float = 0.3, beta: float = 0.5,
                     steps: int = 3000, sharpness_every: int = 20, band: float = 0.1,
                     progress: bool = True, problem: Problem | None = None
                     ) -> MomentumEosResult:
    """Heavy ball at constant ``lr`` and ``beta`` with the sharpness every ``sharpness_every``
    steps, and the edge-of-stability verdict against (2 + 2 beta)/lr."""
    from theory.optimizers import HeavyBall, OptimizerError

    lr = v.positive_real("lr", lr, error=ExperimentError)
    try:
        beta = HeavyBall(beta).beta
    except OptimizerError as exc:
        raise ExperimentError(str(exc)) from None
    run = run_optimizer_eos(spec, optimizer=HeavyBall(beta), lr=lr, steps=steps,
                            sharpness_every=sharpness_every, band=band, progress=progress,
                            problem=problem)
    return MomentumEosResult(lr, beta, steps, run.loss_steps, run.losses, run.sharp_steps,
                             run.sharpness, run.verdict)


def plot_momentum_eos(result: MomentumEosResult, path):
    """Loss and sharpness against the step with (2 + 2 beta)/eta and GD's 2/eta (drawn by
    :func:`plot_optimizer_eos`)."""
    run = OptimizerEosResult("momentum", result.lr, result.beta, None, None, result.steps,
                             result.threshold, result.loss_steps, result.losses,
                             result.sharp_steps, result.sharpness, result.verdict)
    return plot_optimizer_eos(run, path)
