"""Bounded work: refuse requests whose memory can be estimated up front.

:func:`check_memory` compares an estimate (in bytes) with :func:`memory_limit` -- half of
this machine's physical memory, or ``MSL_MEMORY_LIMIT_GB`` when set -- and raises
:class:`~theory.errors.ResourceLimitError` naming the request and the estimate before
anything is allocated.  Used by ``simulate`` (and the ``msl`` grids), the proofs' GD checks,
``random_orthonormal_basis`` and the empirical problem sizes.  :func:`time_limit` bounds
the time of a block (SIGALRM; ``msl check --budget``, the expression parser).
"""

from __future__ import annotations

import os

from theory._time_limit import time_limit
from theory.errors import ResourceLimitError

_FALLBACK_BYTES = 8 * 2**30


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


__all__ = ["check_memory", "format_bytes", "memory_limit", "time_limit"]
