"""Validation of the checks' arguments (functions, learning rates, radii)."""

from __future__ import annotations

import math
from collections.abc import Iterable

from theory import FunctionLike, Subquadratic, validation
from theory.errors import MslValueError
from theory.resolver import as_subquadratic, resolve


class CheckInputError(MslValueError):
    """An argument of a proofs_check function was rejected."""


def subquadratic(function) -> Subquadratic:
    """A :class:`Subquadratic` from itself or a catalog name / expression string."""
    if isinstance(function, (str, Subquadratic)):
        return as_subquadratic(function)
    raise CheckInputError(
        f"function={function!r} must be a theory.Subquadratic or a string naming one "
        f"(got {type(function).__name__})"
    )


def any_function(function):
    """A Subquadratic, Landscape, Separable, Valley, TwoValley or any other
    :class:`theory.FunctionLike` object (strings are resolved)."""
    if isinstance(function, (str, FunctionLike)):
        return resolve(function)
    raise CheckInputError(
        f"function={function!r} must be a theory.Subquadratic, Landscape, Separable, Valley, "
        f"TwoValley, an object with a .landscape, or a catalog name/expression "
        f"(got {type(function).__name__})"
    )


def learning_rates(eta, default: Iterable[float]) -> tuple[float, ...]:
    """``eta`` (a number or a sequence of numbers) as a sorted tuple, or ``default``.

    Default learning rates beyond the floats (multiples of a threshold near 1.8e308) are
    left out rather than reported as "eta=inf", which the user never gave."""
    if eta is None:
        values = list(default)
        default = [v for v in values if math.isfinite(v) and v > 0]
        if not default:
            raise CheckInputError(
                f"no default learning rate is a finite float (they are multiples of the "
                f"threshold 2/f''(0); got {values[:3]}...): give eta explicitly")
    return validation.learning_rate_tuple(eta, default)


def valid_radius(value) -> float:
    """The certified range's right end R (finite, > 0)."""
    return validation.positive_real("radius", value, error=CheckInputError)


def positive_integer(name: str, value) -> int:
    """``value`` as a positive int (a count of steps, starting points, ...)."""
    return validation.whole_number(name, value, minimum=1, error=CheckInputError)


def valid_seed(value) -> int:
    """A random seed: a whole number >= 0 (numpy's generators refuse negative seeds)."""
    return validation.seed(value, error=CheckInputError)


def gd_memory(claim: str, starts: int, steps: int, dim: int = 1) -> None:
    """Refuse, before running, GD checks whose trajectories would not fit in memory."""
    from theory.limits import check_memory

    check_memory(f"{claim} with starts={starts}, steps={steps} (dimension {dim})",
                 8.0 * 3 * starts * (steps + 1) * dim, hint="use fewer starts or steps")
