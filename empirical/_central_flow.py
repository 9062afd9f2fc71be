"""The central flow of GD on a network (Cohen, Damian, Talwalkar, Kolter & Lee, 2024).

With time counted in GD steps, the central flow is

    dw/dt = -eta [grad L(w) + 1/2 sum_i X_i grad lambda_i(w)],

X_i >= 0 the oscillation variance along the i-th critical Hessian eigenvector, chosen so
that no critical eigenvalue exceeds 2/eta: the complementarity problem of
:func:`theory.central_flow.solve_lcp` on the linearised gaps one substep ahead (as in the
authors' code: ``substeps`` Euler substeps per step).  Its predicted time average of GD's
loss is L(w) + 1/2 sum_i X_i lambda_i (= L + tr(Sigma)/eta on the edge).

With ``momentum`` beta (torch.optim.SGD's heavy ball) the same flow moves at the momentum
sum's rate eta/(1 - beta) and holds the critical eigenvalues at SharpnessMonitor's
threshold (2 + 2 beta)/eta: the heavy-ball rule of ``theory.central_flow``.  With
``optimizer="scalar_rmsprop"`` or ``"rmsprop"`` it is Cohen et al.'s preconditioned flow
(:mod:`empirical._central_flow_rules`), beside the real optimizer.

Beyond the quadratic model, ``cf_orbit_loss`` averages the true loss over the period-2
points w +- sqrt(X_i) u_i of each critical direction (2 forward passes per direction):
L(w) + sum_i [L(w + s_i u_i) + L(w - s_i u_i)]/2 - L(w), the analogue of
theory.central_flow's secant flow; to second order it is the quadratic prediction.

Eigenpairs come from warm-started Lanczos (:func:`empirical.track_top_eigenpairs`): every
eigenvalue above ``track`` x the threshold (the authors' 1.5/eta) is tracked, plus one more
to see the next one coming; grad lambda_i by double backward (:mod:`empirical._third`).
The optimizer runs beside it on the same objective, and :class:`CentralFlowResult` holds
both series.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from empirical._central_flow_rules import OPTIMIZERS, Rule, run_optimizer
from empirical._objective import Objective
from empirical._third import check_supported, gradient_and_eigen_gradients
from empirical._tracking import track_top_eigenpairs
from empirical.errors import ExperimentError
from theory import validation as v
from theory.central_flow import solve_lcp


@dataclass(frozen=True)
class CentralFlowSettings:
    """Settings of :func:`run_central_flow`, validated on construction."""

    substeps: int = 4
    track: float = 0.75
    max_tracked: int = 10
    lanczos_iter: int = 80
    lanczos_tol: float = 1e-3
    sharpness_every: int = 10
    average_window: int = 10
    seed: int = 0
    momentum: float = 0.0
    optimizer: str = "gd"
    beta2: float = 0.99
    eps: float = 1e-8

    def __post_init__(self):
        e = ExperimentError
        v.whole_number("substeps", self.substeps, minimum=1, maximum=1000, error=e)
        v.fraction("track", self.track, error=e)
        v.whole_number("max_tracked", self.max_tracked, minimum=1, maximum=10, error=e)
        v.whole_number("lanczos_iter", self.lanczos_iter, minimum=5, maximum=1000, error=e)
        v.fraction("lanczos_tol", self.lanczos_tol, error=e)
        v.whole_number("sharpness_every", self.sharpness_every, minimum=1, error=e)
        v.whole_number("average_window", self.average_window, minimum=1, error=e)
        v.seed(self.seed, error=e)
        beta = v.real("momentum", self.momentum, minimum=0.0, error=e)
        if beta >= 1:
            raise e(f"momentum={self.momentum!r} must be in [0, 1)")
        v.choice("optimizer", self.optimizer, OPTIMIZERS, error=e)
        if self.optimizer != "gd" and beta > 0:
            raise e(f"momentum={self.momentum!r}: RMSProp's central flow (Cohen et al. 2024) "
                    "is defined without momentum; use optimizer='gd' for heavy ball")
        b2 = v.fraction("beta2", self.beta2, error=e)
        if not 0 < b2 < 1:
            raise e(f"beta2={self.beta2!r} must be in (0, 1)")
        v.real("eps", self.eps, minimum=0.0, error=e)

    def threshold(self, lr: float) -> float:
        """The stability threshold on the (preconditioned) sharpness: 2/eta for GD and
        RMSProp, (2 + 2 beta)/eta for heavy ball (SharpnessMonitor's rules, undampened
        torch.optim.SGD momentum)."""
        return (2 + 2 * self.momentum) / lr

    def drift_rate(self, lr: float) -> float:
        """The rate of the time average: eta for GD, eta / (1 - beta) for heavy ball (the
        momentum buffer sums the gradients geometrically)."""
        return lr / (1 - self.momentum)


class EigenTracker:
    """Warm-started top eigenpairs (:func:`empirical.track_top_eigenpairs`): every
    eigenvalue above ``floor`` plus one more."""

    def __init__(self, dim: int, dtype: torch.dtype, device, floor: float, max_k: int,
                 max_iter: int, tol: float, seed: int):
        self.dim, self.dtype, self.device = dim, dtype, device
        self.floor, self.max_k, self.max_iter, self.seed = floor, max_k, max_iter, seed
        self.tol = tol
        self.vectors: torch.Tensor | None = None
        self.k = 1
        self.top = -np.inf

    @property
    def idle(self) -> bool:
        """No eigenvalue within 10% of the floor: checking once per step is enough."""
        return self.top < 0.9 * self.floor

    def _track(self, matvec, k: int, max_iter: int):
        previous = None if self.vectors is None else self.vectors[:k]
        return track_top_eigenpairs(matvec, self.dim, previous, k=k, tol=self.tol,
                                    max_iter=max_iter, dtype=self.dtype, device=self.device,
                                    seed=self.seed)

    def refine(self, matvec, values: np.ndarray) -> tuple[np.ndarray, torch.Tensor]:
        """A few warm-started Lanczos iterations for the ``len(values)`` tracked pairs (the
        substeps between two full updates: the vectors move little in a substep)."""
        k = len(values)
        if k == 0 or self.vectors is None:
            return values, torch.zeros(0, self.dim, dtype=self.dtype, device=self.device)
        est = self._track(matvec, k, min(self.dim, 3 * k + 3))
        self.vectors = torch.cat([est.eigenvectors, self.vectors[k:]])[: self.k]
        self.top = float(est.eigenvalues[0])
        return est.eigenvalues, est.eigenvectors

    def update(self, matvec) -> tuple[np.ndarray, torch.Tensor]:
        """(eigenvalues, vectors) of the tracked set, largest first."""
        while True:
            est = self._track(matvec, min(self.k, self.dim), self.max_iter)
            values, vectors = est.eigenvalues, est.eigenvectors
            self.top = float(values[0])
            above = int(np.sum(values > self.floor))
            self.vectors = vectors
            if above < len(values) or self.k >= min(self.max_k, self.dim):
                self.k = max(1, min(above + 1, self.max_k))
                return values[:above], vectors[:above]
            self.k = min(self.k + 1, self.max_k, self.dim)


@dataclass(frozen=True)
class CentralFlowResult:
    """GD and its central flow, step by step (t = 0..steps).

    Central flow: ``cf_loss`` L(w), ``cf_predicted_loss`` (quadratic: L + 1/2 sum_i X_i
    mu_i), ``cf_orbit_loss`` (the true loss averaged over w +- sqrt(X_i) u_i),
    ``cf_sharpness`` (top tracked eigenvalue, preconditioned for RMSProp; NaN below the
    tracking floor), ``cf_sigma2`` tr(Sigma) = sum_i X_i |u_i|^2, ``cf_critical``
    (eigenvalues tracked).  The reported X_i are the oscillation's: on the active set, those
    that hold d mu_i/dt = 0, without the flow's numerical gap correction (T - mu_i)/tau.
    The real optimizer (``gd_*``, GD or the one of
    ``settings.optimizer``): ``gd_loss`` and its trailing ``average_window``-step mean
    ``gd_loss_average``; ``gd_sharpness`` every ``sharpness_every`` steps
    (``gd_sharpness_steps``).  ``distance`` is ||w_GD - w_CF|| / ||w_GD - w_0||.
    """

    lr: float
    steps: np.ndarray
    cf_loss: np.ndarray
    cf_predicted_loss: np.ndarray
    cf_orbit_loss: np.ndarray
    cf_sharpness: np.ndarray
    cf_sigma2: np.ndarray
    cf_critical: np.ndarray
    gd_loss: np.ndarray
    gd_loss_average: np.ndarray
    gd_sharpness_steps: np.ndarray
    gd_sharpness: np.ndarray
    distance: np.ndarray
    settings: CentralFlowSettings

    @property
    def threshold(self) -> float:
        return self.settings.threshold(self.lr)

    @property
    def eos_step(self) -> int | None:
        """First step at which GD's sharpness reached the threshold (None: never)."""
        hit = np.nonzero(self.gd_sharpness >= self.threshold)[0]
        return int(self.gd_sharpness_steps[hit[0]]) if hit.size else None

    def summary(self, start: int | None = None) -> dict:
        """The deciding numbers over steps >= ``start`` (default: from the EoS step on)."""
        first = self.eos_step if start is None else start
        if first is None:
            first = int(self.steps[-1])
        window = self.steps >= max(first, self.settings.average_window)
        loss_error = np.abs(self.cf_predicted_loss / self.gd_loss_average - 1)[window]
        orbit_error = np.abs(self.cf_orbit_loss / self.gd_loss_average - 1)[window]
        return {
            "lr": self.lr, "steps": int(self.steps[-1]), "eos_step": self.eos_step,
            "from_step": int(first),
            "max_distance": float(np.max(self.distance[window])) if window.any() else None,
            "max_predicted_loss_error": float(np.max(loss_error)) if window.any() else None,
            "max_orbit_loss_error": float(np.max(orbit_error)) if window.any() else None,
            "max_cf_sharpness_ratio": (float(np.nanmax(self.cf_sharpness) / self.threshold)
                                       if np.isfinite(self.cf_sharpness).any() else None),
            "final_sigma2": float(self.cf_sigma2[-1]),
            "final_gd_loss_average": float(self.gd_loss_average[-1]),
            "final_cf_predicted_loss": float(self.cf_predicted_loss[-1]),
            "final_cf_orbit_loss": float(self.cf_orbit_loss[-1]),
        }

    def tables(self) -> dict[str, dict[str, list]]:
        """CSV-ready columns (the project's json_safe rule for non-finite numbers)."""
        def col(a) -> list:
            return v.json_safe(np.asarray(a, dtype=float).tolist())

        return {
            "flow": {"step": col(self.steps), "cf_loss": col(self.cf_loss),
                     "cf_predicted_loss": col(self.cf_predicted_loss),
                     "cf_orbit_loss": col(self.cf_orbit_loss),
                     "cf_sharpness": col(self.cf_sharpness), "cf_sigma2": col(self.cf_sigma2),
                     "cf_critical": col(self.cf_critical), "gd_loss": col(self.gd_loss),
                     "gd_loss_average": col(self.gd_loss_average),
                     "distance": col(self.distance)},
            "gd_sharpness": {"step": col(self.gd_sharpness_steps),
                             "sharpness": col(self.gd_sharpness)},
        }


