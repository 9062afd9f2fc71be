"""Remark 4.2: the noise-driven drift of SGD along a manifold of minima, derived and measured.

For f(x, y) = y^T H(x) y (H positive definite) and the SDE of Remark 4.2

    dx = -y^T grad H(x) y dt,    dy = -2 H(x) y dt + sigma sqrt(eta H(x)) dW,

y at equilibrium (x frozen) is N(0, (eta sigma^2 / 4) I) and the quasistatic drift of x is

    dx/dt = -E[y^T grad H(x) y] = -(eta sigma^2 / 4) grad Tr H(x).

:func:`quasistatic_drift` returns that formula for a sympy H(x); :func:`measure_drift`
simulates the SDE (or SGD, its Euler discretisation with step eta) over many seeded replicas
and returns the mean displacement rate with its standard error.

Randomness: replicas are cut into fixed blocks of :data:`REPLICA_BLOCK`; block ``k`` draws
from ``numpy.random.default_rng(SeedSequence(seed, spawn_key=(k,)))``, so the numbers depend
only on ``seed`` (and the sizes), not on how many blocks are run per batch.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import sympy as sp

from theory import validation
from theory._sympy_utils import parse
from theory.errors import GridError, LandscapeError
from theory.optimizers._values import OptimizerError

__all__ = ["REPLICA_BLOCK", "DriftMeasurement", "QuadraticValley", "measure_drift",
           "quasistatic_drift"]

#: replicas per random stream (fixed: results do not depend on batching)
REPLICA_BLOCK = 64


@dataclass(frozen=True)
class QuadraticValley:
    """f(x, y) = y^T H(x) y of Remark 4.2: ``H`` a symmetric sympy Matrix in ``x``."""

    H: sp.Matrix
    x: tuple[sp.Symbol, ...]

    def __post_init__(self):
        H = sp.Matrix(self.H).applyfunc(lambda e: parse(e, argument="H"))
        if H.rows != H.cols or H.rows == 0:
            raise LandscapeError(f"H must be a non-empty square matrix; got {H.shape}")
        if (H - H.T).applyfunc(sp.simplify) != sp.zeros(*H.shape):
            raise LandscapeError(f"H={H.tolist()} must be symmetric")
        x = tuple(sp.Symbol(getattr(v, "name", v), real=True) for v in self.x)
        renamed = H.xreplace({sp.Symbol(v.name): v for v in x})
        extra = renamed.free_symbols - set(x)
        if extra:
            raise LandscapeError(f"H depends on {sorted(map(str, extra))}, not among x={x}")
        object.__setattr__(self, "H", renamed)
        object.__setattr__(self, "x", x)

    @property
    def trace_gradient(self) -> sp.Matrix:
        """grad_x Tr H(x)."""
        trace = self.H.trace()
        return sp.Matrix([sp.diff(trace, v) for v in self.x])


def _positive(name: str, value) -> float:
    return validation.positive_real(name, value, error=OptimizerError)


def quasistatic_drift(valley: QuadraticValley, eta, sigma) -> sp.Matrix:
    """-(eta sigma^2 / 4) grad Tr H(x) (Remark 4.2), a column Matrix in valley.x."""
    eta = sp.nsimplify(eta) if isinstance(eta, (int, float)) else eta
    sigma = sp.nsimplify(sigma) if isinstance(sigma, (int, float)) else sigma
    return -(eta * sigma**2 / 4) * valley.trace_gradient


@dataclass(frozen=True)
class DriftMeasurement:
    """The measured drift rate of x (per unit time of the SDE) against the formula."""

    measured: np.ndarray
    stderr: np.ndarray
    predicted: np.ndarray
    #: Remark 4.2's -(eta sigma^2/4) grad Tr H (equal to ``predicted`` for the SDE)
    formula: np.ndarray
    replicas: int
    time: float
    method: str
    #: (x_T - x_0)/T of every replica, shape (replicas, d)
    per_replica: np.ndarray

    @property
    def z_scores(self) -> np.ndarray:
        """(measured - predicted) / stderr, per coordinate of x."""
        return (self.measured - self.predicted) / self.stderr

    def within(self, k: float = 3.0) -> bool:
        """Whether the formula lies within k standard errors of the measurement."""
        return bool(np.all(np.abs(self.z_scores) <= k))

    def to_dict(self) -> dict:
        return {"measured": self.measured.tolist(), "stderr": self.stderr.tolist(),
                "predicted": self.predicted.tolist(), "formula": self.formula.tolist(),
                "z_scores": self.z_scores.tolist(),
                "replicas": self.replicas, "time": self.time, "method": self.method}


def _matrix_function(matrix: sp.Matrix, x: Sequence[sp.Symbol]):
    """points (R, d) -> (R, n, m), each entry lambdified and broadcast."""
    entries = [[sp.lambdify(x, e, "numpy") for e in row] for row in matrix.tolist()]

    def evaluate(points: np.ndarray) -> np.ndarray:
        cols = [points[:, k] for k in range(points.shape[1])]
        out = np.empty((points.shape[0], matrix.rows, matrix.cols))
        for i, row in enumerate(entries):
            for j, fn in enumerate(row):
                out[:, i, j] = np.broadcast_to(fn(*cols), (points.shape[0],))
        return out

    return evaluate


def measure_drift(valley: QuadraticValley, x0, *, eta: float, sigma: float, time: float,
                  dt: float | None = None, replicas: int = 256, seed: int = 0,
                  method: str = "sde", beta: float = 0.0) -> DriftMeasurement:
    """Mean rate (x_T - x_0)/T over ``replicas`` seeded runs, with its standard error.

    ``method="sde"``: the SDE above, y advanced by its exact Ornstein-Uhlenbeck step with x
    frozen over dt (so its stationary law is exactly N(0, eta sigma^2 / 4 I)), x by the
    midpoint rule; y starts at that law.  ``method="sgd"``: SGD with step eta on f plus the
    gradient noise eta sigma sqrt(H) xi in y (time = eta * steps); its y-variance is
    eta sigma^2 / (4 (1 - eta lambda)) per eigen-direction, so it matches the formula to
    O(eta lambda).  ``formula`` is Remark 4.2's drift at the mean of x_0 and x_T (the path
    is short); ``predicted`` is the same for the SDE and, for SGD, the exact discrete version
    -(eta sigma^2/4) Tr(d_k H (I - eta H)^{-1}) (y's stationary covariance under SGD).

    ``beta > 0`` (``method="sgd"`` only): SGD with heavy-ball momentum on x and y (Remark
    4.2's "SGD with momentum").  y's stationary covariance is then
    S = eta sigma^2 (1 + beta) / (4 (1 - beta)) ((1 + beta) I - eta H)^{-1} (an AR(2) per
    eigen-direction) and x moves 1/(1 - beta) times faster per step, so the predicted rate
    is -Tr(d_k H S)/(1 - beta), to leading order -(eta sigma^2 / (4 (1 - beta)^2))
    grad Tr H.  The first quarter of the steps (burn-in, x and y settling into their
    stationary motion) is not measured.
    """
    if method not in ("sde", "sgd"):
        raise OptimizerError(f"method={method!r} must be 'sde' or 'sgd'")
    from theory.optimizers._values import HeavyBall

    beta = HeavyBall(beta).beta
    if beta and method != "sgd":
        raise OptimizerError(f"beta={beta!r}: momentum is for method='sgd' (the SDE has none)")
    eta, sigma, time = (_positive(n, v) for n, v in (("eta", eta), ("sigma", sigma),
                                                     ("time", time)))
    if method == "sgd":
        dt = eta
    dt = _positive("dt", dt if dt is not None else time / 1000)
    steps = max(1, round(time / dt))
    replicas = validation.whole_number("replicas", replicas, minimum=2, error=GridError)
    x0 = np.atleast_1d(np.asarray(x0, dtype=float))
    d, n = len(valley.x), valley.H.rows
    if x0.shape != (d,) or not np.all(np.isfinite(x0)):
        raise GridError(f"x0={x0.tolist()} must be {d} finite numbers")
    H_of = _matrix_function(valley.H, valley.x)
    dH_of = [_matrix_function(valley.H.diff(v), valley.x) for v in valley.x]
    drift_of = _matrix_function(quasistatic_drift(valley, eta, sigma), valley.x)

    rates = np.empty((replicas, d))
    for start in range(0, replicas, REPLICA_BLOCK):
        block = min(REPLICA_BLOCK, replicas - start)
        stream = np.random.SeedSequence(seed, spawn_key=(start // REPLICA_BLOCK,))
        rng = np.random.default_rng(stream)
        x = np.tile(x0, (block, 1))
        equilibrium = math.sqrt(eta * sigma**2 / 4)
        y = equilibrium * rng.standard_normal((block, n))
        y_prev, x_prev = y.copy(), x.copy()
        burn_in = steps // 4 if beta else 0
        x_start = x.copy()
        for step in range(steps):
            if step == burn_in:
                x_start = x.copy()
            lam, Q = np.linalg.eigh(H_of(x))
            if np.any(lam <= 0):
                raise LandscapeError(f"H(x) is not positive definite at x={x[lam.min(1) <= 0][0]}")
            force = np.stack([np.einsum("ri,rij,rj->r", y, dH(x), y) for dH in dH_of], axis=1)
            noise = rng.standard_normal((block, n))
            z = np.einsum("rji,rj->ri", Q, y)  # eigen-coordinates
            if beta:
                z_prev = np.einsum("rji,rj->ri", Q, y_prev)
                z_new = (z - eta * (2 * lam * z + sigma * np.sqrt(lam) * noise)
                         + beta * (z - z_prev))
                y_prev, y = y, np.einsum("rij,rj->ri", Q, z_new)
                x_prev, x = x, x - force * dt + beta * (x - x_prev)
                continue
            if method == "sde":
                decay = np.exp(-2 * lam * dt)
                spread = equilibrium * np.sqrt(-np.expm1(-4 * lam * dt))
                z = decay * z + spread * noise
            else:
                z = (1 - 2 * eta * lam) * z - eta * sigma * np.sqrt(lam) * noise
            y_new = np.einsum("rij,rj->ri", Q, z)
            if method == "sde":
                force_new = np.stack(
                    [np.einsum("ri,rij,rj->r", y_new, dH(x), y_new) for dH in dH_of], axis=1)
                x = x - 0.5 * (force + force_new) * dt
            else:
                x = x - force * dt
            y = y_new
        rates[start:start + block] = (x - x_start) / ((steps - burn_in) * dt)
    measured = rates.mean(axis=0)
    stderr = rates.std(axis=0, ddof=1) / math.sqrt(replicas)
    if beta:
        steps -= steps // 4  # the measured part
    middle = x0 + 0.5 * measured * steps * dt
    formula = drift_of(middle[None, :])[0, :, 0]
    predicted = formula
    if method == "sgd":  # y's stationary covariance (see the docstring)
        point = middle[None, :]
        scale = eta * sigma**2 * (1 + beta) / (4 * (1 - beta))
        cov = scale * np.linalg.inv((1 + beta) * np.eye(n) - eta * H_of(point)[0])
        predicted = np.array([-np.trace(dH(point)[0] @ cov) for dH in dH_of]) / (1 - beta)
    return DriftMeasurement(measured, stderr, predicted, formula, replicas, steps * dt, method,
                            rates)
