"""A claim of the paper next to what was measured, for reports."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Claim:
    """``source`` (e.g. "Fig. 4.1 left"), what the paper says, what was measured, and whether
    the measurement agrees (by the stated criterion)."""

    source: str
    paper: str
    measured: str
    agrees: bool

    def as_dict(self) -> dict:
        return asdict(self)
