"""Input errors of the simulator (all :class:`theory.errors.MslValueError` subclasses)."""

from __future__ import annotations

from theory.errors import GridError, MslValueError


class CompileError(MslValueError):
    """A landscape uses something the simulator cannot compile (e.g. besselj(), I)."""


class StoreMismatchError(MslValueError):
    """A store directory holds chunks of a different sweep (other function or settings)."""


class DeviceError(MslValueError):
    """``device`` is not known, or names a device (CUDA) or package (PyTorch) not present."""


class SchedulerError(MslValueError):
    """A Dask scheduler was rejected: bad text, unreachable address, or dask not installed."""


class InitialPointError(GridError):
    """Initial points have the wrong shape for the landscape, or are not finite."""


__all__ = ["CompileError", "DeviceError", "InitialPointError", "SchedulerError",
           "StoreMismatchError"]
