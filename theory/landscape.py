"""Multi-dimensional landscapes: a sympy expression with its gradient and Hessian.

The paper's two-dimensional examples (f3 of Fig. 4.1, the valley of Section 4.4, the two
valleys (5.1), separable sums (4.4), the Section 6 network) are all :class:`Landscape`
objects: an expression in ordered real variables with exact gradient and Hessian (almost
everywhere: see :mod:`theory._sympy_utils`) and fast numpy versions of all three.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cached_property

import numpy as np
import sympy as sp

from theory._consistency import check_gradient
from theory._sympy_utils import derivative, natural_key, parse, realify, to_piecewise
from theory.errors import LandscapeError

#: relative offset used to evaluate a removable singularity (see :func:`_vectorised`)
_REMOVABLE_STEP = 1e-7


def _vectorised(expr: sp.Expr, variables: tuple[sp.Symbol, ...]) -> Callable:
    """A numpy function of points (..., d).

    Where the formula is 0/0 at a finite point (a removable singularity, such as
    log(1 + r)/r at r = 0 in the gradient of f1(|x|)), the value is the mean of the two
    values at x +- 1e-7 (1 + |x|) e, e = (1, ..., 1)/sqrt(d): the limit up to O(1e-14)
    where the function is smooth, and up to about 1e-7 relative where it is only
    Lipschitz (the Hessian of f1(|x|) at 0, whose error grows like |x|).
    """
    fn = sp.lambdify(variables, expr, modules=["scipy", "numpy"])

    def raw(points: np.ndarray) -> np.ndarray:
        columns = [points[..., i] for i in range(points.shape[-1])]
        with np.errstate(all="ignore"):
            out = fn(*columns)
        return np.array(np.broadcast_to(np.asarray(out, dtype=float), points.shape[:-1]))

    def evaluate(points: np.ndarray) -> np.ndarray:
        out = raw(points)
        singular = np.isnan(out) & np.all(np.isfinite(points), axis=-1)
        if singular.any():
            where = points[singular]
            scale = _REMOVABLE_STEP * (1 + np.max(np.abs(where), axis=-1, keepdims=True))
            offset = scale / np.sqrt(points.shape[-1])
            out[singular] = 0.5 * (raw(where + offset) + raw(where - offset))
        return out

    return evaluate


class Landscape:
    """A loss landscape f: R^d -> R given symbolically.

    ``Landscape("f(x1, x2) expression")`` orders the variables naturally (x2 before x10);
    pass ``variables=`` to choose the order.  ``gradient=``/``hessian=`` may supply
    derivative expressions (e.g. from a chain rule) instead of differentiating ``expr``.
    ``minimum`` is the known global minimiser, if any.  Immutable.
    """

    __slots__ = ("__dict__", "expr", "minimum", "name", "variables")
    expr: sp.Expr
    minimum: tuple[float, ...] | None
    name: str
    variables: tuple[sp.Symbol, ...]

    def __init__(
        self,
        function: str | sp.Expr,
        variables: Sequence[sp.Symbol | str] | None = None,
        *,
        name: str | None = None,
        gradient: Sequence[sp.Expr] | None = None,
        hessian: Sequence[Sequence[sp.Expr]] | None = None,
        minimum: Sequence[float] | None = None,
    ):
        expr = realify(parse(function))
        free = expr.free_symbols
        if variables is None:
            ordered = tuple(sorted(free, key=natural_key))
        else:
            ordered = tuple(
                sp.Symbol(v if isinstance(v, str) else v.name, real=True) for v in variables
            )
            if len(set(ordered)) != len(ordered):
                raise LandscapeError(f"variables={list(variables)} contains a repeated name")
            missing = sorted(s.name for s in free - set(ordered))
            if missing:
                raise LandscapeError(
                    f"function={function!r} uses {', '.join(missing)}, not among "
                    f"variables={[v.name for v in ordered]}"
                )
        if not ordered:
            raise LandscapeError(f"function={function!r} has no variable")
        if minimum is not None:
            try:
                minimum = tuple(float(m) for m in minimum)
            except (TypeError, ValueError):
                raise LandscapeError(f"minimum={minimum!r} must be a sequence of numbers") from None
            if not all(np.isfinite(minimum)):
                raise LandscapeError(f"minimum={list(minimum)} must have finite coordinates")
            if len(minimum) != len(ordered):
                raise LandscapeError(
                    f"minimum={minimum} has {len(minimum)} coordinates; expected {len(ordered)}"
                )
        set_ = object.__setattr__
        set_(self, "expr", to_piecewise(expr))
        set_(self, "variables", ordered)
        set_(self, "name", name or str(function))
        set_(self, "minimum", minimum)
        if gradient is not None:
            if len(gradient) != len(ordered):
                raise LandscapeError(f"gradient has {len(gradient)} entries; need {len(ordered)}")
            given = tuple(
                realify(parse(g, argument=f"gradient[{i}]")) for i, g in enumerate(gradient)
            )
            check_gradient(self.expr, ordered, given)
            self.__dict__["gradient_exprs"] = given
        if hessian is not None:
            self.__dict__["hessian_exprs"] = tuple(
                tuple(realify(parse(e, argument=f"hessian[{i}][{j}]")) for j, e in enumerate(row))
                for i, row in enumerate(hessian)
            )

    def __setattr__(self, key, value):
        raise AttributeError(f"Landscape is immutable (cannot set {key!r})")

    def __repr__(self) -> str:
        return f"Landscape({self.name!r}, variables={[v.name for v in self.variables]})"

    @property
    def dim(self) -> int:
        return len(self.variables)

    @property
    def landscape(self) -> Landscape:
        """Itself (the :class:`theory.resolver.FunctionLike` protocol)."""
        return self

    @cached_property
    def gradient_exprs(self) -> tuple[sp.Expr, ...]:
        """(df/dv_1, ..., df/dv_d), almost everywhere (no DiracDelta terms)."""
        return tuple(derivative(self.expr, v) for v in self.variables)

    @cached_property
    def hessian_exprs(self) -> tuple[tuple[sp.Expr, ...], ...]:
        """The d x d Hessian, symmetric by construction (upper triangle mirrored)."""
        rows: list[list[sp.Expr]] = [[sp.S.Zero] * self.dim for _ in range(self.dim)]
        for i, gi in enumerate(self.gradient_exprs):
            for j in range(i, self.dim):
                rows[i][j] = rows[j][i] = derivative(gi, self.variables[j])
        return tuple(tuple(r) for r in rows)

    @property
    def gradient_matrix(self) -> sp.Matrix:
        return sp.Matrix(self.gradient_exprs)

    @property
    def hessian_matrix(self) -> sp.Matrix:
        return sp.Matrix(self.hessian_exprs)

    # ------------------------------------------------------------------ numeric
    def _points(self, points) -> np.ndarray:
        a = np.asarray(points, dtype=float)
        if self.dim == 1 and (a.ndim == 0 or a.shape[-1] != 1):
            a = a[..., None]
        if a.shape[-1] != self.dim:
            raise LandscapeError(
                f"points have last dimension {a.shape[-1]}; {self.name!r} has {self.dim} variables"
            )
        return a

    @cached_property
    def _value_fn(self) -> Callable:
        return _vectorised(self.expr, self.variables)

    @cached_property
    def _gradient_fns(self) -> list[Callable]:
        return [_vectorised(g, self.variables) for g in self.gradient_exprs]

    @cached_property
    def _hessian_fns(self) -> list[list[Callable]]:
        return [[_vectorised(e, self.variables) for e in row] for row in self.hessian_exprs]

    def value(self, points) -> np.ndarray:
        """f at points of shape (..., d) (1-D landscapes also accept shape (...))."""
        return self._value_fn(self._points(points))

    def gradient(self, points) -> np.ndarray:
        """grad f at points (..., d) -> (..., d)."""
        a = self._points(points)
        return np.stack([g(a) for g in self._gradient_fns], axis=-1)

    def hessian(self, points) -> np.ndarray:
        """Hessian at points (..., d) -> (..., d, d)."""
        a = self._points(points)
        return np.stack([np.stack([e(a) for e in row], axis=-1) for row in self._hessian_fns], -2)
