"""The generated scalar code computes the sympy expressions it was printed from.

The printer (:mod:`theory.dynamics._printer`) and the code generator's CSE/rewriting are
checked without Numba: the generated function source is executed as plain Python (with numpy
stand-ins for the elementary functions) and compared with mpmath at 40 digits evaluating the
original sympy expression.  The Numba-compiled kernels are checked against an independent
reference iteration in ``test_reference.py``.
"""

from __future__ import annotations

import math
from types import SimpleNamespace

import mpmath
import numpy as np
import pytest
import sympy as sp
from hypothesis import example, given
from hypothesis import strategies as st

from theory import catalog
from theory.dynamics import CompileError
from theory.dynamics._codegen import _scalar_function
from theory.dynamics._printer import print_expression
from theory.dynamics._template import HEADER

x, y = sp.symbols("x y", real=True)

#: numpy stand-ins for the vectorisable elementary functions (same special values)
_EL = SimpleNamespace(
    log=np.log, log1p=np.log1p, exp=np.exp, expm1=np.expm1, sqrt=np.sqrt, tanh=np.tanh,
    sinh=np.sinh, cosh=np.cosh,
)


def _helpers() -> dict:
    """_sign, _max, _min exactly as the generated module defines them (njit as identity)."""
    start = HEADER.rindex("@njit", 0, HEADER.index("def _sign"))
    src = HEADER[start:]
    namespace = {"njit": lambda **kw: (lambda f: f), "_JIT": {}, "math": math, "np": np}
    exec(src, namespace)
    return {k: namespace[k] for k in ("_sign", "_max", "_min")}


HELPERS = _helpers()


def _python_function(name: str, variables, exprs):
    """Execute the generated source of ``name`` as plain Python."""
    src = _scalar_function(name, variables, exprs, "test")
    namespace = {"njit": lambda **kw: (lambda f: f), "_JIT": {}, "math": math, "np": np,
                 "_el": _EL, **HELPERS}
    exec(src, namespace)
    return namespace[name]


def _reference(variables, expr):
    return sp.lambdify(variables, expr, modules="mpmath")


def _close(value: float, reference, rel: float = 1e-12) -> bool:
    ref = float(reference)
    if math.isnan(ref):
        return math.isnan(value)
    return abs(value - ref) <= rel * max(abs(ref), 1e-300) + 1e-300


EXPRESSIONS_1D = [
    catalog.f1().landscape.gradient_exprs[0],
    catalog.f1().landscape.hessian_exprs[0][0],
    catalog.f2().landscape.gradient_exprs[0],
    catalog.f2().landscape.hessian_exprs[0][0],
    catalog.f2(C=7).landscape.gradient_exprs[0],
    sp.log(1 + x**2) - sp.sqrt(1 + x**2),  # log1p rewrite, sqrt
    sp.Abs(x) ** sp.Rational(3, 2) - x**7 + 1 / x**5,  # half-integer and large powers
    sp.tanh(x) * sp.exp(-(x**2)) + sp.sinh(x / 3) / sp.cosh(x / 3),
    sp.atan(x) + sp.erf(x / 2) + (sp.exp(x / 10) - 1) + sp.cbrt(sp.Abs(x) + 1),
    sp.Max(x, 1 - x, sp.Rational(1, 2)) + sp.Min(x**2, 2),
    sp.sign(x) * sp.log(1 + sp.Abs(x)) + sp.pi * x + sp.E,
    sp.Piecewise((x**2, (x > -1) & (x < 1)), (sp.Abs(x), (x > 5) | (x < -5)), (1 + x / 10, True)),
    sp.Heaviside(x - 1) * (x - 1) ** 2,
]


@pytest.mark.parametrize("expr", EXPRESSIONS_1D, ids=range(len(EXPRESSIONS_1D)))
@given(value=st.floats(-50, 50, allow_nan=False).filter(lambda v: abs(v) > 1e-9))
@example(value=0.3333333)  # just inside f2's quadratic piece (C = 3)
@example(value=-1.0)
def test_generated_1d_function_matches_mpmath(expr, value):
    fn = _python_function("fn", (x,), [expr])
    reference = _reference((x,), expr)
    with mpmath.workdps(40), np.errstate(all="ignore"):
        expected = reference(mpmath.mpf(value))
        got = fn(value)[0]
    assert _close(float(got), expected), (expr, value, got, expected)


def test_generated_gradient_and_hessian_of_f3_match_mpmath(rng):
    """f3 (Fig. 4.1 right): all gradient and Hessian entries, shared subexpressions."""
    L = catalog.f3()
    exprs = [*L.gradient_exprs, *(h for row in L.hessian_exprs for h in row)]
    fn = _python_function("fn", L.variables, exprs)
    refs = [_reference(L.variables, e) for e in exprs]
    for point in rng.uniform(-4, 4, size=(60, 2)):
        values = fn(*point)
        with mpmath.workdps(40):
            for got, ref in zip(values, refs, strict=True):
                assert _close(float(got), ref(*map(mpmath.mpf, point)), rel=1e-11)


def test_log_of_one_plus_is_printed_as_log1p():
    """log(1 + u) -> log1p(u): accurate near the minimum (f1' ~ x for small x)."""
    fn = _python_function("fn", (x,), [catalog.f1().landscape.gradient_exprs[0]])
    tiny = 1e-300
    assert fn(tiny)[0] == pytest.approx(tiny, rel=1e-15)
    assert fn(-tiny)[0] == pytest.approx(-tiny, rel=1e-15)


def test_helpers_propagate_nan():
    """sign, max, min never turn a nan into a number (a diverged orbit stays non-finite)."""
    nan = float("nan")
    assert math.isnan(HELPERS["_sign"](nan))
    assert HELPERS["_sign"](-3.0) == -1.0 and HELPERS["_sign"](2.0) == 1.0
    assert HELPERS["_sign"](0.0) == 0.0
    for f in (HELPERS["_max"], HELPERS["_min"]):
        assert math.isnan(f(nan, 1.0)) and math.isnan(f(1.0, nan))
    assert HELPERS["_max"](1.0, 2.0) == 2.0 and HELPERS["_min"](1.0, 2.0) == 1.0


def test_piecewise_outside_every_piece_is_nan():
    expr = sp.Piecewise((x, x > 0))
    assert print_expression(expr, {x: "x_0"}).endswith("else math.nan)")
    fn = _python_function("fn", (x,), [expr])
    assert math.isnan(fn(-1.0)[0]) and fn(2.0)[0] == 2.0


@pytest.mark.parametrize(
    "expr",
    [sp.besselj(0, x), sp.I * x, sp.Function("g")(x), sp.zeta(x)],
    ids=["besselj", "complex", "undefined", "zeta"],
)
def test_uncompilable_expressions_raise_compile_error(expr):
    with pytest.raises(CompileError):
        print_expression(expr, {x: "x_0"})


def test_foreign_symbol_is_rejected():
    with pytest.raises(CompileError, match="'y'"):
        print_expression(x + y, {x: "x_0"})
