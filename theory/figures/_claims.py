"""A claim of the paper next to what a run measured, and the verdict, for reports.

Every figure module (``theory.figures``, ``empirical.figures``) and the catalog check
(``proofs_check``) states its claims as :class:`Claim` objects, and ``msl reproduce``
collects them into ``report.md`` / ``report.json``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from types import MappingProxyType

from theory.errors import MslValueError
from theory.validation import json_safe


class ClaimError(MslValueError):
    """A claim built with a wrong verdict, a multi-line text or a non-scalar number."""


class Verdict(str, Enum):
    """How a measurement compares with what the paper states.

    ``CONFIRMED``: the stated criterion holds; ``NOT_CONFIRMED``: it fails;
    ``NOT_APPLICABLE``: the paper makes no claim here (e.g. a theorem whose hypotheses
    fail), and the row only documents what was measured.
    """

    CONFIRMED = "confirmed"
    NOT_CONFIRMED = "not confirmed"
    NOT_APPLICABLE = "not applicable"


Number = int | float | bool | str | None


def _clean_number(key: str, value) -> Number:
    if value is None or isinstance(value, (bool, str)):
        return value
    if hasattr(value, "item") and getattr(value, "ndim", 0) == 0:  # numpy scalar
        value = value.item()
    if isinstance(value, int):
        return value
    if isinstance(value, float):  # NaN: null (theory.validation's rule); a deciding number
        return None if math.isinf(value) else json_safe(value)  # is finite or absent
    raise ClaimError(f"numbers[{key!r}]={value!r}: must be a scalar (int, float, bool, str "
                     "or None)")


def _one_line(name: str, text: str) -> str:
    if not isinstance(text, str) or not text or "\n" in text:
        raise ClaimError(f"{name}={text!r}: must be a non-empty single line of text")
    return text


@dataclass(frozen=True)
class Claim:
    """One checkable statement of the paper.

    Attributes:
        source: where the paper says it ("Fig. 4.1 left, eta = 5", "Theorem 4.1, f1").
        paper: what the paper says, in our words.
        measured: what this run measured, one line.
        verdict: a :class:`Verdict`.
        why: one line: the criterion that decided the verdict, and how it came out.
        numbers: the values that decide it (a non-finite float is stored as ``None``).
    """

    source: str
    paper: str
    measured: str
    verdict: Verdict
    why: str
    numbers: Mapping[str, Number] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in ("source", "paper", "measured", "why"):
            _one_line(name, getattr(self, name))
        if not isinstance(self.verdict, Verdict):
            raise ClaimError(f"verdict={self.verdict!r}: must be a Verdict "
                             f"({', '.join(v.value for v in Verdict)})")
        numbers = {str(k): _clean_number(str(k), v) for k, v in dict(self.numbers).items()}
        object.__setattr__(self, "numbers", MappingProxyType(numbers))

    @classmethod
    def tested(cls, source: str, paper: str, measured: str, *, holds: bool, criterion: str,
               numbers: Mapping[str, Number] | None = None) -> Claim:
        """A claim decided by ``criterion`` (e.g. "relative gap <= 1e-6"): confirmed when
        ``holds``, not confirmed otherwise."""
        holds = bool(holds)
        return cls(source, paper, measured,
                   Verdict.CONFIRMED if holds else Verdict.NOT_CONFIRMED,
                   f"{criterion}: {'holds' if holds else 'fails'}", numbers or {})

    @classmethod
    def not_applicable(cls, source: str, paper: str, measured: str, *, why: str,
                       numbers: Mapping[str, Number] | None = None) -> Claim:
        """A row where the paper makes no claim (``why`` says why)."""
        return cls(source, paper, measured, Verdict.NOT_APPLICABLE, why, numbers or {})

    @property
    def confirmed(self) -> bool:
        return self.verdict is Verdict.CONFIRMED

    def as_dict(self) -> dict:
        return {"source": self.source, "paper": self.paper, "measured": self.measured,
                "verdict": self.verdict.value, "why": self.why, "numbers": dict(self.numbers)}
