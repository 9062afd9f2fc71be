"""Rigorous interval evaluation of sympy expressions, on python-flint's Arb.

:class:`Interval` arithmetic; :func:`proofs_check._arb_compile.compile_arb` turns a sympy
expression in one variable into a callable on :class:`Interval` values that returns an
interval containing every value of the expression over the input interval.

The intervals are *inf-sup* intervals [lo, hi] whose endpoints are exact Arb numbers: every
operation is carried out by Arb on the endpoints (Arb encloses each result in a ball with a
rigorous error bound) and the new endpoints are the lower/upper bounds of those balls, so
rounding is always outward.  Arb's own midpoint-radius balls are not used for wide
arguments: a ball product such as [1, 1.65] x [0.22, 1] is enclosed by a ball containing 0,
which would lose the sign of f''' = -2 sinh x / cosh^3 x on every cell wider than ~0.3 at
x ~ 10^3; inf-sup endpoints keep it on cells of any width.

Functions are evaluated from the endpoints where they are monotone (exp, log, sqrt and
roots, sinh, tanh, atan, asinh, erf, Lambert W), with the extremum added for cosh and sech
when the interval straddles 0; sin/cos/tan fall back to Arb's ball enclosure.

* ``Piecewise`` uses three-valued conditions: a piece whose condition is certainly false on
  the interval is skipped, a certainly true one ends the search, an undecided one is joined
  (hull) to the result.  Certificates that need one formula per cell split the cover at the
  breakpoints first (see :mod:`proofs_check._cells`).
* Anything the translation does not know raises :class:`UnsupportedExpression`; callers
  report the claim as *unknown*, never as holding.

Why Arb and not ``mpmath.iv``: Arb's operations carry rigorous error bounds for every special
function the catalog needs (including Lambert W, which ``mpmath.iv`` lacks), its exponent
range is unbounded (cosh(10^12) and exp(-10^12) neither overflow nor underflow), and one
operation costs ~0.1 us against ~1 us for ``mpmath.iv``.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Iterator

import flint
from flint import arb

#: default working precision of every certificate, in bits
PRECISION_BITS = 128

_NAN = arb("nan")


class UnsupportedExpression(Exception):
    """The expression contains something the interval translation cannot enclose."""


@contextlib.contextmanager
def working_precision(bits: int = PRECISION_BITS) -> Iterator[None]:
    """Set Arb's global working precision for the block and restore it afterwards."""
    previous = flint.ctx.prec
    flint.ctx.prec = int(bits)
    try:
        yield
    finally:
        flint.ctx.prec = previous


def _lower(b: arb) -> arb:
    return b.lower() if b.is_finite() else _NAN


def _upper(b: arb) -> arb:
    return b.upper() if b.is_finite() else _NAN


def _least(values: list[arb]) -> arb:
    out = values[0]
    for v in values[1:]:
        if v < out:
            out = v
    return out


def _greatest(values: list[arb]) -> arb:
    out = values[0]
    for v in values[1:]:
        if v > out:
            out = v
    return out


