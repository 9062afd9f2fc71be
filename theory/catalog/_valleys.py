"""Valleys of minima: F(x, y) = f(h(x) y) (Section 4.4) and two valleys at two scales (5.1)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import sympy as sp

from theory._symbols import X
from theory._sympy_utils import derivative, parse, realify, to_piecewise
from theory.catalog._paper import f1, positive_parameter
from theory.errors import ParameterError
from theory.landscape import Landscape
from theory.subquadratic import Subquadratic


@dataclass(frozen=True)
class Valley:
    """F(x, y) = f(h(x) y) (Section 4.4): a manifold of minima {y = 0} whose flatness is h.

    ``f`` is a :class:`Subquadratic` (the profile across the valley), ``h`` a positive
    expression in the manifold coordinates ``x`` (smaller h = flatter minimum), ``y`` the
    coordinate across the valley.  The landscape's variables are (*x, y).
    """

    f: Subquadratic
    h: sp.Expr
    x: tuple[sp.Symbol, ...]
    y: sp.Symbol
    name: str = "valley"
    domain: str = field(default="", compare=False)

    def __post_init__(self):
        h = realify(parse(self.h, argument="h"))
        x = tuple(sp.Symbol(getattr(v, "name", v), real=True) for v in self.x)
        y = sp.Symbol(getattr(self.y, "name", self.y), real=True)
        if y in x:
            raise ParameterError(f"y={y} must differ from the manifold variables x={x}")
        extra = h.free_symbols - set(x)
        if extra:
            raise ParameterError(f"h={h} depends on {sorted(map(str, extra))}, not among x={x}")
        at_origin = sp.N(h.xreplace({v: 0 for v in x}))
        if not (at_origin.is_real and at_origin.is_finite and bool(at_origin > 0)):
            raise ParameterError(
                f"h={h} must be positive (the valley's flatness); at x = 0 it is {at_origin}"
            )
        object.__setattr__(self, "h", to_piecewise(h))
        object.__setattr__(self, "x", x)
        object.__setattr__(self, "y", y)

    @property
    def variables(self) -> tuple[sp.Symbol, ...]:
        return (*self.x, self.y)

    @cached_property
    def landscape(self) -> Landscape:
        """F as a Landscape, with gradient and Hessian from the chain rule through u = h y."""
        u = self.h * self.y
        d1 = self.f.df_expr.xreplace({X: u})
        d2 = self.f.d2f_expr.xreplace({X: u})
        grad_h = [derivative(self.h, v) for v in self.x]
        gradient = [d1 * self.y * g for g in grad_h] + [d1 * self.h]
        n = len(self.x)
        hessian = [[sp.S.Zero] * (n + 1) for _ in range(n + 1)]
        for i in range(n):
            for j in range(i, n):
                hij = derivative(grad_h[i], self.x[j])
                hessian[i][j] = hessian[j][i] = d2 * self.y**2 * grad_h[i] * grad_h[j] + (
                    d1 * self.y * hij
                )
            hessian[i][n] = hessian[n][i] = d2 * self.h * self.y * grad_h[i] + d1 * grad_h[i]
        hessian[n][n] = d2 * self.h**2
        return Landscape(
            self.f.expr.xreplace({X: u}),
            variables=self.variables,
            name=self.name,
            gradient=gradient,
            hessian=hessian,
        )

    @cached_property
    def _h_numeric(self):
        return Landscape(self.h, variables=self.x, name="h")

    def flatness(self, x) -> np.ndarray:
        """h(x) at manifold points of shape (..., d)."""
        return self._h_numeric.value(x)

    def grad_log_h(self, x) -> np.ndarray:
        """grad log h(x) = grad h / h at manifold points (..., d) -> (..., d)."""
        return self._h_numeric.gradient(x) / self.flatness(x)[..., None]


def valley(f: Subquadratic, h: str | sp.Expr, x: Sequence[str] = ("x1",), y: str = "x2",
           name: str = "valley") -> Valley:
    """F(x, y) = f(h(x) y) of Section 4.4 for a profile ``f`` and flatness ``h``."""
    return Valley(f, h, tuple(x), y, name=name)


def fig_4_2() -> Valley:
    """Fig. 4.2: F(x1, x2) = f1(x2 / (1 + 0.01 x1)); GD from (1, 1) at eta = 3.

    h(x1) = 1/(1 + 0.01 x1) is positive for x1 > -100 and decreases: GD bouncing across
    the valley drifts towards larger x1 (flatter minima) following (4.8), and stops where
    eta h(x1)^2 f1''(0) <= 2, i.e. x1 >= 100 (sqrt(3/2) - 1) ~ 22.47.
    """
    x1 = sp.Symbol("x1", real=True)
    return Valley(f1(), 1 / (1 + sp.Rational(1, 100) * x1), (x1,), sp.Symbol("x2", real=True),
                  name="fig4.2", domain="x1 > -100")


@dataclass(frozen=True)
class TwoValley:
    """F(x, y) = f(h(x) y) + phi_c(f(k h(y) x)) (5.1): a flat valley and a sharp one.

    ``g1 = f(h(x) y)`` is the large flat valley along x; ``g2 = f(k h(y) x)``, k > 1, a
    smaller, sharper valley along y; the cutoff phi_c confines g2 to [0, c].  ``cutoff`` is
    ``"rational"`` (phi_c(z) = c z/(1 + z), Fig. 5.1) or ``"min"`` (phi_c(z) = min(z, c)).
    ``h`` is a positive expression in the single symbol ``t`` with argmin 0.
    """

    f: Subquadratic
    h: sp.Expr
    k: sp.Expr
    c: sp.Expr
    cutoff: str = "rational"
    name: str = "two_valley"

    def __post_init__(self):
        t = sp.Symbol("t", real=True)
        h = realify(parse(self.h, argument="h"))
        if h.free_symbols - {t}:
            raise ParameterError(f"h={h} must be an expression in t only")
        k = positive_parameter("k", self.k)
        if not bool(k > 1):
            raise ParameterError(f"k={self.k!r} must be > 1 (the second valley is sharper)")
        if self.cutoff not in ("rational", "min"):
            raise ParameterError(f"cutoff={self.cutoff!r} must be 'rational' or 'min'")
        object.__setattr__(self, "h", h)
        object.__setattr__(self, "k", k)
        object.__setattr__(self, "c", positive_parameter("c", self.c))

    def phi(self, z: sp.Expr) -> sp.Expr:
        """The cutoff phi_c of (5.1)."""
        if self.cutoff == "min":
            return sp.Min(z, self.c)
        return self.c * z / (1 + z)

    @cached_property
    def landscape(self) -> Landscape:
        x1, x2 = sp.symbols("x1 x2", real=True)
        t = sp.Symbol("t", real=True)
        g1 = self.f.expr.xreplace({X: self.h.xreplace({t: x1}) * x2})
        g2 = self.f.expr.xreplace({X: self.k * self.h.xreplace({t: x2}) * x1})
        return Landscape(g1 + self.phi(g2), variables=(x1, x2), name=self.name,
                         minimum=(0.0, 0.0))


def two_valley(f: Subquadratic, h: str | sp.Expr = "1 + t**2/1000", k=10, c=0.25,
               cutoff: str = "rational", name: str = "two_valley") -> TwoValley:
    """The two-valley landscape (5.1)."""
    return TwoValley(f, h, k, c, cutoff, name)


def fig_5_1() -> TwoValley:
    """Fig. 5.1: f(x1, x2) = g(x1, x2) + 0.25 g(x2, 10 x1)/(1 + g(x2, 10 x1)),
    g(a, b) = f1((1 + 0.001 a^2) b).  GD from (-20, 3) at eta = 2.5, decayed to 0.25 at step
    650, 700 or 750.
    """
    t = sp.Symbol("t", real=True)
    return TwoValley(f1(), 1 + t**2 / 1000, 10, sp.Rational(1, 4), "rational", "fig5.1")
