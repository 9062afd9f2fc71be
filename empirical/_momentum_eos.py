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
from empirical._optimizer_eos import run_optimizer_eos
from empirical._problem import Problem
from empirical._spec import ProblemSpec
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
    """Loss and sharpness against the step, with (2 + 2 beta)/eta and GD's 2/eta."""
    from pathlib import Path

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 3.8))
    ax.plot(result.loss_steps, result.losses, color="tab:blue", lw=1, label="training loss")
    ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel("training loss", color="tab:blue")
    ax2 = ax.twinx()
    ax2.plot(result.sharp_steps, result.sharpness, color="tab:orange", lw=1.5,
             label="sharpness")
    ax2.axhline(result.threshold, color="tab:orange", ls="--", lw=1,
                label="(2 + 2β)/η (heavy ball)")
    ax2.axhline(2 / result.lr, color="gray", ls=":", lw=1, label="2/η (plain GD)")
    ax2.set_ylabel("sharpness λ_max", color="tab:orange")
    ax2.set_ylim(0, 1.35 * max(result.threshold, float(np.max(result.sharpness))))
    verdict = "edge of stability" if result.verdict.edge_of_stability else "no edge of stability"
    ax.set_title(f"heavy ball η={result.lr:g}, β={result.beta:g}: {verdict}", fontsize=10)
    handles = ax.get_legend_handles_labels()[0] + ax2.get_legend_handles_labels()[0]
    labels = ax.get_legend_handles_labels()[1] + ax2.get_legend_handles_labels()[1]
    ax.legend(handles, labels, loc="center right", fontsize=8)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120, bbox_inches="tight")
    plt.close(fig)
    return path
