"""Separable sums over an orthonormal basis, f(x) = sum_i f_i(p_i^T x) (4.4), Theorem 4.2."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import sympy as sp

from theory._symbols import X
from theory.errors import ParameterError
from theory.landscape import Landscape
from theory.subquadratic import Subquadratic


@dataclass(frozen=True, eq=False)
class Separable:
    """f(x) = f_1(p_1^T x) + ... + f_n(p_n^T x) (4.4), {p_i} an orthonormal basis.

    ``basis`` is an (n, n) array whose ROWS are p_1, ..., p_n.  By Theorem 4.2 the
    components z^(i) = p_i^T x_t of a GD trajectory behave like GD on f_i alone.
    """

    functions: tuple[Subquadratic, ...]
    basis: np.ndarray

    def __post_init__(self):
        functions = tuple(self.functions)
        if not functions or not all(isinstance(f, Subquadratic) for f in functions):
            raise ParameterError("functions must be a non-empty sequence of Subquadratic")
        basis = np.array(self.basis, dtype=float)
        n = len(functions)
        if basis.shape != (n, n):
            raise ParameterError(f"basis has shape {basis.shape}; expected ({n}, {n})")
        if not np.all(np.isfinite(basis)):
            raise ParameterError("basis contains non-finite entries")
        deviation = float(np.max(np.abs(basis @ basis.T - np.eye(n))))
        if deviation > 1e-10:
            raise ParameterError(
                f"basis is not orthonormal: max |P P^T - I| = {deviation:.3g} > 1e-10"
            )
        basis.setflags(write=False)
        object.__setattr__(self, "functions", functions)
        object.__setattr__(self, "basis", basis)

    @property
    def dim(self) -> int:
        return len(self.functions)

    @cached_property
    def landscape(self) -> Landscape:
        xs = sp.symbols(f"x1:{self.dim + 1}", real=True)
        terms = []
        for f, p in zip(self.functions, self.basis, strict=True):
            z = sum(sp.Float(c, 17) * v for c, v in zip(p, xs, strict=True))
            terms.append(f.expr.xreplace({X: z}))
        return Landscape(sp.Add(*terms), variables=xs, name="separable",
                         minimum=(0.0,) * self.dim)

    def components(self, points) -> np.ndarray:
        """z^(i) = p_i^T x for points of shape (..., n)."""
        return np.asarray(points, dtype=float) @ self.basis.T

    def gradient(self, points) -> np.ndarray:
        """grad f(x) = sum_i f_i'(p_i^T x) p_i, directly from the components."""
        z = self.components(points)
        slopes = np.stack([f.df(z[..., i]) for i, f in enumerate(self.functions)], axis=-1)
        return slopes @ self.basis

    def thresholds(self) -> tuple[float, ...]:
        """2/f_i''(0) for each component (Theorem 4.2)."""
        return tuple(float(f.threshold) for f in self.functions)


def separable(functions: Sequence[Subquadratic], basis) -> Separable:
    """The separable landscape (4.4) of ``functions`` along the rows of ``basis``."""
    return Separable(tuple(functions), np.asarray(basis, dtype=float))


def random_orthonormal_basis(n: int, seed: int) -> np.ndarray:
    """A Haar-random orthogonal (n, n) matrix from a seeded generator (QR with sign fix)."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ParameterError(f"n={n!r} must be a positive integer")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ParameterError(f"seed={seed!r} must be a whole number >= 0")
    from theory.limits import check_memory

    check_memory(f"random_orthonormal_basis(n={n})", 8.0 * 4 * n * n,
                 hint="an n x n basis needs 8 n^2 bytes and O(n^3) time")
    rng = np.random.default_rng(seed)
    q, r = np.linalg.qr(rng.standard_normal((n, n)))
    return q * np.sign(np.diag(r))
