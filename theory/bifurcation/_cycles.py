"""p-cycles of the GD map: Newton in floats, then a Krawczyk enclosure in balls.

A p-cycle is a zero of F(x) = g^p(x) - x whose orbit x, g(x), ..., g^{p-1}(x) has p
distinct points.  :func:`enclose_cycle` proves it: with m a refined zero, Y = 1/F'(m) and a
ball X around m, the Krawczyk operator K(X) = m - Y F(m) + (1 - Y F'(X)) (X - m) inside the
interior of X proves that F has exactly one zero in X (Krawczyk 1969; Moore, Kearfott &
Cloud, Introduction to Interval Analysis, Sec. 8.2).  The images of X under g, g^2, ... are
balls holding the other points; when they are pairwise disjoint the period is minimal
(a smaller period q | p would put g^q(x) = x back in X).  The multiplier (g^p)'(x) is
enclosed over X, and the cycle is proven stable when that ball lies in (-1, 1).

``eta`` may be a float (taken as exact) or a sympy number / decimal string (enclosed: the
proof then holds for every eta in that ball).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import sympy as sp
from flint import arb

from theory.bifurcation._errors import BifurcationError
from theory.bifurcation._intervals import arb_constant, precision, to_float, width
from theory.bifurcation._maps import GDMap, gd_map
from theory.validation import whole_number

__all__ = ["Cycle", "CycleEnclosure", "enclose_cycle", "find_cycles", "parameter_ball"]


@dataclass(frozen=True)
class Cycle:
    """A p-cycle found numerically: its points (sorted from x0 along the orbit)."""

    eta: float
    period: int
    points: tuple[float, ...]
    multiplier: float

    @property
    def stable(self) -> bool:
        return abs(self.multiplier) < 1


@dataclass(frozen=True)
class CycleEnclosure:
    """A proven p-cycle: ``points[i] = (lo, hi)`` holds g^i(x0); ``multiplier`` (lo, hi).

    ``unique`` -- the only zero of g^p(x) - x in ``points[0]``; ``minimal`` -- the balls are
    pairwise disjoint (the period is exactly p); ``stable`` -- True/False when the multiplier
    ball lies inside/outside [-1, 1], None when it straddles +-1.
    """

    eta: float
    period: int
    points: tuple[tuple[float, float], ...]
    multiplier: tuple[float, float]
    unique: bool
    minimal: bool
    stable: bool | None

    @property
    def width(self) -> float:
        return max(hi - lo for lo, hi in self.points)

    @property
    def midpoints(self) -> tuple[float, ...]:
        return tuple(0.5 * (lo + hi) for lo, hi in self.points)

    def to_dict(self) -> dict:
        return {"eta": self.eta, "period": self.period,
                "points": [list(p) for p in self.points], "multiplier": list(self.multiplier),
                "unique": self.unique, "minimal": self.minimal, "stable": self.stable,
                "width": self.width}


def parameter_ball(eta) -> arb:
    """A ball for eta: a float is exact; a sympy number or a string is enclosed."""
    if isinstance(eta, (float, int, np.floating, np.integer)) and not isinstance(eta, bool):
        if not math.isfinite(float(eta)) or float(eta) <= 0:
            raise BifurcationError(f"eta={eta!r} must be a finite positive number")
        return arb(float(eta))
    try:
        value = sp.nsimplify(sp.sympify(eta), rational=True) if isinstance(eta, str) \
            else sp.sympify(eta)
    except (sp.SympifyError, TypeError, ValueError):
        raise BifurcationError(f"eta={eta!r} is not a number") from None
    if not value.is_number or not value.is_positive:
        raise BifurcationError(f"eta={eta!r} must be a finite positive number")
    return arb_constant(value)


def _newton(gmap: GDMap, x: float, eta: float, period: int, steps: int = 60) -> float | None:
    for _ in range(steps):
        try:
            jet = gmap.jet(x, eta, period)
        except (OverflowError, ZeroDivisionError, ValueError):
            return None
        slope = jet.d_x - 1
        if not (math.isfinite(jet.value) and math.isfinite(slope)) or slope == 0:
            return None
        step = (jet.value - x) / slope
        x -= step
        if abs(step) <= 1e-15 * (1 + abs(x)):
            return x
    return None


def _cycle(gmap: GDMap, x: float, eta: float, period: int) -> Cycle | None:
    jet = gmap.jet(x, eta, period)
    if not abs(jet.value - x) <= 1e-10 * (1 + abs(x)):
        return None
    pts = jet.orbit
    scale = 1e-8 * (1 + max(abs(p) for p in pts))
    for q in range(1, period):  # minimal period: no earlier return
        if period % q == 0 and abs(pts[q] - pts[0]) <= scale:
            return None
    start = int(np.argmin(pts))
    ordered = pts[start:] + pts[:start]
    return Cycle(eta=float(eta), period=period, points=tuple(float(p) for p in ordered),
                 multiplier=float(jet.d_x))


def find_cycles(function, eta: float, period: int, starts=None) -> list[Cycle]:
    """Every p-cycle (minimal period p) that Newton on g^p(x) = x reaches from ``starts``.

    ``starts`` default: 401 points on [-3, 3].  Cycles are returned once each, from the
    most stable.
    """
    period = whole_number("period", period, minimum=1, error=BifurcationError)
    gmap = function if isinstance(function, GDMap) else gd_map(function)
    eta = to_float(parameter_ball(eta))
    grid = np.linspace(-3.0, 3.0, 401) if starts is None else np.asarray(starts, dtype=float)
    found: list[Cycle] = []
    for s in grid.ravel():
        root = _newton(gmap, float(s), eta, period)
        cyc = None if root is None else _cycle(gmap, root, eta, period)
        if cyc is None:
            continue
        if not any(max(abs(a - b) for a, b in zip(c.points, cyc.points, strict=True))
                   <= 1e-8 * (1 + abs(cyc.points[0])) for c in found):
            found.append(cyc)
    return sorted(found, key=lambda c: abs(c.multiplier))


def _bounds(ball: arb) -> tuple[float, float]:
    lo, hi = ball.lower(), ball.upper()
    return (math.nextafter(float(lo.mid()) - float(lo.rad()), -math.inf),
            math.nextafter(float(hi.mid()) + float(hi.rad()), math.inf))


def _refine(gmap: GDMap, m: arb, eta: arb, period: int) -> arb:
    """Newton on the ball midpoints at the working precision."""
    for _ in range(8):
        jet = gmap.jet(m, eta, period, balls=True)
        m = arb((m - (jet.value - m) / (jet.d_x - 1)).mid())
    return m


def enclose_cycle(function, eta, x0: float, period: int) -> CycleEnclosure:
    """Prove a p-cycle through a point near ``x0`` (Krawczyk; see the module docstring).

    Raises :class:`BifurcationError` when no ball up to radius 1e-6 (1 + |x0|) is proven.
    """
    period = whole_number("period", period, minimum=1, error=BifurcationError)
    gmap = function if isinstance(function, GDMap) else gd_map(function)
    with precision():
        eta_ball = parameter_ball(eta)
        start = _newton(gmap, float(x0), to_float(eta_ball), period)
        if start is None:
            raise BifurcationError(f"x0={x0!r}: Newton on g^{period}(x) = x does not converge "
                                   f"at eta={eta!r}")
        m = _refine(gmap, arb(start), eta_ball, period)
        for radius in (1e-30, 1e-24, 1e-18, 1e-14, 1e-10, 1e-6):
            box = arb(m.mid(), radius * (1 + abs(start)))
            jet_m = gmap.jet(m, eta_ball, period, balls=True)
            jet_box = gmap.jet(box, eta_ball, period, balls=True)
            y = 1 / (jet_m.d_x - 1).mid()
            k = m - y * (jet_m.value - m) + (1 - y * (jet_box.d_x - 1)) * (box - m)
            if box.contains_interior(k):
                break
        else:
            raise BifurcationError(f"x0={x0!r}: no Krawczyk enclosure of a {period}-cycle at "
                                   f"eta={eta!r}")
        orbit = gmap.jet(k, eta_ball, period, balls=True)
        balls = list(orbit.orbit)
        minimal = all(not balls[i].overlaps(balls[j])
                      for i in range(period) for j in range(i + 1, period))
        mult = orbit.d_x
        stable = True if (mult > -1 and mult < 1) else (
            False if (mult > 1 or mult < -1) else None)
        assert width(k) < math.inf
        return CycleEnclosure(eta=to_float(eta_ball), period=period,
                              points=tuple(_bounds(b) for b in balls),
                              multiplier=_bounds(mult), unique=True, minimal=minimal,
                              stable=stable)
