"""Beyond the paper (issue 21): the flip at 2/f''(x*) and the period-doubling route to chaos.

For a 1-D function with a minimum x* (not necessarily even), ``compute`` takes

* the certified flip criterion (3 f'''^2 - f'' f'''' at x*: supercritical or subcritical,
  :func:`theory.bifurcation.flip_criterion`) and checks its direction with the simulator
  just above the threshold (a period-2 attractor near x* iff supercritical);
* the continued branches from the fixed point through ``doublings`` flips, each flip point
  enclosed (:func:`theory.bifurcation.continue_cascade`), and the Feigenbaum ratios;
* the simulator's attractors over the eta window (for the drawing) and its Lyapunov
  exponents past the last flip (:func:`theory.bifurcation.lyapunov_onset`), compared with
  the accumulation point predicted from the flips.

``plot`` draws the branches (stable solid, unstable dashed) over the simulated attractors;
``claims`` decides each statement from the numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from theory.bifurcation import (
    Cascade,
    FlipCriterion,
    LyapunovScan,
    continue_cascade,
    draw_branches,
    flip_criterion,
    lyapunov_onset,
)
from theory.figures._claims import Claim
from theory.plotting import pyplot, save_figure

FEIGENBAUM = 4.669201609102990
SOURCE = "Issue 21 (beyond the paper; generalises Lemma 4.1)"


@dataclass(frozen=True)
class BifurcationData:
    function: str
    criterion: FlipCriterion
    cascade: Cascade
    #: simulator just above the threshold: period found near x* at eta* (1 + probe)
    probe: float
    probe_period: int
    probe_distance: float
    sim_eta: np.ndarray
    sim_points: np.ndarray
    scan: LyapunovScan | None

    @property
    def onset_error(self) -> float | None:
        acc = self.cascade.accumulation
        if self.scan is None or self.scan.onset is None or acc is None:
            return None
        return abs(self.scan.onset - acc) / acc

    def to_dict(self) -> dict:
        return {"function": self.function, "criterion": self.criterion.to_dict(),
                "cascade": self.cascade.to_dict(), "probe": self.probe,
                "probe_period": self.probe_period, "probe_distance": self.probe_distance,
                "lyapunov_onset": None if self.scan is None else self.scan.onset,
                "onset_relative_error": self.onset_error}


def _simulate(function, etas, x0: float, steps: int, keep: int):
    from theory.dynamics import simulate
    result = simulate(function, np.asarray(etas, float), [x0], steps, engine="numpy",
                      progress=False, keep_last=keep)
    return result


def compute(function="x**2/2 + x**3/2", eta=(1.5, 2.6), *, doublings: int = 5,
            grid: int = 300, steps: int = 3000, keep: int = 48, probe: float = 0.01,
            lyapunov_points: int = 201, lyapunov_steps: int = 12000,
            minimum=None) -> BifurcationData:
    crit = flip_criterion(function, minimum=minimum)
    cascade = continue_cascade(function, eta, doublings=doublings, minimum=minimum)
    xstar = crit.minimum[0]
    x0 = xstar + 0.01 * (1 + abs(xstar))
    # the direction: just above eta*, is there a period-2 attractor near x*?
    probe_eta = crit.threshold * (1 + probe)
    near = _simulate(function, [probe_eta], x0, 20 * steps, 2)
    period = int(near.period[0, 0])
    tail = near.tail[0, 0, :, 0]
    distance = float(np.max(np.abs(tail - xstar))) if np.all(np.isfinite(tail)) else np.inf
    etas = np.linspace(eta[0], eta[1], grid)
    sweep = _simulate(function, etas, x0, steps, keep)
    scan = None
    flips = cascade.flips
    if cascade.accumulation is not None and len(flips) >= 2:
        last = flips[-1].eta
        top = min(cascade.accumulation + (cascade.accumulation - last), eta[1] * 1.05)
        if top > last:
            scan = lyapunov_onset(function, last, top, points=lyapunov_points,
                                  steps=lyapunov_steps, x0=x0)
    return BifurcationData(function=cascade.function, criterion=crit, cascade=cascade,
                           probe=probe, probe_period=period, probe_distance=distance,
                           sim_eta=etas, sim_points=np.asarray(sweep.tail[:, 0, :, 0]),
                           scan=scan)


def plot(data: BifurcationData, out_dir: str | Path, *, pdf: bool = False,
         stem: str = "bifurcation") -> list[Path]:
    fig, ax = pyplot().subplots(figsize=(7.0, 4.4))
    pts = data.sim_points
    eta = np.repeat(data.sim_eta[:, None], pts.shape[1], axis=1)
    ok = np.isfinite(pts)
    ax.plot(eta[ok], pts[ok], ".", color="0.6", ms=0.8, alpha=0.7)
    ax.plot([], [], ".", color="0.55", label="simulated attractors")
    colours = pyplot().rcParams["axes.prop_cycle"].by_key()["color"]
    for handle in draw_branches(ax, data.cascade, colours=colours):
        ax.plot([], [], color=handle.get_color(), label=handle.get_label())
    for p in data.cascade.flips:
        ax.axvline(p.eta, color="k", lw=0.4, alpha=0.5)
    acc = data.cascade.accumulation
    if acc is not None:
        ax.axvline(acc, color="r", lw=0.8, ls=":", label=f"eta_inf ~ {acc:.6f}")
    lo, hi = data.sim_eta[0], data.sim_eta[-1]
    ax.set_xlim(lo, hi)
    finite = pts[ok]
    if finite.size:
        pad = 0.1 * (finite.max() - finite.min() + 1e-9)
        ax.set_ylim(finite.min() - pad, finite.max() + pad)
    ax.set_xlabel("eta")
    ax.set_ylabel("x")
    ax.set_title(f"GD on {data.function}: {data.criterion.verdict} flip at "
                 f"eta* = {data.criterion.threshold:.6g}", fontsize=9)
    ax.legend(fontsize=7, loc="lower left")
    return save_figure(fig, Path(out_dir) / stem, pdf=pdf)


def claims(data: BifurcationData) -> list[Claim]:
    crit = data.criterion
    found = data.probe_period == 2 and data.probe_distance < 0.5 * (1 + abs(crit.minimum[0]))
    rows = []
    if crit.verdict == "degenerate":
        rows.append(Claim.not_applicable(
            SOURCE, "the period-2 orbit born at 2/f''(x*) is stable iff 3f'''^2 - f''f'''' > 0",
            f"3f'''^2 - f''f'''' = {crit.quantity:.6g}: degenerate",
            why="the criterion is zero or undecided", numbers={"quantity": crit.quantity}))
    else:
        rows.append(Claim.tested(
            SOURCE, "the period-2 orbit born at 2/f''(x*) is stable iff 3f'''^2 - f''f'''' > 0",
            f"Q = {crit.quantity:.6g} ({crit.verdict}, {crit.certified_by}); at eta* "
            f"(1 + {data.probe:g}) the simulator finds period {data.probe_period} near x*",
            holds=found == crit.supercritical,
            criterion="stable 2-cycle near x* just above eta* iff supercritical",
            numbers={"quantity": crit.quantity, "threshold": crit.threshold,
                     "probe_period": data.probe_period,
                     "probe_distance": data.probe_distance}))
    flips = data.cascade.flips
    certified = sum(p.certified for p in flips)
    if len(flips) < 2:
        rows.append(Claim.not_applicable(
            SOURCE, "a period-doubling cascade: flip points, Feigenbaum ratios, onset of chaos",
            f"{len(flips)} flip in the window: no cascade to measure",
            why="no second flip in the eta window", numbers={"flips": len(flips)}))
        return rows
    rows.append(Claim.tested(
        SOURCE, "the first flip points eta_k of the cascade are located and certified",
        f"{len(flips)} flips, {certified} with Krawczyk enclosures; eta_k = "
        + ", ".join(f"{p.eta:.10g}" for p in flips),
        holds=certified >= 4, criterion="at least 4 certified flip points",
        numbers={"flips": len(flips), "certified": certified}))
    ratios = data.cascade.feigenbaum_ratios
    if ratios:
        err = abs(ratios[-1] / FEIGENBAUM - 1)
        rows.append(Claim.tested(
            SOURCE, "(eta_k - eta_{k-1}) / (eta_{k+1} - eta_k) tends to Feigenbaum's 4.6692",
            "ratios " + ", ".join(f"{r:.4f}" for r in ratios),
            holds=err <= 0.05, criterion="last ratio within 5% of 4.6692",
            numbers={"last_ratio": ratios[-1], "relative_error": err}))
    rel = data.onset_error
    if rel is not None and data.scan is not None:
        rows.append(Claim.tested(
            SOURCE, "chaos (a positive Lyapunov exponent) sets in at the accumulation point",
            f"first positive exponent at eta = {data.scan.onset:.6f}; eta_inf predicted "
            f"{data.cascade.accumulation:.6f}",
            holds=rel <= 1e-3, criterion="relative gap <= 1e-3",
            numbers={"onset": data.scan.onset, "accumulation": data.cascade.accumulation,
                     "relative_error": rel}))
    return rows
