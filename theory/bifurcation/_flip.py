"""The flip (period-doubling) coefficient of GD at a minimum, and its certified sign.

GD on f is the map g(x) = x - eta f'(x).  At a non-degenerate minimum x* (f'(x*) = 0,
f''(x*) > 0) the multiplier g'(x*) = 1 - eta f''(x*) passes -1 at eta* = 2/f''(x*): a flip.
Kuznetsov's normal form (Elements of Applied Bifurcation Theory, Thm 4.3) of
u -> -u + a u^2 + b u^3 has the cubic coefficient c = a^2 + b; here a = -eta f'''/2 and
b = -eta f''''/6, so at eta*

    c = (3 f'''^2 - f'' f'''') / (3 f''^2),

and the period-2 orbit born at eta* is stable and exists for eta > eta* (supercritical) iff
Q = 3 f'''(x*)^2 - f''(x*) f''''(x*) > 0; unstable, for eta < eta*, iff Q < 0.  For an even
f (x* = 0, f''' = 0) this is f''''(0) < 0: the local content of the paper's Lemma 4.1.

In d dimensions the centre direction is the unit eigenvector v of the top Hessian eigenvalue
lambda (simple); on the centre manifold the same coefficient is (Kuznetsov, Sec. 5.4)
c = <v, C(v,v,v)>/6 + <v, B(v, (I - A)^{-1} B(v,v))>/2 with A = I - eta H,
B = -eta D^3 f, C = -eta D^4 f, which gives Q = lambda (3 w^T H^{-1} w - D^4 f[v,v,v,v]) with
w = D^3 f[v,v,.] (equal to the 1-D Q when d = 1).  See docs/bifurcation.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import sympy as sp
from flint import arb

from theory._sympy_utils import derivative
from theory.bifurcation._errors import BifurcationError
from theory.bifurcation._intervals import (
    arb_constant,
    precision,
    taylor_derivatives,
    to_float,
)
from theory.resolver import as_landscape

__all__ = ["FlipCriterion", "flip_criterion", "flip_quantity"]

VERDICTS = ("supercritical", "subcritical", "degenerate")


@dataclass(frozen=True)
class FlipCriterion:
    """The flip at eta* = 2/lambda of GD at the minimum ``minimum``.

    ``quantity`` is Q (see the module docstring), ``quantity_enclosure`` a certified
    interval (lo, hi) holding it, ``coefficient`` the normal-form c = Q / (3 lambda^2);
    ``verdict`` is "supercritical" (stable 2-cycle for eta > eta*), "subcritical" (unstable
    2-cycle for eta < eta*) or "degenerate" (Q = 0 proven, ``exact_zero``, or its sign not
    decided); ``certified_by`` is "exact" (sympy) or "interval" (ball arithmetic).
    """

    expression: str
    minimum: tuple[float, ...]
    curvature: float
    threshold: float
    quantity: float
    quantity_enclosure: tuple[float, float]
    verdict: str
    certified_by: str
    exact_zero: bool
    direction: tuple[float, ...]
    derivatives: tuple[float, ...] = field(default=())

    @property
    def coefficient(self) -> float:
        """Kuznetsov's normal-form coefficient c(0) = Q / (3 lambda^2)."""
        return self.quantity / (3.0 * self.curvature**2)

    @property
    def supercritical(self) -> bool:
        return self.verdict == "supercritical"

    def to_dict(self) -> dict:
        return {"expression": self.expression, "minimum": list(self.minimum),
                "curvature": self.curvature, "threshold": self.threshold,
                "quantity": self.quantity, "quantity_enclosure": list(self.quantity_enclosure),
                "coefficient": self.coefficient, "verdict": self.verdict,
                "certified_by": self.certified_by, "exact_zero": self.exact_zero,
                "direction": list(self.direction), "derivatives": list(self.derivatives)}


_NONSMOOTH = (sp.Abs, sp.sign, sp.Piecewise, sp.Max, sp.Min, sp.Heaviside)


@lru_cache(maxsize=256)
def _derivatives(expr: sp.Expr, x: sp.Symbol) -> tuple[sp.Expr, ...]:
    """The first four derivatives (almost everywhere: kinks are checked by _smooth_at)."""
    out, smooth = [expr], not expr.has(*_NONSMOOTH)
    for _ in range(4):
        out.append(sp.diff(out[-1], x) if smooth else derivative(out[-1], x))
    return tuple(out[1:])


def _smooth_at(expr: sp.Expr, x: sp.Symbol, point: sp.Expr) -> None:
    """Refuse a function whose first four derivatives jump at ``point`` (|x|^3 terms)."""
    if not expr.has(*_NONSMOOTH):
        return
    for k, d in enumerate(_derivatives(expr, x), start=1):
        right, left = (sp.limit(d, x, point, side) for side in ("+", "-"))
        if sp.simplify(right - left) != 0:
            raise BifurcationError(
                f"function={sp.sstr(expr)[:60]!r} is not four times differentiable at the "
                f"minimum {point} (derivative {k} jumps from {left} to {right}); the flip "
                "normal form needs C^4 (an even kinked f: Lemma 4.1, theory.Subquadratic)")


