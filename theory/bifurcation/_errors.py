"""Errors of :mod:`theory.bifurcation` (each names the argument and the value)."""

from __future__ import annotations

from theory.errors import MslValueError

__all__ = ["BifurcationError"]


class BifurcationError(MslValueError):
    """A function, point or parameter the bifurcation analysis cannot take."""
