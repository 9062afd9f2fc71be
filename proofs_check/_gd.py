"""Plain numpy gradient descent x_{t+1} = x_t - eta grad f(x_t) (4.1) for the checks.

The checks run small sets of trajectories (tens of starting points, a few thousand steps),
vectorised over the starting points, on the user's own gradient (``Subquadratic.df`` or
``Landscape.gradient``).  They deliberately do not use the compiled simulator
``theory.dynamics``: an independent loop of a few lines is an oracle for that simulator,
needs no compilation, and lets the mutation tests break the gradient in-process.

A trajectory that leaves the floats (|x| > 1e150 or a non-finite value) is frozen at its
last finite point and flagged as diverged, with the step; no NaN is ever returned silently.
A gradient that is NaN at a finite point (a derivative form that overflowed, e.g.
(exp(x**2) tanh(x)) exp(-x**2) = inf * 0 at x = 800) is not a divergence: the trajectory is
frozen there and flagged in ``unrepresentable_at`` instead, so that no verdict is drawn
from a number the floats could not hold (an infinite gradient still counts as diverged).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

#: beyond this norm a trajectory counts as diverged
BLOW_UP = 1e150
#: a NaN gradient met this many times farther out than the start ends a divergence
RAN_OFF = 1e50


@dataclass(frozen=True)
class Run:
    """GD from ``x0`` (shape (N,) or (N, d)): the path (steps + 1, N[, d]) and divergence.

    ``diverged_at[i]`` is the first step at which trajectory i blew up (-1: never); its
    later entries repeat its last finite point.  ``unrepresentable_at[i]``: the first step
    whose gradient was NaN at a finite point (-1: never).
    """

    eta: float
    path: np.ndarray
    diverged_at: np.ndarray
    unrepresentable_at: np.ndarray | None = None

    @property
    def unrepresentable(self) -> np.ndarray:
        """Trajectories stopped by a gradient the floats could not hold."""
        if self.unrepresentable_at is None:
            return np.zeros(self.diverged_at.shape, dtype=bool)
        return self.unrepresentable_at >= 0

    @property
    def final(self) -> np.ndarray:
        return self.path[-1]

    @property
    def diverged(self) -> np.ndarray:
        return self.diverged_at >= 0


def gradient_descent(gradient: Callable[[np.ndarray], np.ndarray], x0, eta: float,
                     steps: int) -> Run:
    """``steps`` GD steps from every starting point in ``x0`` (rows), all at once."""
    x = np.array(x0, dtype=float)
    path = np.empty((steps + 1, *x.shape))
    path[0] = x
    diverged_at = np.full(x.shape[0], -1, dtype=int)
    unrepresentable_at = np.full(x.shape[0], -1, dtype=int)
    alive = np.ones(x.shape[0], dtype=bool)
    start_norm = np.abs(x) if x.ndim == 1 else np.linalg.norm(x, axis=-1)
    for t in range(1, steps + 1):
        with np.errstate(all="ignore"):
            grad = np.asarray(gradient(x), dtype=float)
            step = x - eta * grad
        # NaN (inf/inf, inf * 0, inf - inf) is a form that overflowed; +-inf is a gradient
        # too large for the floats, which the step below reports as a divergence
        nan_grad = np.isnan(grad) if grad.ndim == 1 else np.isnan(grad).any(axis=-1)
        lost = alive & nan_grad & (np.isfinite(x) if x.ndim == 1 else
                                   np.isfinite(x).all(axis=-1))
        # ... unless the trajectory had already run 1e50 times farther than it started:
        # that is a divergence whose gradient then overflowed (fig5.1's far probes)
        norm = np.abs(x) if x.ndim == 1 else np.linalg.norm(x, axis=-1)
        ran_off = lost & (norm > RAN_OFF * np.maximum(start_norm, 1e-300))
        if ran_off.any():
            diverged_at[ran_off] = t
            alive &= ~ran_off
            lost &= ~ran_off
        if lost.any():
            unrepresentable_at[lost] = t
            alive &= ~lost
        norms = np.abs(step) if step.ndim == 1 else np.linalg.norm(step, axis=-1)
        bad = alive & ~(np.isfinite(norms) & (norms <= BLOW_UP))
        if bad.any():
            diverged_at[bad] = t
            alive &= ~bad
        x = np.where(alive if step.ndim == 1 else alive[:, None], step, x)
        path[t] = x
    return Run(float(eta), path, diverged_at, unrepresentable_at)


def distance_to_orbit(x: np.ndarray, x_eta: float) -> np.ndarray:
    """min(|x - x_eta|, |x + x_eta|): the distance to the period-2 orbit {+x_eta, -x_eta}."""
    return np.abs(np.abs(x) - x_eta)


def lyapunov_exponent(d2f: Callable[[np.ndarray], np.ndarray], path: np.ndarray, eta: float,
                      burn_in: int) -> np.ndarray:
    """(1/T) sum_t log|1 - eta f''(x_t)| per 1-D trajectory, after ``burn_in`` steps: the
    growth rate of perturbations (> 0: chaos; < 0: an attracting orbit)."""
    tail = path[burn_in:]
    with np.errstate(all="ignore"):
        logs = np.log(np.abs(1.0 - eta * np.asarray(d2f(tail))))
    finite = np.isfinite(logs)
    counts = finite.sum(axis=0)
    sums = np.where(finite, logs, 0.0).sum(axis=0)
    return np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)


def starting_points(scale: float, count: int, seed: int, dim: int | None = None,
                    spread: tuple[float, float] = (1e-2, 1e2)) -> np.ndarray:
    """Seeded starting points with log-uniform norms in scale * [spread] and random signs
    (1-D) or directions (dim >= 1)."""
    rng = np.random.default_rng(seed)
    radii = scale * np.exp(rng.uniform(np.log(spread[0]), np.log(spread[1]), count))
    if dim is None:
        return radii * rng.choice([-1.0, 1.0], count)
    directions = rng.standard_normal((count, dim))
    directions /= np.linalg.norm(directions, axis=1, keepdims=True)
    return radii[:, None] * directions
