"""Single gradient-descent paths in plain numpy, x_{t+1} = x_t - eta_t grad f(x_t) (4.1).

For one or a few trajectories (the paper's figures); grids of initial points and learning
rates belong to the compiled simulator :mod:`theory.dynamics`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from theory.errors import GridError
from theory.resolver import as_landscape
from theory.schedule import Schedule
from theory.subquadratic import _validated_eta


@dataclass(frozen=True)
class GDPath:
    """Iterates ``x`` (T+1, d), losses ``loss`` (T+1,) and the rates used ``eta`` (T,)."""

    x: np.ndarray
    loss: np.ndarray
    eta: np.ndarray


def gd_path(function, x0, eta: float, steps: int, schedule: Schedule | None = None) -> GDPath:
    """Run GD (4.1) from ``x0`` at learning rate ``eta`` (times ``schedule``'s factors).

    ``function``: anything :func:`theory.resolver.as_landscape` accepts.  Non-finite
    iterates are kept as they come (a diverging path ends in inf/nan).
    """
    landscape = as_landscape(function)
    eta = _validated_eta(eta)
    if isinstance(steps, bool) or int(steps) != steps or steps < 1:
        raise GridError(f"steps={steps!r} must be a positive integer")
    etas = (schedule or Schedule()).rates(eta, int(steps))
    point = np.asarray(x0, dtype=float).reshape(-1)
    if point.shape != (landscape.dim,) or not np.all(np.isfinite(point)):
        raise GridError(f"x0={x0!r} must be {landscape.dim} finite coordinate(s)")
    xs = np.empty((len(etas) + 1, landscape.dim))
    xs[0] = point
    with np.errstate(all="ignore"):
        for t, rate in enumerate(etas):
            xs[t + 1] = xs[t] - rate * landscape.gradient(xs[t])
    return GDPath(xs, landscape.value(xs), etas)
