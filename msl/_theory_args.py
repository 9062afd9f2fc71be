"""Command-line plumbing of the theory commands: grids and functions from text.

``msl simulate``, ``msl phase-diagram`` and ``msl periodic-point`` read learning-rate and
initial-point grids as ``A:B:N`` and a function as a catalog name or an expression; these
helpers turn that text into numpy arrays and theory objects (numpy on import; sympy only
when a function is resolved).
"""

from __future__ import annotations

import re

from theory.errors import GridError, MslValueError

__all__ = ["parse_grid", "resolve_cli_function"]

_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_GRID = re.compile(rf"^\s*({_NUMBER})\s*:\s*({_NUMBER})\s*:\s*(\S+)\s*$")
_SINGLE = re.compile(rf"^\s*({_NUMBER})\s*$")
_VARIABLE = re.compile(r"^x\d*$")


def parse_grid(text: str, argument: str):
    """``"A:B:N"`` -> ``numpy.linspace(A, B, N)`` (N >= 1 points); ``"A"`` -> ``[A]``.

    Raises :class:`GridError` naming ``argument`` for anything else (an empty grid, N not a
    positive whole number, a malformed number).
    """
    import numpy as np

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
    from theory.limits import check_memory

    check_memory(f"{argument} {text!r} ({n} points)", 8.0 * n, hint="use fewer points")
    ends = float(start), float(stop)
    if not all(np.isfinite(ends)):  # 1e309 is inf: linspace would give nan points
        raise GridError(f"{argument} {text!r}: the ends must be finite floats (at most "
                        "1.8e308 in magnitude)")
    return np.linspace(*ends, n)


def resolve_cli_function(text: str):
    """A catalog name or an expression in x (or x1, x2, ...) -> a theory object.

    Unlike :func:`theory.resolve_function`, an unknown bare name such as ``foo`` is refused
    (it would otherwise be a linear function of a variable called foo).
    """
    from theory import parse, resolve_function
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
