"""Two orbits that floating point cannot follow, left undecided with their reason (issue 20).

Every engine (Numba GD and momentum kernels, NumPy, PyTorch) applies both rules with the
functions of this module, so that they agree point for point:

1. **derivative not representable** -- a step from a finite state within the divergence
   bound gives a NaN state even after the removable-singularity repair (e.g.
   ``x**4 * exp(-x**2)`` at ``x = 1e200``: ``inf * 0``).  The true step is finite, so the
   orbit is not diverged; it is flagged where it happens (:func:`flag_unrepresentable`, in
   the repair pass, off the hot path) and its ``DIVERGED_MARK`` at the next classification
   becomes :data:`UNREPRESENTABLE_MARK` (:func:`mark_unrepresentable`).  Genuine divergence
   is not affected: it leaves the bound through a finite or infinite value before any NaN,
   and a step to +-inf (an overflowing gradient) is divergence as before.
2. **step below float resolution** -- the float orbit has stalled (``x_t == x_{t-1}``
   exactly: ``x - eta grad f(x)`` rounds to ``x``) at a point where ``grad f(x) != 0`` and
   the nearest critical point is farther than the recurrence tolerance: ``max_k |g_k| >
   (atol + rtol max_k |x_k|) ||Hess f(x)||_inf`` (a lower bound of the Newton distance
   ``|Hess^{-1} g|_inf``; a zero or NaN Hessian norm counts as far).  The true orbit moves,
   so the period-1 answer of the classification becomes :data:`STALL_MARK` (undecided,
   stored with period 1: the float orbit's period).  A float fixed point next to a true
   one (``(x-1)**2`` stuck one ulp from 1, ``x**4`` at 1e-100) is within the tolerance and
   stays converged.  The rule applies to maps whose fixed points are critical points of f
   (capability ``critical-fixed-points`` of :data:`theory.optimizers.MAPS`).

:func:`theory.dynamics.undecided_reasons` tells both apart from the stored result: a NaN
final state (rule 1) and period 1 (rule 2) of an undecided point.
"""

from __future__ import annotations

import math
from typing import Any

from numba import njit

from theory.dynamics import _elementary as _el
from theory.dynamics._support import DIVERGED_MARK

__all__ = ["STALL_MARK", "UNREPRESENTABLE_MARK", "flag_unrepresentable",
           "mark_unrepresentable", "stall_rule", "stall_rule_array", "stored_period",
           "stored_periods"]

#: classification answers (beside DIVERGED_MARK, 0 and periods p >= 1) decoded as undecided
UNREPRESENTABLE_MARK = -2
STALL_MARK = -3

_JIT: dict[str, Any] = {"cache": True, "error_model": "numpy", "fastmath": set(_el.SAFE_FASTMATH)}


@njit(**_JIT)
def flag_unrepresentable(X, Y, n, bound, FLAGS):
    """FLAGS[i] = 1 for points i < n whose new state Y[:, i] has a NaN although every
    coordinate of the old state X[:, i] is finite and within ``bound`` (rule 1).  X and Y
    are (d, n) and (d', n) arrays (momentum: Y holds the new x only)."""
    for i in range(n):
        ok = True
        for k in range(X.shape[0]):
            a = abs(X[k, i])
            ok = ok and a < math.inf and a <= bound
        nan = False
        for k in range(Y.shape[0]):
            nan = nan or Y[k, i] != Y[k, i]
        if ok and nan:
            FLAGS[i] = 1


@njit(**_JIT)
def mark_unrepresentable(PERIOD, FLAGS, n):
    """A flagged point's DIVERGED_MARK becomes UNREPRESENTABLE_MARK (points i < n)."""
    for i in range(n):
        if PERIOD[i] == DIVERGED_MARK and FLAGS[i] != 0:
            PERIOD[i] = UNREPRESENTABLE_MARK


def stall_rule_array(gmax, hnorm, xmax, rtol, atol):
    """Rule 2 for a stalled point (``x_t == x_{t-1}``): ``gmax = max_k |g_k|``, ``hnorm =
    ||Hess f(x)||_inf``, ``xmax = max_k |x_k|``; True when the critical point is farther
    than the tolerance.  Operators only: scalars, NumPy arrays and torch tensors alike."""
    tol = atol + rtol * xmax
    return (gmax > 0.0) & ((gmax > tol * hnorm) | (hnorm != hnorm))


stall_rule = njit(inline="always", **_JIT)(stall_rule_array)


@njit(inline="always", **_JIT)
def stored_period(p):
    """The period stored for a classification answer ``p``: 1 for a stalled point (its float
    orbit's period), else max(p, 0)."""
    return 1 if p == STALL_MARK else max(p, 0)


def stored_periods(period, where):
    """:func:`stored_period` of an array (``where``: numpy.where or torch.where)."""
    return where(period == STALL_MARK, 1, where(period > 0, period, 0))
