"""sympy expression -> rigorous interval function on :class:`proofs_check._arb.Interval`.

:func:`compile_arb` translates an expression node by node (elementary functions from their
endpoints where monotone, Piecewise with three-valued conditions, rational powers exactly);
anything it does not know raises :class:`~proofs_check._arb.UnsupportedExpression`.  See
:mod:`proofs_check._arb` for the interval semantics.
"""

from __future__ import annotations

from collections.abc import Callable

import sympy as sp
from flint import arb, fmpq, fmpz

from proofs_check._arb import (
    Interval,
    IntervalFunction,
    UnsupportedExpression,
    _greatest,
    _least,
)


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
