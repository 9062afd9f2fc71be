"""A landscape's loss, gradient and Hessian as whole-array NumPy functions (no compilation).

The NumPy engine (:mod:`theory.dynamics._numpy_kernel`) evaluates the same expressions as
the generated Numba kernels (:mod:`theory.dynamics._codegen`): the same ``log1p``/``expm1``
rewriting, the same common subexpressions and the same printer
(:class:`~theory.dynamics._printer.NumbaPrinter`), so the operations and their order are the
kernel's; only the names are bound to NumPy's ufuncs instead of Numba's scalar functions
(``_el.log`` -> ``np.log``, ``math.sin`` -> ``np.sin``, ``_max`` -> ``np.maximum`` (NaN
propagating, like the kernel's), ``a if c else b`` -> ``np.where(c, a, b)``).  Results
agree with the kernel's to a few ulp (the elementary functions are different
implementations of the same correctly specified functions; the kernel may contract ``a*b+c``
into one FMA).

``*_safe`` variants fill the entries that are not finite at a finite x with their mean at
x -+ offset, the rule of :class:`theory.Landscape` and of the kernels' ``*_safe`` functions.
Building the functions costs milliseconds (sympy CSE and ``exec``), not Numba's tens of
seconds.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import SimpleNamespace

import numpy as np
import sympy as sp

from theory.dynamics._codegen import derivative_exprs, printed_function
from theory.dynamics._elementary import ELEMENTARY_NAMES
from theory.dynamics._printer import _MATH_FUNCTIONS, NumbaPrinter

__all__ = ["NumpyFunctions", "numpy_functions"]


class _NumpyPrinter(NumbaPrinter):
    """NumbaPrinter's text with the two constructs that do not work on arrays replaced."""

    printmethod = "_numpycode"

    def _conditional(self, cond: str, value: str, otherwise: str) -> str:
        return f"np.where({cond}, {value}, {otherwise})"

    def _print_Not(self, expr):
        return f"np.logical_not({self._print(expr.args[0])})"


def _vectorised(function: Callable[[float], float]):
    ufunc = np.frompyfunc(function, 1, 1)
    return lambda x: np.asarray(ufunc(x), dtype=float)


def _namespace() -> dict:
    """What the printed names mean for arrays."""
    el = SimpleNamespace(**{name: getattr(np, name) for name in ELEMENTARY_NAMES})
    math_names = {"nan": math.nan, "inf": math.inf}
    for printed in _MATH_FUNCTIONS.values():
        module, name = printed.split(".")
        if module != "math":
            continue
        if hasattr(np, name):
            math_names[name] = getattr(np, name)
        else:  # erf, erfc, gamma, lgamma: element by element (rare in landscapes)
            math_names[name] = _vectorised(getattr(math, name))
    math_names.update(asin=np.arcsin, acos=np.arccos, atan=np.arctan,  # type: ignore[call-overload]
                      atan2=np.arctan2,
                      asinh=np.arcsinh, acosh=np.arccosh, atanh=np.arctanh)
    return {
        "np": np,
        "math": SimpleNamespace(**math_names),
        "_el": el,
        "_sign": np.sign,
        "_max": np.maximum,
        "_min": np.minimum,
        "_full": _full,
    }


def _full(value, like):
    """``value`` as a float array of ``like``'s shape (a constant derivative entry)."""
    value = np.asarray(value, dtype=float)
    return value if value.shape == like.shape else np.broadcast_to(value, like.shape)


def _function_source(name: str, variables: Sequence[sp.Symbol], exprs: Sequence[sp.Expr]
                     ) -> str:
    """``def name(x_0, ...): ... return (e_0, ...)``: the kernel's scalar function, on arrays."""
    return printed_function(name, variables, exprs, _NumpyPrinter, wrap="_full({}, x_0)")


def _safe(function):
    """``function`` with the entries that are not finite at a finite x (a removable
    singularity, 0/0) replaced by their mean at x -+ offset, offset = 1e-7 (1 + max_k |x_k|)
    / sqrt(d) along (1, ..., 1) (the kernels' ``*_safe``)."""

    def safe(*xs):
        values = [np.array(v, dtype=float) for v in function(*xs)]
        finite_x = np.logical_and.reduce([np.isfinite(x) for x in xs])
        bad = finite_x & np.logical_or.reduce([~np.isfinite(v) for v in values])
        if bad.any():
            sub = [x[bad] for x in xs]
            scale = np.maximum.reduce([np.abs(x) for x in sub] + [np.zeros_like(sub[0])])
            h = 1e-7 * (1.0 + scale) / math.sqrt(float(len(xs)))
            a = function(*(x + h for x in sub))
            b = function(*(x - h for x in sub))
            for v, va, vb in zip(values, a, b, strict=True):
                old = v[bad]
                v[bad] = np.where(np.isfinite(old), old, 0.5 * (va + vb))
        return tuple(values)

    return safe


@dataclass(frozen=True)
class NumpyFunctions:
    """loss, grad, grad_hess (Hessian: upper triangle row by row, as in the kernels) and
    their ``*_safe`` variants, each taking the d coordinate arrays and returning a tuple of
    arrays; ``dim`` the number of variables."""

    dim: int
    loss: Callable
    grad: Callable
    grad_hess: Callable
    loss_safe: Callable
    grad_safe: Callable
    grad_hess_safe: Callable
    source: str


_LOCK = threading.Lock()
_BY_KEY: dict[str, NumpyFunctions] = {}


def numpy_functions(key: str, variables, expr, gradient, hessian) -> NumpyFunctions:
    """The NumPy functions of a landscape (remembered per kernel ``key`` in this process).

    Raises :class:`~theory.dynamics._errors.CompileError` (from the printer) for a function
    the kernels cannot evaluate either.
    """
    with _LOCK:
        if key in _BY_KEY:
            return _BY_KEY[key]
    d = len(variables)
    exprs = derivative_exprs(expr, gradient, hessian)
    source = "\n\n".join(_function_source(name, variables, exprs[name]) for name in exprs)
    namespace = _namespace()
    exec(compile(source, f"<numpy functions {key}>", "exec"), namespace)
    functions = NumpyFunctions(
        dim=d,
        loss=namespace["loss"],
        grad=namespace["grad"],
        grad_hess=namespace["grad_hess"],
        loss_safe=_safe(namespace["loss"]),
        grad_safe=_safe(namespace["grad"]),
        grad_hess_safe=_safe(namespace["grad_hess"]),
        source=source,
    )
    with _LOCK:
        _BY_KEY[key] = functions
    return functions
