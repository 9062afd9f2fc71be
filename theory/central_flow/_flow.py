"""The central flow of gradient descent (Cohen, Damian, Talwalkar, Kolter & Lee, 2024).

GD at learning rate eta, w_{t+1} = w_t - eta grad L(w_t), oscillates along the Hessian's
critical eigenvectors once their eigenvalues reach 2/eta (the edge of stability).  The
central flow models the time average of GD: with time t counted in steps,

    dw/dt = -eta [grad L(w) + 1/2 grad <Sigma, H(w)>],     Sigma = sum_i X_i u_i u_i^T,

where u_i are the critical eigenvectors and X_i >= 0 the oscillation variances, chosen
(a complementarity problem) so that every critical eigenvalue stays at or below 2/eta:
X_i > 0 only where lambda_i = 2/eta, and then d lambda_i/dt = 0.  With grad <Sigma, H> =
sum_i X_i grad lambda_i (grad lambda_i = D^3L[u_i, u_i, .]) and the gap g_i = 2/eta - lambda_i,

    0 <= X  perp  g / tau + eta J grad L + (eta/2) J J^T X >= 0      (J: rows grad lambda_i),

the linearised constraint g_i(t + tau) >= 0 of the authors' code (their substep tau = 1/4
step; ``relaxation`` here).  Its predicted time-averaged loss is
L(w) + 1/2 sum_i X_i lambda_i = L(w) + tr(Sigma)/eta on the edge.  Sigma is taken diagonal
in the eigenbasis (the authors solve a semidefinite complementarity problem for a full
Sigma; with distinct critical eigenvalues the off-diagonal part vanishes to first order).

The flow is a projected (differential-algebraic) flow on the stable set {S(w) <= 2/eta};
``method="euler"`` takes the authors' explicit substeps, ``"Radau"``/``"BDF"`` hand the
relaxed right-hand side to scipy's stiff integrators.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.integrate import solve_ivp

from theory import validation
from theory.central_flow._derivatives import Derivatives, solve_lcp
from theory.errors import GridError
from theory.resolver import as_landscape

METHODS = ("euler", "Radau", "BDF", "LSODA")


@dataclass(frozen=True)
class CentralFlowOptions:
    """Settings of :func:`central_flow`, validated on construction.

    ``track`` is the fraction of 2/eta above which an eigenvalue is critical (the authors'
    1.5/eta: ``track=0.75``), ``relaxation`` the time (steps) in which a violated gap is
    closed (their substep, 1/4), ``substeps`` the Euler substeps per GD step.
    """

    method: str = "Radau"
    track: float = 0.75
    relaxation: float = 0.25
    substeps: int = 4
    rtol: float = 1e-8
    atol: float = 1e-10

    def __post_init__(self):
        validation.choice("method", self.method, METHODS, error=GridError)
        track = validation.fraction("track", self.track, error=GridError)
        if track <= 0:
            raise GridError(f"track={self.track!r} must be in (0, 1)")
        validation.positive_real("relaxation", self.relaxation, error=GridError)
        validation.whole_number("substeps", self.substeps, minimum=1, maximum=10_000,
                                error=GridError)
        validation.positive_real("rtol", self.rtol, error=GridError)
        validation.positive_real("atol", self.atol, error=GridError)


@dataclass(frozen=True)
class CentralFlowTrajectory:
    """The central flow sampled at whole steps t = 0..steps.

    ``w`` (T+1, d); ``sharpness`` the top Hessian eigenvalue; ``sigma2`` tr(Sigma) (the
    summed oscillation variances X_i); ``loss`` L(w); ``predicted_loss`` the predicted time
    average of GD's loss, L(w) + 1/2 sum_i X_i lambda_i.
    """

    eta: float
    t: np.ndarray
    w: np.ndarray
    loss: np.ndarray
    sharpness: np.ndarray
    sigma2: np.ndarray
    predicted_loss: np.ndarray


class _Field:
    """The right-hand side of the central flow, with the variances it chose."""

    def __init__(self, derivatives: Derivatives, eta: float, options: CentralFlowOptions,
                 relaxation: float):
        self.d = derivatives
        self.eta = eta
        self.options = options
        self.relaxation = relaxation

    def variances(self, w: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(grad L, eigenvalues, X, J) at w; X and J for the critical eigenvalues only."""
        eta = self.eta
        grad = self.d.gradient(w)
        values, vectors = np.linalg.eigh(self.d.hessian(w))
        critical = values > self.options.track * 2 / eta
        if not critical.any():
            return grad, values, np.zeros(0), np.zeros((0, w.size))
        jac = self.d.eigen_gradients(w, vectors[:, critical])
        gap = 2 / eta - values[critical]
        q = gap / self.relaxation + eta * jac @ grad
        x = solve_lcp(0.5 * eta * jac @ jac.T, q)
        return grad, values, x, jac

    def __call__(self, _t: float, w: np.ndarray) -> np.ndarray:
        grad, _values, x, jac = self.variances(w)
        return -self.eta * (grad + 0.5 * jac.T @ x) if x.size else -self.eta * grad

    def record(self, w: np.ndarray) -> tuple[float, float, float, float]:
        _grad, values, x, _jac = self.variances(w)
        loss = self.d.value(w)
        top = float(values[-1])
        critical = values[values > self.options.track * 2 / self.eta]
        predicted = loss + 0.5 * float(np.dot(x, critical)) if x.size else loss
        return loss, top, float(x.sum()), predicted


def central_flow(function, eta, w0, steps: int, options: CentralFlowOptions | None = None,
                 **settings) -> CentralFlowTrajectory:
    """Integrate the central flow of GD at ``eta`` from ``w0`` for ``steps`` steps of time.

    ``function`` is anything :func:`theory.resolver.as_landscape` accepts (a catalog name, an
    expression, a :class:`~theory.landscape.Landscape`, a valley).  ``settings`` are the
    fields of :class:`CentralFlowOptions` (or pass ``options``).
    """
    if options is None:
        options = CentralFlowOptions(**settings)
    elif settings:
        raise GridError(f"pass options= or settings, not both (got {sorted(settings)})")
    eta = validation.learning_rate(eta)
    steps = validation.whole_number("steps", steps, minimum=1, maximum=10_000_000,
                                    error=GridError)
    landscape = as_landscape(function)
    point = np.asarray(w0, dtype=float).reshape(-1)
    if point.shape != (landscape.dim,) or not np.all(np.isfinite(point)):
        raise GridError(f"w0={w0!r} must be {landscape.dim} finite coordinate(s)")
    derivatives = Derivatives(landscape)
    times = np.arange(steps + 1, dtype=float)
    if options.method == "euler":
        dt = 1.0 / options.substeps
        field = _Field(derivatives, eta, options, relaxation=dt)
        path = np.empty((steps + 1, landscape.dim))
        path[0] = w = point
        for t in range(steps):
            for _ in range(options.substeps):
                w = w + dt * field(0.0, w)
            path[t + 1] = w
    else:
        field = _Field(derivatives, eta, options, relaxation=options.relaxation)
        solution = solve_ivp(field, (0.0, float(steps)), point, method=options.method,
                             t_eval=times, rtol=options.rtol, atol=options.atol)
        if not solution.success:
            raise GridError(f"the central flow's integrator failed: {solution.message}")
        path = solution.y.T
    rows = np.array([field.record(w) for w in path])
    return CentralFlowTrajectory(eta, times, path, rows[:, 0], rows[:, 1], rows[:, 2], rows[:, 3])
