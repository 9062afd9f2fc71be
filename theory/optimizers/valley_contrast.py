"""Remark 4.1 made measurable: GD's flatness-driven drift versus SGD's noise-driven drift
on a valley F(x, y) = f(h(x) y) (Section 4.4; the Fig. 4.2 instance f1(x2/(1 + 0.01 x1))).

* GD above the edge of stability bounces across the valley and drifts to flatter minima
  (4.8) until eta h(x)^2 f''(0) <= 2, then stops (:func:`theory.quasistatic.halting_level`).
* SGD with additive noise across the valley keeps moving towards flatter minima (Remark 4.2's
  drift -(eta sigma^2/4) grad Tr H never vanishes while h varies).
* SGD whose noise vanishes at the minima (``noise="interpolation"``: scale sqrt(2 F)) stops
  once it has converged into the valley (below the edge of stability), while GD above the
  edge still moves: the subquadratic motion does not need noise.

Each run reports the manifold coordinate at the end and its *late motion*
x(T) - x((1 - late_fraction) T), averaged over seeded replicas with a standard error.
Noise is added to the across-valley coordinate y only (as in Remark 4.2).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

from theory.errors import GridError
from theory.optimizers._values import GD, SGD, OptimizerError
from theory.optimizers.noise_drift import REPLICA_BLOCK

__all__ = ["ValleyRun", "run_on_valley", "valley_contrast"]


@dataclass(frozen=True)
class ValleyRun:
    """Summary of one optimizer on a valley (first manifold coordinate x)."""

    label: str
    optimizer: str
    sigma: float
    noise: str
    eta: float
    replicas: int
    steps: int
    x_final: float
    x_final_stderr: float
    late_motion: float
    late_motion_stderr: float
    flatness_final: float
    across_final: float

    def moving(self, k: float = 3.0) -> bool:
        """The late motion is positive by more than k standard errors (and > 1e-9)."""
        return self.late_motion > max(k * self.late_motion_stderr, 1e-9)

    def to_dict(self) -> dict:
        return asdict(self)


def _mean_se(values: np.ndarray) -> tuple[float, float]:
    if values.size < 2:
        return float(values.mean()), 0.0
    return float(values.mean()), float(values.std(ddof=1) / math.sqrt(values.size))


def run_on_valley(valley, optimizer, *, eta: float, x0, steps: int, replicas: int = 1,
                  late_fraction: float = 0.25, label: str = "") -> ValleyRun:
    """Run GD or SGD (seeded) on ``valley`` from ``x0`` and summarise (see module docstring)."""
    if not isinstance(optimizer, (GD, SGD)):
        raise OptimizerError(f"optimizer={optimizer!r}: valley runs take GD or SGD")
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 4:
        raise GridError(f"steps={steps!r} must be a whole number >= 4")
    if not 0 < late_fraction < 1:
        raise GridError(f"late_fraction={late_fraction!r} must lie in (0, 1)")
    landscape = valley.landscape
    x0 = np.asarray(x0, dtype=float)
    if x0.shape != (landscape.dim,):
        raise GridError(f"x0={x0.tolist()} must have {landscape.dim} coordinates")
    if isinstance(optimizer, GD):
        replicas = 1
    late_from = steps - max(1, round(late_fraction * steps))
    finals: list[np.ndarray] = []
    lates: list[np.ndarray] = []
    across: list[np.ndarray] = []
    for start in range(0, replicas, REPLICA_BLOCK):
        block = min(REPLICA_BLOCK, replicas - start)
        rng = None
        sgd = optimizer if isinstance(optimizer, SGD) else None
        if sgd is not None:
            stream = np.random.SeedSequence(sgd.seed, spawn_key=(start // REPLICA_BLOCK,))
            rng = np.random.default_rng(stream)
        theta = np.tile(x0, (block, 1))
        marker = theta[:, 0].copy()
        for t in range(steps):
            step = eta * landscape.gradient(theta)
            if rng is not None and sgd is not None:
                scale = sgd.sigma * eta * rng.standard_normal(block)
                if sgd.noise == "interpolation":
                    scale *= np.sqrt(2 * np.maximum(landscape.value(theta), 0.0))
                step[:, -1] += scale
            theta = theta - step
            if t + 1 == late_from:
                marker = theta[:, 0].copy()
        finals.append(theta[:, 0])
        lates.append(theta[:, 0] - marker)
        across.append(np.abs(theta[:, -1]))
        last = theta
    x_final, x_se = _mean_se(np.concatenate(finals))
    late, late_se = _mean_se(np.concatenate(lates))
    flat = float(np.mean(valley.flatness(last[:, :-1])))
    return ValleyRun(label or optimizer.name, optimizer.name, float(getattr(optimizer, "sigma", 0)),
                     getattr(optimizer, "noise", ""), float(eta), replicas, steps, x_final, x_se,
                     late, late_se, flat, float(np.mean(np.concatenate(across))))


def valley_contrast(valley, *, eta: float = 3.0, small_eta: float = 1.0, x0=(1.0, 1.0),
                    steps: int = 4000, sigma: float = 0.3, replicas: int = 32,
                    seed: int = 0) -> dict[str, ValleyRun]:
    """The runs of Remark 4.1's two contrasts (keys: gd, sgd_additive, gd_small_eta,
    sgd_interpolation_small_eta, sgd_additive_small_eta); see the module docstring."""
    kw = {"x0": x0, "steps": steps}
    return {
        "gd": run_on_valley(valley, GD(), eta=eta, label="GD", **kw),
        "sgd_additive": run_on_valley(valley, SGD(sigma, seed=seed), eta=eta,
                                      replicas=replicas, label="SGD additive", **kw),
        "gd_small_eta": run_on_valley(valley, GD(), eta=small_eta, label="GD small eta", **kw),
        "sgd_interpolation_small_eta": run_on_valley(
            valley, SGD(sigma, seed=seed, noise="interpolation"), eta=small_eta,
            replicas=replicas, label="SGD interpolation small eta", **kw),
        "sgd_additive_small_eta": run_on_valley(
            valley, SGD(sigma, seed=seed), eta=small_eta, replicas=replicas,
            label="SGD additive small eta", **kw),
    }
