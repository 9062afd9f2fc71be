"""Beyond the paper (issue 21): where heavy ball on f1 has a 4-cycle, in the (eta, beta) plane.

``compute`` continues the 4-cycle at one beta (:func:`theory.bifurcation.period_four_window`)
to the fold where it is born, follows that fold over beta
(:func:`theory.bifurcation.fold_curve`), and runs the simulator
(:func:`theory.dynamics.simulate_momentum`) on an (eta, beta) grid: the fraction of initial
points that land on a period-4 orbit.  ``plot`` draws that fraction with the fold curve and
the threshold 2(1 + beta)/f''(0) over it; ``claims`` checks that every grid point where the
simulator finds a 4-cycle lies right of the fold (one grid step of slack), and says where
the fold crosses the threshold (above it, for larger beta, the 4-cycle coexists with the
minimum; right of both, with the stable 2-cycle, so Theorem 4.1's conclusion fails).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from theory.bifurcation import fold_curve, fold_point, momentum_map, period_four_window
from theory.figures._claims import Claim
from theory.plotting import pyplot, save_figure

SOURCE = "Issue 21 (beyond the paper): heavy ball on f1"


@dataclass(frozen=True)
class MomentumCycles:
    method: str
    fold_beta: np.ndarray
    fold_eta: np.ndarray
    eta: np.ndarray
    beta: np.ndarray
    period_four: np.ndarray  # (n_eta, n_beta) fraction of x0 on a 4-cycle

    def fold_at(self, beta: float) -> float:
        order = np.argsort(self.fold_beta)
        return float(np.interp(beta, self.fold_beta[order], self.fold_eta[order],
                               left=np.inf, right=np.nan))

    @property
    def crossing(self) -> float | None:
        """beta where the fold meets the threshold 2(1 + beta) (linear interpolation)."""
        gap = self.fold_eta - 2 * (1 + self.fold_beta)
        order = np.argsort(self.fold_beta)
        b, g = self.fold_beta[order], gap[order]
        idx = np.nonzero(np.diff(np.sign(g)) != 0)[0]
        if not idx.size:
            return None
        i = idx[0]
        return float(b[i] - g[i] * (b[i + 1] - b[i]) / (g[i + 1] - g[i]))


def compute(method: str = "momentum", etas=(1.0, 8.0, 57), betas=(0.6, 0.95, 15),
            x0=(-4.0, 4.0, 41), steps: int = 3000, start_beta: float = 0.85
            ) -> MomentumCycles:
    from theory.dynamics import simulate_momentum

    branch = period_four_window("f1", method, start_beta, (1.0, 14.0), probe_eta=5.0)
    if branch is None or not branch.fold_states:
        raise ValueError(f"no 4-cycle of {method} on f1 at beta={start_beta}")
    start = fold_point(momentum_map("f1", method, start_beta), branch.fold_states[0])
    if start is None:
        raise ValueError(f"no fold point of {method} on f1 at beta={start_beta}")
    down = fold_curve("f1", method, np.round(np.arange(start_beta, 0.55, -0.005), 4), start)
    up = fold_curve("f1", method, np.round(np.arange(start_beta, 0.995, 0.005), 4), start)
    curve = sorted(set(down + up))
    eta = np.linspace(etas[0], etas[1], int(etas[2]))
    beta = np.linspace(betas[0], betas[1], int(betas[2]))
    sweep = simulate_momentum("f1", eta, beta, np.linspace(x0[0], x0[1], int(x0[2])), steps,
                              method=method)
    four = sweep.fraction("periodic", period=4)
    return MomentumCycles(method, np.array([b for b, _ in curve]),
                          np.array([e for _, e in curve]), eta, beta, np.asarray(four))


def plot(data: MomentumCycles, out_dir: str | Path, *, pdf: bool = False) -> list[Path]:
    fig, ax = pyplot().subplots(figsize=(6.6, 4.4))
    mesh = ax.pcolormesh(data.eta, data.beta, data.period_four.T, shading="nearest",
                         cmap="Greys", vmin=0, vmax=max(0.05, float(data.period_four.max())))
    fig.colorbar(mesh, ax=ax, label="fraction of x0 on a 4-cycle (simulator)")
    ax.plot(data.fold_eta, data.fold_beta, "C3-", lw=1.6,
            label="fold: 4-cycles born (continuation)")
    ax.plot(2 * (1 + data.beta), data.beta, "C0--", lw=1.2, label="threshold 2(1 + beta)")
    ax.set_xlim(data.eta[0], data.eta[-1])
    ax.set_ylim(data.beta[0], data.beta[-1])
    ax.set_xlabel("eta")
    ax.set_ylabel("beta")
    ax.set_title(f"{data.method} on f1: where a 4-cycle exists", fontsize=10)
    ax.legend(fontsize=8, loc="lower right")
    return save_figure(fig, Path(out_dir) / f"{data.method}_cycles", pdf=pdf)


def claims(data: MomentumCycles) -> list[Claim]:
    step = float(data.eta[1] - data.eta[0])
    outside = 0
    for j, b in enumerate(data.beta):
        fold = data.fold_at(float(b))
        for i, e in enumerate(data.eta):
            if data.period_four[i, j] > 0 and not (np.isfinite(fold) and e >= fold - step):
                outside += 1
    found = int(np.count_nonzero(data.period_four > 0))
    cross = data.crossing
    return [
        Claim.tested(
            SOURCE, "(derived here) 4-cycles exist only right of the fold curve eta_fold(beta) "
            "found by continuation",
            f"{found} grid points with a simulated 4-cycle, {outside} of them left of the fold",
            holds=found > 0 and outside == 0,
            criterion="every simulated 4-cycle right of the fold (one eta step of slack)",
            numbers={"grid_points_with_4_cycle": found, "left_of_fold": outside}),
        Claim.not_applicable(
            SOURCE, "where the 4-cycle is born relative to the threshold 2(1 + beta)",
            "the fold crosses the threshold at beta = "
            + ("none in range" if cross is None else f"{cross:.4f}")
            + "; right of both the 4-cycle coexists with the stable 2-cycle",
            why="documents a derived quantity (Theorem 4.1 is about GD)",
            numbers={"crossing_beta": cross}),
    ]
