"""The optimizers of :func:`empirical.run_central_flow`: their preconditioned central-flow
rule and the real optimizer run beside the flow.

Every rule has the form of theory.central_flow's preconditioned flows (Cohen et al. 2024,
their ``central_flow_substep``), with P the optimizer's diagonal preconditioner, r its rate
and time in steps:

    dw/dt = -r P^{-1} [grad L + 1/2 sum_i X_i grad (u_i^T H u_i)],   H u_i = mu_i P u_i,

u_i^T P u_i = 1, and every critical mu_i (an eigenvalue of P^-1/2 H P^-1/2, the
preconditioned sharpness of SharpnessMonitor) held at or below the monitor's threshold T
(:mod:`empirical._stability`).  X_i is the variance of the oscillation along u_i, so
Sigma = sum_i X_i u_i u_i^T and the predicted time-averaged loss is L + 1/2 sum_i X_i mu_i.

* ``gd`` (torch.optim.SGD, momentum beta: heavy ball): P = I, r = eta/(1 - beta),
  T = (2 + 2 beta)/eta;
* ``scalar_rmsprop``: nu' = beta2 nu + (1 - beta2) |g|^2, w' = w - eta g/(sqrt(nu') + eps);
  P = sqrt(nu) + eps, r = eta, T = 2/eta and the state follows the oscillation's second
  moment, d nu/dt = (1 - beta2)(|grad L|^2 + sum_j X_j |H u_j|^2 - nu);
* ``rmsprop`` (torch.optim.RMSprop, alpha = beta2): the same per coordinate.

With u_i^T P u_i = 1, d mu_i = u_i^T (dH - mu_i dP) u_i, so the gap T - mu_i linearised
``tau`` ahead gives the complementarity problem 0 <= X perp q + M X >= 0 of
:meth:`Rule.lcp`.  RMSProp starts from nu = g(w0)^2 (the squared gradient, as after a
first step), and so does the real optimizer: torch's RMSprop is given that state.
"""

from __future__ import annotations

import numpy as np
import torch

from empirical._eigen import lanczos

OPTIMIZERS = ("gd", "scalar_rmsprop", "rmsprop")


class Rule:
    """The preconditioner's state along the flow (``settings``: CentralFlowSettings)."""

    def __init__(self, settings, lr: float, grad0: torch.Tensor):
        self.settings, self.lr = settings, lr
        self.name = settings.optimizer
        self.nu = None
        if self.name == "rmsprop":
            self.nu = grad0.detach() ** 2
        elif self.name == "scalar_rmsprop":
            self.nu = (grad0.detach() @ grad0.detach()).reshape(1)

    @property
    def threshold(self) -> float:
        return self.settings.threshold(self.lr)

    @property
    def rate(self) -> float:
        return self.settings.drift_rate(self.lr)

    def precond(self) -> torch.Tensor | None:
        """P (a vector, or one number for scalar RMSProp); ``None`` for GD (P = I)."""
        return None if self.nu is None else self.nu.clamp(min=0).sqrt() + self.settings.eps

    def operator(self, matvec):
        """``v -> P^-1/2 H P^-1/2 v`` and ``P^-1/2`` (None for GD)."""
        p = self.precond()
        if p is None:
            return matvec, None
        s = p.rsqrt()
        return (lambda v: s * matvec(s * v)), s

    def lcp(self, values: np.ndarray, u: torch.Tensor, jac: torch.Tensor,
            grad: torch.Tensor, tau: float) -> tuple[np.ndarray, np.ndarray]:
        """(M, q) of 0 <= X perp q + M X >= 0: the gaps T - mu_i stay >= 0 ``tau`` ahead."""
        p = self.precond()
        jp = jac if p is None else jac / p
        j = jac.double().cpu().numpy()
        jpn = jp.double().cpu().numpy()
        gn = grad.double().cpu().numpy()
        q = (self.threshold - values) / tau + self.rate * jpn @ gn
        m = 0.5 * self.rate * jpn @ j.T
        if self.nu is not None:
            # d mu_i/dt gains -mu_i u_i^T dP/dt u_i, dP/dnu = 1/(2 sqrt(nu))
            rate0, rate_x = self._state_rates(values, u, grad)
            dp = 1 / (2 * self.nu.clamp(min=1e-300).sqrt())
            uu = u**2 if u.shape[1] == dp.numel() else (u**2).sum(1, keepdim=True)
            weights = (uu * dp).double().cpu().numpy()  # (k, n_state)
            q = q + values * (weights @ rate0.double().cpu().numpy())
            m = m + values[:, None] * (weights @ rate_x.double().cpu().numpy())
        return m, q

    def _state_rates(self, values, u, grad) -> tuple[torch.Tensor, torch.Tensor]:
        """d nu/dt = rate0 + rate_x @ X; H u_j = mu_j P u_j (generalised eigenpairs)."""
        beta2 = self.settings.beta2
        hu = torch.tensor(np.array(values), dtype=u.dtype, device=u.device)[:, None] * u
        p = self.precond()
        hu = hu * p
        if self.name == "rmsprop":
            g2, f2 = grad**2, (hu**2).T
        else:
            g2, f2 = (grad @ grad).reshape(1), (hu**2).sum(1)[None, :]
        return (1 - beta2) * (g2 - self.nu), (1 - beta2) * f2

    def advance(self, x: np.ndarray, values: np.ndarray, u: torch.Tensor,
                grad: torch.Tensor, dt: float) -> None:
        if self.nu is None:
            return
        rate0, rate_x = self._state_rates(values, u, grad)
        xt = torch.as_tensor(x, dtype=u.dtype, device=u.device)
        self.nu = self.nu + dt * (rate0 + (rate_x @ xt if len(x) else 0.0))

    def direction(self, step: torch.Tensor) -> torch.Tensor:
        """P^-1 step (the flow moves by -rate x this)."""
        p = self.precond()
        return step if p is None else step / p


