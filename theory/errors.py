"""Errors raised on bad input.

Every error that the package raises because of what a user passed in is a subclass of
:class:`MslValueError`, itself a :class:`ValueError`.  Messages name the argument and the
offending value, and say why it is rejected; the CLI prints them on one line and exits 2.

Other packages (``proofs_check``, ``empirical``) subclass :class:`MslValueError` for their
own input errors, so ``except MslValueError`` catches every input error of the project.
"""

from __future__ import annotations

import errno

#: operating-system errors that are about where output goes, not about our code, with the
#: cause in words (theory.files writes through them; the CLI turns them into one line)
OUTPUT_ERRNOS = {
    errno.EROFS: "the file system is read-only",
    errno.ENOSPC: "no space left on the device",
    errno.EDQUOT: "the disk quota is exceeded",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
    errno.ENOTDIR: "a part of the path is a file, not a folder",
    errno.EEXIST: "a file exists where a folder is needed",
    errno.EISDIR: "a folder exists where a file is needed",
    errno.ENAMETOOLONG: "the path is too long",
}


class MslValueError(ValueError):
    """Base class: a user-supplied value was rejected (names the argument and value)."""


class ParseError(MslValueError):
    """A function given as a string could not be parsed into a sympy expression."""


class NotOneVariableError(MslValueError):
    """A one-dimensional function has more (or fewer) than one free symbol."""


class NotEvenError(MslValueError):
    """f(x) != f(-x): Section 4.1 assumes an even function."""


class NoMinimumAtZeroError(MslValueError):
    """x = 0 is not a minimum of f (f'(0) != 0, or f takes smaller values elsewhere)."""


class CurvatureAtZeroError(MslValueError):
    """f''(0) is not finite and positive, so the threshold 2/f''(0) is undefined."""


class LearningRateError(MslValueError):
    """A learning rate is not positive, or is on the wrong side of the threshold 2/f''(0)."""


class NoPeriodicOrbitError(MslValueError):
    """eta f'(x) = 2x has no root x > 0 (h(x) = f'(x)/x never falls to 2/eta)."""


class LandscapeError(MslValueError):
    """A multi-dimensional landscape (or one of its parameters) was rejected."""


class GridError(MslValueError):
    """A grid, schedule or simulation setting was rejected (empty grid, steps < 1, ...)."""


__all__ = [
    "CurvatureAtZeroError",
    "GridError",
    "LandscapeError",
    "LearningRateError",
    "MslValueError",
    "NoMinimumAtZeroError",
    "NoPeriodicOrbitError",
    "NotEvenError",
    "NotOneVariableError",
    "ParseError",
]


class ParameterError(MslValueError):
    """A parameter of a catalog function (C, k, a data set, a basis, ...) was rejected."""


__all__ += ["ParameterError"]


class NotRealError(MslValueError):
    """A function takes non-real (complex) values where it must be real."""


class ResourceLimitError(MslValueError):
    """A request would need more memory (or time) than allowed; refused before starting."""


__all__ += ["OUTPUT_ERRNOS", "NotRealError", "ResourceLimitError"]
