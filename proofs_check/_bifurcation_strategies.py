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
def asymmetric_flip_functions(draw, degenerate: bool = True, mild: bool = False) -> FlipCase:
    """f = a phi(x - s) + b (x - s)^3 + c (x - s)^4 with a known k = Q / (3 a^2) (see the
    module docstring); ``degenerate=False`` leaves out k = 0.

    ``mild=True`` keeps the map's quadratic coefficient eta* f3/2 = 3b/a (f3 the third
    derivative) at most 3/4 and |k| >= 1, so the normal form describes the map up to
    eta = eta* (1 + 1e-3): the 2-cycle of a small k against a large quadratic term folds
    back within a tiny distance of eta* (its fifth-order term ~ (3b/a)^4 wins once
    eta - eta* ~ k^2 / (3b/a)^4), where a simulation at a fixed offset would miss it.
    """
    family = draw(st.sampled_from(("polynomial", "log_cosh")))
    a = draw(st.sampled_from(SCALES[:1] + SCALES[2:] if mild else SCALES))
    b = draw(st.sampled_from([v for v in CUBICS if abs(v) <= _R(1, 4)] if mild else CUBICS))
    s = draw(st.sampled_from(SHIFTS))
    ks = [v for v in COEFFICIENTS if abs(v) >= 1 or v == 0] if mild else list(COEFFICIENTS)
    k = draw(st.sampled_from(ks if degenerate else [v for v in ks if v != 0]))
    # f'''' = 24c (+ -2a for log cosh) = (108 b^2 - 3 a^2 k) / a
    fourth = (108 * b**2 - 3 * a**2 * k) / a
    c = (fourth + (2 * a if family == "log_cosh" else 0)) / 24
    u = X - s
    phi = u**2 / 2 if family == "polynomial" else sp.log(sp.cosh(u))
    return FlipCase(a * phi + b * u**3 + c * u**4, family, a, b, c, s, k)

