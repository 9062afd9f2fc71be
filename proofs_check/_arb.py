"""Rigorous interval evaluation of sympy expressions, on python-flint's Arb.

:func:`compile_arb` turns a sympy expression in one variable into a callable on
:class:`Interval` values that returns an interval containing every value of the expression
over the input interval.

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
import sympy as sp
from flint import arb, fmpq, fmpz

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


def exact_interval(value) -> Interval:
    """A tight interval for a Python or sympy number (exact when it is dyadic)."""
    if isinstance(value, (float, int)) and not isinstance(value, bool):
        return Interval.point(arb(fmpz(value)) if isinstance(value, int) else value)
    number = sp.sympify(value)
    if number.is_Integer:
        return Interval.point(arb(fmpz(int(number))))
    if number.is_Rational:
        return Interval.from_ball(arb(fmpq(int(number.p), int(number.q))))
    if number.is_Float:
        sign, mantissa, exponent, _ = number._mpf_
        out = arb(fmpz(int(mantissa))) * arb(2) ** int(exponent)
        return Interval.point(-out if sign else out)
    return compile_arb(number, None)(Interval.point(0))


# ---------------------------------------------------------------------------- translation
def _unary(fn: Callable[[arb], arb], *, extremum: float | None = None, monotone: bool = True
           ) -> Callable[[Interval], Interval]:
    if monotone:
        return lambda v: v.monotone(fn, extremum=extremum)
    return lambda v: v.ball_function(fn)


_UNARY: dict[type, Callable[[Interval], Interval]] = {
    sp.exp: _unary(lambda a: a.exp()),
    sp.log: _unary(lambda a: a.log()),
    sp.sinh: _unary(lambda a: a.sinh()),
    sp.tanh: _unary(lambda a: a.tanh()),
    sp.asinh: _unary(lambda a: a.asinh()),
    sp.atanh: _unary(lambda a: a.atanh()),
    sp.atan: _unary(lambda a: a.atan()),
    sp.asin: _unary(lambda a: a.asin()),
    sp.acos: _unary(lambda a: a.acos()),
    sp.acosh: _unary(lambda a: a.acosh()),
    sp.erf: _unary(lambda a: a.erf()),
    sp.erfc: _unary(lambda a: a.erfc()),
    sp.cosh: _unary(lambda a: a.cosh(), extremum=1.0),
    sp.sech: _unary(lambda a: a.sech(), extremum=1.0),
    sp.sin: _unary(lambda a: a.sin(), monotone=False),
    sp.cos: _unary(lambda a: a.cos(), monotone=False),
    sp.tan: _unary(lambda a: a.tan(), monotone=False),
    sp.csch: _unary(lambda a: a.csch(), monotone=False),
    sp.coth: _unary(lambda a: a.coth(), monotone=False),
    sp.Abs: lambda v: v.abs(),
    sp.sign: _unary(lambda a: a.sgn(), monotone=False),
}

_CONSTANTS: dict[sp.Basic, Callable[[], arb]] = {
    sp.pi: arb.pi,
    sp.E: arb.const_e,
    sp.EulerGamma: arb.const_euler,
    sp.Catalan: arb.const_catalan,
}

IntervalFunction = Callable[[Interval], Interval]
# three-valued truth: True, False or None (undecided on the interval)
Truth = bool | None


def _rational_power(base: IntervalFunction, p: int, q: int) -> IntervalFunction:
    def root(v: arb) -> arb:
        return (v.sqrt() if q == 2 else v.root(q)) ** p

    def evaluate(x: Interval) -> Interval:
        # sympy's real roots are defined on [0, oo) only: the part of the interval below 0
        # is outside the domain, so the root is taken on the non-negative part (monotone)
        return base(x).nonnegative_part().monotone(root)

    return evaluate


def _power(base: IntervalFunction, exponent: sp.Expr, var) -> IntervalFunction:
    if exponent.is_Integer:
        n = int(exponent)
        return lambda x: base(x).power(n)
    if exponent.is_Rational:
        return _rational_power(base, int(exponent.p), int(exponent.q))
    exp_fn = compile_arb(exponent, var)
    exp_ = _UNARY[sp.exp]
    log_ = _UNARY[sp.log]
    return lambda x: exp_(exp_fn(x) * log_(base(x)))


def _relation(rel: sp.Rel, var) -> Callable[[Interval], Truth]:
    lhs = compile_arb(rel.lhs, var)
    rhs = compile_arb(rel.rhs, var)
    op = rel.rel_op

    def truth(x: Interval) -> Truth:
        a, b = lhs(x), rhs(x)
        if not (a.is_finite() and b.is_finite()):
            return None
        if op in ("<=", "<", ">=", ">"):
            if op in (">=", ">"):
                a, b = b, a  # now a <= b or a < b
            strict = op in ("<", ">")
            yes = a.hi < b.lo if strict else a.hi <= b.lo
            no = a.lo >= b.hi if strict else a.lo > b.hi
        elif op == "==":
            yes = a.is_point() and b.is_point() and a.lo == b.lo
            no = a.hi < b.lo or b.hi < a.lo
        else:  # "!="
            yes = a.hi < b.lo or b.hi < a.lo
            no = a.is_point() and b.is_point() and a.lo == b.lo
        return True if yes else (False if no else None)

    return truth


def _condition(cond, var) -> Callable[[Interval], Truth]:
    if cond is sp.true or cond is True:
        return lambda x: True
    if cond is sp.false or cond is False:
        return lambda x: False
    if isinstance(cond, sp.Rel):
        return _relation(cond, var)
    if isinstance(cond, (sp.And, sp.Or)):
        parts = [_condition(c, var) for c in cond.args]
        is_and = isinstance(cond, sp.And)

        def combined(x: Interval) -> Truth:
            values = [p(x) for p in parts]
            if is_and:
                if any(v is False for v in values):
                    return False
                return True if all(v is True for v in values) else None
            if any(v is True for v in values):
                return True
            return False if all(v is False for v in values) else None

        return combined
    if isinstance(cond, sp.Not):
        inner = _condition(cond.args[0], var)

        def negated(x: Interval) -> Truth:
            v = inner(x)
            return None if v is None else not v

        return negated
    raise UnsupportedExpression(f"condition {cond} is not supported by the interval translation")


def _piecewise(expr: sp.Piecewise, var) -> IntervalFunction:
    pieces = [(compile_arb(e, var), _condition(c, var)) for e, c in expr.args]

    def evaluate(x: Interval) -> Interval:
        out = None
        for value, condition in pieces:
            truth = condition(x)
            if truth is False:
                continue
            v = value(x)
            out = v if out is None else out.hull(v)
            if truth is True:
                return out
        return Interval.nan() if out is None else out

    return evaluate


def intersect_forms(functions: list[IntervalFunction]) -> IntervalFunction:
    """Several formulas of the same function (e.g. sympy's raw derivative and its simplified
    form): every enclosure contains the true range, so their intersection does too; a form
    that is not finite somewhere (a removable singularity) is simply ignored there."""
    if len(functions) == 1:
        return functions[0]

    def evaluate(x: Interval) -> Interval:
        out = Interval.nan()
        for fn in functions:
            out = out.intersection(fn(x)) if out.is_finite() else fn(x)
        return out

    return evaluate


def compile_arb(expr: sp.Expr, var: sp.Symbol | None,
                externals: dict[sp.Symbol, IntervalFunction] | None = None) -> IntervalFunction:
    """A function X -> interval enclosing ``expr`` over the interval X (``var`` is x).

    ``externals`` maps further symbols to interval functions of X (e.g. D2 -> an enclosure
    of f''(X) assembled from several formulas)."""
    expr = sp.sympify(expr)
    if var is not None and expr == var:
        return lambda x: x
    if externals and expr in externals:
        return externals[expr]
    if expr.is_Symbol:
        raise UnsupportedExpression(f"free symbol {expr} other than the variable {var}")
    if expr.is_Number:
        if not expr.is_finite:
            raise UnsupportedExpression(f"non-finite constant {expr}")
        value = expr
        return lambda x: exact_interval(value)
    if expr in _CONSTANTS:
        make = _CONSTANTS[expr]
        return lambda x: Interval.from_ball(make())
    if expr.is_Add:
        terms = [compile_arb(a, var, externals) for a in expr.args]

        def add(x: Interval) -> Interval:
            total = terms[0](x)
            for t in terms[1:]:
                total = total + t(x)
            return total

        return add
    if expr.is_Mul:
        factors = [compile_arb(a, var, externals) for a in expr.args]

        def mul(x: Interval) -> Interval:
            total = factors[0](x)
            for f in factors[1:]:
                total = total * f(x)
            return total

        return mul
    if expr.is_Pow:
        return _power(compile_arb(expr.base, var, externals), expr.exp, var)
    if isinstance(expr, sp.Piecewise):
        if externals:
            raise UnsupportedExpression("Piecewise with external symbols")
        return _piecewise(expr, var)
    if isinstance(expr, sp.LambertW):
        arg = compile_arb(expr.args[0], var, externals)
        branch = int(expr.args[1]) if len(expr.args) > 1 else 0
        if branch not in (0, -1):
            raise UnsupportedExpression(f"Lambert W branch {branch}")
        return lambda x: arg(x).monotone(lambda a: a.lambertw(branch))  # monotone on R
    if isinstance(expr, (sp.Max, sp.Min)):
        args = [compile_arb(a, var, externals) for a in expr.args]
        is_max = isinstance(expr, sp.Max)

        def extremum(x: Interval) -> Interval:
            values = [a(x) for a in args]
            if not all(v.is_finite() for v in values):
                return Interval.nan()
            pick = _greatest if is_max else _least
            return Interval(pick([v.lo for v in values]), pick([v.hi for v in values]))

        return extremum
    func = _UNARY.get(expr.func)
    if func is not None and len(expr.args) == 1:
        arg = compile_arb(expr.args[0], var, externals)
        return lambda x: func(arg(x))
    raise UnsupportedExpression(
        f"{expr.func.__name__} is not supported by the interval translation")
