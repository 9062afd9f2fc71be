"""Ball arithmetic for sympy expressions (python-flint ``arb``), used for certificates.

:func:`arb_function` compiles an expression in one or two symbols into a Python function of
``arb`` balls by walking the sympy tree once (rationals stay exact: ``1/3`` is the ball
``arb(1)/3``, not the float 0.333...).  Every result encloses the exact value for every
point of the input balls (python-flint's guarantee for each elementary operation).  An
unsupported node raises :class:`BifurcationError`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager

import sympy as sp
from flint import arb, ctx

from theory.bifurcation._errors import BifurcationError

__all__ = ["arb_constant", "arb_function", "precision", "taylor_derivatives", "to_float",
           "width"]

#: working precision (bits) of every certificate
PRECISION = 160

_UNARY: dict[type, Callable[[arb], arb]] = {
    sp.exp: arb.exp, sp.log: arb.log, sp.sin: arb.sin, sp.cos: arb.cos, sp.tan: arb.tan,
    sp.tanh: arb.tanh, sp.sinh: arb.sinh, sp.cosh: arb.cosh, sp.atan: arb.atan,
    sp.asinh: arb.asinh, sp.Abs: abs, sp.erf: arb.erf, sp.sech: arb.sech, sp.sign: arb.sgn,
}


def _power(ball: arb, n: int) -> arb:
    """ball ** n by repeated squaring (arb's ** is nan on a ball holding 0)."""
    result, base = arb(1), ball
    while n:
        if n & 1:
            result = result * base
        n >>= 1
        if n:
            base = base * base
    return result


def precision(bits: int = PRECISION) -> AbstractContextManager:
    """Context manager: arb arithmetic at ``bits`` bits inside."""
    return ctx.workprec(bits)


def _compile(expr: sp.Expr, index: dict[sp.Symbol, int], unary: dict | None = None
             ) -> Callable[[Sequence[arb]], arb]:
    unary = _UNARY if unary is None else unary
    if expr.is_Symbol:
        if expr not in index:
            raise BifurcationError(f"expression has a free symbol {expr} the certificate "
                                   "does not bind")
        i = index[expr]
        return lambda v: v[i]
    if expr.is_Integer:
        n = int(expr)
        return lambda v: arb(n)
    if expr.is_Rational:
        p, q = int(expr.p), int(expr.q)
        return lambda v: arb(p) / q
    if expr.is_Float:
        # a decimal the user typed: the float nearest to it is what sympy holds; we take it exact
        value = float(expr)
        return lambda v: arb(value)
    if expr is sp.pi:
        return lambda v: arb.pi()
    if expr is sp.E:
        return lambda v: arb.const_e()
    if isinstance(expr, sp.Piecewise):
        return _piecewise(expr, index, unary)
    args = [_compile(a, index, unary) for a in expr.args]
    if expr.is_Add:
        def add(v: Sequence[arb]) -> arb:
            total = args[0](v)
            for a in args[1:]:
                total = total + a(v)
            return total
        return add
    if expr.is_Mul:
        def mul(v: Sequence[arb]) -> arb:
            total = args[0](v)
            for a in args[1:]:
                total = total * a(v)
            return total
        return mul
    if expr.is_Pow:
        base, exponent = args
        e = expr.exp
        if e.is_Integer:
            n = int(e)
            if n >= 0:
                return lambda v: _power(base(v), n)
            return lambda v: 1 / _power(base(v), -n)
        if e == sp.Rational(1, 2):
            return lambda v: base(v).sqrt()
        if e == sp.Rational(-1, 2):
            return lambda v: base(v).rsqrt()
        return lambda v: (exponent(v) * base(v).log()).exp()
    for kind, fn in unary.items():
        if isinstance(expr, kind):
            (inner,) = args
            return lambda v, fn=fn: fn(inner(v))  # type: ignore[misc]
    raise BifurcationError(f"cannot enclose {type(expr).__name__} ({str(expr)[:60]}) in ball "
                           "arithmetic")


def _piecewise(expr: sp.Piecewise, index: dict[sp.Symbol, int], unary: dict) -> Callable:
    """The branch whose condition holds on the whole ball (else: undecided, an error)."""
    branches = [(_compile(value, index, unary), _condition(cond, index, unary))
                for value, cond in expr.args]

    def evaluate(v: Sequence[arb]) -> arb:
        for value, cond in branches:
            holds = cond(v)
            if holds is True:
                return value(v)
            if holds is None:
                raise BifurcationError(f"the ball straddles a boundary of {str(expr)[:60]}")
        raise BifurcationError(f"no branch of {str(expr)[:60]} holds")
    return evaluate


def _condition(cond, index: dict[sp.Symbol, int], unary: dict
               ) -> Callable[[Sequence[arb]], bool | None]:
    """True / False when ``cond`` holds / fails on the whole ball, None when undecided."""
    if cond is sp.true:
        return lambda v: True
    if isinstance(cond, (sp.StrictLessThan, sp.LessThan, sp.StrictGreaterThan,
                         sp.GreaterThan)):
        diff = _compile(cond.lhs - cond.rhs, index, _UNARY)  # on the point (constant terms)
        below = isinstance(cond, (sp.StrictLessThan, sp.LessThan))

        def relation(v: Sequence[arb]) -> bool | None:
            d = diff([_constant_term(a) for a in v])
            if d < 0:
                return below
            if d > 0:
                return not below
            return None
        return relation
    raise BifurcationError(f"cannot decide the condition {cond} in ball arithmetic")


def _constant_term(value):
    """The ball itself, or the constant coefficient of a power series."""
    return value if isinstance(value, arb) else value.coeffs()[0]


def _series_abs(s):
    c = _constant_term(s)
    if c > 0:
        return s
    if c < 0:
        return -s
    raise BifurcationError("|u| at u = 0 has no Taylor series")


def _series_sign(s):
    c = _constant_term(s)
    if c > 0 or c < 0:
        return arb(1) if c > 0 else arb(-1)
    raise BifurcationError("sign(u) at u = 0 has no Taylor series")


def _series_tanh(s):
    return 1 - 2 / ((2 * s).exp() + 1)


#: the elementary functions on arb_series (Taylor arithmetic)
_SERIES: dict[type, Callable] = {
    sp.exp: lambda s: s.exp(), sp.log: lambda s: s.log(), sp.sin: lambda s: s.sin(),
    sp.cos: lambda s: s.cos(), sp.tan: lambda s: s.tan(), sp.atan: lambda s: s.atan(),
    sp.erf: lambda s: s.erf(), sp.tanh: _series_tanh,
    sp.cosh: lambda s: (s.exp() + (-s).exp()) / 2, sp.sinh: lambda s: (s.exp() - (-s).exp()) / 2,
    sp.sech: lambda s: 2 / (s.exp() + (-s).exp()),
    sp.asinh: lambda s: (s + (s * s + 1).sqrt()).log(), sp.Abs: _series_abs,
    sp.sign: _series_sign,
}


def taylor_derivatives(expr: sp.Expr, symbol: sp.Symbol, point: arb, order: int) -> list[arb]:
    """Balls holding f(point), f'(point), ..., f^(order)(point) (Taylor arithmetic on
    python-flint's arb_series: no symbolic differentiation)."""
    from flint import arb_series

    body = _compile(sp.sympify(expr), {symbol: 0}, _SERIES)
    value = body([arb_series([point, 1], prec=order + 1)])  # type: ignore[list-item]
    coeffs: list
    if isinstance(value, arb):
        coeffs = [value] + [arb(0)] * order
    else:
        coeffs = list(value.coeffs()) + [arb(0)] * (order + 1)
    out, factorial = [], 1
    for k in range(order + 1):
        factorial *= max(k, 1)
        out.append(coeffs[k] * factorial)
    return out


def arb_function(expr: sp.Expr, symbols: Sequence[sp.Symbol]) -> Callable[..., arb]:
    """``F(*balls)``: an enclosure of ``expr`` over the balls given for ``symbols``."""
    index = {s: i for i, s in enumerate(symbols)}
    body = _compile(sp.sympify(expr), index)
    return lambda *values: body([v if isinstance(v, arb) else arb(v) for v in values])


def arb_constant(expr: sp.Expr) -> arb:
    """An enclosure of a constant sympy expression."""
    return arb_function(expr, ())()


def to_float(ball: arb) -> float:
    """The midpoint of a ball as a float."""
    return float(ball.mid())


def width(ball: arb) -> float:
    """The width (2 radius) of a ball, rounded up to a float."""
    return 2.0 * float(ball.rad()) * (1 + 2**-50)
