"""The GD map of a 1-D function, its iterates with derivatives, in floats or in balls.

:class:`GDMap` holds f', f'', f''' twice: as float functions (``math``, for Newton and
continuation) and as ball functions (python-flint ``arb``, for certificates).  :meth:`jet`
runs p steps of g(x, eta) = x - eta f'(x) from x0 carrying, by the chain rule,

* X = g^p(x0), D = dX/dx0 (the multiplier of a p-cycle), E = dX/deta,
* S = d^2X/dx0^2 and M = d^2X/dx0 deta,

everything the Newton steps, the extended flip system and its Krawczyk operator need.
The same code runs on floats and balls (only +, -, * and the derivative functions).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sympy as sp

from theory._sympy_utils import derivative
from theory.bifurcation._errors import BifurcationError
from theory.bifurcation._intervals import arb_function
from theory.resolver import as_landscape

__all__ = ["GDMap", "Jet", "gd_map"]


@dataclass(frozen=True)
class Jet:
    """g^p at (x0, eta) with its derivatives (floats or balls); ``orbit`` x0 .. x_{p-1}."""

    value: Any
    d_x: Any
    d_eta: Any
    d_xx: Any
    d_xeta: Any
    orbit: tuple


class GDMap:
    """g(x) = x - eta f'(x) for a 1-D sympy expression ``expr`` in ``x``."""

    def __init__(self, expr: sp.Expr, x: sp.Symbol, name: str | None = None):
        self.expr, self.x, self.name = expr, x, name or sp.sstr(expr)
        self.derivatives = tuple(derivative(expr, *([x] * k)) for k in (1, 2, 3))
        self._float = tuple(sp.lambdify(x, d, modules=["math"]) for d in self.derivatives)
        self._ball: tuple[Callable, ...] | None = None

    @property
    def ball_functions(self) -> tuple[Callable, ...]:
        if self._ball is None:
            self._ball = tuple(arb_function(d, [self.x]) for d in self.derivatives)
        return self._ball

    def step(self, x: float, eta: float) -> float:
        """One GD step in floats."""
        return x - eta * self._float[0](x)

    def iterate(self, x: float, eta: float, steps: int) -> float:
        d1 = self._float[0]
        for _ in range(steps):
            x = x - eta * d1(x)
            if not math.isfinite(x):
                return math.nan
        return x

    def jet(self, x0, eta, period: int, *, balls: bool = False) -> Jet:
        """g^p(x0) and its first and mixed second derivatives (see the module docstring)."""
        d1, d2, d3 = self.ball_functions if balls else self._float
        x, dx, de, dxx, dxe = x0, 1, 0, 0, 0
        orbit = []
        for _ in range(period):
            orbit.append(x)
            f1, f2, f3 = d1(x), d2(x), d3(x)
            gx = 1 - eta * f2                       # dg/dx
            gxx = -eta * f3                         # d2g/dx2
            # order matters: the updates use the values at the previous step
            dxe = (-f2 + gxx * de) * dx + gx * dxe  # d/deta of (g'(x_i) dx)
            dxx = gxx * dx * dx + gx * dxx
            de = gx * de - f1
            dx = gx * dx
            x = x - eta * f1
        return Jet(x, dx, de, dxx, dxe, tuple(orbit))


def gd_map(function) -> GDMap:
    """The :class:`GDMap` of a one-variable function-like value."""
    land = as_landscape(function)
    if len(land.variables) != 1:
        raise BifurcationError(f"function={land.name or sp.sstr(land.expr)[:60]!r} has "
                               f"{len(land.variables)} variables; cycles and continuation "
                               "are one-dimensional")
    return GDMap(land.expr, land.variables[0], land.name)
