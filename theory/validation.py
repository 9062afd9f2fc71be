"""One set of input validators for every package (theory, proofs_check, empirical, msl).

Each validator takes the argument's ``name`` and ``value`` and returns the value in its
canonical type, or raises ``error`` (a :class:`~theory.errors.MslValueError` subclass, by
default the generic one) with a message that names the argument, the value and the rule.
The rules are the same everywhere:

* whole numbers: ``int`` or numpy integers, and floats with an integral value (``2.0``, as
  JSON and YAML give them); never ``bool``;
* reals: anything ``float()`` accepts except ``bool``, strings and complex numbers; finite
  unless ``allow_inf``; never NaN;
* learning rates: finite and > 0; grids of them are non-empty 1-D float arrays;
* JSON: :func:`json_safe` maps NaN to ``null`` and +-inf to the strings ``"inf"``/``"-inf"``
  (the one NaN rule of every file the project writes).

This module imports nothing heavy: numpy only inside :func:`learning_rate_grid`, and no
sympy, numba or torch, so the command line can validate before loading them.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Mapping
from enum import Enum
from typing import TYPE_CHECKING, Any

from theory.errors import GridError, LearningRateError, MslValueError

if TYPE_CHECKING:
    import numpy as np

__all__ = [
    "choice",
    "fraction",
    "json_safe",
    "learning_rate",
    "learning_rate_grid",
    "learning_rate_tuple",
    "positive_real",
    "real",
    "seed",
    "whole_number",
]

ErrorType = type[MslValueError]


def whole_number(name: str, value, *, minimum: int = 0, maximum: int | None = None,
                 error: ErrorType = MslValueError) -> int:
    """``value`` as an ``int`` in ``[minimum, maximum]`` (bools rejected, ``2.0`` accepted)."""
    bounds = f">= {minimum}" if maximum is None else f"in [{minimum}, {maximum}]"
    if isinstance(value, bool) or not isinstance(value, (numbers.Integral, numbers.Real)):
        raise error(f"{name}={value!r} must be a whole number {bounds}")
    if not isinstance(value, numbers.Integral) and not float(value).is_integer():
        raise error(f"{name}={value!r} must be a whole number {bounds}")
    number = int(value)  # type: ignore[call-overload]  # an Integral or integral Real
    if number < minimum or (maximum is not None and number > maximum):
        raise error(f"{name}={value!r} must be a whole number {bounds}")
    return number


def real(name: str, value, *, minimum: float | None = None, allow_inf: bool = False,
         error: ErrorType = MslValueError) -> float:
    """``value`` as a float (finite unless ``allow_inf``, never NaN, >= ``minimum``)."""
    if isinstance(value, (bool, str, bytes, complex)):
        raise error(f"{name}={value!r} is not a real number")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise error(f"{name}={value!r} is not a real number") from None
    finite = "finite " if not allow_inf else ""
    if math.isnan(number) or (math.isinf(number) and not allow_inf):
        rule = f"a {finite}number" + ("" if minimum is None else f" >= {minimum}")
        raise error(f"{name}={value!r} must be {rule}")
    if minimum is not None and number < minimum:
        raise error(f"{name}={value!r} must be a {finite}number >= {minimum}")
    return number


def positive_real(name: str, value, *, error: ErrorType = MslValueError) -> float:
    """``value`` as a finite float > 0."""
    number = real(name, value, error=error)
    if number <= 0:
        raise error(f"{name}={value!r} must be a finite number > 0")
    return number


def fraction(name: str, value, *, closed: bool = False, error: ErrorType = MslValueError) -> float:
    """``value`` as a float in (0, 1), or (0, 1] with ``closed``."""
    interval = f"(0, 1{']' if closed else ')'}"
    try:
        number = real(name, value, error=error)
    except MslValueError:
        raise error(f"{name}={value!r} must be a number in {interval}") from None
    if not (number > 0 and (number <= 1 if closed else number < 1)):
        raise error(f"{name}={value!r} must be a number in {interval}")
    return number


def choice(name: str, value, options: Iterable[str], *, error: ErrorType = MslValueError) -> str:
    """``value`` if it is one of ``options``."""
    options = tuple(options)
    if not isinstance(value, str) or value not in options:
        raise error(f"{name}={value!r} must be one of {', '.join(options)}")
    return value


def seed(value, *, name: str = "seed", error: ErrorType = MslValueError) -> int:
    """A random seed: a whole number in [0, 2**63)."""
    return whole_number(name, value, minimum=0, maximum=2**63 - 1, error=error)


def learning_rate(value, *, name: str = "eta", error: ErrorType = LearningRateError) -> float:
    """One learning rate: a finite number > 0."""
    number = real(name, value, allow_inf=True, error=error)
    if not math.isfinite(number) or number <= 0:
        raise error(f"{name}={value!r} must be a finite positive learning rate")
    return number


def learning_rate_grid(eta, *, name: str = "eta") -> np.ndarray:
    """A number or a 1-D sequence of learning rates as a contiguous float array.

    Raises :class:`~theory.errors.LearningRateError` for values that are not finite and
    positive (naming the first offender) and :class:`~theory.errors.GridError` when empty.
    """
    import numpy as np

    if np.iscomplexobj(eta):
        raise LearningRateError(f"{name} has complex values; learning rates must be real")
    try:
        grid = np.atleast_1d(np.asarray(eta, dtype=float))
    except (TypeError, ValueError):
        raise LearningRateError(f"{name}={eta!r} is not a number or an array of numbers") \
            from None
    if grid.ndim != 1:
        raise LearningRateError(f"{name} must be a number or a 1-D grid; got shape {grid.shape}")
    if grid.size == 0:
        raise GridError(f"{name} is an empty grid; give at least one learning rate")
    bad = grid[~(np.isfinite(grid) & (grid > 0))]
    if bad.size:
        raise LearningRateError(
            f"{name}={float(bad[0])!r}: learning rates must be finite and positive")
    return np.ascontiguousarray(grid)


def learning_rate_tuple(eta, default: Iterable[float], *, name: str = "eta") -> tuple[float, ...]:
    """``eta`` (a number or a sequence, ``None`` for ``default``) as a sorted tuple of
    distinct learning rates."""
    if eta is None:
        values = list(default)
    elif isinstance(eta, numbers.Real) and not isinstance(eta, bool):
        values = [float(eta)]
    elif isinstance(eta, (str, bytes)):
        raise LearningRateError(f"{name}={eta!r} is not a number or a sequence of numbers")
    else:
        try:
            values = list(eta)
        except TypeError:
            raise LearningRateError(
                f"{name}={eta!r} is not a number or a sequence of numbers") from None
        if not values:
            raise LearningRateError(f"{name}=[] is empty; give at least one learning rate")
    return tuple(sorted({learning_rate(v, name=name) for v in values}))


def json_safe(value: Any) -> Any:
    """A JSON-ready copy of ``value`` under the project's one rule for non-finite numbers.

    NaN becomes ``None`` (``null``), +inf/-inf the strings ``"inf"``/``"-inf"``; numpy
    scalars and arrays become Python numbers and lists, tuples lists, mappings dicts with
    string keys, enums their value, objects with ``to_dict()`` that dict; anything else its
    ``str``.  ``json.dumps(json_safe(x), allow_nan=False)`` never fails.
    """
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if hasattr(value, "tolist") and getattr(value, "ndim", 0) > 0:  # numpy arrays
        return json_safe(value.tolist())
    if hasattr(value, "to_dict") and callable(value.to_dict):
        return json_safe(value.to_dict())
    if isinstance(value, Enum):
        return json_safe(value.value)
    if hasattr(value, "item") and getattr(value, "ndim", None) == 0:  # numpy scalars
        value = value.item()
    if isinstance(value, float):
        if math.isnan(value):
            return None
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return value
    if value is None or isinstance(value, (bool, int, str)):
        return value
    return str(value)