def flip_quantity(expr: sp.Expr, x: sp.Symbol) -> sp.Expr:
    """Q(x) = 3 f'''(x)^2 - f''(x) f''''(x), symbolically."""
    _, d2, d3, d4 = _derivatives(expr, x)
    return sp.expand(3 * d3**2 - d2 * d4) if expr.is_polynomial(x) else 3 * d3**2 - d2 * d4


def _verdict(ball: arb, exact: sp.Expr | None) -> tuple[str, bool]:
    if exact is not None and exact == 0:
        return "degenerate", True
    if ball > 0:
        return "supercritical", False
    if ball < 0:
        return "subcritical", False
    return "degenerate", False


def _bounds(ball: arb) -> tuple[float, float]:
    lo, hi = ball.lower(), ball.upper()
    return (float(lo.mid()) - float(lo.rad()), float(hi.mid()) + float(hi.rad()))


def _exact(value: sp.Expr) -> sp.Expr:
    """A constant expression, simplified only when it is not already a rational (sympy's
    simplify costs ~0.1 s; the Taylor data of most functions evaluate to rationals)."""
    value = sp.sympify(value)
    return value if value.is_Rational else sp.simplify(value)


def _taylor(expr: sp.Expr, x: sp.Symbol, point: arb) -> list[arb]:
    """Balls of f, f', f'', f''', f'''' at (or over) the ball ``point``."""
    return taylor_derivatives(expr, x, point, 4)


def _proven_zero(ball: arb) -> bool:
    return ball.is_exact() and ball.is_zero()


def _exact_minimum(expr: sp.Expr, x: sp.Symbol, guess: float | None) -> sp.Expr | None:
    """An exact minimiser: 0 (or the rational ``guess``) where f' is exactly 0 and f'' > 0,
    else the real root of a polynomial f' nearest the guess; None when there is none."""
    candidate = sp.S.Zero if guess is None else sp.nsimplify(guess, rational=True)
    with precision():
        try:
            t = _taylor(expr, x, arb_constant(candidate))
        except BifurcationError:
            t = None
        if t is not None and t[2] > 0 and (_proven_zero(t[1]) or (
                t[1].contains(0) and _exact(derivative(expr, x).subs(x, candidate)) == 0)):
            return candidate
    if not expr.is_polynomial(x):
        return None
    poly = sp.Poly(expr, x)
    d1, d2 = poly.diff(x), poly.diff(x).diff(x)
    roots = [r for r in d1.real_roots() if d2.as_expr().subs(x, r).is_positive] \
        if d1.degree() > 0 else []
    if not roots:
        raise BifurcationError(f"function={sp.sstr(expr)[:60]!r} has no non-degenerate "
                               "minimum (f' = 0 with f'' > 0)")
    target = 0.0 if guess is None else guess
    return min(roots, key=lambda r: abs(float(r) - target))


def _enclose_minimum(expr: sp.Expr, x: sp.Symbol, guess: float) -> arb:
    """A ball holding the unique zero of f' near ``guess`` (Newton, then Krawczyk)."""
    with precision():
        mid = arb(guess)
        for _ in range(60):
            t = _taylor(expr, x, mid)
            step = t[1] / t[2]
            if not step.is_finite():
                break
            mid = arb((mid - step).mid())
        centre = to_float(mid)
        for radius in (1e-40, 1e-30, 1e-20, 1e-12, 1e-8):
            box = arb(mid.mid(), radius * (1 + abs(centre)))
            at_mid, over_box = _taylor(expr, x, mid), _taylor(expr, x, box)
            slope = at_mid[2].mid()
            krawczyk = mid - at_mid[1] / slope + (1 - over_box[2] / slope) * (box - mid)
            if box.contains_interior(krawczyk):
                return krawczyk.intersection(box)
    raise BifurcationError(f"minimum={guess!r}: no certified zero of f' near it")


def _one_dimensional(expr: sp.Expr, x: sp.Symbol, guess: float | None) -> FlipCriterion:
    if expr.has(*_NONSMOOTH):  # a kink at the minimum: refuse before Taylor arithmetic
        _smooth_at(expr, x, sp.S.Zero if guess is None
                   else sp.nsimplify(guess, rational=True))
    exact_min = _exact_minimum(expr, x, guess)
    with precision():
        if exact_min is not None:
            point = arb_constant(exact_min)
        else:
            point = _enclose_minimum(expr, x, 0.0 if guess is None else float(guess))
        _, _, f2, f3, f4 = _taylor(expr, x, point)
        if not f2 > 0:
            raise BifurcationError(f"function={sp.sstr(expr)[:60]!r}: f''(x*) > 0 does not "
                                   f"hold at the minimum x* = {to_float(point)} (no flip)")
        q_ball = 3 * f3 * f3 - f2 * f4
        exact_q = None
        if _proven_zero(q_ball):
            exact_q = sp.S.Zero
        elif exact_min is not None and not (q_ball > 0 or q_ball < 0):
            exact_q = _exact(flip_quantity(expr, x).subs(x, exact_min))  # sympy decides
            q_ball = arb_constant(exact_q)
        verdict, zero = _verdict(q_ball, exact_q)
        exact = exact_min is not None and q_ball.is_exact() and f2.is_exact()
        return FlipCriterion(
            expression=sp.sstr(expr), minimum=(to_float(point),), curvature=to_float(f2),
            threshold=to_float(2 / f2), quantity=to_float(q_ball),
            quantity_enclosure=_bounds(q_ball), verdict=verdict,
            certified_by="exact" if exact else "interval", exact_zero=zero,
            direction=(1.0,), derivatives=tuple(to_float(b) for b in (f2, f3, f4)))