class Interval:
    """A closed interval [lo, hi] with exact Arb endpoints (nan endpoints: unknown)."""

    __slots__ = ("hi", "lo")

    def __init__(self, lo: arb, hi: arb):
        self.lo = lo
        self.hi = hi

    # ---------------------------------------------------------------- construction
    @staticmethod
    def point(x) -> Interval:
        """The exact point x (a float or an int), or the hull of an Arb ball."""
        if isinstance(x, arb):
            return Interval.from_ball(x)
        b = arb(x)
        return Interval(b, b)

    @staticmethod
    def between(lo: float, hi: float) -> Interval:
        """[lo, hi] for float endpoints (exact: binary floats are Arb numbers)."""
        return Interval(arb(lo), arb(hi))

    @staticmethod
    def from_ball(b: arb) -> Interval:
        if not b.is_finite():
            return Interval(_NAN, _NAN)
        if b.is_exact():
            return Interval(b, b)
        return Interval(b.lower(), b.upper())

    @staticmethod
    def nan() -> Interval:
        return Interval(_NAN, _NAN)

    # ---------------------------------------------------------------- queries
    def is_finite(self) -> bool:
        return bool(self.lo.is_finite() and self.hi.is_finite())

    def is_point(self) -> bool:
        return self.is_finite() and self.lo == self.hi

    def is_zero(self) -> bool:
        return self.is_finite() and self.lo.is_zero() and self.hi.is_zero()

    def bounds(self) -> tuple[float, float]:
        """(lower, upper) as floats rounded outward; (-inf, inf) when not finite."""
        if not self.is_finite():
            return -math.inf, math.inf
        return (math.nextafter(float(self.lo), -math.inf),
                math.nextafter(float(self.hi), math.inf))

    def contains(self, x) -> bool:
        v = arb(x) if not isinstance(x, arb) else x
        return self.is_finite() and bool(self.lo <= v and v <= self.hi)

    def overlaps(self, other: Interval) -> bool:
        return bool(self.is_finite() and other.is_finite() and not self.hi < other.lo
                    and not other.hi < self.lo)

    def intersection(self, other: Interval) -> Interval:
        if not other.is_finite():
            return self
        if not self.is_finite():
            return other
        lo = other.lo if other.lo > self.lo else self.lo
        hi = other.hi if other.hi < self.hi else self.hi
        return Interval(lo, hi) if not hi < lo else self

    def hull(self, other: Interval) -> Interval:
        if not (self.is_finite() and other.is_finite()):
            return Interval.nan()
        return Interval(_least([self.lo, other.lo]), _greatest([self.hi, other.hi]))

    def mid(self) -> arb:
        return (self.lo + self.hi) / 2

    def __repr__(self) -> str:
        if not self.is_finite():
            return "Interval(nan)"
        lo, hi = self.bounds()
        return f"Interval[{lo:.17g}, {hi:.17g}]"

    # ---------------------------------------------------------------- arithmetic
    def __neg__(self) -> Interval:
        return Interval(-self.hi, -self.lo)

    def __add__(self, other: Interval) -> Interval:
        return Interval(_lower(self.lo + other.lo), _upper(self.hi + other.hi))

    def __sub__(self, other: Interval) -> Interval:
        return Interval(_lower(self.lo - other.hi), _upper(self.hi - other.lo))

    def __mul__(self, other: Interval) -> Interval:
        if not (self.is_finite() and other.is_finite()):
            return Interval.nan()
        products = [a * b for a in (self.lo, self.hi) for b in (other.lo, other.hi)]
        return Interval(_least([p.lower() for p in products]),
                        _greatest([p.upper() for p in products]))

    def reciprocal(self) -> Interval:
        if not self.is_finite() or not (self.lo > 0 or self.hi < 0):
            return Interval.nan()
        return Interval(_lower(1 / self.hi), _upper(1 / self.lo))

    def __truediv__(self, other: Interval) -> Interval:
        return self * other.reciprocal()

    def power(self, n: int) -> Interval:
        if not self.is_finite():
            return Interval.nan()
        if n == 0:
            return Interval.point(1)
        if n < 0:
            return self.power(-n).reciprocal()
        lo_n, hi_n = self.lo**n, self.hi**n
        if n % 2 == 1 or self.lo >= 0:
            return Interval(_lower(lo_n), _upper(hi_n))
        if self.hi <= 0:
            return Interval(_lower(hi_n), _upper(lo_n))
        return Interval(arb(0), _greatest([_upper(lo_n), _upper(hi_n)]))

    def monotone(self, fn: Callable[[arb], arb], *, extremum: float | None = None
                 ) -> Interval:
        """fn over the interval for fn monotone on it (on each side of 0 when ``extremum``
        is the value at 0 of an even function such as cosh)."""
        if not self.is_finite():
            return Interval.nan()
        if self.is_point():
            return Interval.from_ball(fn(self.lo))
        a, b = fn(self.lo), fn(self.hi)
        if not (a.is_finite() and b.is_finite()):
            return Interval.nan()
        lo = _least([a.lower(), b.lower()])
        hi = _greatest([a.upper(), b.upper()])
        if extremum is not None and self.lo < 0 and self.hi > 0:
            e = arb(extremum)
            lo, hi = _least([lo, e]), _greatest([hi, e])
        return Interval(lo, hi)

    def ball_function(self, fn: Callable[[arb], arb]) -> Interval:
        """fn via Arb's ball enclosure of the whole interval (non-monotone functions)."""
        if not self.is_finite():
            return Interval.nan()
        b = self.lo.union(self.hi) if not self.is_point() else self.lo
        return Interval.from_ball(fn(b))

    def abs(self) -> Interval:
        if not self.is_finite():
            return Interval.nan()
        if self.lo >= 0:
            return self
        if self.hi <= 0:
            return -self
        return Interval(arb(0), _greatest([-self.lo, self.hi]))

    def nonnegative_part(self) -> Interval:
        if not self.is_finite() or self.hi < 0:
            return Interval.nan()
        return Interval(self.lo if self.lo > 0 else arb(0), self.hi)


#: an interval extension of a function: Interval -> Interval
IntervalFunction = Callable[[Interval], Interval]
