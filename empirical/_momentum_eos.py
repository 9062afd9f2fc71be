"""Edge of stability with heavy-ball momentum (issue 13; Section 2.1 beyond GD).

Full-batch heavy ball theta_{t+1} = theta_t - eta grad L(theta_t) + beta (theta_t -
theta_{t-1}) (theta_{-1} = theta_0).  On a quadratic with curvature lambda it is stable only
while lambda < (2 + 2 beta)/eta (:func:`theory.optimizers.threshold`: 2(1+beta)/f''(0)), so
the edge-of-stability prediction is that the sharpness rises to (2 + 2 beta)/eta and hovers
there.  :func:`run_momentum_eos` records the loss every step and the sharpness (Lanczos,
warm-started) every ``sharpness_every`` steps, and judges the series with
:func:`empirical.detect_eos` against (2 + 2 beta)/eta.  beta = 0 is plain GD with the very
same arithmetic as :func:`empirical.run_gd`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from empirical._eigen import lanczos
from empirical._eos import EosVerdict, detect_eos
from empirical._problem import Problem, build_problem
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
    steps = v.whole_number("steps", steps, minimum=1, error=ExperimentError)
    sharpness_every = v.whole_number("sharpness_every", sharpness_every, minimum=1,
                                     error=ExperimentError)
    if steps < 2 * sharpness_every:
        raise ExperimentError(f"steps={steps}: need at least 2 * sharpness_every = "
                              f"{2 * sharpness_every} steps for two sharpness measurements")
    spec = ProblemSpec() if spec is None else spec
    problem = build_problem(spec) if problem is None else problem
    loss = problem.loss
    theta = loss.check_vector("theta0", problem.theta0).detach().clone()
    delta = None  # theta_t - theta_{t-1}
    v_prev = None
    loss_steps, losses, sharp_steps, sharpness = [], [], [], []
    from tqdm.auto import tqdm

    for t in tqdm(range(steps + 1), desc=f"eos beta={beta:g}", disable=not progress,
                  leave=False, mininterval=0.5):
        last = t == steps
        if last:
            value, g = loss.value(theta), None
        else:
            value, g = loss.value_and_grad(theta)
        if not np.isfinite(value):
            raise ExperimentError(f"lr={lr!r}, beta={beta!r}: heavy ball diverged at step {t} "
                                  f"(loss={value}); take a smaller learning rate")
        loss_steps.append(t)
        losses.append(value)
        if t % sharpness_every == 0 or last:
            est = lanczos(loss.operator(theta), loss.dim, dtype=loss.dtype, device=loss.device,
                          v0=v_prev, seed=spec.seed + t)
            v_prev = est.eigenvectors[0]
            sharp_steps.append(t)
            sharpness.append(est.sharpness)
        if last:
            break
        step = -lr * g
        if beta and delta is not None:
            step = step + beta * delta
        new = theta + step if beta else theta - lr * g  # beta = 0: run_gd's arithmetic
        delta = new - theta
        theta = new
    verdict = detect_eos(sharp_steps, sharpness, loss_steps, losses, lr / (1.0 + beta),
                         band=band)  # threshold 2/(lr/(1+beta)) = (2 + 2 beta)/lr
    return MomentumEosResult(lr, beta, steps, np.array(loss_steps), np.array(losses),
                             np.array(sharp_steps), np.array(sharpness), verdict)


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
