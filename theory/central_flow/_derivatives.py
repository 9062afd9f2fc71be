"""Numeric derivatives of a symbolic landscape up to the third, and the LCP of the flow.

The central flow needs, at a point w, the gradient g, the Hessian H, its eigenpairs and,
for each critical eigenvector u, the gradient of the eigenvalue grad lambda = D^3L(w)[u, u, .]
(the third-derivative tensor contracted twice).  :class:`Derivatives` evaluates all of them
from the landscape's exact expressions (the third derivatives by differentiating the Hessian
entries symbolically once).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property
from itertools import combinations

import numpy as np
import sympy as sp

from theory._sympy_utils import derivative
from theory.landscape import Landscape, _vectorised

#: relative step of the central differences used where sympy leaves a derivative unevaluated
_STEP = 1e-5
#: the complementarity problem is solved by enumerating active sets up to this size
MAX_ENUMERATED = 10


def _without_sign_derivatives(expr: sp.Expr) -> sp.Expr:
    """d sign(u)/dv = 0 almost everywhere (the landscapes' derivatives hold a.e.)."""
    return expr.replace(
        lambda e: isinstance(e, sp.Derivative) and isinstance(e.expr, sp.sign),
        lambda e: sp.S.Zero,
    )


class Derivatives:
    """Value, gradient, Hessian and third-derivative tensor of a :class:`Landscape`."""

    def __init__(self, landscape: Landscape):
        self.landscape = landscape

    @property
    def dim(self) -> int:
        return self.landscape.dim

    @cached_property
    def _third_fns(self) -> dict[tuple[int, int, int], Callable]:
        hess = self.landscape.hessian_exprs
        variables = self.landscape.variables
        fns: dict[tuple[int, int, int], Callable] = {}
        for i in range(self.dim):
            for j in range(i, self.dim):
                for k in range(j, self.dim):
                    expr = _without_sign_derivatives(derivative(hess[i][j], variables[k]))
                    if expr.has(sp.Derivative):  # an unevaluated derivative: differences
                        fns[(i, j, k)] = self._difference(i, j, k)
                    else:
                        fns[(i, j, k)] = _vectorised(expr, variables)
        return fns

    def _difference(self, i: int, j: int, k: int) -> Callable:
        """d H_ij / d w_k by central differences of the exact Hessian (error ~ 1e-10)."""

        def evaluate(points: np.ndarray) -> np.ndarray:
            step = _STEP * (1.0 + np.abs(points[..., k]))
            shift = np.zeros(points.shape)
            shift[..., k] = step
            upper = self.landscape.hessian(points + shift)[..., i, j]
            lower = self.landscape.hessian(points - shift)[..., i, j]
            return (upper - lower) / (2 * step)

        return evaluate

    def value(self, w: np.ndarray) -> float:
        return float(self.landscape.value(w))

    def gradient(self, w: np.ndarray) -> np.ndarray:
        return np.asarray(self.landscape.gradient(w), dtype=float).reshape(self.dim)

    def hessian(self, w: np.ndarray) -> np.ndarray:
        return np.asarray(self.landscape.hessian(w), dtype=float).reshape(self.dim, self.dim)

    def third(self, w: np.ndarray) -> np.ndarray:
        """D^3 L(w) as a symmetric (d, d, d) array."""
        point = np.asarray(w, dtype=float).reshape(1, self.dim)
        out = np.empty((self.dim,) * 3)
        for (i, j, k), fn in self._third_fns.items():
            value = float(fn(point)[0])
            for a, b, c in {(i, j, k), (i, k, j), (j, i, k), (j, k, i), (k, i, j), (k, j, i)}:
                out[a, b, c] = value
        return out

    def eigen_gradients(self, w: np.ndarray, vectors: np.ndarray) -> np.ndarray:
        """grad lambda_i = D^3L(w)[u_i, u_i, .] for the columns u_i of ``vectors`` -> (k, d)."""
        return np.einsum("abc,ai,bi->ic", self.third(w), vectors, vectors)


def solve_lcp(matrix: np.ndarray, q: np.ndarray) -> np.ndarray:
    """x >= 0 with w = q + M x >= 0 and x . w = 0, for M symmetric positive semidefinite.

    Active sets are enumerated from the smallest (exact; k <= ``MAX_ENUMERATED``); with a
    positive semidefinite M a solution exists whenever the problem is feasible, and x is the
    minimiser of 1/2 x^T M x + q^T x over x >= 0.  Beyond that size, or if no active set
    passes (a degenerate M), projected Gauss-Seidel on the same quadratic program.
    """
    q = np.asarray(q, dtype=float)
    k = q.size
    if k == 0 or np.all(q >= 0):
        return np.zeros(k)
    scale = 1e-10 * (1.0 + np.abs(q).max())
    if k <= MAX_ENUMERATED:
        for size in range(1, k + 1):
            for active in combinations(range(k), size):
                idx = list(active)
                sub = matrix[np.ix_(idx, idx)]
                x_active = np.linalg.lstsq(sub, -q[idx], rcond=None)[0]
                if np.any(x_active < -scale):
                    continue
                x = np.zeros(k)
                x[idx] = np.maximum(x_active, 0.0)
                if np.all(q + matrix @ x >= -scale * (1 + np.abs(matrix).max())):
                    return x
    x = np.zeros(k)
    diagonal = np.maximum(np.diag(matrix), 1e-300)
    for _ in range(10_000):
        previous = x.copy()
        for i in range(k):
            x[i] = max(0.0, x[i] - (q[i] + matrix[i] @ x) / diagonal[i])
        if np.max(np.abs(x - previous)) <= 1e-14 * (1 + np.max(np.abs(x))):
            break
    return x
