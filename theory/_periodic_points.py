"""The period-2 points x_eta of a subquadratic function: eta f'(x) = 2x (Lemma 4.1).

Numerical roots (a geometric scan, Brent's method, mpmath below 1e-7 and a 40-digit Newton
polish), the closed form when sympy finds one (checked against the numerical roots; for f1
the W_{-1} branch of Lambert W) and the vectorised form over many learning rates.  The
functions take a :class:`theory.Subquadratic` ``f``; its methods ``periodic_points``,
``periodic_point_expr`` and ``periodic_point_array`` call them.
"""

from __future__ import annotations

import mpmath
import numpy as np
import sympy as sp
from scipy.optimize import brentq

from theory._symbols import ETA, X_POS
from theory._sympy_utils import time_limit
from theory.errors import NoPeriodicOrbitError

__all__ = ["FLOAT_FLOOR", "closed_form", "roots", "roots_array"]

#: below this, float evaluation of f' loses too many digits; mpmath takes over
FLOAT_FLOOR = 1e-7


def _residual_mp(f, eta: float, x) -> mpmath.mpf:
    """eta f'(x) - 2x at high precision (for x so small that floats lose the digits)."""
    with mpmath.workdps(50):
        return mpmath.mpf(eta) * f._slope_mp(mpmath.mpf(x)) - 2 * mpmath.mpf(x)

def _polish(f, eta: float, root: float) -> float:
    """Three Newton steps on eta f'(x) = 2x at 40 digits (near the threshold the root is
    ill-conditioned in floats); the float root is kept if Newton wanders off."""
    try:
        with mpmath.workdps(40):
            x, e = mpmath.mpf(root), mpmath.mpf(eta)
            for _ in range(3):
                slope = e * f._curvature_mp(x) - 2
                if slope == 0:
                    break
                x -= (e * f._slope_mp(x) - 2 * x) / slope
            polished = float(x)
    except (TypeError, ValueError, ZeroDivisionError):
        return root
    return polished if abs(polished - root) <= 1e-6 * root else root


def roots(f, eta: float, search_max: float) -> tuple[float, ...]:
    """Every root x > 0 of eta f'(x) = 2x found on (0, search_max], in increasing order.

    A root is a sign change of g(x) = eta f'(x) - 2x on a geometric grid, refined by
    Brent's method (mpmath bisection at 50 digits below 1e-7); a sign change across a jump
    of f' (a kink of f) is not a root.  For the functions of Lemma 4.1 there is exactly
    one.  Raises :class:`LearningRateError` for
    eta <= threshold and :class:`NoPeriodicOrbitError` when there is no root.
    """
    grid = np.geomspace(FLOAT_FLOOR, search_max, 1201)
    with np.errstate(all="ignore"):
        g = eta * np.asarray(f._evaluate(1, grid)) - 2 * grid
    finite = np.isfinite(g)
    if not finite.all():  # stop at the first overflow: beyond it we know nothing
        stop = int(np.argmin(finite))
        grid, g = grid[:stop], g[:stop]
    roots: list[float] = []
    if g.size and g[0] <= 0:
        roots.append(_root_below_float_floor(f, eta))
    sign = np.sign(g)
    for i in np.flatnonzero(sign[:-1] * sign[1:] < 0):
        lo, hi = float(grid[i]), float(grid[i + 1])
        roots.append(
            brentq(lambda x: eta * float(f.df(x)) - 2 * x, lo, hi, xtol=1e-300, rtol=1e-15)
        )
    roots += [float(grid[i]) for i in np.flatnonzero(g == 0)]
    roots = [_polish(f, eta, r) for r in roots]
    # a sign change across a jump of f' (a kink of f, e.g. the Section 6 losses) is not a
    # root: keep only points where eta f'(x) = 2x holds to 1e-7 relative
    jumps = [r for r in roots if not abs(eta * float(f.df(r)) - 2 * r) <= 2e-7 * r]
    roots = [r for r in roots if r not in jumps]
    if not roots:
        smallest = float(np.nanmin((g + 2 * grid) / (eta * grid))) if g.size else float("nan")
        jumped = (f"; f'(x) jumps across 2x/eta at x = {jumps[0]:.6g} (a kink of f) without "
                  "a root" if jumps else "")
        raise NoPeriodicOrbitError(
            f"{f.name!r} has no period-2 orbit at eta={eta:g}: h(x) = f'(x)/x never "
            f"equals 2/eta = {2 / eta:.6g} on (0, {search_max:g}] (its smallest value there "
            f"is {smallest:.6g}){jumped}; for example a quadratic has h(x) = f''(0) "
            "everywhere"
        )
    return tuple(sorted(roots))

