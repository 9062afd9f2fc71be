"""Small sympy helpers: normalising non-smooth functions, clean derivatives (and, re-exported,
the safe parser of :mod:`theory.parsing` and the time limit).

Non-smooth building blocks (|x|, max, min, Heaviside) are differentiated almost everywhere:
``Max``/``Min``/``Heaviside`` are rewritten as ``Piecewise`` first, the distributional parts
(``DiracDelta``) of a derivative are dropped, and even powers of ``sign`` become 1 (their
continuous extension).  Kinks are therefore not seen by the derivatives; the validation in
:mod:`theory.subquadratic` rejects a kink at the minimum (f'(0+) != 0).
"""

from __future__ import annotations

import re

import sympy as sp

from theory._time_limit import time_limit
from theory.parsing import parse

__all__ = [
    "clean_derivative",
    "derivative",
    "natural_key",
    "parse",
    "realify",
    "time_limit",
    "to_piecewise",
]


def realify(expr: sp.Expr) -> sp.Expr:
    """Replace every free symbol by a real symbol of the same name."""
    return expr.xreplace({s: sp.Symbol(s.name, real=True) for s in expr.free_symbols})


def to_piecewise(expr: sp.Expr) -> sp.Expr:
    """Rewrite Max, Min and Heaviside as Piecewise (Abs and sign are kept)."""
    return expr.replace(
        lambda e: isinstance(e, (sp.Max, sp.Min, sp.Heaviside)),
        lambda e: e.rewrite(sp.Piecewise),
    )


def clean_derivative(expr: sp.Expr) -> sp.Expr:
    """Drop DiracDelta terms and set even powers of sign(.) to 1 (a.e. derivative)."""
    expr = expr.replace(lambda e: isinstance(e, sp.DiracDelta), lambda e: sp.S.Zero)
    return expr.replace(
        lambda e: e.is_Pow and isinstance(e.base, sp.sign) and e.exp.is_even,
        lambda e: sp.S.One,
    )


def derivative(expr: sp.Expr, *variables: sp.Symbol) -> sp.Expr:
    """d expr / d variables (almost everywhere), cleaned by :func:`clean_derivative`."""
    return clean_derivative(sp.diff(expr, *variables))


def natural_key(symbol: sp.Symbol) -> tuple:
    """Sort key so that x2 comes before x10."""
    parts = re.split(r"(\d+)", symbol.name)
    return tuple(int(p) if p.isdigit() else p for p in parts)
