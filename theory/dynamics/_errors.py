"""Input errors of the simulator (all :class:`theory.errors.MslValueError` subclasses)."""

from __future__ import annotations

from theory.errors import GridError, MslValueError


class CompileError(MslValueError):
    """A landscape uses something the simulator cannot compile (e.g. besselj(), I)."""


class StoreMismatchError(MslValueError):
    """A store directory holds chunks of a different sweep (other function or settings)."""


class InitialPointError(GridError):
    """Initial points have the wrong shape for the landscape, or are not finite."""


__all__ = ["CompileError", "InitialPointError", "StoreMismatchError"]