def run_central_flow(objective: Objective, theta0: torch.Tensor, lr, steps: int,
                     settings: CentralFlowSettings | None = None) -> CentralFlowResult:
    """The optimizer of ``settings`` (GD by default) and its central flow from ``theta0``
    on ``objective`` for ``steps`` steps."""
    settings = CentralFlowSettings() if settings is None else settings
    lr = v.learning_rate(lr, name="lr", error=ExperimentError)
    steps = v.whole_number("steps", steps, minimum=1, maximum=10_000_000, error=ExperimentError)
    theta0 = objective.check_vector("theta0", theta0).detach().clone()
    gd_path, gd_loss, sharp_steps, sharp = run_optimizer(objective, theta0, lr, steps, settings)
    rule = Rule(settings, lr, objective.grad(theta0))
    tracker = EigenTracker(objective.dim, theta0.dtype, theta0.device,
                           settings.track * rule.threshold, settings.max_tracked,
                           settings.lanczos_iter, settings.lanczos_tol, settings.seed)
    dt = 1.0 / settings.substeps
    rows = np.full((steps + 1, 6), np.nan)
    theta = theta0.clone()
    distance = np.zeros(steps + 1)
    values, vectors = np.zeros(0), torch.zeros(0, objective.dim, dtype=theta0.dtype,
                                              device=theta0.device)
    for t in range(steps + 1):
        for sub in range(settings.substeps if t < steps else 1):
            # GD's sharpening is slow; RMSProp's preconditioned sharpness moves with nu
            far = tracker.top < 0.75 * tracker.floor and t % 5 != 0 and rule.nu is None
            operator, scale = rule.operator(objective.operator(theta))
            if sub == 0 and not far:
                values, vectors = tracker.update(operator)
            elif sub > 0 and not tracker.idle:
                values, vectors = tracker.refine(operator, values)
            u = vectors if scale is None else vectors * scale  # u^T P u = 1
            loss, grad, jac = gradient_and_eigen_gradients(objective, theta, u)
            if not np.isfinite(loss):
                raise ExperimentError(f"the central flow's loss is not finite at step {t}")
            x, x_eq = np.zeros(0), np.zeros(0)
            if len(values):
                m, q = rule.lcp(values, u, jac, grad, dt)
                x = solve_lcp(m, q)
                x_eq = _equilibrium(m, q - (rule.threshold - values) / dt, x > 0)
            if sub == 0:
                rows[t] = _record(objective, theta, loss, values, u, x_eq)
                gap = (gd_path[t] - theta).norm()
                travelled = (gd_path[t] - theta0).norm()
                distance[t] = float(gap / travelled) if travelled > 0 else 0.0
            if t < steps:
                step = grad + 0.5 * (torch.as_tensor(x, dtype=jac.dtype, device=jac.device)
                                     @ jac) if len(x) else grad
                rule.advance(x, values, u, grad, dt)
                theta = theta - dt * rule.rate * rule.direction(step)
    window = settings.average_window
    cumulative = np.concatenate([[0.0], np.cumsum(gd_loss)])
    counts = np.minimum(np.arange(1, steps + 2), window)
    average = (cumulative[1:] - cumulative[np.arange(1, steps + 2) - counts]) / counts
    return CentralFlowResult(lr, np.arange(steps + 1), rows[:, 0], rows[:, 1], rows[:, 2],
                             rows[:, 3], rows[:, 4], rows[:, 5], gd_loss, average, sharp_steps,
                             sharp, distance, settings)


