"""Momentum phase diagrams on f1 over (eta, beta) with the derived curves (issue 13; the
Section 7 extension beyond GD).  Heavy ball and Nesterov from a grid of x0 (x_{-1} = x_0).

Measured against the derivations of :mod:`theory.optimizers`: the learning rate at which
orbits stop converging (threshold eta*(beta)), the simulated period-2 amplitudes against
x_eta(eta, beta), and the fraction of x0 that reaches the period-2 orbit above the threshold
(the Theorem 4.1 analogue, which the paper does not claim).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from theory import catalog
from theory.bifurcation import MomentumBranch, draw_branches, momentum_branches
from theory.dynamics import (
    CLASS_NAMES,
    MomentumSweep,
    plot_momentum_bifurcation,
    plot_momentum_phase_diagram,
    simulate_momentum,
)
from theory.figures._claims import Claim
from theory.optimizers import HeavyBall, Nesterov, periodic_point_array, threshold
from theory.plotting import save_figure


@dataclass(frozen=True)
class MomentumPhase:
    sweeps: dict[str, MomentumSweep]
    #: per method: max over beta of |onset - eta*(beta)| / eta-grid spacing, the onset being
    #: the first eta at which an x0 near 0 (|x0| <= 0.1) does not converge
    onset_gap_cells: dict[str, float]
    #: per method: max relative gap |x_T| vs x_eta(eta, beta) over period-2 points
    amplitude_gap: dict[str, float]
    #: per method: (min fraction of x0 converging below eta*, its eta, beta)
    below_min: dict[str, tuple[float, float, float]]
    #: per method: (min period-2 fraction of x0 for eta > 1.02 eta*, its eta, beta)
    basin_min: dict[str, tuple[float, float, float]]
    #: per method: periods of the other cycles found
    other_periods: dict[str, list[int]]
    #: per method and shown beta: the continued 2- and 4-cycle branches (issue 21)
    branches: dict[str, dict[float, list[MomentumBranch]]] | None = None


def _optimizer(method: str, beta: float):
    return HeavyBall(beta) if method == "momentum" else Nesterov(beta)


def _shown(beta: np.ndarray) -> np.ndarray:
    return beta[[0, beta.size // 2, -1]]


def compute(etas=(0.5, 8.0, 76), betas=(0.0, 0.9, 10), x0=(-3.0, 3.0, 14), steps: int = 4000,
            methods=("momentum", "nesterov"), branches: bool = True) -> MomentumPhase:
    f = catalog.get("f1")
    eta = np.linspace(etas[0], etas[1], int(etas[2]))
    beta = np.linspace(betas[0], betas[1], int(betas[2]))
    x = np.union1d(np.linspace(x0[0], x0[1], int(x0[2])), [-0.1, 0.1])
    x = x[x != 0]
    small = np.abs(x) <= 0.1
    spacing = eta[1] - eta[0]
    converged_code = CLASS_NAMES.index("converged")
    periodic_code = CLASS_NAMES.index("periodic")
    sweeps, onset, amplitude, below, basin, others = {}, {}, {}, {}, {}, {}
    for method in methods:
        sweep = simulate_momentum(f, eta, beta, x, steps, method=method)
        sweeps[method] = sweep
        conv = sweep.classes == converged_code
        two = (sweep.classes == periodic_code) & (sweep.period == 2)
        gaps, amp_gaps = [], [0.0]
        low, high = (1.0, np.nan, np.nan), (1.0, np.nan, np.nan)
        for j, b in enumerate(beta):
            optimizer = _optimizer(method, float(b))
            star = threshold(f, optimizer)
            not_conv = np.flatnonzero(~conv[:, j][:, small].all(axis=1))
            first = eta[not_conv[0]] if not_conv.size else np.inf
            gaps.append(abs(first - star) / spacing)
            for i in np.flatnonzero(eta < star):
                frac = float(conv[i, j].mean())
                low = min(low, (frac, float(eta[i]), float(b)))
            far = eta > 1.02 * star
            for i in np.flatnonzero(far):
                high = min(high, (float(two[i, j].mean()), float(eta[i]), float(b)))
            if far.any():
                a = periodic_point_array(f, optimizer, eta[far])
                amp = np.abs(sweep.final_state[far, j, :, 0])
                near = two[far, j] & np.isclose(amp, a[:, None], rtol=1e-3)
                if near.any():
                    rel = np.abs(amp - a[:, None]) / a[:, None]
                    amp_gaps.append(float(rel[near].max()))
        onset[method] = float(max(gaps))
        amplitude[method] = float(max(amp_gaps))
        below[method], basin[method] = low, high
        periods = sweep.period[(sweep.classes == periodic_code) & (sweep.period != 2)]
        others[method] = sorted({int(p) for p in periods})
    continued = None
    if branches:  # the continued cycles drawn over the bifurcation panels
        continued = {m: {float(b): momentum_branches(f.expr, m, float(b), (eta[0], eta[-1]))
                         for b in _shown(beta)} for m in methods}
    return MomentumPhase(sweeps, onset, amplitude, below, basin, others, continued)


def plot(data: MomentumPhase, out_dir: str | Path, *, pdf: bool = False) -> list[Path]:
    f = catalog.get("f1")
    out = Path(out_dir)
    files: list[Path] = []
    for method, sweep in data.sweeps.items():
        files += save_figure(plot_momentum_phase_diagram(sweep, f), out / f"{method}_phase",
                             pdf=pdf)
        shown = _shown(sweep.beta)
        fig = plot_momentum_bifurcation(sweep, f, betas=shown)
        if data.branches is not None:  # same colour per beta as the simulated points
            ax = fig.axes[0]
            for n, b in enumerate(shown):
                draw_branches(ax, data.branches[method].get(float(b), []),
                              colours=[f"C{n % 10}"], absolute=True, lw=1.0)
            ax.set_title(f"{method}: simulated attractors, x_eta and continued cycles "
                         "(stable solid, unstable dashed)", fontsize=9)
        files += save_figure(fig, out / f"{method}_bifurcation", pdf=pdf)
    return files


def claims(data: MomentumPhase) -> list[Claim]:
    rows = []
    for method, sweep in data.sweeps.items():
        formula = ("2(1+beta)/f''(0)" if method == "momentum"
                   else "2(1+beta)/((1+2beta) f''(0))")
        steps = sweep.metadata["steps"]
        rows.append(Claim.tested(
            f"Section 7 extension, {method}", f"0 loses stability at the derived threshold "
            f"eta* = {formula} (linearised 2-state map)",
            f"first eta where an x0 with |x0| <= 0.1 does not converge is within "
            f"{data.onset_gap_cells[method]:.2f} grid cells of eta*(beta) at every beta",
            holds=data.onset_gap_cells[method] <= 1.0,
            criterion="simulated onset within one eta-grid cell of eta*(beta)",
            numbers={"onset_gap_cells": data.onset_gap_cells[method], "steps": steps}))
        rows.append(Claim.tested(
            f"Lemma 4.1 extension, {method}", "the period-2 orbit {+-a} has a = x^GD at "
            "eta_eff / s (derived), increasing in eta",
            f"simulated period-2 amplitudes match x_eta(eta, beta) to "
            f"{data.amplitude_gap[method]:.1e} (relative)",
            holds=data.amplitude_gap[method] < 1e-6,
            criterion="max relative gap < 1e-6",
            numbers={"amplitude_gap": data.amplitude_gap[method]}))
        frac, eta, beta = data.below_min[method]
        rows.append(Claim.not_applicable(
            f"Theorem 4.1 analogue below eta*, {method}", "(not in the paper) below the "
            "threshold every x0 converges to 0",
            (f"smallest converged fraction of x0 below eta*: {frac:.0%} (eta = {eta:.3g}, "
             f"beta = {beta:.3g})" if frac < 1 else "every x0 converges below eta*")
            + f"; other cycles found: periods {data.other_periods[method] or 'none'}",
            why="the paper proves Theorem 4.1 for GD only; this documents the simulation",
            numbers={"min_fraction": frac, "at_eta": eta, "at_beta": beta}))
        frac, eta, beta = data.basin_min[method]
        rows.append(Claim.not_applicable(
            f"Theorem 4.1 analogue above eta*, {method}", "(not in the paper) almost every "
            "x0 reaches the period-2 orbit above the threshold",
            f"smallest period-2 fraction of x0 for eta > 1.02 eta*: {frac:.0%} "
            f"(eta = {eta:.3g}, beta = {beta:.3g})" if frac < 1
            else "every x0 reaches the period-2 orbit for eta > 1.02 eta*",
            why="the paper proves Theorem 4.1 for GD only; this documents the simulation",
            numbers={"min_fraction": frac, "at_eta": eta, "at_beta": beta}))
    return rows
