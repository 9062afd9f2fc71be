"""Full-batch gradient descent with curvature monitoring and resumable checkpoints.

``theta_{t+1} = theta_t - eta_t grad L(theta_t)``.  Every ``sharpness_every`` steps the top
Hessian eigenvalue at ``theta_t`` is estimated by Lanczos, warm-started from the previous
top eigenvector.  With a checkpoint path the state is saved every ``checkpoint_every``
steps (and on Ctrl-C); running again with the same settings resumes from it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from tqdm.auto import tqdm

from empirical._checkpoint import load_checkpoint, save_checkpoint
from empirical._eigen import lanczos
from empirical._objective import Objective
from empirical.errors import ExperimentError
from theory import validation as v


def _arr(values, dtype=np.float64) -> np.ndarray:
    a = np.array(values, dtype=dtype)
    a.setflags(write=False)
    return a


@dataclass(frozen=True)
class GDTrace:
    """What a gradient-descent run recorded.

    ``losses[i]`` is ``L(theta_t)`` at ``t = loss_steps[i]`` (every step, the last one
    included); ``sharpness[i]`` the top Hessian eigenvalue at ``sharp_steps[i]`` with its
    residual, HVP count and converged flag; ``test_accuracy`` at ``eval_steps``;
    ``snapshots[i]`` the parameters at ``snap_steps[i]`` (CPU); ``final_theta`` the last
    iterate (CPU).
    """

    loss_steps: np.ndarray
    losses: np.ndarray
    lrs: np.ndarray
    sharp_steps: np.ndarray = field(default_factory=lambda: _arr([], np.int64))
    sharpness: np.ndarray = field(default_factory=lambda: _arr([]))
    sharp_residuals: np.ndarray = field(default_factory=lambda: _arr([]))
    sharp_n_hvp: np.ndarray = field(default_factory=lambda: _arr([], np.int64))
    sharp_converged: np.ndarray = field(default_factory=lambda: _arr([], bool))
    eval_steps: np.ndarray = field(default_factory=lambda: _arr([], np.int64))
    test_accuracy: np.ndarray = field(default_factory=lambda: _arr([]))
    snap_steps: np.ndarray = field(default_factory=lambda: _arr([], np.int64))
    snapshots: torch.Tensor | None = None
    final_theta: torch.Tensor | None = None

    def __post_init__(self) -> None:
        if len(self.loss_steps) != len(self.losses):
            raise ExperimentError("loss_steps, losses: lengths differ")
        if len(self.sharp_steps) != len(self.sharpness):
            raise ExperimentError("sharp_steps, sharpness: lengths differ")

    def snapshot_at(self, step: int) -> torch.Tensor:
        """The saved parameters at ``step`` (must be a snapshot step)."""
        hits = np.nonzero(self.snap_steps == step)[0]
        if self.snapshots is None or len(hits) == 0:
            raise ExperimentError(f"step={step}: no snapshot there (snapshots at "
                                  f"{self.snap_steps[:3].tolist()}...)")
        return self.snapshots[int(hits[0])]


_GROUPS = {
    "loss_steps": ("loss_steps", "losses", "lrs"),
    "sharp_steps": ("sharp_steps", "sharpness", "sharp_residuals", "sharp_n_hvp",
                    "sharp_converged"),
    "eval_steps": ("eval_steps", "test_accuracy"),
    "snap_steps": ("snap_steps",),
}


def _lr_fn(lr) -> Callable[[int], float]:
    if callable(lr):
        return lr
    return lambda _t: float(lr)


def run_gd(
    loss: Objective,
    theta0: torch.Tensor,
    *,
    lr: float | Callable[[int], float],
    steps: int,
    start_step: int = 0,
    sharpness_every: int = 0,
    snapshot_every: int = 0,
    eval_every: int = 0,
    evaluate: Callable[[torch.Tensor], float] | None = None,
    checkpoint: Path | None = None,
    config: dict | None = None,
    checkpoint_every: int = 250,
    progress: bool = True,
    seed: int = 0,
    lanczos_tol: float | None = None,
    desc: str = "GD",
) -> GDTrace:
    """Run ``steps`` steps of full-batch GD from ``theta0`` (labelled from ``start_step``).

    Args:
        lr: a constant learning rate or a function ``step -> lr``.
        sharpness_every, snapshot_every, eval_every: record the top Hessian eigenvalue,
            the parameters, and ``evaluate(theta)`` (e.g. test accuracy) every so many
            steps (0 = never); the last step is always recorded.
        checkpoint, config: where to save progress and the settings that identify the
            run (a saved run with other settings is refused).
    Raises:
        ExperimentError: when the loss becomes NaN or infinite (GD diverged).
    """
    if not callable(lr):
        lr = v.positive_real("lr", lr, error=ExperimentError)
    steps = v.whole_number("steps", steps, minimum=1, error=ExperimentError)
    start_step = v.whole_number("start_step", start_step, minimum=0, error=ExperimentError)
    for name, every in (("sharpness_every", sharpness_every), ("snapshot_every", snapshot_every),
                        ("eval_every", eval_every)):
        v.whole_number(name, every, minimum=0, error=ExperimentError)
    checkpoint_every = v.whole_number("checkpoint_every", checkpoint_every, minimum=1,
                                      error=ExperimentError)
    step_fn = _lr_fn(lr)
    end = start_step + steps
    config = dict(config or {}, start_step=start_step, steps=steps,
                  lr=None if callable(lr) else float(lr), sharpness_every=sharpness_every,
                  snapshot_every=snapshot_every, eval_every=eval_every, seed=seed,
                  lanczos_tol=lanczos_tol)
    rec: dict[str, list] = {k: [] for k in (
        "loss_steps", "losses", "lrs", "sharp_steps", "sharpness", "sharp_residuals",
        "sharp_n_hvp", "sharp_converged", "eval_steps", "test_accuracy", "snap_steps")}
    snaps: list[torch.Tensor] = []
    theta = loss.check_vector("theta0", theta0).detach().clone()
    v_prev = None
    t = start_step
    state = load_checkpoint(checkpoint, config)
    if state is not None:
        t = int(state["step"])
        theta = state["theta"].to(device=loss.device, dtype=loss.dtype)
        rec = {k: list(state["records"][k]) for k in rec}
        snaps = list(state["snapshots"]) if state["snapshots"] is not None else []
        v_prev = None if state["v_prev"] is None else state["v_prev"].to(loss.device)

    def save(done: bool, v_start) -> None:
        save_checkpoint(checkpoint, config, {
            "step": t, "theta": theta.cpu(), "records": rec, "done": done,
            "snapshots": torch.stack(snaps) if snaps else None,
            "v_prev": None if v_start is None else v_start.cpu(),
        })

    def trim() -> None:
        """Drop what step ``t`` recorded before an interruption (it is redone on resume)."""
        for steps_key, keys in _GROUPS.items():
            keep = [i for i, s in enumerate(rec[steps_key]) if s < t]
            for key in keys:
                rec[key] = [rec[key][i] for i in keep]
        del snaps[len(rec["snap_steps"]):]

    bar = tqdm(total=steps, initial=t - start_step, desc=desc, disable=not progress,
               leave=False, mininterval=0.5)
    v_start = v_prev
    try:
        while t <= end:
            v_start = v_prev
            since = t - start_step
            if checkpoint is not None and since > 0 and since % checkpoint_every == 0:
                save(False, v_start)
            last = t == end
            if last:
                value = loss.value(theta)
                g = None
            else:
                value, g = loss.value_and_grad(theta)
            if not np.isfinite(value):
                raise ExperimentError(
                    f"lr={step_fn(t)!r}: gradient descent diverged at step {t} (loss={value}); "
                    "take a smaller learning rate")
            rec["loss_steps"].append(t)
            rec["losses"].append(value)
            rec["lrs"].append(step_fn(t))
            if sharpness_every and (since % sharpness_every == 0 or last):
                est = lanczos(loss.operator(theta), loss.dim, dtype=loss.dtype,
                              device=loss.device, v0=v_prev, seed=seed + t, tol=lanczos_tol)
                v_prev = est.eigenvectors[0]
                rec["sharp_steps"].append(t)
                rec["sharpness"].append(est.sharpness)
                rec["sharp_residuals"].append(float(est.residuals[0]))
                rec["sharp_n_hvp"].append(est.n_hvp)
                rec["sharp_converged"].append(bool(est.converged))
            if snapshot_every and (since % snapshot_every == 0 or last):
                rec["snap_steps"].append(t)
                snaps.append(theta.detach().cpu().clone())
            if evaluate is not None and eval_every and (since % eval_every == 0 or last):
                rec["eval_steps"].append(t)
                rec["test_accuracy"].append(float(evaluate(theta)))
            if last:
                t += 1
                break
            assert g is not None  # only the last step has no gradient
            theta, t = theta - step_fn(t) * g, t + 1
            bar.update(1)
    except KeyboardInterrupt:
        if t <= end:
            trim()
            save(False, v_start)
        raise
    finally:
        bar.close()
    t = end + 1
    save(True, v_prev)
    return GDTrace(
        loss_steps=_arr(rec["loss_steps"], np.int64), losses=_arr(rec["losses"]),
        lrs=_arr(rec["lrs"]), sharp_steps=_arr(rec["sharp_steps"], np.int64),
        sharpness=_arr(rec["sharpness"]), sharp_residuals=_arr(rec["sharp_residuals"]),
        sharp_n_hvp=_arr(rec["sharp_n_hvp"], np.int64),
        sharp_converged=_arr(rec["sharp_converged"], bool),
        eval_steps=_arr(rec["eval_steps"], np.int64), test_accuracy=_arr(rec["test_accuracy"]),
        snap_steps=_arr(rec["snap_steps"], np.int64),
        snapshots=torch.stack(snaps) if snaps else None,
        final_theta=theta.detach().cpu().clone(),
    )
