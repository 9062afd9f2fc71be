"""The multiscale (secant) central flow and the self-stabilization reduced map.

**Secant flow.**  The central flow replaces GD's time average of grad L over the
oscillation w +- sigma u by its Taylor expansion, grad L + 1/2 sigma^2 grad S, and fixes
sigma by S(w) = 2/eta (the tangent curvature).  When the oscillation is not small -- the
paper's subquadratic cross-sections, where x_eta solves f'(x)/x = 2/eta (Lemma 4.1) --
neither step is accurate.  The secant flow keeps both exact for a symmetric two-point
oscillation along the top eigenvector u of H(w):

    sigma > 0 solves   u . [grad L(w + sigma u) - grad L(w - sigma u)] / (2 sigma) = 2/eta
    dw/dt = -eta/2 [grad L(w + sigma u) + grad L(w - sigma u)]

(sigma = 0 and gradient flow where S(w) <= 2/eta).  The first line is the period-2
condition (4.7) -- the secant curvature across the orbit equals 2/eta -- and on a valley
F = f(h(x) y) the second is the quasistatic flow (4.8) in continuous time.  As sigma -> 0
both lines reduce to the central flow's (S = 2/eta, drift grad L + 1/2 sigma^2 grad S).

**Self-stabilization** (Damian, Nichani & Lee, ICLR 2023).  Near a point w* with
S(w*) = 2/eta, top eigenvector u, alpha = -grad L . grad S (progressive sharpening) and
beta = |grad S|^2, the displacement x along u and the sharpness excess y = S - 2/eta follow

    x_{t+1} = -(1 + eta y_t) x_t,     y_{t+1} = y_t + eta (alpha - beta x_t^2 / 2),

whose 2-cycle y = 0, x^2 = 2 alpha / beta is the central flow's Sigma = (2 alpha/beta) u u^T.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.integrate import solve_ivp
from scipy.optimize import brentq

from theory import validation
from theory.central_flow._derivatives import Derivatives
from theory.errors import GridError, NoPeriodicOrbitError
from theory.resolver import as_landscape

#: the search for sigma doubles up to this multiple of (1 + |w|)
_SIGMA_MAX = 1e6


@dataclass(frozen=True)
class SecantFlowTrajectory:
    """The secant flow at whole steps: ``w`` (T+1, d), ``sigma`` the half-width of the
    oscillation, ``loss`` L(w), ``predicted_loss`` the exact average of L over w +- sigma u."""

    eta: float
    t: np.ndarray
    w: np.ndarray
    sigma: np.ndarray
    loss: np.ndarray
    predicted_loss: np.ndarray


def secant_width(derivatives: Derivatives, w: np.ndarray, eta: float,
                 guess: float | None = None) -> tuple[float, np.ndarray]:
    """(sigma, u) at w: the half-width of the symmetric period-2 oscillation along u.

    ``guess`` (a nearby point's width) only narrows the first bracket of the root search.
    """
    values, vectors = np.linalg.eigh(derivatives.hessian(w))
    u = vectors[:, -1]
    if values[-1] <= 2 / eta:
        return 0.0, u

    def excess(sigma: float) -> float:
        plus = derivatives.gradient(w + sigma * u)
        minus = derivatives.gradient(w - sigma * u)
        return float(u @ (plus - minus)) / (2 * sigma) - 2 / eta

    scale = 1.0 + float(np.max(np.abs(w)))
    low = 1e-9 * scale
    high = 1e-3 * scale
    if guess is not None and guess > 1e-6 * scale:
        if excess(guess / 1.01) > 0:
            low, high = guess / 1.01, guess * 1.01
        else:
            high = guess / 1.01
    while excess(high) > 0:
        low, high = high, 2 * high
        if high > _SIGMA_MAX * scale:
            raise NoPeriodicOrbitError(
                f"no period-2 width at w={w.tolist()}: the secant curvature stays above "
                f"2/eta={2 / eta:.6g} up to sigma={high:.3g}"
            )
    if excess(low) <= 0:
        return low, u
    return brentq(excess, low, high, xtol=1e-14 * scale, rtol=1e-13), u


def secant_flow(function, eta, w0, steps: int, *, rtol: float = 1e-9,
                atol: float = 1e-11) -> SecantFlowTrajectory:
    """Integrate the secant flow (module docstring) for ``steps`` steps of time (RK45)."""
    eta = validation.learning_rate(eta)
    steps = validation.whole_number("steps", steps, minimum=1, maximum=10_000_000,
                                    error=GridError)
    landscape = as_landscape(function)
    derivatives = Derivatives(landscape)
    point = np.asarray(w0, dtype=float).reshape(-1)
    if point.shape != (landscape.dim,) or not np.all(np.isfinite(point)):
        raise GridError(f"w0={w0!r} must be {landscape.dim} finite coordinate(s)")

    last: list[float | None] = [None]

    def field(_t: float, w: np.ndarray) -> np.ndarray:
        sigma, u = secant_width(derivatives, w, eta, last[0])
        last[0] = sigma or None
        if sigma == 0.0:
            return -eta * derivatives.gradient(w)
        return -0.5 * eta * (derivatives.gradient(w + sigma * u)
                             + derivatives.gradient(w - sigma * u))

    times = np.arange(steps + 1, dtype=float)
    solution = solve_ivp(field, (0.0, float(steps)), point, t_eval=times, rtol=rtol, atol=atol)
    if not solution.success:
        raise GridError(f"the secant flow's integrator failed: {solution.message}")
    path = solution.y.T
    sigmas = np.empty(len(path))
    predicted = np.empty(len(path))
    guess: float | None = None
    for i, w in enumerate(path):
        sigma, u = secant_width(derivatives, w, eta, guess)
        guess = sigma or None
        sigmas[i] = sigma
        predicted[i] = 0.5 * (derivatives.value(w + sigma * u) + derivatives.value(w - sigma * u))
    loss = np.array([derivatives.value(w) for w in path])
    return SecantFlowTrajectory(eta, times, path, sigmas, loss, predicted)


@dataclass(frozen=True)
class ReducedMap:
    """The self-stabilization map's orbit: ``x`` along u, ``y`` = S - 2/eta, per step."""

    eta: float
    alpha: float
    beta: float
    x: np.ndarray
    y: np.ndarray

    @property
    def amplitude2(self) -> float:
        """2 alpha / beta: the squared amplitude of the map's 2-cycle."""
        return 2 * self.alpha / self.beta


def self_stabilization_constants(function, w, eta) -> tuple[float, float]:
    """(alpha, beta) = (-grad L . grad S, |grad S|^2) at w (S: the top Hessian eigenvalue)."""
    eta = validation.learning_rate(eta)
    landscape = as_landscape(function)
    derivatives = Derivatives(landscape)
    point = np.asarray(w, dtype=float).reshape(-1)
    if point.shape != (landscape.dim,):
        raise GridError(f"w={w!r} must have {landscape.dim} coordinate(s)")
    _values, vectors = np.linalg.eigh(derivatives.hessian(point))
    grad_s = derivatives.eigen_gradients(point, vectors[:, -1:])[0]
    return float(-derivatives.gradient(point) @ grad_s), float(grad_s @ grad_s)


def reduced_map(alpha, beta, eta, x0, y0, steps: int) -> ReducedMap:
    """Iterate x' = -(1 + eta y) x, y' = y + eta (alpha - beta x^2 / 2) for ``steps`` steps."""
    eta = validation.learning_rate(eta)
    alpha = validation.real("alpha", alpha, error=GridError)
    beta = validation.positive_real("beta", beta, error=GridError)
    steps = validation.whole_number("steps", steps, minimum=1, maximum=100_000_000,
                                    error=GridError)
    x = np.empty(steps + 1)
    y = np.empty(steps + 1)
    x[0] = validation.real("x0", x0, error=GridError)
    y[0] = validation.real("y0", y0, error=GridError)
    for t in range(steps):
        x[t + 1] = -(1 + eta * y[t]) * x[t]
        y[t + 1] = y[t] + eta * (alpha - 0.5 * beta * x[t] ** 2)
    return ReducedMap(eta, alpha, beta, x, y)
