"""Validation of the checks' arguments (functions, learning rates, radii)."""

from __future__ import annotations

import math
from collections.abc import Iterable

from theory import Landscape, Subquadratic, resolve_function
from theory.catalog import Separable, TwoValley, Valley
from theory.errors import LearningRateError, MslValueError


class CheckInputError(MslValueError):
    """An argument of a proofs_check function was rejected."""


def subquadratic(function) -> Subquadratic:
    """A :class:`Subquadratic` from itself or a catalog name / expression string."""
    if isinstance(function, Subquadratic):
        return function
    if isinstance(function, str):
        return resolve_function(function, require_subquadratic=True)
    raise CheckInputError(
        f"function={function!r} must be a theory.Subquadratic or a string naming one "
        f"(got {type(function).__name__})"
    )


def any_function(function):
    """A Subquadratic, Landscape, Separable, Valley or TwoValley (strings are resolved)."""
    if isinstance(function, str):
        return resolve_function(function)
    if isinstance(function, (Subquadratic, Landscape, Separable, Valley, TwoValley)):
        return function
    raise CheckInputError(
        f"function={function!r} must be a theory.Subquadratic, Landscape, Separable, Valley, "
        f"TwoValley or a catalog name/expression (got {type(function).__name__})"
    )


def learning_rates(eta, default: Iterable[float]) -> tuple[float, ...]:
    """``eta`` (a number or a sequence of numbers) as a sorted tuple, or ``default``."""
    if eta is None:
        values = list(default)
    elif isinstance(eta, (int, float)) and not isinstance(eta, bool):
        values = [eta]
    else:
        try:
            values = list(eta)
        except TypeError:
            raise LearningRateError(f"eta={eta!r} is not a number or a sequence of numbers") \
                from None
        if not values:
            raise LearningRateError("eta=[] is empty; give at least one learning rate")
    out = []
    for v in values:
        try:
            number = float(v)
        except (TypeError, ValueError):
            raise LearningRateError(f"eta={v!r} is not a number") from None
        if not math.isfinite(number) or number <= 0:
            raise LearningRateError(f"eta={v!r} must be a finite positive learning rate")
        out.append(number)
    return tuple(sorted(set(out)))


def valid_radius(value) -> float:
    """The certified range's right end R (finite, > 0)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise CheckInputError(f"radius={value!r} is not a number") from None
    if not math.isfinite(number) or number <= 0:
        raise CheckInputError(f"radius={value!r} must be finite and positive")
    return number


def positive_integer(name: str, value) -> int:
    """``value`` as a positive int (a count of steps, starting points, ...)."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise CheckInputError(f"{name}={value!r} is not an integer") from None
    if number != value or number < 1:
        raise CheckInputError(f"{name}={value!r} must be a positive integer")
    return number
