"""Bounded work: refuse requests whose memory or time can be estimated up front.

:data:`BOUNDS` is the one table of upper bounds for the numeric flags and ``--set`` keys
of ``msl`` (and the API arguments behind them).  Each :class:`Bound` says what one unit
costs (bytes and seconds, rough figures for this package's default problems) and, for
processes and threads, a multiple of the cores; :func:`check_bound` refuses a value whose
estimate passes :func:`memory_limit` or :func:`time_budget` (``MSL_TIME_LIMIT_HOURS``,
24 h by default), or the cores bound, with the estimate and the largest accepted value in
the message (:class:`~theory.errors.ResourceLimitError`).  ``docs/reliability.md`` lists the
table (:func:`bounds_markdown`).

:func:`check_memory` compares an estimate (in bytes) with :func:`memory_limit` -- half of
this machine's physical memory, or ``MSL_MEMORY_LIMIT_GB`` when set -- and raises
:class:`~theory.errors.ResourceLimitError` naming the request and the estimate before
anything is allocated.  Used by ``simulate`` (and the ``msl`` grids), the proofs' GD checks,
``random_orthonormal_basis`` and the empirical problem sizes.  :func:`time_limit` bounds
the time of a block (SIGALRM; ``msl check --budget``, the expression parser).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

from theory._time_limit import time_limit
from theory.errors import ResourceLimitError

_FALLBACK_BYTES = 8 * 2**30
_DEFAULT_HOURS = 24.0


def memory_limit() -> float:
    """Bytes one request may use: ``MSL_MEMORY_LIMIT_GB`` GiB, else half of physical memory."""
    override = os.environ.get("MSL_MEMORY_LIMIT_GB")
    if override:
        try:
            value = float(override)
        except ValueError:
            value = 0.0
        if value > 0:
            return value * 2**30
    try:
        return 0.5 * os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, OSError, ValueError):
        return float(_FALLBACK_BYTES)


def format_bytes(n: float) -> str:
    """``80530636800`` -> ``'75 GiB'`` (binary units, three significant digits)."""
    for unit, size in (("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= size:
            return f"{n / size:.3g} {unit}"
    return f"{n:.0f} B"


def check_memory(request: str, estimate_bytes: float, *, hint: str = "") -> None:
    """Raise :class:`ResourceLimitError` when ``estimate_bytes`` exceeds :func:`memory_limit`.

    ``request`` names the arguments (``"eta grid 100000 x x0 grid 100000"``); ``hint`` says
    what to change.
    """
    limit = memory_limit()
    if estimate_bytes > limit:
        raise ResourceLimitError(
            f"{request} needs about {format_bytes(estimate_bytes)} of memory, more than the "
            f"limit of {format_bytes(limit)} (half of this machine's memory; set "
            f"MSL_MEMORY_LIMIT_GB to change it)" + (f"; {hint}" if hint else "")
        )


def time_budget() -> float:
    """Seconds one request may be estimated to take: ``MSL_TIME_LIMIT_HOURS`` hours, else 24 h."""
    override = os.environ.get("MSL_TIME_LIMIT_HOURS")
    if override:
        try:
            value = float(override)
        except ValueError:
            value = 0.0
        if value > 0 and math.isfinite(value):
            return value * 3600.0
    return _DEFAULT_HOURS * 3600.0


def cores() -> int:
    """CPU cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def format_seconds(t: float) -> str:
    """``90000`` -> ``'25 h'``, ``864000`` -> ``'10 days'`` (a unit from two of them on)."""
    for unit, size in (("years", 365.25 * 86400), ("days", 86400), ("h", 3600), ("min", 60)):
        if t >= 2 * size or (unit == "min" and t >= size):
            return f"{t / size:.3g} {unit}"
    return f"{t:.2g} s"


@dataclass(frozen=True)
class Bound:
    """The upper bound of one flag: what a unit of it costs, and a cores bound.

    ``bytes_per_unit`` / ``seconds_per_unit`` are per unit of the flag times the ``scale``
    the caller passes (the other sizes of the request, e.g. grid points x steps); a flag
    that starts processes or threads is bounded by ``per_core`` x the cores.
    """

    flag: str
    unit: str
    bytes_per_unit: float = 0.0
    seconds_per_unit: float = 0.0
    per_core: int = 0
    scale: str = ""

    def maximum(self, bytes_scale: float = 1.0, seconds_scale: float = 1.0) -> int:
        """The largest accepted value at these scales."""
        limits: list[float] = []
        if self.per_core:
            limits.append(self.per_core * cores())
        if self.bytes_per_unit:
            limits.append(memory_limit() / (self.bytes_per_unit * max(bytes_scale, 1e-300)))
        if self.seconds_per_unit:
            limits.append(time_budget() / (self.seconds_per_unit * max(seconds_scale, 1e-300)))
        return max(0, int(min(limits))) if limits else 2**63 - 1


