"""Phase and bifurcation diagrams over the learning rate (Section 4.1, Theorem 4.1).

For each function, GD is run by the compiled simulator (:mod:`theory.dynamics`) on a grid
of learning rates x initial points; every orbit is classified (converged / periodic /
chaotic / diverged / undecided).  The class map and the bifurcation diagram carry the
theory on top: the threshold 2/f''(0) and the period-2 points +-x_eta with their
stability.

What the paper says, and what is checked:

* below the threshold GD converges to the minimum (Section 4.1);
* f1 (convex, f'' decreasing, f''' <= 0 on x > 0): above the threshold almost every
  x0 != 0 ends on {+-x_eta} (Theorem 4.1);
* f2 (population loss (6.2), not convex): the period-2 orbit is unstable and GD above the
  threshold is chaotic but bounded (Fig. 4.1 middle).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from theory import catalog

if TYPE_CHECKING:
    from theory.dynamics import SimulationResult
    from theory.subquadratic import Subquadratic
from theory.figures._claims import Claim


@dataclass(frozen=True)
class Sweep:
    """One diagram: catalog ``name``, learning rates ``np.linspace(*eta)`` and initial
    points ``np.linspace(*x0)``, ``steps`` GD steps each."""

    name: str
    eta: tuple[float, float, int]
    x0: tuple[float, float, int]
    steps: int = 2000


SWEEPS = (
    Sweep("f1", (0.5, 6.0, 111), (-5.0, 5.0, 80)),
    Sweep("f2", (0.1, 3.0, 117), (-5.0, 5.0, 80)),
)


@dataclass(frozen=True)
class Diagram:
    sweep: Sweep
    function: Subquadratic  # the catalog's function
    result: SimulationResult

    @property
    def threshold(self) -> float:
        return float(self.function.threshold)


def compute(sweeps: Sequence[Sweep] = SWEEPS, *, store_dir: str | Path | None = None,
            progress: bool = False) -> tuple[Diagram, ...]:
    """Run every sweep (resumably into ``store_dir/<name>`` when given)."""
    from theory.dynamics import simulate

    out = []
    for sweep in sweeps:
        f = catalog.get(sweep.name)
        digest = hashlib.sha1(repr(sweep).encode()).hexdigest()[:10]
        tag = f"{sweep.name}_{digest}"  # one store per grid: a changed sweep never mixes
        store = None if store_dir is None else Path(store_dir) / tag
        # the compiled kernel always (not engine="auto"): the report must not depend on
        # whether a kernel happens to be in the cache (the NumPy engine's chaotic orbits
        # differ in the last digits, docs/simulator.md)
        result = simulate(f, np.linspace(*sweep.eta), np.linspace(*sweep.x0), sweep.steps,
                          keep_last=32, store=store, progress=progress, engine="numba")
        out.append(Diagram(sweep, f, result))
    return tuple(out)


def plot(diagrams: Sequence[Diagram], out_dir: str | Path, *, pdf: bool = False) -> list[Path]:
    """``<name>_class_map.png`` and ``<name>_bifurcation.png`` for each diagram."""
    from theory.dynamics import plot_bifurcation, plot_class_map, save_figure

    files: list[Path] = []
    for d in diagrams:
        base = Path(out_dir) / d.sweep.name
        files += save_figure(plot_class_map(d.result, d.function), f"{base}_class_map", pdf=pdf)
        files += save_figure(plot_bifurcation(d.result, d.function), f"{base}_bifurcation",
                             pdf=pdf)
    return files


def claims(diagrams: Sequence[Diagram]) -> list[Claim]:
    """Per diagram: convergence below 0.95 x threshold (all orbits with x0 != 0); above
    1.05 x threshold, the orbit of Theorem 4.1 (every orbit period 2 within 1e-8 of
    x_eta) when x_eta is stable, chaos (> 95% chaotic, none diverged) when it is not."""
    out = []
    for d in diagrams:
        name, f, result, threshold = d.sweep.name, d.function, d.result, d.threshold
        eta = result.eta
        names = result.class_names
        nonzero = np.abs(result.x0[:, 0]) > 0
        below = eta < 0.95 * threshold
        above = eta > 1.05 * threshold
        diverged = int(np.sum(names == "diverged"))
        common = {"threshold": threshold, "steps": d.sweep.steps, "n_eta": int(eta.size),
                  "n_x0": int(nonzero.size), "diverged": diverged}
        if f.is_stable(eta[above][0]):
            x_eta = f.periodic_point_array(eta[above])[:, None]
            final = np.abs(result.final_state[above][:, nonzero, 0])
            gap = np.abs(final - x_eta) / x_eta
            on_orbit = ((names[above][:, nonzero] == "periodic")
                        & (result.period[above][:, nonzero] == 2) & (gap <= 1e-8))
            out.append(Claim.tested(
                f"Theorem 4.1, {name}", "above 2/f''(0) every x0 != 0 ends on +-x_eta",
                f"{on_orbit.mean():.2%} of {on_orbit.size} orbits (eta > 1.05 x threshold, "
                "x0 != 0) are period 2 within 1e-8 of periodic_point(eta)",
                holds=bool(on_orbit.mean() == 1.0),
                criterion="every orbit period 2 with | |x| - x_eta | <= 1e-8 x_eta",
                numbers={**common, "fraction_on_orbit": float(on_orbit.mean()),
                         "max_relative_gap": float(gap.max()),
                         "eta_min": float(eta[above][0]), "eta_max": float(eta[above][-1])}))
        else:
            chaotic = float(np.mean(names[above] == "chaotic"))
            out.append(Claim.tested(
                f"Fig. 4.1 middle, {name}", "above the threshold GD is chaotic and bounded",
                f"{chaotic:.2%} of {names[above].size} orbits chaotic, {diverged} diverged",
                holds=chaotic > 0.95 and diverged == 0,
                criterion="> 95% chaotic above 1.05 x threshold and none diverged",
                numbers={**common, "fraction_chaotic": chaotic,
                         "cycle_multiplier": float(f.cycle_multiplier(float(eta[above][0])))}))
        converged = float(np.mean(names[below][:, nonzero] == "converged"))
        out.append(Claim.tested(
            f"Section 4.1, {name}", "below 2/f''(0) GD converges to the minimum",
            f"{converged:.2%} of orbits with eta < 0.95 x threshold = {threshold:.4g} converge",
            holds=converged == 1.0, criterion="every orbit below 0.95 x threshold converged",
            numbers={**common, "fraction_converged": converged}))
    return out
