"""Summaries of a sweep for people and for the CLI: grids from text, attractor values."""

from __future__ import annotations

import re

import numpy as np

from theory.dynamics._result import SimulationResult
from theory.dynamics._support import PERIODIC
from theory.errors import GridError, MslValueError

__all__ = ["attractor_values", "parse_grid", "resolve_cli_function", "summarize"]

_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_GRID = re.compile(rf"^\s*({_NUMBER})\s*:\s*({_NUMBER})\s*:\s*(\S+)\s*$")
_SINGLE = re.compile(rf"^\s*({_NUMBER})\s*$")
_VARIABLE = re.compile(r"^x\d*$")


def parse_grid(text: str, argument: str) -> np.ndarray:
    """``"A:B:N"`` -> ``numpy.linspace(A, B, N)`` (N >= 1 points); ``"A"`` -> ``[A]``.

    Raises :class:`GridError` naming ``argument`` for anything else (an empty grid, N not a
    positive whole number, a malformed number).
    """
    single = _SINGLE.match(text)
    if single:
        return np.array([float(single.group(1))])
    match = _GRID.match(text)
    if not match:
        raise GridError(
            f"{argument} {text!r} is not a number or a grid A:B:N (start:stop:count, "
            "e.g. 0.5:6:200)"
        )
    start, stop, count = match.groups()
    try:
        n = int(count)
    except ValueError:
        raise GridError(
            f"{argument} {text!r}: the count N={count!r} must be a whole number >= 1"
        ) from None
    if n < 1:
        raise GridError(f"{argument} {text!r} is an empty grid (N={n}); N must be >= 1")
    return np.linspace(float(start), float(stop), n)


def resolve_cli_function(text: str):
    """A catalog name or an expression in x (or x1, x2, ...) -> a theory object.

    Unlike :func:`theory.resolve_function`, an unknown bare name such as ``foo`` is refused
    (it would otherwise be a linear function of a variable called foo).
    """
    from theory import resolve_function
    from theory._sympy_utils import parse
    from theory.catalog import is_catalog_name, names

    if not is_catalog_name(text):
        symbols = sorted(s.name for s in parse(text).free_symbols)
        odd = [s for s in symbols if not _VARIABLE.match(s)]
        if odd or not symbols:
            raise MslValueError(
                f"function={text!r} is neither a catalog name ({', '.join(names())}) nor an "
                f"expression in x (or x1, x2, ...)"
                + (f"; unknown name(s): {', '.join(odd)}" if odd else "")
            )
    return resolve_function(text)


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
    periodic-orbit values, rounded to 1e-8), ``lyapunov_median``: the ``msl simulate`` JSON."""
    summary = result.summary()
    return {
        "counts": summary["counts"],
        "periods": summary["periods"],
        "attractor": attractor_values(result, landscape),
        "lyapunov_median": summary["lyapunov_median"],
    }
