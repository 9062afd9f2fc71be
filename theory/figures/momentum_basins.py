"""Beyond the paper (issue 21): heavy ball's 4-cycle on f1, certified and against its basins.

``compute`` takes

* the fold where heavy ball's 4-cycles are born, **certified** (Krawczyk on the extended
  system, :func:`theory.bifurcation.enclose_momentum_fold`) at each beta of ``fold_betas``,
  and the point where the fold curve meets the threshold eta = 2(1 + beta)
  (:func:`theory.bifurcation.enclose_fold_threshold_crossing`);
* at (``fail_beta``, ``fail_eta``) right of both curves, a certified stable 4-cycle and a
  certified stable 2-cycle: two attractors, so Theorem 4.1's conclusion (every orbit ends
  on +-x_eta) fails for heavy ball there;
* the continued stable-4-cycle region against iteration from a grid of initial states
  (x0, v0) (:func:`theory.bifurcation.basin_agreement`);
* Nesterov at the same points: a Newton search for 4-cycles from a grid of states and its
  certified 2-cycle.

``plot`` draws the fraction of (x0, v0) starts on a 4-cycle, the continued region's edge,
the certified folds and the threshold; ``claims`` decides each statement from the numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from theory.bifurcation import (
    BasinAgreement,
    BasinOptions,
    MomentumCycleEnclosure,
    MomentumFoldEnclosure,
    basin_agreement,
    enclose_fold_threshold_crossing,
    enclose_momentum_cycle,
    enclose_momentum_fold,
    find_momentum_cycles,
    momentum_map,
)
from theory.figures._claims import Claim
from theory.plotting import pyplot, save_figure

SOURCE = "Issue 21 (beyond the paper): heavy ball and Nesterov on f1"
#: numerical fold states (x, y, eta) near which the certificates start (fold_point)
_FOLD_GUESS = {0.85: (-0.4408, -1.1837, 2.7192), 0.6: (-2.8232, -11.1703, 6.7000),
               0.7: (-1.3900, -4.5937, 4.2937), 0.8: (-0.6725, -1.9220, 3.1010),
               0.9: (-0.2603, -0.6603, 2.4232)}


@dataclass(frozen=True)
class MomentumBasins:
    folds: tuple[MomentumFoldEnclosure, ...]
    crossing: MomentumFoldEnclosure
    fail_four: MomentumCycleEnclosure
    fail_two: MomentumCycleEnclosure
    basins: BasinAgreement
    nesterov_four_cycles: int
    nesterov_two: MomentumCycleEnclosure


def compute(etas=(1.5, 10.0, 18), betas=(0.6, 0.9, 7), points: int = 11, steps: int = 2000,
            fold_betas=(0.6, 0.7, 0.8, 0.85, 0.9), fail_beta: float = 0.7,
            fail_eta: float = 8.0) -> MomentumBasins:
    folds = tuple(enclose_momentum_fold("f1", "momentum", b, _FOLD_GUESS[b], 4, symmetric=True)
                  for b in fold_betas)
    crossing = enclose_fold_threshold_crossing("f1", 0.758, (-0.922, -2.792), 4,
                                               symmetric=True)
    mmap = momentum_map("f1", "momentum", fail_beta)
    grid = np.linspace(-20, 20, 9)
    starts = np.array([(a, c) for a in grid for c in grid])
    four = [z for z, r in find_momentum_cycles(mmap, fail_eta, 4, starts, symmetric=True)
            if r < 1]
    if not four:
        raise ValueError(f"no stable 4-cycle of heavy ball at beta={fail_beta}, eta={fail_eta}")
    fail_four = enclose_momentum_cycle("f1", "momentum", fail_beta, fail_eta, four[0], 4,
                                       symmetric=True)
    two = mmap.iterate(np.array([1.0]), fail_eta, 3000)[0]
    fail_two = enclose_momentum_cycle("f1", "momentum", fail_beta, fail_eta, two, 2)
    basins = basin_agreement("f1", etas, betas, BasinOptions(points=points, steps=steps,
                                                              margin=0.1))
    nmap = momentum_map("f1", "nesterov", fail_beta)
    n_four = len(find_momentum_cycles(nmap, fail_eta, 4, starts))
    n_two = nmap.iterate(np.array([1.0]), fail_eta, 3000)[0]
    nesterov_two = enclose_momentum_cycle("f1", "nesterov", fail_beta, fail_eta, n_two, 2)
    return MomentumBasins(folds, crossing, fail_four, fail_two, basins, n_four, nesterov_two)


def plot(data: MomentumBasins, out_dir: str | Path, *, pdf: bool = False) -> list[Path]:
    b = data.basins
    fig, ax = pyplot().subplots(figsize=(6.6, 4.4))
    mesh = ax.pcolormesh(b.eta, b.beta, b.found.T, shading="nearest", cmap="Greys", vmin=0,
                         vmax=1)
    fig.colorbar(mesh, ax=ax, label="fraction of (x0, v0) starts on a 4-cycle")
    ok = np.isfinite(b.stable_range[:, 0])
    ax.plot(b.stable_range[ok, 0], b.beta[ok], "C3-", lw=1.6,
            label="continued: stable 4-cycle to the right")
    ax.plot([np.mean(f.eta) for f in data.folds], [f.beta for f in data.folds], "C3o", ms=5,
            label="certified folds")
    ax.plot(2 * (1 + b.beta), b.beta, "C0--", lw=1.2, label="threshold 2(1 + beta)")
    ax.plot(np.mean(data.crossing.eta), data.crossing.beta, "C0*", ms=10,
            label=f"certified crossing, beta = {data.crossing.beta:.6f}")
    bad = (b.predicted != (b.found > 0)) & b.decided
    if bad.any():
        i, j = np.nonzero(bad)
        ax.plot(b.eta[i], b.beta[j], "rx", ms=8, label="disagreement")
    ax.set_xlim(b.eta[0], b.eta[-1])
    ax.set_ylim(b.beta[0], b.beta[-1])
    ax.set_xlabel("eta")
    ax.set_ylabel("beta")
    ax.set_title("heavy ball on f1: continued 4-cycle region vs basins", fontsize=10)
    ax.legend(fontsize=7, loc="upper left", framealpha=0.9)
    return save_figure(fig, Path(out_dir) / "momentum_basins", pdf=pdf)


def claims(data: MomentumBasins) -> list[Claim]:
    f85 = next((f for f in data.folds if f.beta == 0.85), data.folds[0])
    below = f85.eta[1] < 2 * (1 + f85.beta)
    cross = data.crossing
    assert cross.beta_enclosure is not None
    lo, hi = cross.beta_enclosure
    four, two = data.fail_four, data.fail_two
    fails = four.stable is True and four.minimal and two.stable is True
    b = data.basins
    agree = b.mismatches == 0 and b.near_cycle_failures == 0 and bool(b.predicted.any())
    nest = data.nesterov_four_cycles == 0 and data.nesterov_two.stable is True
    return [
        Claim.tested(
            SOURCE, f"(derived here) heavy ball's 4-cycle is born in a fold below the "
            f"threshold 2(1 + beta) at beta = {f85.beta}",
            f"certified fold eta in [{f85.eta[0]:.13f}, {f85.eta[1]:.13f}], threshold "
            f"{2 * (1 + f85.beta):.2f}", holds=below,
            criterion="Krawczyk enclosure of the fold, upper end below 2(1 + beta)",
            numbers={"beta": f85.beta, "fold_eta_lo": f85.eta[0], "fold_eta_hi": f85.eta[1]}),
        Claim.tested(
            SOURCE, "(derived here) the fold curve crosses the threshold eta = 2(1 + beta)",
            f"certified crossing at beta in [{lo:.13f}, {hi:.13f}]",
            holds=0.6 < lo <= hi < 0.9,
            criterion="Krawczyk enclosure of (fold system, eta = 2(1 + beta)) in (0.6, 0.9)",
            numbers={"crossing_beta_lo": lo, "crossing_beta_hi": hi}),
        Claim.tested(
            SOURCE, f"(derived here) Theorem 4.1's conclusion (every orbit ends on +-x_eta) "
            f"fails for heavy ball on f1 at beta = {four.beta}, eta = {four.eta}",
            f"certified stable 4-cycle (spectral radius <= {four.spectral_radius[1]:.4f}) and "
            f"certified stable 2-cycle (<= {two.spectral_radius[1]:.4f})", holds=fails,
            criterion="both Krawczyk-enclosed, minimal periods 4 and 2, Jury conditions hold",
            numbers={"radius_4_hi": four.spectral_radius[1],
                     "radius_2_hi": two.spectral_radius[1]}),
        Claim.tested(
            SOURCE, "(derived here) the continued stable 4-cycle region is where iteration "
            "from (x0, v0) starts finds a 4-cycle",
            f"{b.eta.size} x {b.beta.size} grid: {int(b.predicted.sum())} predicted, "
            f"{int((b.found > 0).sum())} found, {b.mismatches} disagreements outside "
            f"{b.margin} of the fold", holds=agree,
            criterion="no disagreement outside the margin, every start next to the cycle "
            "returns to it", numbers=b.summary() | {"grid": f"{b.eta.size}x{b.beta.size}"}),
        Claim.tested(
            SOURCE, f"(derived here, numerical) Nesterov on f1 has no 4-cycle at beta = "
            f"{four.beta}, eta = {four.eta}, and its 2-cycle is stable there",
            f"{data.nesterov_four_cycles} 4-cycles by Newton from 81 states in [-20, 20]^2; "
            f"2-cycle spectral radius <= {data.nesterov_two.spectral_radius[1]:.4f}",
            holds=nest, criterion="no 4-cycle found and the 2-cycle certified stable",
            numbers={"nesterov_four_cycles": data.nesterov_four_cycles}),
    ]
