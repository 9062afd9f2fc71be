"""Central flows of optimizers beyond GD: heavy ball, Nesterov, scalar RMSProp, RMSProp.

All share the authors' form (Cohen et al. 2024, their ``central_flow_substep``): with a
diagonal preconditioner D = P(state) and time in steps,

    dw/dt = -D^{-1} [grad L + 1/2 sum_i X_i grad (u_i^T H u_i)],   H u_i = lt_i D u_i,

u_i^T D u_i = 1 (generalised eigenpairs), and the optimizer is stable while every lt_i <=
kappa.  X >= 0 solves the complementarity problem on the gaps kappa - lt_i linearised
``relaxation`` ahead, where d/dt (u^T (kappa D - H) u) = kappa u^T dD/dt u - grad(u^T H u).dw/dt
and the state's rate may depend on X (RMSProp's E|g|^2 = |grad L|^2 + sum_j X_j (H u_j)^2).

* ``"gd"``: D = I/eta, kappa = 2 (:func:`theory.central_flow.central_flow`);
* ``"heavy_ball"`` / ``"nesterov"`` (momentum beta): the time average moves at the momentum
  sum's rate, D = (1 - beta) I / eta; kappa = eta (1 - beta)^{-1} x the threshold of
  :func:`theory.optimizers.sharpness_threshold` ((2 + 2 beta)/eta; 2(1 + beta)/((1 + 2 beta)
  eta)) -- derived here by the same rule, not from the central-flow paper;
* ``"scalar_rmsprop"``: nu' = beta2 nu + (1 - beta2) |g|^2, w' = w - eta g / (sqrt(nu') + eps);
  D = (sqrt(nu) + eps)/eta, d nu/dt = (1 - beta2)(|grad L|^2 + sum_j X_j |H u_j|^2 - nu),
  kappa = 2 (Cohen et al.'s scalar RMSProp);
* ``"rmsprop"``: the same per coordinate (Adam's preconditioner without momentum), kappa = 2.
  Adam with beta1 > 0 has no central flow in the literature and is refused.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.integrate import solve_ivp

from theory import validation
from theory.central_flow._derivatives import Derivatives, solve_lcp
from theory.errors import GridError
from theory.resolver import as_landscape

RULES = ("gd", "heavy_ball", "nesterov", "scalar_rmsprop", "rmsprop")


@dataclass(frozen=True)
class Rule:
    """An optimizer of the module docstring: ``name``, learning rate, beta (momentum) or
    beta2 and eps (RMSProp), validated on construction."""

    name: str
    eta: float
    beta: float = 0.0
    beta2: float = 0.99
    eps: float = 0.0

    def __post_init__(self):
        validation.choice("rule", self.name, RULES, error=GridError)
        validation.learning_rate(self.eta)
        if not 0 <= self.beta < 1:
            raise GridError(f"beta={self.beta!r} must be in [0, 1)")
        validation.fraction("beta2", self.beta2, error=GridError)
        validation.real("eps", self.eps, minimum=0.0, error=GridError)

    @property
    def stateful(self) -> bool:
        return self.name in ("scalar_rmsprop", "rmsprop")

    @property
    def kappa(self) -> float:
        """The bound on the preconditioned eigenvalues lt_i."""
        if self.name in ("heavy_ball", "nesterov"):
            from theory.optimizers import HeavyBall, Nesterov, sharpness_threshold

            kind = HeavyBall if self.name == "heavy_ball" else Nesterov
            return self.eta * sharpness_threshold(kind(self.beta), self.eta) / (1 - self.beta)
        return 2.0

    def diagonal(self, state: np.ndarray, dim: int) -> np.ndarray:
        if self.name in ("heavy_ball", "nesterov"):
            return np.full(dim, (1 - self.beta) / self.eta)
        if self.stateful:
            root = np.sqrt(np.maximum(state, 1e-300))
            return np.broadcast_to((root + self.eps) / self.eta, (dim,)).copy()
        return np.full(dim, 1.0 / self.eta)


@dataclass(frozen=True)
class PreconditionedTrajectory:
    """``w`` (T+1, d) and the optimizer's ``state`` (T+1, s) at whole steps; ``sigma2`` the
    trace of Sigma = sum_i X_i u_i u_i^T in w's units; ``lt_max`` the largest preconditioned
    eigenvalue over ``kappa``; ``predicted_loss`` L + 1/2 sum_i X_i u_i^T H u_i."""

    rule: Rule
    t: np.ndarray
    w: np.ndarray
    state: np.ndarray
    sigma2: np.ndarray
    lt_max: np.ndarray
    predicted_loss: np.ndarray


class _Flow:
    def __init__(self, derivatives: Derivatives, rule: Rule, track: float, relaxation: float):
        self.d, self.rule, self.track, self.relaxation = derivatives, rule, track, relaxation

    def parts(self, y: np.ndarray):
        dim = self.d.dim
        w, state = y[:dim], y[dim:]
        rule, kappa = self.rule, self.rule.kappa
        grad = self.d.gradient(w)
        diag = rule.diagonal(state, dim)
        scale = 1 / np.sqrt(diag)
        hess = self.d.hessian(w)
        values, vectors = np.linalg.eigh(hess * scale[:, None] * scale[None, :])
        vectors = vectors * scale[:, None]  # u^T D u = 1
        critical = values > self.track * kappa
        u = vectors[:, critical]
        jac = self.d.eigen_gradients(w, u) if u.size else np.zeros((0, dim))
        hu2 = (hess @ u) ** 2  # (d, k): (H u_j)^2 per coordinate
        if rule.stateful:
            nu = state
            g2 = grad**2 if rule.name == "rmsprop" else np.array([grad @ grad])
            f2 = hu2 if rule.name == "rmsprop" else hu2.sum(0, keepdims=True)
            rate0 = (1 - rule.beta2) * (g2 - nu)  # d nu/dt without X, and per X_j
            rate_x = (1 - rule.beta2) * f2
            dp = 1 / (2 * rule.eta * np.sqrt(np.maximum(nu, 1e-300)))  # d diag / d nu
            dp0 = np.broadcast_to(dp * rate0, (dim,))
            dpx = np.broadcast_to(dp[:, None] * rate_x, (dim, u.shape[1]))
            uu = u**2
            q_state, m_state = kappa * uu.T @ dp0, kappa * uu.T @ dpx
        else:
            rate0 = rate_x = np.zeros((0,))
            q_state, m_state = 0.0, 0.0
        x = np.zeros(0)
        if u.size:
            gap = kappa - values[critical]
            q = gap / self.relaxation + q_state + jac @ (grad / diag)
            m = m_state + 0.5 * (jac / diag) @ jac.T
            x = solve_lcp(m, q)
        return grad, diag, jac, x, rate0, rate_x, values, u

    def __call__(self, _t: float, y: np.ndarray) -> np.ndarray:
        grad, diag, jac, x, rate0, rate_x, _values, _u = self.parts(y)
        push = grad + 0.5 * jac.T @ x if x.size else grad
        dstate = rate0 + (rate_x @ x if x.size else 0.0) if self.rule.stateful else rate0
        return np.concatenate([-push / diag, dstate])

    def record(self, y: np.ndarray) -> tuple[float, float, float]:
        _grad, _diag, _jac, x, _r0, _rx, values, u = self.parts(y)
        loss = float(self.d.value(y[: self.d.dim]))
        sigma2 = float(np.sum(x * np.sum(u**2, axis=0))) if x.size else 0.0
        crit = values[values > self.track * self.rule.kappa]
        predicted = loss + 0.5 * float(x @ crit) if x.size else loss
        return sigma2, float(values[-1] / self.rule.kappa), predicted


def preconditioned_central_flow(function, rule: Rule, w0, steps: int, *, state0=None,
                                track: float = 0.75, relaxation: float = 0.25,
                                method: str = "Radau", rtol: float = 1e-8,
                                atol: float = 1e-10) -> PreconditionedTrajectory:
    """Integrate the central flow of ``rule`` (module docstring) for ``steps`` steps.

    ``state0`` is RMSProp's nu at t = 0 (a scalar for ``scalar_rmsprop``, one per coordinate
    for ``rmsprop``; default: the squared gradient at w0, as after a first step).
    """
    if not isinstance(rule, Rule):
        raise GridError(f"rule={rule!r} must be a theory.central_flow.Rule")
    steps = validation.whole_number("steps", steps, minimum=1, maximum=10_000_000,
                                    error=GridError)
    landscape = as_landscape(function)
    derivatives = Derivatives(landscape)
    w = np.asarray(w0, dtype=float).reshape(-1)
    if w.shape != (landscape.dim,) or not np.all(np.isfinite(w)):
        raise GridError(f"w0={w0!r} must be {landscape.dim} finite coordinate(s)")
    if rule.stateful:
        g = derivatives.gradient(w)
        default = g**2 if rule.name == "rmsprop" else np.array([g @ g])
        state = default if state0 is None else np.atleast_1d(np.asarray(state0, dtype=float))
        if state.shape != default.shape or not np.all(np.isfinite(state) & (state > 0)):
            raise GridError(f"state0={state0!r} must be {default.size} positive number(s)")
    else:
        state = np.zeros(0)
    flow = _Flow(derivatives, rule, validation.fraction("track", track, error=GridError),
                 validation.positive_real("relaxation", relaxation, error=GridError))
    y0 = np.concatenate([w, state])
    times = np.arange(steps + 1, dtype=float)
    solution = solve_ivp(flow, (0.0, float(steps)), y0, method=method, t_eval=times,
                         rtol=rtol, atol=atol)
    if not solution.success:
        raise GridError(f"the central flow's integrator failed: {solution.message}")
    path = solution.y.T
    rows = np.array([flow.record(y) for y in path])
    dim = landscape.dim
    return PreconditionedTrajectory(rule, times, path[:, :dim], path[:, dim:], rows[:, 0],
                                    rows[:, 1], rows[:, 2])
