"""Hypothesis strategy: asymmetric 1-D functions whose flip direction is known by construction.

f(x) = a phi(u) + b u^3 + c u^4 with u = x - s (a shifted minimum at s), phi(u) = u^2/2 or
log cosh u.  At the minimum f'' = a, f''' = 6b and f'''' = 24c (polynomial) or
24c - 2a (log cosh), so Q = 3 f'''^2 - f'' f'''' = 108 b^2 - a f''''.  The strategy draws
a, b, s and a target normal-form coefficient k = Q / (3 a^2) in a set of small rationals
(0 included: certified degenerate), then solves for c, so the direction is known exactly:
supercritical iff k > 0 (issue 21; Kuznetsov, Elements of Applied Bifurcation Theory,
Thm 4.3).  Every parameter is an exact rational.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import sympy as sp
from hypothesis import strategies as st
from hypothesis.strategies import composite

from theory import X

__all__ = ["FlipCase", "asymmetric_flip_functions"]

_R = sp.Rational
SCALES = (_R(1), _R(1, 2), _R(2))
CUBICS = (_R(0), _R(1, 4), _R(-1, 4), _R(1, 2), _R(-1, 2), _R(1, 8))
SHIFTS = (_R(0), _R(1, 2), _R(-1, 3), _R(1))
COEFFICIENTS = (_R(1), _R(-1), _R(1, 2), _R(-1, 2), _R(2), _R(-2), _R(0))


class FlipCase(NamedTuple):
    """A drawn function with its exact Taylor data at the minimum and flip direction."""

    expr: sp.Expr
    family: str
    a: sp.Rational
    b: sp.Rational
    c: sp.Rational
    minimum: sp.Rational
    coefficient: sp.Rational

    @property
    def quantity(self) -> sp.Rational:
        """Q = 3 f'''^2 - f'' f'''' = 3 a^2 k, exactly."""
        return 3 * self.a**2 * self.coefficient

    @property
    def direction(self) -> str:
        k = self.coefficient
        return "supercritical" if k > 0 else ("subcritical" if k < 0 else "degenerate")

    @property
    def threshold(self) -> float:
        return float(2 / self.a)

    def gradient(self, x: np.ndarray) -> np.ndarray:
        """f'(x) with NumPy (a reference independent of theory's lambdify)."""
        u = np.asarray(x, dtype=float) - float(self.minimum)
        d_phi = u if self.family == "polynomial" else np.tanh(u)
        return float(self.a) * d_phi + 3 * float(self.b) * u**2 + 4 * float(self.c) * u**3


@composite
def asymmetric_flip_functions(draw, degenerate: bool = True) -> FlipCase:
    """f = a phi(x - s) + b (x - s)^3 + c (x - s)^4 with a known k = Q / (3 a^2) (see the
    module docstring); ``degenerate=False`` leaves out k = 0."""
    family = draw(st.sampled_from(("polynomial", "log_cosh")))
    a = draw(st.sampled_from(SCALES))
    b = draw(st.sampled_from(CUBICS))
    s = draw(st.sampled_from(SHIFTS))
    k = draw(st.sampled_from(COEFFICIENTS if degenerate else COEFFICIENTS[:-1]))
    # f'''' = 24c (+ -2a for log cosh) = (108 b^2 - 3 a^2 k) / a
    fourth = (108 * b**2 - 3 * a**2 * k) / a
    c = (fourth + (2 * a if family == "log_cosh" else 0)) / 24
    u = X - s
    phi = u**2 / 2 if family == "polynomial" else sp.log(sp.cosh(u))
    return FlipCase(a * phi + b * u**3 + c * u**4, family, a, b, c, s, k)

