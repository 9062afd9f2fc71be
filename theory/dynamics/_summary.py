"""Summaries of a sweep for people and for the CLI: attractor values and class counts."""

from __future__ import annotations

import numpy as np

from theory.dynamics._result import SimulationResult
from theory.dynamics._support import PERIODIC

__all__ = ["attractor_values", "summarize"]

def _cycles(result: SimulationResult, landscape) -> list[np.ndarray]:
    """The cycle points (p, d) of every periodic point, from its final state."""
    mask = result.classes == PERIODIC
    if not mask.any():
        return []
    eta_idx = np.nonzero(mask)[0]
    factors = result.schedule.factors
    etas = result.eta[eta_idx] * factors[-1]
    periods = result.period[mask].astype(int)
    x = result.final_state[mask].astype(float)
    orbit = [x.copy()]
    for _j in range(1, int(periods.max())):
        with np.errstate(all="ignore"):
            x = x - etas[:, None] * landscape.gradient(x).reshape(x.shape)
        orbit.append(x.copy())
    stacked = np.stack(orbit, axis=1)  # (points, pmax, d)
    return [stacked[i, : periods[i]] for i in range(len(periods))]


def attractor_values(result: SimulationResult, landscape, decimals: int = 8) -> list:
    """Distinct values visited by the periodic orbits found, rounded to ``10**-decimals``.

    The cycle of each periodic point is regenerated from its final state with the
    landscape's gradient; values closer than the rounding unit are merged before rounding
    (so one attractor point never shows up twice).  1-D: sorted floats; d-D: sorted lists.
    """
    cycles = _cycles(result, landscape)
    if not cycles:
        return []
    points = np.concatenate(cycles, axis=0)
    points = points[np.all(np.isfinite(points), axis=1)]
    unit = 10.0**-decimals
    if points.shape[1] == 1:
        values = np.sort(points[:, 0])
        groups = np.split(values, np.nonzero(np.diff(values) > unit)[0] + 1)
        out = sorted({float(np.round(g.mean(), decimals)) + 0.0 for g in groups})
        return out
    rounded = {tuple(float(v) + 0.0 for v in np.round(p, decimals)) for p in points}
    return [list(p) for p in sorted(rounded)]


def summarize(result: SimulationResult, landscape) -> dict:
    """``counts`` (five classes), ``periods`` (period -> count), ``attractor`` (distinct
    periodic-orbit values, rounded to 1e-8), ``lyapunov_median``, ``undecided_reasons`` (reason
    text -> count, :data:`theory.dynamics.UNDECIDED_REASONS`): the ``msl simulate`` JSON."""
    summary = result.summary()
    return {
        "counts": summary["counts"],
        "periods": summary["periods"],
        "attractor": attractor_values(result, landscape),
        "lyapunov_median": summary["lyapunov_median"],
        "undecided_reasons": result.undecided_reason_counts(),
    }
