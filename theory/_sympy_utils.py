"""Small sympy helpers: parsing, normalising non-smooth functions, clean derivatives.

Non-smooth building blocks (|x|, max, min, Heaviside) are differentiated almost everywhere:
``Max``/``Min``/``Heaviside`` are rewritten as ``Piecewise`` first, the distributional parts
(``DiracDelta``) of a derivative are dropped, and even powers of ``sign`` become 1 (their
continuous extension).  Kinks are therefore not seen by the derivatives; the validation in
:mod:`theory.subquadratic` rejects a kink at the minimum (f'(0+) != 0).
"""

from __future__ import annotations

import contextlib
import re
import signal
import threading
import time
from collections.abc import Iterator

import sympy as sp
from sympy.core.function import AppliedUndef
from sympy.parsing.sympy_parser import (
    convert_xor,
    parse_expr,
    standard_transformations,
)

from theory.errors import ParseError

_LOCALS = {
    "ln": sp.log,
    "abs": sp.Abs,
    "relu": lambda z: sp.Max(0, z),
    "max": sp.Max,
    "min": sp.Min,
    "heaviside": sp.Heaviside,
    "pi": sp.pi,
}
_TRANSFORMS = (*standard_transformations, convert_xor)


def parse(function: str | sp.Expr | float, *, argument: str = "function") -> sp.Expr:
    """Turn a string (``"log(cosh(x))"``, ``"(1+|x|)"`` is not valid; use ``abs(x)``) or a
    sympy expression into a sympy expression; raise :class:`ParseError` naming it otherwise."""
    if isinstance(function, sp.Basic):
        expr = function
    elif isinstance(function, str):
        text = function.strip()
        if not text:
            raise ParseError(f"{argument}='' is empty; give an expression such as 'log(cosh(x))'")
        local = dict(_LOCALS)
        # every identifier that is not a known name, and is not called, becomes a real symbol
        for match in re.finditer(r"([A-Za-z_][A-Za-z_0-9]*)\s*(\()?", text):
            name, called = match.groups()
            if name in local or hasattr(sp, name):
                continue
            if called:
                raise ParseError(f"{argument}={function!r} uses an unknown function {name}()")
            local[name] = sp.Symbol(name, real=True)
        try:
            expr = parse_expr(text, local_dict=local, transformations=_TRANSFORMS)
        except Exception as exc:  # sympy raises many kinds here (SyntaxError, TokenError, ...)
            raise ParseError(
                f"{argument}={function!r} could not be parsed as an expression: {exc}"
            ) from None
    elif isinstance(function, (int, float)):
        expr = sp.sympify(function)
    else:
        raise ParseError(
            f"{argument}={function!r} has type {type(function).__name__}; "
            "expected a string or a sympy expression"
        )
    if not isinstance(expr, sp.Expr):
        kind = type(expr).__name__
        raise ParseError(f"{argument}={function!r} is not an expression (got {kind})")
    undefined = sorted({str(f.func) for f in expr.atoms(AppliedUndef)})
    if undefined:
        raise ParseError(f"{argument}={function!r} uses unknown function(s) {', '.join(undefined)}")
    if expr.has(sp.zoo, sp.nan, sp.oo, -sp.oo):
        raise ParseError(f"{argument}={function!r} contains an infinite or undefined constant")
    return expr


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


@contextlib.contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise TimeoutError in the block after ``seconds`` (main thread on Unix; else no limit).

    The alarm repeats every 0.25 s until the block ends, so a TimeoutError that lands where
    it cannot propagate (a garbage-collector callback, or code that swallows exceptions) is
    raised again.  Limits nest: an enclosing limit keeps its deadline.
    """
    if threading.current_thread() is not threading.main_thread() or not hasattr(
        signal, "setitimer"
    ):
        yield
        return
    active = [True]

    def _raise(signum, frame):
        if active[0]:
            raise TimeoutError(f"sympy took longer than {seconds} s")

    start = time.monotonic()
    outer_delay, outer_interval = signal.getitimer(signal.ITIMER_REAL)
    delay = min(seconds, outer_delay) if outer_delay > 0 else seconds
    previous = signal.signal(signal.SIGALRM, _raise)
    signal.setitimer(signal.ITIMER_REAL, max(delay, 1e-3), 0.25)
    try:
        yield
    finally:
        active[0] = False
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if outer_delay > 0:  # give the enclosing limit what is left of its time
            left = outer_delay - (time.monotonic() - start)
            signal.setitimer(signal.ITIMER_REAL, max(left, 1e-3), outer_interval)
