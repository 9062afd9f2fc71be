"""The period-2 points x_eta of a subquadratic function: eta f'(x) = 2x (Lemma 4.1).

Numerical roots over the function's whole scale (a geometric scan of h(x) - 2/eta, h = f'/x,
from 1e-7 to the end of the floats, mpmath wherever a float is not finite, Brent's method or
mpmath bisection on each sign change, a 40-digit Newton polish, and a coarse mpmath scan when
the floats find nothing), the closed form when sympy finds one (checked against the
numerical roots; for f1 the W_{-1} branch of Lambert W) and the vectorised form over many
learning rates.  The functions take a :class:`theory.Subquadratic` ``f``; its methods
``periodic_points``, ``periodic_point_expr`` and ``periodic_point_array`` call them.  The
stability of the orbit is in :mod:`theory._orbit_stability`.
"""

from __future__ import annotations

import itertools
import math

import mpmath
import numpy as np
import sympy as sp
from scipy.optimize import brentq

from theory._symbols import ETA, X_POS
from theory._sympy_utils import time_limit
from theory.errors import NoPeriodicOrbitError

__all__ = ["FLOAT_FLOOR", "FLOAT_TOP", "closed_form", "roots", "roots_array"]

#: below this, float evaluation of f' loses too many digits; mpmath takes over
FLOAT_FLOOR = 1e-7
#: the top of the search: x_eta beyond it is not a float worth reporting
FLOAT_TOP = 1e307
#: grid points per decade of the float scan, and of the mpmath scan run when it finds nothing
PER_DECADE, MP_PER_DECADE = 40, 4
#: at most this many undecided float values of the scan are re-evaluated with mpmath
MP_BUDGET = 1500
#: |eta h(x)/2 - 1| at or below this is float rounding, not a sign
UNRESOLVED = 1e-12


def _residual_mp(f, eta: float, x) -> mpmath.mpf:
    """eta f'(x) - 2x at high precision (no overflow; 50 digits more than -log10(x), so a
    form such as log(1 + x) keeps its digits at x = 1e-300)."""
    x = mpmath.mpf(x)
    digits = 50 + min(max(0, -int(mpmath.log10(x))), 400) if x > 0 else 50
    with mpmath.workdps(digits):
        return mpmath.mpf(eta) * f._slope_mp(x) - 2 * x


def _sign_mp(f, eta: float, x: float) -> float:
    """The sign of eta f'(x) - 2x from mpmath (NaN when mpmath cannot evaluate it)."""
    try:
        value = _residual_mp(f, eta, x)
    except (TypeError, ValueError, ZeroDivisionError, OverflowError):
        return math.nan
    return math.nan if not mpmath.isfinite(value) else float(mpmath.sign(value))


def _h_minus(f, eta: float, x: np.ndarray) -> np.ndarray:
    """eta h(x)/2 - 1 in floats (h = f'/x; same sign as eta f'(x) - 2x, no eta f' to
    overflow), NaN where the float cannot decide its sign: not finite, or within
    :data:`UNRESOLVED` of 0, where cancellation leaves only rounding (eta a hair above the
    threshold: h(x) and 2/eta agree to 17 digits up to x = 1e5 for log cosh(x/1e13))."""
    rel = _rel(f, eta, x)
    return np.where(np.abs(rel) > UNRESOLVED, rel, np.nan)


def _rel(f, eta: float, x: np.ndarray) -> np.ndarray:
    with np.errstate(all="ignore"):
        return eta * (np.asarray(f._evaluate(1, x), dtype=float) / x) / 2 - 1


def _relative_residual(f, eta: float, x: float) -> float:
    """|eta f'(x) / (2x) - 1|, from mpmath (floats may have lost f' at large x without
    overflowing), from floats where mpmath cannot evaluate f'."""
    try:
        with mpmath.workdps(30):
            value = abs(_residual_mp(f, eta, x) / (2 * mpmath.mpf(x)))
        if mpmath.isfinite(value):
            return float(value)
    except (TypeError, ValueError, ZeroDivisionError, OverflowError):
        pass
    with np.errstate(all="ignore"):
        value = float(eta * (float(f._evaluate(1, x)) / x) / 2 - 1)
    return abs(value) if math.isfinite(value) else math.inf


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
    except (TypeError, ValueError, ZeroDivisionError, OverflowError):
        return root
    return polished if abs(polished - root) <= 1e-6 * root else root


def _scan(f, eta: float, top: float) -> tuple[np.ndarray, np.ndarray]:
    """(grid, sign of eta f'(x) - 2x) on a geometric grid over [1e-7, top]; where the float
    does not decide (f' overflowed, or cancellation) mpmath's sign, NaN where neither does."""
    decades = max(math.log10(top) - math.log10(FLOAT_FLOOR), 1.0)
    grid = np.geomspace(FLOAT_FLOOR, top, int(decades * PER_DECADE) + 1)
    sign = np.sign(_h_minus(f, eta, grid))
    bad = np.flatnonzero(~np.isfinite(sign))
    if bad.size:
        chosen = bad[np.unique(np.linspace(0, bad.size - 1, min(bad.size, MP_BUDGET)).astype(int))]
        sign[chosen] = [_sign_mp(f, eta, float(grid[i])) for i in chosen]
    return grid, sign