def _equilibrium(m: np.ndarray, q: np.ndarray, active: np.ndarray) -> np.ndarray:
    """The oscillation's variances without the gap correction: X on the active set that
    holds d mu_i/dt = 0 there (the term (T - mu_i)/tau of the flow's LCP corrects the
    substeps' rounding, it is no oscillation; with it tr(Sigma) jumps by a third from step
    to step at an eigenvalue 0.1% above T)."""
    x = np.zeros(len(q))
    if active.any():
        idx = np.nonzero(active)[0]
        x[idx] = solve_lcp(m[np.ix_(idx, idx)], q[idx])
    return x


def _record(objective: Objective, theta: torch.Tensor, loss: float, values: np.ndarray,
            u: torch.Tensor, x: np.ndarray) -> tuple:
    """(L, quadratic prediction, orbit-averaged prediction, top mu, tr(Sigma), k) with the
    equilibrium variances ``x``."""
    top = float(values[0]) if len(values) else np.nan
    orbit = loss
    for xi, ui in zip(x, u, strict=True):
        if xi > 0:
            half = float(np.sqrt(xi)) * ui
            orbit += 0.5 * (objective.value(theta + half) + objective.value(theta - half)) - loss
    sigma2 = float(np.dot(x, (u**2).sum(1).double().cpu().numpy())) if len(x) else 0.0
    return (loss, loss + 0.5 * float(np.dot(x, values)), orbit, top, sigma2, len(values))


def central_flow(model, criterion, data, lr, steps: int, *, settings=None,
                 allow_untested: bool = False, **objective_options) -> CentralFlowResult:
    """GD (or the optimizer of ``settings``) and its central flow for the user's ``model``,
    ``criterion`` and ``data``.

    ``criterion`` and ``data`` are what :func:`empirical.hessian` takes (a callable or
    ``"mse"``/``"ce"``; tensors, a dataset or batches); ``objective_options`` go to
    :class:`empirical.UserObjective` (``params``, ``dtype``, ``batch_size`` ...).  Models
    with modules whose third derivatives are untested are refused (:mod:`empirical._third`).
    """
    from empirical._user_objective import UserObjective

    check_supported(model, allow_untested)
    objective = UserObjective(model, criterion, data, **objective_options)
    theta0 = objective.layout.flatten(model).to(objective.dtype)
    return run_central_flow(objective, theta0, lr, steps, settings)
