"""Piecewise-constant learning-rate schedules (learning rate decay, Sections 4.1 and 5)."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from theory.errors import GridError

__all__ = ["Schedule"]


def _as_int(name: str, value) -> int:
    if isinstance(value, bool) or not float(value).is_integer():
        raise GridError(f"{name}={value!r} must be a whole number of steps")
    return int(value)


@dataclass(frozen=True)
class Schedule:
    """Learning rate ``eta_t = eta * factors[j]`` for ``boundaries[j-1] <= t < boundaries[j]``.

    Step ``t`` maps ``x_t`` to ``x_{t+1}``; ``boundaries`` are the steps at which the next
    factor takes over, strictly increasing and positive.  ``factors`` has one entry more than
    ``boundaries``; the first is usually 1 so that ``eta`` is the initial learning rate.

    Fig. 5.1 (2.5 decayed to 0.25 at step 700): ``eta=2.5`` with
    ``Schedule.step_decay(700, 0.1)``; Fig. 4.1 left (5, then 3 and 1 at iterations 100 and
    150): ``eta=5`` with ``Schedule.from_rates((5, 3, 1), (100, 150))``.
    """

    boundaries: tuple[int, ...] = ()
    factors: tuple[float, ...] = (1.0,)

    def __post_init__(self):
        try:
            boundaries = tuple(_as_int("boundaries", b) for b in self.boundaries)
            factors = tuple(float(f) for f in self.factors)
        except (TypeError, ValueError):
            raise GridError(
                f"schedule boundaries={self.boundaries!r} and factors={self.factors!r} must be "
                "sequences of numbers"
            ) from None
        if len(factors) != len(boundaries) + 1:
            raise GridError(
                f"schedule has {len(boundaries)} boundaries and {len(factors)} factors; "
                "it needs exactly one factor more than boundaries"
            )
        if any(b <= 0 for b in boundaries) or any(
            b1 <= b0 for b0, b1 in itertools.pairwise(boundaries)
        ):
            raise GridError(
                f"schedule boundaries={boundaries} must be positive and strictly increasing"
            )
        if any(not math.isfinite(f) or f <= 0 for f in factors):
            raise GridError(f"schedule factors={factors} must be finite and positive")
        object.__setattr__(self, "boundaries", boundaries)
        object.__setattr__(self, "factors", factors)

    @classmethod
    def constant(cls) -> Schedule:
        """No change of learning rate."""
        return cls()

    @classmethod
    def step_decay(cls, at: int, factor: float) -> Schedule:
        """Multiply the learning rate by ``factor`` from step ``at`` on."""
        return cls((at,), (1.0, factor))

    @classmethod
    def from_rates(cls, rates: Sequence[float], boundaries: Sequence[int]) -> Schedule:
        """The schedule of absolute learning rates ``rates`` (use with ``eta=rates[0]``)."""
        rates = tuple(float(r) for r in rates)
        if not rates or rates[0] <= 0 or not math.isfinite(rates[0]):
            raise GridError(f"rates={rates} must start with a finite positive learning rate")
        return cls(tuple(boundaries), tuple(r / rates[0] for r in rates))

    @property
    def last_boundary(self) -> int:
        """The step from which the learning rate no longer changes (0 if constant)."""
        return self.boundaries[-1] if self.boundaries else 0

    def factor_at(self, step: int) -> float:
        """The factor used by step ``step`` (which maps x_step to x_{step+1})."""
        j = sum(1 for b in self.boundaries if step >= b)
        return self.factors[j]

    def validate_for(self, steps: int) -> None:
        """Every boundary must fall inside the run (``boundary < steps``)."""
        if self.boundaries and self.boundaries[-1] >= steps:
            raise GridError(
                f"schedule boundary {self.boundaries[-1]} is not before steps={steps}; "
                "every learning-rate change must happen inside the run"
            )

    def rates(self, eta: float, steps: int) -> np.ndarray:
        """eta_t for t = 0, ..., steps - 1 (the rate of the step from x_t to x_{t+1})."""
        self.validate_for(steps)
        index = np.searchsorted(np.asarray(self.boundaries, dtype=np.int64),
                                np.arange(int(steps)), side="right")
        return float(eta) * np.asarray(self.factors)[index]

    def to_dict(self) -> dict:
        return {"boundaries": list(self.boundaries), "factors": list(self.factors)}