def _n_dimensional(expr: sp.Expr, variables: tuple, point: tuple) -> FlipCriterion:
    exact_point = [sp.nsimplify(p, rational=True) for p in point]
    subs = dict(zip(variables, exact_point, strict=True))
    d = len(variables)
    grad = [sp.simplify(sp.diff(expr, v).subs(subs)) for v in variables]
    if any(g != 0 for g in grad):
        raise BifurcationError(f"minimum={list(point)} is not a critical point (gradient "
                               f"{[float(g) for g in grad]})")
    hess = sp.Matrix(d, d, lambda i, j: sp.simplify(sp.diff(expr, variables[i],
                                                            variables[j]).subs(subs)))
    try:
        eigen = hess.eigenvects()
    except Exception as exc:  # sympy raises several kinds for non-closed-form spectra
        raise BifurcationError(f"function: the Hessian at {list(point)} has no exact "
                               "eigenvectors; the reduction needs them") from exc
    values = [(float(val), val, mult, vecs) for val, mult, vecs in eigen]
    values.sort(key=lambda t: t[0])
    top_f, lam, mult, vecs = values[-1]
    if mult != 1 or len(vecs) != 1:
        raise BifurcationError(f"function: the top Hessian eigenvalue {top_f} at "
                               f"{list(point)} is not simple (multiplicity {mult}); the 1-D "
                               "centre-manifold reduction does not apply")
    if not values[0][0] > 0 or sp.simplify(hess.det()) == 0:
        raise BifurcationError(f"function: the Hessian at {list(point)} is not positive "
                               "definite (a valley or saddle); the reduction needs I - A "
                               "invertible")
    v = vecs[0] / sp.sqrt(sum(c**2 for c in vecs[0]))
    v = sp.Matrix([sp.simplify(c) for c in v])
    t = sp.Symbol("t", real=True)
    line = {var: subs[var] + t * v[i] for i, var in enumerate(variables)}
    along = expr.xreplace(line)
    t4 = sp.simplify(sp.diff(along, t, 4).subs(t, 0))
    w = sp.Matrix([sp.simplify(sp.diff(sp.diff(expr, var).xreplace(line), t, 2).subs(t, 0))
                   for var in variables])
    exact_q = sp.simplify(lam * (3 * (w.T * hess.inv() * w)[0, 0] - t4))
    with precision():
        q_ball = arb_constant(exact_q)
        lam_ball = arb_constant(lam)
        verdict, zero = _verdict(q_ball, exact_q)
        return FlipCriterion(
            expression=sp.sstr(expr), minimum=tuple(float(p) for p in exact_point),
            curvature=to_float(lam_ball), threshold=to_float(2 / lam_ball),
            quantity=to_float(q_ball), quantity_enclosure=_bounds(q_ball), verdict=verdict,
            certified_by="exact" if exact_q.is_Rational else "interval", exact_zero=zero,
            direction=tuple(float(c) for c in v))


def flip_criterion(function, minimum=None) -> FlipCriterion:
    """The flip of GD at a minimum of ``function`` (any function-like value), certified.

    ``minimum``: in 1-D an approximate minimiser (default: 0 when f'(0) = 0, else the real
    minimiser of a polynomial nearest 0; a non-polynomial f with f'(0) != 0 needs it); in
    d dimensions the minimiser (default: the landscape's ``minimum``), exact after
    rationalising its coordinates.  Raises :class:`BifurcationError` when there is no
    non-degenerate minimum there, or (d > 1) the top Hessian eigenvalue is not simple or
    its eigenvector has no closed form.
    """
    land = as_landscape(function)
    expr, variables = land.expr, tuple(land.variables)
    if len(variables) == 1:
        guess = None
        if minimum is not None:
            values = np.atleast_1d(np.asarray(minimum, dtype=float))
            if values.shape != (1,) or not np.isfinite(values[0]):
                raise BifurcationError(f"minimum={minimum!r} must be one finite number")
            guess = float(values[0])
        return _one_dimensional(expr, variables[0], guess)
    point = minimum if minimum is not None else land.minimum
    if point is None:
        raise BifurcationError("minimum=None: a d-dimensional landscape needs its minimiser")
    point = tuple(float(p) for p in np.asarray(point, dtype=float).ravel())
    if len(point) != len(variables):
        raise BifurcationError(f"minimum={list(point)} has {len(point)} coordinates; the "
                               f"landscape has {len(variables)}")
    return _n_dimensional(expr, variables, point)
