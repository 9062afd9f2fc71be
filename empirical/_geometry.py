"""Experiment 6, geometry along the GD path (Guille-Escuret et al.; Definition 4.1).

Along a training path ``theta_t`` with end point ``theta*``:

* ``RSI(theta) = <g, theta - theta*> / ||theta - theta*||^2`` (restricted secant
  inequality),
* ``EB(theta) = ||g|| / ||theta - theta*||`` (error bound),
* ``c(theta) = <g, theta - theta*> / (||g|| ||theta - theta*||)``: the cosine of
  Definition 4.1, whose inequality ``grad f(x)^T (x - x*) >= c ||grad f(x)|| ||x - x*||``
  holds along the path with the constant ``c = min_t c(theta_t)`` when that is positive.

``theta*`` is the point the run settles to: the last iterate refined by GD with a smaller
step (``refine_lr``), so that it sits at the bottom of the valley in which GD at the edge
of stability oscillates rather than on one of its walls.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from empirical._gd import run_gd
from empirical._objective import Objective
from empirical.errors import ExperimentError
from theory import validation as v


def _frozen(a) -> np.ndarray:
    a = np.array(a, dtype=np.float64)
    a.setflags(write=False)
    return a


@dataclass(frozen=True)
class GeometryResult:
    """RSI, EB and Definition 4.1's cosine along a path (``steps`` label the points).

    ``c_min`` is the measured constant of Definition 4.1 on the path (the inequality holds
    with ``c = c_min`` when ``c_min > 0``); ``c_positive_fraction`` the fraction of points
    with ``c > 0``; ``distance`` is ``||theta_t - theta*||``.
    """

    steps: np.ndarray
    rsi: np.ndarray
    eb: np.ndarray
    cosine: np.ndarray
    distance: np.ndarray
    grad_norm: np.ndarray
    loss_star: float
    grad_norm_star: float

    def __post_init__(self) -> None:
        for f in ("steps", "rsi", "eb", "cosine", "distance", "grad_norm"):
            object.__setattr__(self, f, _frozen(getattr(self, f)))
        if len(self.steps) == 0:
            raise ExperimentError("path: no point far enough from theta* to measure")

    @property
    def c_min(self) -> float:
        return float(self.cosine.min())

    @property
    def c_positive_fraction(self) -> float:
        return float(np.mean(self.cosine > 0))

    @property
    def definition_4_1_holds(self) -> bool:
        """Definition 4.1's inequality holds at every path point with ``c = c_min > 0``."""
        return self.c_min > 0

    def summary(self) -> dict:
        def q(a):
            return {"min": float(a.min()), "median": float(np.median(a)), "max": float(a.max())}

        return {
            "experiment": "geometry", "n_points": len(self.steps),
            "c_min": self.c_min, "c_median": float(np.median(self.cosine)),
            "c_positive_fraction": self.c_positive_fraction,
            "definition_4_1_holds": self.definition_4_1_holds,
            "rsi": q(self.rsi), "eb": q(self.eb),
            "loss_star": self.loss_star, "grad_norm_star": self.grad_norm_star,
        }


def refine_minimum(loss: Objective, theta: torch.Tensor, *, lr: float, steps: int = 500,
                   progress: bool = False) -> torch.Tensor:
    """``theta`` after ``steps`` GD steps at ``lr`` (a small step: settle into the valley)."""
    lr = v.positive_real("refine_lr", lr, error=ExperimentError)
    steps = v.whole_number("refine_steps", steps, minimum=1, error=ExperimentError)
    trace = run_gd(loss, theta, lr=lr, steps=steps, progress=progress, desc="refine")
    assert trace.final_theta is not None  # run_gd always sets it
    return trace.final_theta.to(device=loss.device, dtype=loss.dtype)


def path_geometry(loss: Objective, steps, thetas: torch.Tensor, theta_star: torch.Tensor, *,
                  min_distance: float = 1e-8) -> GeometryResult:
    """RSI, EB and the cosine ``c`` at each path point ``thetas[i]`` (labelled ``steps[i]``).

    Points closer than ``min_distance * (1 + ||theta*||)`` to ``theta*`` are skipped.
    """
    steps = np.asarray(steps)
    if thetas.ndim != 2 or thetas.shape[0] != len(steps):
        raise ExperimentError(f"thetas: expected ({len(steps)}, dim) points, got "
                              f"{tuple(thetas.shape)}")
    theta_star = loss.check_vector("theta_star", theta_star).detach()
    loss_star, g_star = loss.value_and_grad(theta_star)
    out: dict[str, list[float]] = {
        k: [] for k in ("steps", "rsi", "eb", "cosine", "distance", "grad_norm")}
    floor = min_distance * (1.0 + float(theta_star.norm()))
    for step, th in zip(steps, thetas, strict=True):
        th = th.to(device=loss.device, dtype=loss.dtype)
        diff = th - theta_star
        dist = float(diff.norm())
        if dist <= floor:
            continue
        g = loss.grad(th)
        gn = float(g.norm())
        inner = float(g @ diff)
        out["steps"].append(int(step))
        out["rsi"].append(inner / dist**2)
        out["eb"].append(gn / dist)
        out["cosine"].append(inner / (gn * dist) if gn > 0 else 0.0)
        out["distance"].append(dist)
        out["grad_norm"].append(gn)
    return GeometryResult(**{k: np.array(a) for k, a in out.items()}, loss_star=loss_star,
                          grad_norm_star=float(g_star.norm()))
