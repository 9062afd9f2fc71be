"""Overflow-safe forms of derivative expressions, rewritten at the sympy level.

sympy's derivatives are exact, but a float evaluation of them can overflow in an
intermediate while the value itself is moderate, and then the result is NaN (inf/inf,
inf * 0) or a silent 0 (x/inf):

* ``(-2 x^5 + 4 x^3 + exp(x^2) tanh(x)) exp(-x^2)``, the slope of
  log(cosh(x)) + x^4 exp(-x^2) as sympy simplifies it, is inf * 0 = NaN beyond x ~ 26.6
  although it equals tanh(x) - (2 x^5 - 4 x^3) exp(-x^2), about 1 there;
* ``sinh(x)/cosh(x)`` is inf/inf beyond x ~ 710 (it is tanh(x));
* ``x/sqrt(x^2 + 1)`` is x/inf = 0 beyond x ~ 1.3e154 (it is about 1).

:func:`overflow_safe` rewrites, bottom-up and without simplify (deterministic, fast),
with three rules:

1. **exponentials into sums** (log-sum-exp style): a product exp(g) * (a + b + ...) where
   the sum holds an exponential is distributed, so that exp(g) exp(h) merge into exp(g + h)
   before either is
   evaluated (exp(x^2) exp(-x^2) = 1);
2. **tanh ratios**: sinh(u)^a cosh(u)^-b (a, b > 0) becomes tanh(u)^a cosh(u)^(a-b);
3. **scaled roots**: (a x^2 + c)^r (c, a > 0, r not a positive integer, one variable)
   becomes M^(2r) (1 + (m/M)^2)^r with M = max(sqrt(a)|x|, sqrt(c)) and
   m = min(sqrt(a)|x|, sqrt(c)) (the hypot scaling: (m/M)^2 <= 1 never overflows);
Not rewritten (yet): x^n exp(-x^2) is still inf * 0 beyond x ~ 1e51 (sympy folds
exp(g + n log|x|) back into |x|^n exp(g), and the kernels' common-subexpression pass with
it); the kernels' non-finite guards see that NaN.

Each rewrite is an identity for real arguments, so the value is unchanged where the float
evaluation was already fine (tests/reliability/test_numerics_edges.py compares both with
mpmath at 50 digits).  Used by the kernels' code generation
(:func:`theory.dynamics._codegen._rewrite`) and by :class:`theory.Subquadratic`'s float
derivatives.
"""

from __future__ import annotations

import sympy as sp

__all__ = ["log1p_form", "overflow_safe"]

#: an expression with more operations than this is left as it is (rewriting is linear in
#: its size, but huge expressions come from elsewhere and stay the printer's business)
MAX_OPS = 4000


def overflow_safe(expr: sp.Expr) -> sp.Expr:
    """``expr`` with the rewrites of this module applied (unchanged on any failure)."""
    try:
        expr = sp.sympify(expr)
        if not isinstance(expr, sp.Expr) or expr.count_ops() > MAX_OPS:
            return expr
        return _walk(expr)
    except Exception:  # sympy's rewriting is best effort: the original stays valid
        return expr


def log1p_form(expr: sp.Expr) -> sp.Expr:
    """log(1 + u) -> log1p(u) for every such logarithm, before sympy's ``optimize``: its own
    log1p rule turns log(x/s + 1) into log(x + s) - log(s), which cancels for x << s (f1(x/s)
    had f'(x) = 0 in floats below x ~ 1e-16 s, and x_eta of f1(x/1e52) was lost)."""
    from sympy.codegen.cfunctions import log1p

    def swap(term: sp.log) -> sp.Expr:
        argument = term.args[0]
        if argument.is_Add and (argument - 1).is_Add is not None:
            constant, rest = argument.as_coeff_Add()
            if constant == 1 and rest != 0 and not rest.is_number:
                return log1p(rest)
        return term

    try:
        return sp.sympify(expr).replace(lambda e: isinstance(e, sp.log), swap)
    except Exception:  # best effort, like optimize
        return expr


def _walk(expr: sp.Basic) -> sp.Basic:
    if expr.is_Atom or not isinstance(expr, sp.Basic):
        return expr
    args = tuple(_walk(a) for a in expr.args)
    if args != expr.args:
        expr = expr.func(*args)
    if expr.is_Mul:
        expr = _tanh_ratios(expr)
    if expr.is_Mul:
        expr = _distribute_exponentials(expr)
    if expr.is_Pow:
        expr = _scaled_root(expr)
    return expr


def _is_exp(factor: sp.Basic) -> bool:
    return isinstance(factor, sp.exp) and not factor.args[0].is_number


def _distribute_exponentials(expr: sp.Mul) -> sp.Expr:
    """exp(g) * (a + b) * rest -> (exp(g) a + exp(g) b) * rest when the sum holds an
    exponential (one sum only: products of sums are not multiplied out)."""
    factors = expr.args
    exps = [f for f in factors if _is_exp(f)]
    sums = [f for f in factors if f.is_Add and any(_is_exp(a) for a in f.atoms(sp.exp))]
    if not exps or not sums:
        return expr
    first = sums[0]
    scale = sp.Mul(*exps)
    rest = [f for f in factors if f is not first and not _is_exp(f)]
    distributed = sp.Add(*(_walk(scale * term) for term in first.args))
    return sp.Mul(distributed, *rest)


def _tanh_ratios(expr: sp.Mul) -> sp.Expr:
    """sinh(u)^a cosh(u)^-b -> tanh(u)^a cosh(u)^(a - b) (a > 0, b > 0)."""
    powers = expr.as_powers_dict()
    swaps = {}
    for base, exponent in powers.items():
        if isinstance(base, sp.sinh) and exponent.is_positive:
            cosh_exponent = powers.get(sp.cosh(base.args[0]), 0)
            if cosh_exponent.is_negative if hasattr(cosh_exponent, "is_negative") else False:
                swaps[base] = sp.tanh(base.args[0]) * sp.cosh(base.args[0])
    return expr.xreplace(swaps) if swaps else expr


def _scaled_root(expr: sp.Pow) -> sp.Expr:
    """(a x^2 + c)^r -> M^(2r) (1 + (m/M)^2)^r, M = max(sqrt(a)|x|, sqrt(c)), m = min(...)."""
    base, exponent = expr.as_base_exp()
    if not base.is_Add or (exponent.is_Integer and exponent.is_positive):
        return expr
    if not exponent.is_number or not exponent.is_real:
        return expr
    constant, terms = base.as_coeff_Add()
    symbols = base.free_symbols
    if len(symbols) != 1 or not (constant.is_number and constant.is_positive):
        return expr
    (x,) = symbols
    coefficient = sp.expand(terms).coeff(x, 2)
    if not (coefficient.is_number and coefficient.is_positive) or sp.expand(
            terms - coefficient * x**2) != 0:
        return expr
    if float(constant) < 1e-300:
        return expr
    big = sp.Max(sp.sqrt(coefficient) * sp.Abs(x), sp.sqrt(constant))
    small = sp.Min(sp.sqrt(coefficient) * sp.Abs(x), sp.sqrt(constant))
    return big ** (2 * exponent) * (1 + small**2 / big**2) ** exponent
