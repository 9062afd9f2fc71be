"""Result objects of the checks: frozen, validated on construction, JSON-ready.

A :class:`ClaimResult` lists

* ``hypotheses`` -- each hypothesis of the claim as a :class:`Check`;
* ``constants`` -- the constants the proof constructs (threshold, x_eta, c, r1, r2, ...),
  each a :class:`Constant` with a certified enclosure where there is one;
* ``proof_steps`` -- the proof's own inequalities, checked on the function;
* ``conclusion`` -- the claim's conclusion, with the evidence (simulations, limits,
  counterexamples).

``Status`` is three-valued.  ``certified`` is True only for a status backed by an interval
certificate or an exact symbolic computation; numerical evidence (a float grid, a
simulation) never makes a check certified.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import Enum
from types import MappingProxyType
from typing import Any

from theory.validation import json_safe

#: how a check was decided
METHODS = ("interval", "symbolic", "construction", "numeric", "simulation", "none")
_CERTIFYING = ("interval", "symbolic", "construction")


class Status(str, Enum):
    """holds / fails / unknown."""

    HOLDS = "holds"
    FAILS = "fails"
    UNKNOWN = "unknown"

    def __str__(self) -> str:
        return self.value


def _freeze(value: Any) -> Any:
    """Deep-frozen, JSON-ready copy: dicts become read-only mappings, lists tuples, numpy
    scalars Python numbers, non-finite floats as :func:`theory.validation.json_safe` says
    (NaN None, +-inf "inf"/"-inf")."""
    if isinstance(value, Mapping):
        return MappingProxyType({str(k): _freeze(v) for k, v in value.items()})
    if isinstance(value, (list, tuple)):
        return tuple(_freeze(v) for v in value)
    if hasattr(value, "to_dict"):
        return _freeze(value.to_dict())
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):  # numpy scalar
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return json_safe(value)
    if isinstance(value, Enum):
        return value.value
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def _thaw(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _thaw(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return [_thaw(v) for v in value]
    return value


@dataclass(frozen=True)
class Check:
    """One statement checked on a concrete function.

    ``name``: short label; ``statement``: the mathematics with its paper reference;
    ``method``: one of :data:`METHODS`; ``evidence``: what was computed, in words;
    ``used_by_proof``: False for a standing assumption the proof does not use (reported,
    but it does not decide whether the claim applies); ``data``: numbers behind the
    evidence (certificates, simulation summaries).
    """

    name: str
    statement: str
    status: Status
    method: str
    certified: bool
    evidence: str
    used_by_proof: bool = True
    data: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self):
        if not isinstance(self.status, Status):
            object.__setattr__(self, "status", Status(self.status))
        if self.method not in METHODS:
            raise ValueError(f"method={self.method!r} must be one of {METHODS}")
        if self.certified and (self.method not in _CERTIFYING or self.status is Status.UNKNOWN):
            raise ValueError(
                f"check {self.name!r}: only a decided status from an interval certificate, an "
                f"exact symbolic computation or the construction can be certified (got "
                f"{self.status.value} by {self.method})"
            )
        object.__setattr__(self, "data", _freeze(dict(self.data)))

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "statement": self.statement,
            "status": self.status.value,
            "method": self.method,
            "certified": self.certified,
            "evidence": self.evidence,
            "used_by_proof": self.used_by_proof,
            "data": _thaw(self.data),
        }


@dataclass(frozen=True)
class Constant:
    """A constant of the proof: ``value`` and, when certified, an enclosure [lower, upper]."""

    name: str
    value: float
    lower: float | None = None
    upper: float | None = None
    certified: bool = False
    note: str = ""

    def __post_init__(self):
        object.__setattr__(self, "value", float(self.value))
        if self.certified and (self.lower is None or self.upper is None):
            raise ValueError(f"constant {self.name!r}: a certified constant needs an enclosure")
        if self.lower is not None and self.upper is not None and not (
            self.lower <= self.upper
        ):
            raise ValueError(f"constant {self.name!r}: enclosure [{self.lower}, {self.upper}]")

    def to_dict(self) -> dict:
        return {"name": self.name, "value": _freeze(self.value), "lower": self.lower,
                "upper": self.upper, "certified": self.certified, "note": self.note}


def combine(statuses) -> Status:
    """fails if any fails, else unknown if any unknown, else holds."""
    statuses = list(statuses)
    if any(s is Status.FAILS for s in statuses):
        return Status.FAILS
    if any(s is Status.UNKNOWN for s in statuses):
        return Status.UNKNOWN
    return Status.HOLDS


@dataclass(frozen=True)
class ClaimResult:
    """A claim of Section 4 checked on one function."""

    claim: str
    function: str
    etas: tuple[float, ...]
    hypotheses: tuple[Check, ...]
    constants: tuple[Constant, ...]
    proof_steps: tuple[Check, ...]
    conclusion: Check
    notes: tuple[str, ...] = ()

    def __post_init__(self):
        for name in ("etas", "hypotheses", "constants", "proof_steps", "notes"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        if not self.hypotheses:
            raise ValueError("a claim has at least one hypothesis")

    @property
    def hypotheses_status(self) -> Status:
        """The status of the hypotheses the proof uses."""
        return combine(h.status for h in self.hypotheses if h.used_by_proof)

    @property
    def applies(self) -> bool:
        return self.hypotheses_status is Status.HOLDS

    @property
    def confirmed(self) -> bool:
        return self.conclusion.status is Status.HOLDS

    @property
    def certified(self) -> bool:
        """Every hypothesis used by the proof and every proof step is certified, and a
        conclusion that FAILS is certified too (a simulated failure is never a certified
        refutation)."""
        used = [h for h in self.hypotheses if h.used_by_proof]
        failed_uncertified = (self.conclusion.status is Status.FAILS
                              and not self.conclusion.certified)
        return all(c.certified for c in (*used, *self.proof_steps)) and not failed_uncertified

    @property
    def ok(self) -> bool:
        """The exit-code criterion: where the hypotheses hold, the conclusion is confirmed."""
        return not self.applies or self.confirmed

    @property
    def failed_hypotheses(self) -> tuple[str, ...]:
        """Names of the hypotheses the proof uses that fail."""
        return tuple(h.name for h in self.hypotheses
                     if h.used_by_proof and h.status is Status.FAILS)

    def noting_unmet_hypotheses(self) -> ClaimResult:
        """This result with a note naming the failed hypotheses and saying whether the
        conclusion still held (unchanged when every used hypothesis holds or is unknown)."""
        if not self.failed_hypotheses:
            return self
        note = (f"hypotheses not met: {', '.join(self.failed_hypotheses)}; the conclusion "
                f"{'still holds' if self.confirmed else 'does not hold'} "
                f"({self.conclusion.status.value})")
        return replace(self, notes=(*self.notes, note))

    def as_claim(self):
        """This result as a report row (:class:`theory.figures.Claim`).

        Hypotheses hold: the paper claims the conclusion, so the verdict is confirmed or not
        confirmed by the conclusion's status.  Hypotheses fail or are undecided: the paper
        makes no claim, so the verdict is not applicable (the row still reports what the
        conclusion did).  ``numbers`` holds the proof's constants and the statuses.
        """
        from theory.figures import Claim

        source = f"{self.claim}, {self.function}"
        evidence = " ".join(self.conclusion.evidence.split())
        if len(evidence) > 240:  # the whole evidence is in the check's results.json
            evidence = evidence[:240].rsplit(" ", 1)[0] + " ..."
        measured = (f"conclusion {self.conclusion.status.value}"
                    f"{' (certified)' if self.certified else ''}: {evidence}")
        numbers: dict[str, Any] = {c.name: c.value for c in self.constants}
        numbers |= {"hypotheses": self.hypotheses_status.value,
                    "conclusion": self.conclusion.status.value, "certified": self.certified}
        if self.applies:
            return Claim.tested(
                source, f"the hypotheses hold ({'certified' if self.certified else 'numeric'}"
                "), so the conclusion holds", measured, holds=self.confirmed,
                criterion="hypotheses hold, so the conclusion must hold", numbers=numbers)
        if self.failed_hypotheses:
            why = (f"hypotheses fail ({', '.join(self.failed_hypotheses)}), so the paper "
                   f"claims nothing here; the conclusion {self.conclusion.status.value}")
        else:
            why = ("some hypotheses are undecided, so the claim cannot be applied; the "
                   f"conclusion {self.conclusion.status.value}")
        return Claim.not_applicable(source, "no claim (hypotheses not met)", measured, why=why,
                                    numbers=numbers)

    def hypothesis(self, name: str) -> Check:
        for h in self.hypotheses:
            if h.name == name:
                return h
        raise KeyError(f"{self.claim} has no hypothesis {name!r}")

    def proof_step(self, name: str) -> Check:
        for s in self.proof_steps:
            if s.name == name:
                return s
        raise KeyError(f"{self.claim} has no proof step {name!r}")

    def constant(self, name: str) -> Constant:
        for c in self.constants:
            if c.name == name:
                return c
        raise KeyError(f"{self.claim} has no constant {name!r}")

    def to_dict(self) -> dict:
        return {
            "claim": self.claim,
            "function": self.function,
            "etas": list(self.etas),
            "hypotheses_status": self.hypotheses_status.value,
            "applies": self.applies,
            "conclusion_status": self.conclusion.status.value,
            "certified": self.certified,
            "ok": self.ok,
            "hypotheses": [h.to_dict() for h in self.hypotheses],
            "constants": [c.to_dict() for c in self.constants],
            "proof_steps": [s.to_dict() for s in self.proof_steps],
            "conclusion": self.conclusion.to_dict(),
            "notes": list(self.notes),
        }