class _Optimizer:
    """One step of the real optimizer, and its preconditioner's P^-1/2 (None for GD)."""

    def __init__(self, settings, lr: float, theta0: torch.Tensor, grad0: torch.Tensor):
        self.settings, self.lr = settings, lr
        self.buffer = torch.zeros_like(theta0)
        self.leaf = torch.nn.Parameter(theta0.clone())
        self.torch_rmsprop = torch.optim.RMSprop([self.leaf], lr=lr, alpha=settings.beta2,
                                                 eps=settings.eps)
        # torch's RMSprop starts from nu = g0^2 (its state is created lazily otherwise)
        self.torch_rmsprop.state[self.leaf] = {"step": torch.tensor(0.0),
                                               "square_avg": grad0.detach().clone() ** 2}
        self.nu = grad0.detach() @ grad0.detach()  # scalar RMSProp

    def scale(self) -> torch.Tensor | None:
        name = self.settings.optimizer
        if name == "gd":
            return None
        sq = self.torch_rmsprop.state[self.leaf]["square_avg"] if name == "rmsprop" \
            else self.nu
        return (sq.sqrt() + self.settings.eps).rsqrt()

    def step(self, theta: torch.Tensor, grad: torch.Tensor) -> torch.Tensor:
        name, beta2 = self.settings.optimizer, self.settings.beta2
        if name == "gd":
            self.buffer = self.settings.momentum * self.buffer + grad  # torch.optim.SGD
            return theta - self.lr * self.buffer
        if name == "rmsprop":
            with torch.no_grad():
                self.leaf.copy_(theta)
            self.leaf.grad = grad.detach().clone()
            self.torch_rmsprop.step()
            return self.leaf.detach().clone()
        self.nu = beta2 * self.nu + (1 - beta2) * (grad @ grad)
        return theta - self.lr * grad / (self.nu.sqrt() + self.settings.eps)


def run_optimizer(objective, theta0: torch.Tensor, lr: float, steps: int, settings):
    """The real optimizer's iterates, losses and sampled (preconditioned) sharpness; NaN
    from a divergence on.  GD and heavy ball: torch.optim.SGD's update written out;
    RMSProp: torch.optim.RMSprop itself; scalar RMSProp: its two lines."""
    path = torch.full((steps + 1, objective.dim), float("nan"), dtype=theta0.dtype,
                      device=theta0.device)
    losses = np.full(steps + 1, np.nan)
    sharp_steps, sharp = [], []
    theta, vector = theta0.clone(), None
    optimizer = None
    for t in range(steps + 1):
        if not torch.isfinite(theta).all():
            break
        path[t] = theta
        loss, grad = objective.value_and_grad(theta)
        losses[t] = loss
        if optimizer is None:
            optimizer = _Optimizer(settings, lr, theta0, grad)
        if t % settings.sharpness_every == 0 and np.isfinite(loss):
            op, s = objective.operator(theta), optimizer.scale()
            est = lanczos(op if s is None else _scaled(op, s), objective.dim,
                          dtype=theta.dtype, device=theta.device, v0=vector,
                          max_iter=settings.lanczos_iter, tol=settings.lanczos_tol,
                          seed=settings.seed, check_residual=False)
            vector = est.eigenvectors[0]
            sharp_steps.append(t)
            sharp.append(float(est.eigenvalues[0]))
        theta = optimizer.step(theta, grad)
    return path, losses, np.array(sharp_steps, dtype=int), np.array(sharp)


def _scaled(matvec, s: torch.Tensor):
    return lambda v: s * matvec(s * v)
