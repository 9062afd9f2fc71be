"""Edge of stability beyond GD (issue 13; Section 2.1 with the optimizers of
:mod:`theory.optimizers`).

One full-batch loop for every optimizer (theta_{-1} = theta_0):

* GD:        theta_{t+1} = theta_t - eta g(theta_t)                      (4.1)
* momentum:  theta_{t+1} = theta_t - eta g(theta_t) + beta (theta_t - theta_{t-1})
* Nesterov:  y_t = theta_t + beta (theta_t - theta_{t-1}),  theta_{t+1} = y_t - eta g(y_t)
* SGD:       theta_{t+1} = theta_t - eta (g(theta_t) + sigma xi_t),  xi_t ~ N(0, I) seeded --
  the *additive-noise model* of :class:`theory.optimizers.SGD`, not minibatching: the
  gradient is still the full-batch one and the noise is isotropic Gaussian.

The loss and the sharpness (Lanczos, warm-started) are those of the iterate theta_t (for
Nesterov the gradient is taken at the look-ahead y_t, the loss reported at theta_t).  The
series is judged by :func:`empirical.detect_eos` against the optimizer's threshold on the
sharpness, :func:`theory.optimizers.sharpness_threshold`: 2/eta (GD, SGD), (2 + 2 beta)/eta
(heavy ball), 2(1 + beta)/((1 + 2 beta) eta) (Nesterov).  beta = 0 and sigma = 0 are plain
GD with :func:`empirical.run_gd`'s arithmetic exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from empirical._eigen import lanczos
from empirical._eos import EosVerdict, detect_eos
from empirical._plots import _save, loss_and_sharpness_axes
from empirical._problem import Problem, build_problem
from empirical._spec import ProblemSpec
from empirical.errors import ExperimentError
from theory import validation as v

__all__ = ["OptimizerEosResult", "plot_optimizer_eos", "run_optimizer_eos"]

_LABELS = {"gd": "GD", "momentum": "heavy ball", "nesterov": "Nesterov", "sgd": "SGD"}
_THRESHOLD_LABELS = {"gd": "2/η", "momentum": "(2 + 2β)/η",
                     "nesterov": "2(1 + β)/((1 + 2β)η)", "sgd": "2/η"}


@dataclass(frozen=True)
class OptimizerEosResult:
    """An edge-of-stability run of one optimizer: the series and the verdict against
    ``threshold`` (:func:`theory.optimizers.sharpness_threshold` at ``lr``)."""

    optimizer: str
    lr: float
    beta: float
    sigma: float | None
    seed: int | None
    steps: int
    threshold: float
    loss_steps: np.ndarray
    losses: np.ndarray
    sharp_steps: np.ndarray
    sharpness: np.ndarray
    verdict: EosVerdict

    def summary(self) -> dict:
        out = {"experiment": "eos", "optimizer": self.optimizer, "lr": self.lr,
               "beta": self.beta, "steps": self.steps, "threshold": self.threshold,
               "gd_threshold": 2.0 / self.lr, "verdict": self.verdict.summary(),
               "final_sharpness": float(self.sharpness[-1]),
               "final_loss": float(self.losses[-1])}
        if self.optimizer == "sgd":
            out.update(sigma=self.sigma, seed=self.seed, noise="additive")
        return out

    def write_csv(self, out_dir, name: str) -> dict:
        """``<name>_loss.csv`` (step,loss) and ``<name>_sharpness.csv`` (step,sharpness) in
        ``out_dir``; returns their paths as ``{"loss_csv": ..., "sharpness_csv": ...}``."""
        from pathlib import Path

        from theory.files import atomic_write_text

        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        paths = {}
        for key, steps, values in (("loss", self.loss_steps, self.losses),
                                   ("sharpness", self.sharp_steps, self.sharpness)):
            path = out / f"{name}_{key}.csv"
            rows = [f"step,{key}"] + [f"{int(t)},{float(x)!r}" for t, x in zip(steps, values,
                                                                               strict=True)]
            atomic_write_text(path, "\n".join(rows) + "\n")
            paths[f"{key}_csv"] = str(path)
        return paths


def _check_optimizer(optimizer):
    from theory.optimizers import GD, SGD, HeavyBall, Nesterov

    if not isinstance(optimizer, (GD, HeavyBall, Nesterov, SGD)):
        raise ExperimentError(f"optimizer={optimizer!r} is not a theory.optimizers optimizer "
                              "(GD, HeavyBall, Nesterov or SGD)")
    if isinstance(optimizer, SGD) and optimizer.noise != "additive":
        raise ExperimentError(f"optimizer noise={optimizer.noise!r}: the edge-of-stability "
                              "run takes only SGD's additive Gaussian noise")
    return optimizer


def run_optimizer_eos(spec: ProblemSpec | None = None, *, optimizer, lr: float = 0.3,
                      steps: int = 3000, sharpness_every: int = 20, band: float = 0.1,
                      progress: bool = True, problem: Problem | None = None
                      ) -> OptimizerEosResult:
    """``optimizer`` (a :mod:`theory.optimizers` value object: GD, HeavyBall, Nesterov or SGD
    with additive noise) at constant ``lr``, the sharpness every ``sharpness_every`` steps,
    and the edge-of-stability verdict against its sharpness threshold.  SGD's noise is drawn
    on the CPU from a generator seeded with ``optimizer.seed`` (same seed, same numbers)."""
    from theory.optimizers import sharpness_threshold

    optimizer = _check_optimizer(optimizer)
    lr = v.positive_real("lr", lr, error=ExperimentError)
    steps = v.whole_number("steps", steps, minimum=1, error=ExperimentError)
    sharpness_every = v.whole_number("sharpness_every", sharpness_every, minimum=1,
                                     error=ExperimentError)
    if steps < 2 * sharpness_every:
        raise ExperimentError(f"steps={steps}: need at least 2 * sharpness_every = "
                              f"{2 * sharpness_every} steps for two sharpness measurements")
    threshold = sharpness_threshold(optimizer, lr)
    spec = ProblemSpec() if spec is None else spec
    problem = build_problem(spec) if problem is None else problem
    series = _run(problem, optimizer, lr, steps, sharpness_every, spec.seed, progress)
    loss_steps, losses, sharp_steps, sharpness = series
    # detect_eos judges against 2/lr: hand it the lr at which GD's threshold is ours
    verdict = detect_eos(sharp_steps, sharpness, loss_steps, losses,
                         lr if optimizer.beta == 0 else 2.0 / threshold, band=band)
    stochastic = not optimizer.deterministic
    return OptimizerEosResult(optimizer.name, lr, float(optimizer.beta),
                              optimizer.sigma if stochastic else None,
                              optimizer.seed if stochastic else None, steps, threshold,
                              np.array(loss_steps), np.array(losses), np.array(sharp_steps),
                              np.array(sharpness), verdict)


def _run(problem: Problem, optimizer, lr: float, steps: int, sharpness_every: int,
         lanczos_seed: int, progress: bool):
    import torch
    from tqdm.auto import tqdm

    loss = problem.loss
    kind, beta = optimizer.name, float(optimizer.beta)
    sigma = float(optimizer.sigma) if kind == "sgd" else 0.0
    noise = None
    if kind == "sgd":
        noise = torch.Generator(device="cpu")
        noise.manual_seed(int(optimizer.seed))
    theta = loss.check_vector("theta0", problem.theta0).detach().clone()
    delta: torch.Tensor | None = None  # theta_t - theta_{t-1}
    g: torch.Tensor | None
    v_prev = None
    loss_steps, losses, sharp_steps, sharpness = [], [], [], []
    for t in tqdm(range(steps + 1), desc=f"eos {kind} beta={beta:g}", disable=not progress,
                  leave=False, mininterval=0.5):
        last = t == steps
        look: torch.Tensor | None = (theta + beta * delta if kind == "nesterov" and beta
                                     and delta is not None else None)
        if last:
            value, g = loss.value(theta), None
        elif look is not None:
            value = loss.value(theta)
            g = loss.value_and_grad(look)[1]
        else:
            value, g = loss.value_and_grad(theta)
        if not np.isfinite(value):
            raise ExperimentError(f"lr={lr!r}, beta={beta!r}: {_LABELS[kind]} diverged at step "
                                  f"{t} (loss={value}); take a smaller learning rate")
        loss_steps.append(t)
        losses.append(value)
        if t % sharpness_every == 0 or last:
            est = lanczos(loss.operator(theta), loss.dim, dtype=loss.dtype, device=loss.device,
                          v0=v_prev, seed=lanczos_seed + t)
            v_prev = est.eigenvectors[0]
            sharp_steps.append(t)
            sharpness.append(est.sharpness)
        if last:
            break
        assert g is not None  # the last step broke out above
        if noise is not None:  # additive Gaussian gradient noise (drawn on the CPU)
            xi = torch.randn(loss.dim, generator=noise, dtype=theta.dtype)
            g = g + sigma * xi.to(theta.device)
        if look is not None:
            new = look - lr * g
        elif beta and delta is not None:
            new = theta + (-lr * g + beta * delta)
        else:
            new = theta - lr * g  # GD, SGD and every first step: run_gd's arithmetic
        delta = new - theta
        theta = new
    return loss_steps, losses, sharp_steps, sharpness


def plot_optimizer_eos(result: OptimizerEosResult, path):
    """Loss and sharpness against the step, with the optimizer's threshold and GD's 2/eta."""
    label = _LABELS[result.optimizer]
    fig, ax, ax2 = loss_and_sharpness_axes(result.loss_steps, result.losses,
                                           result.sharp_steps, result.sharpness,
                                           xlabel="step")
    ax2.axhline(result.threshold, color="tab:orange", ls="--", lw=1,
                label=f"{_THRESHOLD_LABELS[result.optimizer]} ({label})")
    if result.threshold != 2 / result.lr:
        ax2.axhline(2 / result.lr, color="gray", ls=":", lw=1, label="2/η (plain GD)")
    ax2.set_ylim(0, 1.35 * max(result.threshold, float(np.max(result.sharpness))))
    verdict = "edge of stability" if result.verdict.edge_of_stability else "no edge of stability"
    setting = f"σ={result.sigma:g}, seed {result.seed}" if result.optimizer == "sgd" \
        else f"β={result.beta:g}"
    ax.set_title(f"{label} η={result.lr:g}, {setting}: {verdict}", fontsize=10)
    handles = ax.get_legend_handles_labels()[0] + ax2.get_legend_handles_labels()[0]
    labels = ax.get_legend_handles_labels()[1] + ax2.get_legend_handles_labels()[1]
    ax.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2,
              fontsize=8, frameon=False)
    return _save(fig, path, dpi=120)
