"""Certified bifurcation points: Krawczyk on the extended system in (x, eta).

A flip of a p-cycle is a regular zero of

    G(x, eta) = ( g^p(x) - x ,  (g^p)'(x) + 1 )

and a fold of ( g^p(x) - x , (g^p)'(x) - 1 ).  Its Jacobian is
[[D - 1, E], [S, M]] in the notation of :class:`theory.bifurcation.GDMap.jet` (D = (g^p)',
E = d g^p / d eta, S = (g^p)'', M = d (g^p)' / d eta), non-singular exactly when the
bifurcation is transversal (M != 0 or S != 0 with D = -1).  With m the refined zero,
Y ~ J(m)^{-1} and a box Z around m, K(Z) = m - Y G(m) + (I - Y J(Z)) (Z - m) inside the
interior of Z proves one and only one zero of G in Z: an enclosure of eta_k and of a point
of the cycle at eta_k.
"""

from __future__ import annotations

import math

from flint import arb

from theory.bifurcation._intervals import precision
from theory.bifurcation._maps import GDMap

__all__ = ["enclose_bifurcation", "extended_newton"]


def _residual(gmap: GDMap, x, eta, period: int, target: float, balls: bool):
    jet = gmap.jet(x, eta, period, balls=balls)
    value = (jet.value - x, jet.d_x - target)
    jac = ((jet.d_x - 1, jet.d_eta), (jet.d_xx, jet.d_xeta))
    return value, jac


def _solve2(jac, rhs):
    (a, b), (c, d) = jac
    det = a * d - b * c
    return ((d * rhs[0] - b * rhs[1]) / det, (-c * rhs[0] + a * rhs[1]) / det)


def extended_newton(gmap: GDMap, x: float, eta: float, period: int, target: float,
                    steps: int = 40) -> tuple[float, float] | None:
    """Newton in floats on (g^p(x) - x, (g^p)'(x) - target) = 0 (target -1: flip, +1: fold)."""
    for _ in range(steps):
        try:
            value, jac = _residual(gmap, x, eta, period, target, balls=False)
            dx, de = _solve2(jac, value)
        except (OverflowError, ZeroDivisionError, ValueError):
            return None
        x, eta = x - dx, eta - de
        if not (math.isfinite(x) and math.isfinite(eta)):
            return None
        if abs(dx) <= 1e-15 * (1 + abs(x)) and abs(de) <= 1e-15 * (1 + abs(eta)):
            return x, eta
    value, _ = _residual(gmap, x, eta, period, target, balls=False)
    return (x, eta) if max(abs(value[0]), abs(value[1])) < 1e-10 else None


def _interval(ball: arb) -> tuple[float, float]:
    lo, hi = ball.lower(), ball.upper()
    return (math.nextafter(float(lo.mid()) - float(lo.rad()), -math.inf),
            math.nextafter(float(hi.mid()) + float(hi.rad()), math.inf))


def enclose_bifurcation(gmap: GDMap, x: float, eta: float, period: int, target: float
                        ) -> tuple[tuple[float, float], tuple[float, float]] | None:
    """Enclosures ((x_lo, x_hi), (eta_lo, eta_hi)) of the zero near (x, eta), or None."""
    with precision():
        mx, me = arb(x), arb(eta)
        for _ in range(6):  # Newton on midpoints at the working precision
            value, jac = _residual(gmap, mx, me, period, target, balls=True)
            dx, de = _solve2(jac, value)
            mx, me = arb((mx - dx).mid()), arb((me - de).mid())
        value, jac_m = _residual(gmap, mx, me, period, target, balls=True)
        (a, b), (c, d) = ((float(v.mid()) for v in row) for row in jac_m)
        det = a * d - b * c
        if det == 0 or not math.isfinite(det):
            return None
        y = ((arb(d) / det, arb(-b) / det), (arb(-c) / det, arb(a) / det))
        for radius in (1e-30, 1e-24, 1e-18, 1e-13, 1e-9):
            zx = arb(mx.mid(), radius * (1 + abs(x)))
            ze = arb(me.mid(), radius * (1 + abs(eta)))
            _, jz = _residual(gmap, zx, ze, period, target, balls=True)
            # I - Y J(Z)
            r = [[(1 if i == j else 0) - (y[i][0] * jz[0][j] + y[i][1] * jz[1][j])
                  for j in range(2)] for i in range(2)]
            shift = (zx - mx, ze - me)
            k = [(mx, me)[i] - (y[i][0] * value[0] + y[i][1] * value[1])
                 + r[i][0] * shift[0] + r[i][1] * shift[1] for i in range(2)]
            if zx.contains_interior(k[0]) and ze.contains_interior(k[1]):
                return _interval(k[0]), _interval(k[1])
    return None