_MiB = 2.0**20
#: the bounds of every numeric flag and ``--set`` key that sizes work (one table)
BOUNDS: dict[str, Bound] = {b.flag: b for b in (
    Bound("--scheduler local:N", "one local Dask worker process (about 256 MiB)",
          bytes_per_unit=256 * _MiB, per_core=4),
    Bound("--threads", "one torch CPU thread (8 MiB of stack)", bytes_per_unit=8 * _MiB,
          per_core=4),
    Bound("--replicas", "one noisy replica of every orbit: 64 B per grid point, 20 ns per "
          "point and step", bytes_per_unit=64.0, seconds_per_unit=2e-8,
          scale="grid points (memory); grid points x steps (time)"),
    Bound("--steps", "one full-batch GD step of the network (about 2 ms for the default "
          "problem, 64 B of records)", bytes_per_unit=64.0, seconds_per_unit=2e-3),
    Bound("--depth", "one hidden layer: width^2 weights x 110 copies (parameters, gradient, "
          "Hessian-vector buffers, 100 snapshots) x 4 B; 1 us per width^2 per step",
          bytes_per_unit=440.0, seconds_per_unit=1e-6, scale="width^2 (memory); width^2 "
          "x steps (time)"),
    Bound("--n-points", "one full-batch loss on the slice or surface grid (about 2 ms)",
          bytes_per_unit=64.0, seconds_per_unit=2e-3,
          scale="n_points^(dims - 1) for a surface of dims directions"),
    Bound("--n-radii", "one radius of every curvature profile: 2 losses per direction "
          "(about 4 ms)", bytes_per_unit=64.0, seconds_per_unit=4e-3,
          scale="directions (n_random + 1)"),
    Bound("--n-random", "one random direction: 2 losses per radius (about 4 ms)",
          bytes_per_unit=64.0, seconds_per_unit=4e-3, scale="radii"),
    Bound("fig_4_2_steps", "one GD step on the Fig. 4.2 valley and of its quasistatic flow "
          "(the paths are kept: 64 B; 20 us)", bytes_per_unit=64.0, seconds_per_unit=2e-5),
)}
#: ``msl reproduce --set`` keys -> the bound that applies (scale 1: the preset's sizes)
SET_BOUNDS = {"eos_steps": "--steps", "multiscale_steps": "--steps",
              "fig_4_2_steps": "fig_4_2_steps", "slice_points": "--n-points",
              "scales_radii": "--n-radii", "n_random": "--n-random"}


def check_bound(flag: str, value: int, *, bytes_scale: float = 1.0,
                seconds_scale: float = 1.0, name: str | None = None) -> int:
    """``value`` if it is within :data:`BOUNDS` ``[flag]`` at these scales, else
    :class:`ResourceLimitError` with the estimate and the largest accepted value."""
    bound = BOUNDS[flag]
    shown = name or flag
    top = bound.maximum(bytes_scale, seconds_scale)
    if value <= top:
        return value
    parts = []
    if bound.per_core:
        parts.append(f"{bound.per_core} x the {cores()} cores = {bound.per_core * cores()}")
    need_bytes = value * bound.bytes_per_unit * bytes_scale
    need_seconds = value * bound.seconds_per_unit * seconds_scale
    if bound.bytes_per_unit:
        parts.append(f"about {format_bytes(need_bytes)} of memory (limit "
                     f"{format_bytes(memory_limit())}, MSL_MEMORY_LIMIT_GB)")
    if bound.seconds_per_unit:
        parts.append(f"about {format_seconds(need_seconds)} (limit "
                     f"{format_seconds(time_budget())}, MSL_TIME_LIMIT_HOURS)")
    raise ResourceLimitError(
        f"{shown}={value} is too large: {bound.unit}; {'; '.join(parts)}; at most {top} here")


def bounds_markdown() -> str:
    """:data:`BOUNDS` as a Markdown table (flag, unit, bound on this machine at scale 1)."""
    rows = ["| flag | one unit costs | bound here (scale 1) | scaled by |",
            "| --- | --- | --- | --- |"]
    for bound in BOUNDS.values():
        rows.append(f"| `{bound.flag}` | {bound.unit} | {bound.maximum():,} | "
                    f"{bound.scale or '-'} |")
    return "\n".join(rows)


__all__ = ["BOUNDS", "SET_BOUNDS", "Bound", "bounds_markdown", "check_bound", "check_memory",
           "cores", "format_bytes", "format_seconds", "memory_limit", "time_budget",
           "time_limit"]