def _mp_scan(f, eta: float, top: float) -> tuple[np.ndarray, np.ndarray]:
    """A coarse scan with mpmath only (when the floats found no root: f' may be a form that
    loses its value long before it overflows, such as x/sqrt(1 + x**2) = 0 beyond 1e154)."""
    decades = max(math.log10(top) - math.log10(FLOAT_FLOOR), 1.0)
    grid = np.geomspace(FLOAT_FLOOR, top, int(decades * MP_PER_DECADE) + 1)
    return grid, np.array([_sign_mp(f, eta, float(x)) for x in grid])


def _refine(f, eta: float, lo: float, hi: float) -> float:
    """The root in a bracket [lo, hi] of a sign change: Brent's method on floats when they
    are finite across it, mpmath bisection (geometric, then arithmetic) otherwise."""
    ends = _h_minus(f, eta, np.array([lo, hi]))
    if np.all(np.isfinite(ends)) and ends[0] * ends[1] < 0:
        try:
            return brentq(lambda x: float(_rel(f, eta, np.array([x]))[0]), lo, hi,
                          xtol=1e-300, rtol=1e-15)
        except (ValueError, RuntimeError):
            pass
    a, b = mpmath.mpf(lo), mpmath.mpf(hi)
    with mpmath.workdps(50):
        positive_low = _residual_mp(f, eta, a) > 0
        for _ in range(4000):
            mid = mpmath.sqrt(a * b) if b / a > 4 else (a + b) / 2
            if (_residual_mp(f, eta, mid) > 0) == positive_low:
                a = mid
            else:
                b = mid
            if b - a <= 1e-17 * b:
                break
    return float((a + b) / 2)


def _changes(grid: np.ndarray, sign: np.ndarray) -> list[tuple[float, float]]:
    """Brackets of the sign changes, skipping points where the sign is unknown (NaN)."""
    known = np.flatnonzero(np.isfinite(sign) & (sign != 0))
    return [(float(grid[i]), float(grid[j])) for i, j in itertools.pairwise(known)
            if sign[i] != sign[j]]


def roots(f, eta: float, search_max: float | None = None) -> tuple[float, ...]:
    """Every root x > 0 of eta f'(x) = 2x found on (0, search_max] (default: up to 1e307,
    the function's whole scale in floats), in increasing order.

    A root is a sign change of h(x) - 2/eta on a geometric grid (40 points a decade; mpmath
    where a float overflows), refined by Brent's method or mpmath bisection (mpmath below
    1e-7) and polished at 40 digits; a sign change across a jump of f' (a kink of f) is not
    a root.  When the floats find none, a coarse mpmath scan looks again.  For the functions
    of Lemma 4.1 there is exactly one.  Raises :class:`NoPeriodicOrbitError` when there is no
    root (with the reason: none at all, or one beyond the float range).
    """
    top = FLOAT_TOP if search_max is None else float(search_max)
    grid, sign = _scan(f, eta, top)
    found, jumps = _roots_on(f, eta, grid, sign)
    if not found:  # floats may have lost f' without overflowing: look again with mpmath
        grid, sign = _mp_scan(f, eta, top)
        found, jumps = _roots_on(f, eta, grid, sign)
    if not found:
        raise NoPeriodicOrbitError(_no_root_message(f, eta, top, grid, sign, jumps))
    return tuple(sorted(found))


def _roots_on(f, eta: float, grid: np.ndarray, sign: np.ndarray
              ) -> tuple[list[float], list[float]]:
    """(roots, jumps) from the sign changes of a scan."""
    found: list[float] = []
    if np.isfinite(sign[0]) and sign[0] <= 0:
        found.append(_root_below_float_floor(f, eta))
    found += [_refine(f, eta, lo, hi) for lo, hi in _changes(grid, sign)]
    found += [float(grid[i]) for i in np.flatnonzero(sign == 0)]
    found = [_polish(f, eta, r) for r in found]
    # a sign change across a jump of f' (a kink of f, e.g. the Section 6 losses) is not a
    # root: keep only points where eta f'(x) = 2x holds to 1e-7 relative
    jumps = [r for r in found if not _relative_residual(f, eta, r) <= 1e-7]
    return [r for r in found if r not in jumps], jumps


def _no_root_message(f, eta, top, grid, sign, jumps) -> str:
    known = np.flatnonzero(np.isfinite(sign))
    beyond = (f"; h is still above 2/eta at x = {grid[known[-1]]:.6g}, so x_eta, if there is "
              "one, lies beyond the float range (a smaller eta brings it in)"
              if known.size and sign[known[-1]] > 0 and search_whole(top) else "")
    with np.errstate(all="ignore"):
        h = np.asarray(f._evaluate(1, grid), dtype=float) / grid
    finite = h[np.isfinite(h)]
    smallest = float(finite.min()) if finite.size else float("nan")
    jumped = (f"; f'(x) jumps across 2x/eta at x = {jumps[0]:.6g} (a kink of f) without "
              "a root" if jumps else "")
    return (f"{f.name!r} has no period-2 orbit at eta={eta:g}: h(x) = f'(x)/x never "
            f"equals 2/eta = {2 / eta:.6g} on (0, {top:g}] (its smallest value there "
            f"is {smallest:.6g}){jumped}{beyond}; for example a quadratic has h(x) = f''(0) "
            "everywhere")


def search_whole(top: float) -> bool:
    """Whether a search up to ``top`` covers the float range."""
    return top >= FLOAT_TOP


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
