"""Phase diagrams of momentum over (eta, beta) with the derived curves drawn over them.

* :func:`plot_momentum_phase_diagram` -- per (eta, beta), the fraction of initial points that
  end on a period-2 orbit (colour), the fractions converged / on longer cycles (contours),
  and the derived threshold eta*(beta) (heavy ball 2(1+beta)/f''(0), Nesterov
  2(1+beta)/((1+2beta) f''(0)); :func:`theory.optimizers.threshold`);
* :func:`plot_momentum_bifurcation` -- |x_T| against eta for a few beta with the derived
  period-2 amplitude x_eta(eta, beta) (:func:`theory.optimizers.periodic_orbit`).
"""

from __future__ import annotations

import numpy as np

from theory.dynamics._momentum import MomentumSweep
from theory.dynamics._support import CLASS_NAMES
from theory.plotting import pyplot as _pyplot

__all__ = ["momentum_threshold_curve", "plot_momentum_bifurcation", "plot_momentum_phase_diagram"]


def _optimizer(method: str, beta: float):
    from theory.optimizers import HeavyBall, Nesterov

    return HeavyBall(beta) if method == "momentum" else Nesterov(beta)


def momentum_threshold_curve(function, method: str, betas) -> np.ndarray:
    """The derived threshold learning rate at each beta."""
    from theory.optimizers import threshold

    return np.array([threshold(function, _optimizer(method, float(b))) for b in betas])


def plot_momentum_phase_diagram(sweep: MomentumSweep, function, ax=None):
    """Fraction of x0 on a period-2 orbit over (eta, beta), the threshold curve on top."""
    plt = _pyplot()
    if ax is None:
        _, ax = plt.subplots(figsize=(6.4, 4.6))
    method = sweep.metadata.get("method", "momentum")
    period_two = sweep.fraction("periodic", period=2).T  # (beta, eta)
    converged = sweep.fraction("converged").T
    other = 1.0 - period_two - converged
    eta, beta = sweep.eta, sweep.beta
    mesh = ax.pcolormesh(eta, beta, period_two, shading="nearest", cmap="Blues", vmin=0, vmax=1)
    ax.figure.colorbar(mesh, ax=ax, label="fraction of x0 on a period-2 orbit")
    if beta.size > 1 and eta.size > 1 and np.any(other > 0):
        ax.contour(eta, beta, other, levels=[0.05, 0.5], colors="#d62728", linewidths=1)
        ax.plot([], [], color="#d62728", label="longer cycles / undecided: 5% / 50% of x0")
    fine = np.linspace(beta.min(), beta.max(), 200)
    ax.plot(momentum_threshold_curve(function, method, fine), fine, "k--",
            label="derived threshold eta*(beta)")
    ax.set_xlim(eta.min(), eta.max())
    ax.set_xlabel("learning rate eta")
    ax.set_ylabel("momentum beta")
    ax.set_title(f"{method} on {sweep.metadata.get('function', '')}: where x0 ends on a "
                 f"{CLASS_NAMES[1]} orbit of period 2")
    # below the axes, off the data (saved with bbox_inches="tight", so it stays in the PNG)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=2, fontsize=8,
              frameon=False)
    return ax.figure


def plot_momentum_bifurcation(sweep: MomentumSweep, function, betas=None, ax=None):
    """|x_T| of every x0 against eta at the sweep's betas (or ``betas``), with x_eta."""
    from theory.optimizers import periodic_point_array, threshold

    plt = _pyplot()
    if ax is None:
        _, ax = plt.subplots(figsize=(6.4, 4.2))
    method = sweep.metadata.get("method", "momentum")
    indices = range(sweep.beta.size) if betas is None else [
        int(np.argmin(np.abs(sweep.beta - b))) for b in betas]
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for n, j in enumerate(indices):
        b = float(sweep.beta[j])
        colour = colours[n % len(colours)]
        x = np.abs(sweep.final_state[:, j, :, 0])
        etas = np.repeat(sweep.eta[:, None], x.shape[1], axis=1)
        ax.scatter(etas.ravel(), x.ravel(), s=3, color=colour, alpha=0.5)
        optimizer = _optimizer(method, b)
        star = threshold(function, optimizer)
        above = sweep.eta[sweep.eta > star * (1 + 1e-9)]
        curve = periodic_point_array(function, optimizer, above) if above.size else above
        ax.plot(above, curve, color=colour, lw=1, label=f"beta={b:g}: x_eta(eta, beta)")
        ax.axvline(star, color=colour, ls=":", lw=0.8)
    ax.set_yscale("symlog", linthresh=1e-3)
    ax.set_ylim(bottom=0)
    ax.set_xlabel("learning rate eta")
    ax.set_ylabel("|x_T|")
    ax.set_title(f"{method}: simulated attractors and the derived period-2 amplitude")
    ax.legend(fontsize=8)
    return ax.figure
