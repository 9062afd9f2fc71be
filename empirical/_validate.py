"""Small validators shared by the modules of :mod:`empirical` (no torch import).

Each raises the given :class:`~empirical.errors.EmpiricalValueError` subclass with a
message that names the argument, the value and the reason.
"""

from __future__ import annotations

import math
from numbers import Integral, Real

from empirical.errors import EmpiricalValueError


def positive_int(name: str, value, error: type[EmpiricalValueError], *, minimum: int = 1) -> int:
    """``value`` as an int >= ``minimum`` (bools rejected)."""
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise error(f"{name}={value!r}: must be an integer >= {minimum}")
    if value < minimum:
        raise error(f"{name}={value!r}: must be an integer >= {minimum}")
    return int(value)


def positive_float(name: str, value, error: type[EmpiricalValueError]) -> float:
    """``value`` as a finite float > 0."""
    if isinstance(value, bool) or not isinstance(value, Real):
        raise error(f"{name}={value!r}: must be a finite number > 0")
    value = float(value)
    if not math.isfinite(value) or value <= 0.0:
        raise error(f"{name}={value!r}: must be a finite number > 0")
    return value


def fraction(name: str, value, error: type[EmpiricalValueError], *, closed: bool = False) -> float:
    """``value`` as a float in (0, 1) (or (0, 1] with ``closed``)."""
    if isinstance(value, bool) or not isinstance(value, Real):
        raise error(f"{name}={value!r}: must be a number in (0, 1{']' if closed else ')'}")
    value = float(value)
    upper_ok = value <= 1.0 if closed else value < 1.0
    if not (math.isfinite(value) and value > 0.0 and upper_ok):
        raise error(f"{name}={value!r}: must be a number in (0, 1{']' if closed else ')'}")
    return value


def choice(name: str, value, options: tuple[str, ...], error: type[EmpiricalValueError]) -> str:
    """``value`` if it is one of ``options``."""
    if value not in options:
        raise error(f"{name}={value!r}: must be one of {', '.join(options)}")
    return value


def seed(value, error: type[EmpiricalValueError]) -> int:
    """A seed: an integer in [0, 2**63)."""
    if isinstance(value, bool) or not isinstance(value, Integral) or not 0 <= value < 2**63:
        raise error(f"seed={value!r}: must be an integer in [0, 2**63)")
    return int(value)