def _root_below_float_floor(f, eta: float) -> float:
    """The root in (0, 1e-7] (eta just above the threshold), by mpmath bisection."""
    lo, hi = mpmath.mpf(10) ** -300, mpmath.mpf(FLOAT_FLOOR)
    if _residual_mp(f, eta, lo) <= 0:
        raise NoPeriodicOrbitError(
            f"{f.name!r}: eta={eta:g} is so close to the threshold that x_eta < 1e-300"
        )
    with mpmath.workdps(50):
        for _ in range(2000):
            mid = mpmath.sqrt(lo * hi) if hi / lo > 4 else (lo + hi) / 2
            if _residual_mp(f, eta, mid) > 0:
                lo = mid
            else:
                hi = mid
            if hi - lo <= 1e-17 * hi:
                break
    return float((lo + hi) / 2)


def closed_form(f) -> sp.Expr | None:
    candidates: list[sp.Expr] = []
    slope = sp.piecewise_fold(f.branch(1))
    pieces = slope.args if isinstance(slope, sp.Piecewise) else ((slope, True),)
    for piece, _ in pieces:
        try:
            with time_limit(15):
                solutions = sp.solve(sp.Eq(ETA * piece, 2 * X_POS), X_POS)
        except Exception:  # no closed form (NotImplementedError, timeouts, ...)
            continue
        for solution in solutions:
            if solution == 0:
                continue
            candidates.append(solution)
            if solution.has(sp.LambertW):  # the trivial root sits on the principal branch
                candidates.append(
                    solution.replace(
                        lambda e: isinstance(e, sp.LambertW) and len(e.args) == 1,
                        lambda e: sp.LambertW(e.args[0], -1),
                    )
                )
    threshold = float(f.threshold)
    test_etas = [threshold * r for r in (1.3, 2.0, 5.0, 20.0)]
    try:
        expected = [f.periodic_point(e) for e in test_etas]
    except NoPeriodicOrbitError:
        return None
    for candidate in candidates:
        if all(
            _matches(candidate, e, x) for e, x in zip(test_etas, expected, strict=True)
        ):
            return candidate
    return None


def roots_array(f, etas: np.ndarray) -> np.ndarray:
    """x_eta for learning rates all above the threshold (see Subquadratic.periodic_point_array)."""
    closed = f._closed_form_numeric
    if closed is None:
        return np.vectorize(f.periodic_point, otypes=[float])(etas)
    with np.errstate(all="ignore"):
        start = np.real(np.asarray(closed(etas), dtype=complex))
        x = start
        for _ in range(2):
            step = (etas * f.df(x) - 2 * x) / (etas * f.d2f(x) - 2)
            x = np.where(np.isfinite(step), x - step, x)
    # where the closed form was off (near the branch point) solve point by point
    unsure = ~(np.abs(x - start) <= 1e-8 * np.abs(x)) | ~(x > 0)
    if unsure.any():
        x = np.where(unsure, 0.0, x)
        x[unsure] = [f.periodic_point(e) for e in etas[unsure]]
    return x


def _matches(candidate: sp.Expr, eta: float, x_eta: float) -> bool:
    try:
        value = complex(sp.N(candidate.xreplace({ETA: sp.Float(eta, 30)}), 30))
    except (TypeError, ValueError):
        return False
    return abs(value.imag) <= 1e-12 * abs(x_eta) and abs(value.real - x_eta) <= 1e-9 * x_eta
