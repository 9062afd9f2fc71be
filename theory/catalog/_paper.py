"""The paper's named test functions f1, f2, f3 (Fig. 4.1) and two standard subquadratics."""

from __future__ import annotations

import sympy as sp

from theory import validation
from theory._symbols import X
from theory.errors import ParameterError
from theory.landscape import Landscape
from theory.subquadratic import Subquadratic


def positive_parameter(name: str, value) -> sp.Expr:
    """``value`` as an exact sympy number when possible; ParameterError unless finite > 0."""
    validation.positive_real(name, value, error=ParameterError)
    if isinstance(value, sp.Basic):
        return value
    return sp.nsimplify(value, rational=True)


def f1_expr(u: sp.Expr = X) -> sp.Expr:
    """(1 + |u|) ln(1 + |u|) - |u| (caption of Fig. 4.1)."""
    return (1 + sp.Abs(u)) * sp.log(1 + sp.Abs(u)) - sp.Abs(u)


def f2_expr(u: sp.Expr = X, C=3) -> sp.Expr:
    """The population loss (6.2): C^2 u^2/3 for |u| <= 1/C, else 1 - 2/(3 C |u|)."""
    C = positive_parameter("C", C)
    return sp.Piecewise(
        (C**2 * u**2 / 3, sp.Abs(u) <= 1 / C),
        (1 - 2 / (3 * C * sp.Abs(u)), True),
    )


def f1() -> Subquadratic:
    """f1(x) = (1+|x|) ln(1+|x|) - |x| (Fig. 4.1 left).

    Convex, f1''(x) = 1/(1+|x|) strictly decreasing in |x| and tending to 0: it satisfies
    Lemma 4.1 and Theorem 4.1.  Threshold 2/f1''(0) = 2; x_eta = -(eta/2) W_{-1}(-(2/eta)
    e^{-2/eta}) - 1 (Lambert W, lower branch).
    """
    return Subquadratic(f1_expr(), name="f1")


def f2(C=3) -> Subquadratic:
    """f2 = the population loss (6.2) of the Section 6 network for data uniform on [0, C].

    Fig. 4.1 (middle) uses C = 3.  Non-convex for |x| > 1/C (f2'' = -4/(3 C |x|^3) < 0), so
    Theorem 4.1 does not apply; GD is chaotic above the threshold 2/f2''(0) = 3/C^2.
    x_eta = (eta/(3C))^(1/3) and the cycle multiplier is (1 + 4)^2 = 25: unstable.
    """
    expr = f2_expr(X, C)  # validates C first
    name = "f2" if float(C) == 3 else f"f2(C={C})"
    return Subquadratic(expr, name=name)


def f3() -> Landscape:
    """f3(x1, x2) = f2(x1) + f2(x1 + x2) + 0.5 f1(sqrt(x1^2 + x2^2)) (Fig. 4.1 right, C = 3).

    Non-convex, two-dimensional; GD with large learning rates is chaotic but bounded.
    """
    x1, x2 = sp.symbols("x1 x2", real=True)
    expr = f2_expr(x1) + f2_expr(x1 + x2) + sp.Rational(1, 2) * f1_expr(sp.sqrt(x1**2 + x2**2))
    return Landscape(expr, variables=(x1, x2), name="f3", minimum=(0.0, 0.0))


def log_cosh() -> Subquadratic:
    """log(cosh(x)): f'' = sech^2 decreasing in |x|; threshold 2 (a Lemma 4.1 function)."""
    return Subquadratic(sp.log(sp.cosh(X)), name="log_cosh")


def pseudo_huber() -> Subquadratic:
    """sqrt(1 + x^2) - 1: f'' = (1+x^2)^{-3/2}; threshold 2; x_eta = sqrt(eta^2 - 4)/2."""
    return Subquadratic(sp.sqrt(1 + X**2) - 1, name="pseudo_huber")
