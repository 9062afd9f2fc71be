"""Checks that supplied derivatives agree with the function (Landscape(gradient=...))."""

from __future__ import annotations

import numpy as np
import sympy as sp

from theory.errors import LandscapeError

#: points at which a supplied gradient is compared with central differences of f
_POINTS = 3
_RTOL = 1e-4


def check_gradient(expr: sp.Expr, variables: tuple[sp.Symbol, ...],
                   gradient: tuple[sp.Expr, ...]) -> None:
    """Raise :class:`LandscapeError` when ``gradient`` is not the gradient of ``expr``.

    Compared with central differences at three seeded points in [-0.9, 0.9]^d; a component
    is wrong only when it disagrees at every point where both are finite (so a kink met by
    chance does not count).
    """
    rng = np.random.default_rng(20220404)
    points = rng.uniform(-0.9, 0.9, size=(_POINTS, len(variables)))
    f = sp.lambdify(variables, expr, modules=["scipy", "numpy"])
    for i, component in enumerate(gradient):
        g = sp.lambdify(variables, component, modules=["scipy", "numpy"])
        disagreements, compared, example = 0, 0, None
        for p in points:
            step = 1e-6 * (1 + abs(p[i]))
            up, down = p.copy(), p.copy()
            up[i] += step
            down[i] -= step
            with np.errstate(all="ignore"):
                try:
                    given = complex(g(*p))
                    slope = (complex(f(*up)) - complex(f(*down))) / (2 * step)
                except (TypeError, ValueError, ZeroDivisionError, OverflowError):
                    continue
            if not (np.isfinite(given) and np.isfinite(slope)):
                continue
            compared += 1
            if abs(given - slope) > _RTOL * (1 + abs(given) + abs(slope)):
                disagreements += 1
                example = (p, given.real, slope.real)
        if compared and disagreements == compared and example is not None:
            p, given, slope = example
            raise LandscapeError(
                f"gradient[{i}]={str(component)[:60]!r} is not d/d{variables[i]} of the "
                f"function: at {np.round(p, 3).tolist()} it is {given:.6g}, while the "
                f"function's slope is {slope:.6g}"
            )
