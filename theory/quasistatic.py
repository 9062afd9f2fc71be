"""The quasistatic flow along a valley of minima (Section 4.4, equations (4.6)-(4.8)).

On F(x, y) = f(h(x) y) GD at learning rate eta bounces across the valley.  Assuming y sits
on the period-2 orbit of the one-dimensional map for the current x (4.7),

    eta f'(h(x) y) h(x) = 2 y   <=>   h y = x_{eta h^2}(f),

i.e. u = h y is the period-2 point of f at the effective learning rate eta h(x)^2, and the
motion along the manifold is (4.8)

    x_{t+1} = x_t - 2 y_t^2 grad log h(x_t):

GD on log h, driven by the oscillation.  The orbit, hence the motion, exists only while
eta h(x)^2 f''(0) > 2; the flow halts where eta h(x)^2 f''(0) <= 2.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from theory.catalog import Valley
from theory.errors import GridError
from theory.subquadratic import _validated_eta


@dataclass(frozen=True)
class QuasistaticTrajectory:
    """x_t (shape (T+1, d)), |y_t| (T+1,), h(x_t) (T+1,) of the flow (4.8).

    ``halted_at`` is the first step at which eta h(x_t)^2 f''(0) <= 2 (None if never):
    from there on the flow does not move.
    """

    eta: float
    x: np.ndarray
    y: np.ndarray
    h: np.ndarray
    halted_at: int | None
    halting_level: float


def halting_level(valley: Valley, eta) -> float:
    """The flatness sqrt(2/(eta f''(0))) at and below which the flow (4.8) stops."""
    eta = _validated_eta(eta)
    return float(np.sqrt(float(valley.f.threshold) / eta))


def is_halted(valley: Valley, x, eta) -> np.ndarray:
    """eta h(x)^2 f''(0) <= 2: no period-2 orbit across the valley, the flow stops."""
    eta = _validated_eta(eta)
    h = valley.flatness(np.asarray(x, dtype=float))
    return eta * h**2 * float(valley.f.curvature_at_zero) <= 2


def amplitude(valley: Valley, x, eta) -> np.ndarray:
    """|y(x)|: the half-width of the period-2 orbit across the valley at manifold points x.

    Solves eta f'(h y) h = 2 y (4.7): y = x_{eta h^2}(f) / h, and 0 where the flow halts.
    ``x`` has shape (..., d).
    """
    eta = _validated_eta(eta)
    x = np.asarray(x, dtype=float)
    h = valley.flatness(x)
    effective = eta * h**2
    alive = effective > float(valley.f.threshold)
    y = np.zeros(h.shape)
    if np.any(alive):
        y[alive] = valley.f.periodic_point_array(effective[alive]) / h[alive]
    return y


def quasistatic_flow(valley: Valley, x0, eta, steps: int) -> QuasistaticTrajectory:
    """Iterate (4.8), x_{t+1} = x_t - 2 y(x_t)^2 grad log h(x_t), for ``steps`` steps."""
    eta = _validated_eta(eta)
    if int(steps) != steps or steps < 1:
        raise GridError(f"steps={steps!r} must be a positive integer")
    d = len(valley.x)
    point = np.asarray(x0, dtype=float).reshape(-1)
    if point.shape != (d,) or not np.all(np.isfinite(point)):
        raise GridError(f"x0={x0!r} must be {d} finite manifold coordinate(s)")
    xs = np.empty((int(steps) + 1, d))
    ys = np.empty(int(steps) + 1)
    xs[0] = point
    halted_at = None
    for t in range(int(steps) + 1):
        y = float(amplitude(valley, xs[t], eta))
        ys[t] = y
        if y == 0.0 and halted_at is None:
            halted_at = t
        if t == steps:
            break
        xs[t + 1] = xs[t] - 2 * y**2 * valley.grad_log_h(xs[t])
    return QuasistaticTrajectory(eta, xs, ys, valley.flatness(xs), halted_at,
                                 halting_level(valley, eta))
