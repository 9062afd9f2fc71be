"""Single gradient-descent paths in plain numpy, x_{t+1} = x_t - eta_t grad f(x_t) (4.1).

For one or a few trajectories (the paper's figures); grids of initial points and learning
rates belong to the compiled simulator :mod:`theory.dynamics`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

import numpy as np

from theory.errors import GridError
from theory.landscape import Landscape
from theory.subquadratic import _validated_eta


@dataclass(frozen=True)
class GDPath:
    """Iterates ``x`` (T+1, d), losses ``loss`` (T+1,) and the rates used ``eta`` (T,)."""

    x: np.ndarray
    loss: np.ndarray
    eta: np.ndarray


def as_landscape(function) -> Landscape:
    """A Landscape from a Landscape, a Subquadratic or a catalog object with ``.landscape``."""
    if isinstance(function, Landscape):
        return function
    landscape = getattr(function, "landscape", None)
    if isinstance(landscape, Landscape):
        return landscape
    raise GridError(f"function={function!r} is not a landscape")


def rate_schedule(rates: Sequence[float] | float, boundaries: Sequence[int], steps: int
                  ) -> np.ndarray:
    """eta_t for t < steps: ``rates[j]`` from step ``boundaries[j-1]`` on (piecewise constant)."""
    rates = [rates] if np.isscalar(rates) else list(rates)
    etas = [_validated_eta(r) for r in rates]
    bounds = [int(b) for b in boundaries]
    if len(etas) != len(bounds) + 1:
        raise GridError(f"rates={rates} needs exactly one entry more than boundaries={bounds}")
    if any(b <= 0 for b in bounds) or any(b1 <= b0 for b0, b1 in pairwise(bounds)):
        raise GridError(f"boundaries={bounds} must be positive and strictly increasing")
    if int(steps) != steps or steps < 1:
        raise GridError(f"steps={steps!r} must be a positive integer")
    t = np.arange(int(steps))
    return np.asarray(etas)[np.searchsorted(bounds, t, side="right")]


def gd_path(function, x0, rates: Sequence[float] | float, steps: int,
            boundaries: Sequence[int] = ()) -> GDPath:
    """Run GD (4.1) from ``x0`` with piecewise-constant rates; stops early if it overflows."""
    landscape = as_landscape(function)
    etas = rate_schedule(rates, boundaries, steps)
    point = np.asarray(x0, dtype=float).reshape(-1)
    if point.shape != (landscape.dim,) or not np.all(np.isfinite(point)):
        raise GridError(f"x0={x0!r} must be {landscape.dim} finite coordinate(s)")
    xs = np.empty((len(etas) + 1, landscape.dim))
    xs[0] = point
    for t, eta in enumerate(etas):
        xs[t + 1] = xs[t] - eta * landscape.gradient(xs[t])
    return GDPath(xs, landscape.value(xs), etas)
