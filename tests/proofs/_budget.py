"""Example counts scaled to the active Hypothesis profile (dev 15, ci 40 examples)."""

from __future__ import annotations

from hypothesis import settings


def examples(fraction: float) -> int:
    """``fraction`` of the profile's max_examples (at least 3), for the heavier properties."""
    return max(3, int(settings.default.max_examples * fraction))
