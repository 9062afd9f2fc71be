"""Errors raised by :mod:`empirical` on bad input.

Every class here is a subclass of :class:`theory.errors.MslValueError` (itself a
:class:`ValueError`), so the CLI turns them into a one-line ``msl: error: ...`` and exit
code 2.  Messages name the argument, the rejected value and the reason.
"""

from __future__ import annotations

from theory.errors import MslValueError


class EmpiricalValueError(MslValueError):
    """Base class of the input errors of :mod:`empirical`."""


class DataError(EmpiricalValueError):
    """A data set name, size, path or file was rejected."""


class ModelError(EmpiricalValueError):
    """A model name or architecture setting (width, depth, activation...) was rejected."""


class DeviceError(EmpiricalValueError):
    """A device or floating-point type was rejected (e.g. ``cuda`` without a GPU)."""


class CurvatureError(EmpiricalValueError):
    """An eigenvalue-solver setting (k, tolerance, start vector...) was rejected."""


class ExperimentError(EmpiricalValueError):
    """An experiment setting (learning rate, steps, grid, band...) was rejected."""


class MissingHyperparameterError(ExperimentError):
    """An optimizer's param group lacks a hyperparameter its stability threshold needs
    (``lr``, or ``betas``/``momentum``/... of a known rule)."""


class ResumeError(EmpiricalValueError):
    """An output folder holds a run with other settings, so it cannot be resumed."""


class ThresholdWarning(UserWarning):
    """A stability threshold that cannot be given (an optimizer without a known rule)."""


__all__ = [
    "CurvatureError",
    "DataError",
    "DeviceError",
    "EmpiricalValueError",
    "ExperimentError",
    "MissingHyperparameterError",
    "ModelError",
    "ResumeError",
    "ThresholdWarning",
]
