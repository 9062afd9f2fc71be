"""Compiled helpers shared by every generated GD kernel (classification and bookkeeping).

These do not depend on the landscape, so they are compiled once (and cached on disk) for all
landscapes.  Layout conventions (see :mod:`theory.dynamics._template`):

* a block of ``n`` points is stored component-major: ``X[k, i]`` is coordinate ``k`` of the
  ``i``-th active point, so that the inner loop of a GD step runs over points;
* ``HIST[t % H, k, i]`` is coordinate ``k`` of ``x_t`` for the last ``H`` times ``t``
  (``HIST`` has ``H + 1`` rows: row ``H`` is a sink for iterates that are not kept);
* finished points are swapped to the end of the block (``swap_points``) so that the active
  ones stay contiguous in ``[0, n_active)``.

Classification of an orbit from its last iterates (docs/simulator.md):

* **diverged** -- some iterate is non-finite (NaN, +-inf) or has ``max_k |x_k| > bound``;
* **period p** (``p = 1``: converged, ``p >= 2``: periodic) -- the minimal ``p <= period_max``
  such that over the last ``W = min(m - p, max(2p, MIN_WINDOW, period_max))`` times ``tau``
  (``m`` iterates under the final learning rate are available; ``m - p >= max(2p,
  MIN_WINDOW)`` is required)
  ``|x_tau - x_{tau-p}|_inf <= atol + rtol * max(|x_tau|_inf, |x_{tau-p}|_inf)``
  and the recurrence error does not grow over the window (last <= first, or below the
  rounding floor ``NOISE_FRACTION * tolerance``: a float cycle jitters by a few ulp of the
  intermediate terms), and, for p >= 2, the cycle is resolved:
  ``|x_t - x_{t-q}|_inf > SEPARATION * tolerance`` for every proper divisor q of p.  The
  growth condition rejects slow drift on a plateau (f2 far from 0), whose tiny steps grow as
  the orbit moves in; the separation condition rejects an orbit that spirals into a q-cycle
  with multiplier near -1 (it would pass the lag-2q test first).

The kernels classify a whole block at once (:func:`classify_block`): the ring-buffer rows of
x_t, x_{t-1}, ... are computed once per block (:func:`history_rows`), divergence is one
vectorised pass over the rows (:func:`diverged_block`), and so is each rule of the period
search (:func:`periods_block`): ~70 ns per point for H = 192 rows, against ~1 us point by
point with an integer ``%`` per history access (as much as ~600 GD steps of f1;
docs/performance.md).  :func:`is_diverged` and :func:`find_period` are the same code for
one point.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numba import njit

from theory.dynamics import _elementary as _el

__all__ = [
    "CHAOS_Z",
    "CHAOTIC",
    "CLASS_NAMES",
    "CONVERGED",
    "DIVERGED",
    "DIVERGED_MARK",
    "DRIFTING",
    "MIN_WINDOW",
    "NOISE_FRACTION",
    "PERIODIC",
    "RETURN_FRACTION",
    "RETURN_MIN_SAMPLES",
    "SEPARATION",
    "STAT_INSIDE",
    "STAT_LSQ",
    "UNDECIDED",
    "chaos_class",
    "classify_block",
    "diverged_block",
    "find_period",
    "history_rows",
    "history_window",
    "init_chaos_stats",
    "is_diverged",
    "lyapunov_lower_bound",
    "period_class",
    "period_classes",
    "periods_block",
    "renormalise",
    "sample_recurrence",
    "segment_end",
    "swap_points",
]

#: class codes, in the order of :data:`CLASS_NAMES`
CONVERGED, PERIODIC, CHAOTIC, DIVERGED, UNDECIDED, DRIFTING = 0, 1, 2, 3, 4, 5
#: the classes of an orbit (issue 3; ``drifting`` appended by issue 12, so that the codes of
#: results saved before keep their meaning), indexed by class code
CLASS_NAMES = ("converged", "periodic", "chaotic", "diverged", "undecided", "drifting")
#: what :func:`classify_block` writes for the period of a diverged point
DIVERGED_MARK = -1

#: fewest recurrence checks before a period is accepted
MIN_WINDOW = 16
#: a period p >= 2 needs its cycle points separated: |x_t - x_{t-q}| > SEPARATION * tolerance
#: for every proper divisor q of p (else it is a slowly converging q-cycle, not yet decided)
SEPARATION = 1000.0
#: rounding floor of the recurrence error, as a fraction of the tolerance (1e-12 relative
#: with the default rtol: far above float jitter, far below any drift that matters)
NOISE_FRACTION = 0.01

#: chaos needs a significant exponent: lambda - CHAOS_Z * (its standard error from the
#: renormalisation segments, batch means) > chaos_threshold
CHAOS_Z = 3.0
#: recurrence: at least half of the samples of the Lyapunov window's second half lie in the
#: box of its first half's samples, widened by RETURN_FRACTION of its extent
#: (:func:`sample_recurrence`; one sample per renormalisation, every 16 steps)
RETURN_FRACTION = 0.1
#: fewest recurrence samples in each half of the window (fewer: not chaotic, undecided)
RETURN_MIN_SAMPLES = 4
#: rows of the per-point chaos statistics (:func:`init_chaos_stats`)
STAT_LSQ, STAT_INSIDE = 0, 1

_JIT: dict[str, Any] = {"cache": True, "error_model": "numpy", "fastmath": set(_el.SAFE_FASTMATH)}


@njit(inline="always", **_JIT)
def period_class(p):
    """The class code of :func:`classify_block`'s answer ``p`` for one point (every event
    loop's decoding): :data:`DIVERGED_MARK` -> diverged, 1 -> converged, p > 1 -> periodic,
    0 (no period found) and the marks of :mod:`._float_rules` (< -1) -> undecided."""
    if p == DIVERGED_MARK:
        return DIVERGED
    if p == 1:
        return CONVERGED
    return PERIODIC if p > 1 else UNDECIDED


def period_classes(period, where):
    """:func:`period_class` of an array of answers, with the backend's ``where``
    (``numpy.where`` or ``torch.where``)."""
    return where(period == DIVERGED_MARK, DIVERGED,
                 where(period == 1, CONVERGED, where(period > 1, PERIODIC, UNDECIDED)))


@njit(**_JIT)
def history_window(t, H, last_b):
    """The history rows classified at step ``t`` (every event loop): ``m_div``, the last
    ``min(H, t + 1)`` iterates, for the divergence test; ``m``, those of them since the
    last schedule boundary ``last_b`` (0: none), for the period test (0 before it)."""
    m_div = min(H, t + 1)
    m = min(m_div, t - last_b + 1) if t >= last_b else 0
    return m_div, m


@njit(**_JIT)
def segment_end(t, steps, bound, early_exit, H, do_lyap, lyap, lyap_from, renorm,
                record_tail, tail_from, keep_hist):
    """The step at which the segment of steps starting at ``t`` ends: the next event of the
    drivers' event loop (GD and momentum kernels, the NumPy and PyTorch engines), i.e. the
    first of ``steps``, the schedule boundary ``bound``, the next history check (every ``H``
    steps, early exit), the next renormalisation (every ``renorm`` steps in the Lyapunov
    window) or the window's start ``lyap_from``, the start of the tail ``tail_from - 1``,
    and ``steps - H`` where the history starts to be kept."""
    t_next = min(steps, bound)
    if early_exit:
        t_next = min(t_next, (t // H + 1) * H)
    if do_lyap:
        t_next = min(t_next, (t // renorm + 1) * renorm)
    elif lyap:
        t_next = min(t_next, lyap_from)
    if record_tail and t < tail_from - 1:
        t_next = min(t_next, tail_from - 1)
    if not keep_hist:
        t_next = min(t_next, steps - H)
    return t_next


@njit(**_JIT)
def history_rows(t, count, H, ROWS):
    """ROWS[a] = (t - a) % H for a < count: the history row that holds x_{t-a}.

    Computed once per block, so that the classification reads the ring buffer without an
    integer ``%`` per access.
    """
    for a in range(count):
        ROWS[a] = (t - a) % H


@njit(**_JIT)
def diverged_block(HIST, ROWS, m, n, bound, BAD):
    """BAD[i] = 1 if one of x_{t-m+1}, ..., x_t of point i < n is non-finite or beyond
    ``bound`` (``ROWS`` from :func:`history_rows` for time t).

    One pass over the block's history, rows outer and points inner: contiguous loads and a
    branch-free test (``v - v`` is 0 for finite v, nan for nan and +-inf), which LLVM
    vectorises.
    """
    D = HIST.shape[1]
    for i in range(n):
        BAD[i] = 0
    for a in range(m):
        for k in range(D):
            R = HIST[ROWS[a], k]
            for i in range(n):
                v = R[i]
                BAD[i] |= (abs(v) > bound) | ((v - v) != 0.0)


@njit(**_JIT)
def _recurrence_block(HIST, r1, r0, n, rtol, atol, DIST, TOL):
    """DIST[i] = |x_tau - x_{tau-p}|_inf and TOL[i] = atol + rtol * max(|x_tau|_inf,
    |x_{tau-p}|_inf) for points i < n, x_tau in history row ``r1``, x_{tau-p} in row ``r0``.

    Coordinates outer, points inner (contiguous, vectorised).
    """
    D = HIST.shape[1]
    for i in range(n):
        DIST[i] = 0.0
        TOL[i] = 0.0
    for k in range(D):
        A = HIST[r1, k]
        B = HIST[r0, k]
        for i in range(n):
            a = A[i]
            b = B[i]
            DIST[i] = max(DIST[i], abs(a - b))
            TOL[i] = max(TOL[i], max(abs(a), abs(b)))
    for i in range(n):
        TOL[i] = atol + rtol * TOL[i]


@njit(**_JIT)
def periods_block(HIST, ROWS, m, n, period_max, rtol, atol, PERIOD):
    """For each point i < n with PERIOD[i] == 0: its minimal period p <= period_max found in
    x_{t-m+1..t} (the rules of the module docstring; 0 if none; p = 1: a fixed point).  Other
    points (diverged ones, marked before) are left alone.  ``ROWS`` from
    :func:`history_rows` for time t, at least ``m`` entries.

    Every rule is one vectorised pass over the points per history row: for each p, the
    lag-p error at time t selects the candidates; only if there are any are the rest of the
    window, the growth and the separation conditions checked.  The window depends on p and
    m only, so it is the same for the whole block.
    """
    OPEN = np.empty(n, np.uint8)  # no period found yet (and not diverged)
    OK = np.empty(n, np.uint8)  # candidate for the current p
    DLAST = np.empty(n)
    TLAST = np.empty(n)
    DFIRST = np.empty(n)
    DIST = np.empty(n)
    TOL = np.empty(n)
    n_open = 0
    for i in range(n):
        OPEN[i] = PERIOD[i] == 0
        n_open += OPEN[i]
    for p in range(1, period_max + 1):
        need = max(2 * p, MIN_WINDOW)
        if n_open == 0 or m - p < need:
            return
        w = min(m - p, max(need, period_max))
        _recurrence_block(HIST, ROWS[0], ROWS[p], n, rtol, atol, DLAST, TLAST)
        alive = 0
        for i in range(n):
            OK[i] = OPEN[i] & (DLAST[i] <= TLAST[i])
            alive += OK[i]
        # the window tau = t - w + 1, ..., t (a = t - tau; w >= MIN_WINDOW > 1); a = 0, the
        # lag-p error at t, was checked above
        a = w - 1
        while a >= 1 and alive > 0:
            _recurrence_block(HIST, ROWS[a], ROWS[a + p], n, rtol, atol, DIST, TOL)
            if a == w - 1:
                for i in range(n):
                    DFIRST[i] = DIST[i]
            alive = 0
            for i in range(n):
                OK[i] &= DIST[i] <= TOL[i]
                alive += OK[i]
            a -= 1
        if alive == 0:
            continue
        # the recurrence error does not grow (or stays below the rounding floor)
        for i in range(n):
            OK[i] &= (DLAST[i] <= DFIRST[i]) | (DLAST[i] <= NOISE_FRACTION * TLAST[i])
        # the cycle is resolved: x_t is far from x_{t-q} for every proper divisor q of p
        for q in range(1, p):
            if p % q == 0:
                _recurrence_block(HIST, ROWS[0], ROWS[q], n, rtol, atol, DIST, TOL)
                for i in range(n):
                    OK[i] &= DIST[i] > SEPARATION * TOL[i]
        for i in range(n):
            found = OK[i] != 0
            PERIOD[i] = p if found else PERIOD[i]
            OPEN[i] &= not found
            n_open -= found


@njit(**_JIT)
def classify_block(HIST, t, m_div, m, n, bound, period_max, rtol, atol, PERIOD):
    """Classify points 0..n-1 of a block at time t from their history.

    PERIOD[i] = :data:`DIVERGED_MARK` if one of the last ``m_div`` iterates is non-finite or
    beyond ``bound``, else the minimal period p >= 1 found in the last ``m`` iterates, else 0
    (``m <= m_div``).
    """
    H = HIST.shape[0] - 1
    ROWS = np.empty(max(m_div, 0), np.int64)
    BAD = np.empty(n, np.uint8)
    history_rows(t, m_div, H, ROWS)
    diverged_block(HIST, ROWS, m_div, n, bound, BAD)
    for i in range(n):
        PERIOD[i] = DIVERGED_MARK if BAD[i] != 0 else 0
    periods_block(HIST, ROWS, m, n, period_max, rtol, atol, PERIOD)


@njit(**_JIT)
def is_diverged(HIST, t, m, i, bound):
    """True if one of x_{t-m+1}, ..., x_t of point ``i`` is non-finite or beyond ``bound``
    (:func:`diverged_block` for one point)."""
    H = HIST.shape[0] - 1
    ROWS = np.empty(max(m, 0), np.int64)
    history_rows(t, m, H, ROWS)
    BAD = np.empty(HIST.shape[2], np.uint8)
    diverged_block(HIST, ROWS, m, HIST.shape[2], bound, BAD)
    return BAD[i] != 0


@njit(**_JIT)
def find_period(HIST, t, m, i, period_max, rtol, atol):
    """Minimal period p <= period_max of point ``i`` from x_{t-m+1..t}; 0 if none
    (:func:`periods_block` for one point).

    Assumes the window is finite (call :func:`is_diverged` first).  p = 1 means a fixed
    point (converged).
    """
    H = HIST.shape[0] - 1
    ROWS = np.empty(max(m, 0), np.int64)
    history_rows(t, m, H, ROWS)
    PERIOD = np.zeros(HIST.shape[2], np.int64)
    periods_block(HIST, ROWS, m, HIST.shape[2], period_max, rtol, atol, PERIOD)
    return PERIOD[i]


@njit(**_JIT)
def renormalise(V, LSUM, STATS, n, length):
    """Add log|v_i| to LSUM[i] and log|v_i|^2 / length to STATS[STAT_LSQ, i] (``length``: the steps
    since the last renormalisation; LSQ gives the spread of the segment averages for
    :func:`lyapunov_lower_bound`), and rescale the tangent vector v_i to unit length.

    A zero or non-finite norm adds -inf/+inf/nan (the exponent is then reported as such)
    and restarts the tangent vector along the first axis.
    """
    D = V.shape[0]
    LSQ = STATS[STAT_LSQ]
    inv_length = 1.0 / length
    if D == 1:
        # branch-free, so that the loop vectorises (3x faster; docs/performance.md):
        # v / |v| = sign(v) exactly, and the restart value 1 where |v| is 0 or not finite
        V0 = V[0]
        for i in range(n):
            v = V0[i]
            a = abs(v)
            g = _el.log(a)
            LSUM[i] += g
            LSQ[i] += g * g * inv_length
            V0[i] = _el.select((a > 0.0) & (a < np.inf), math.copysign(1.0, v), 1.0)
        return
    for i in range(n):
        s = 0.0
        for k in range(D):
            s += V[k, i] * V[k, i]
        norm = math.sqrt(s)
        g = _el.log(norm)
        LSUM[i] += g
        LSQ[i] += g * g * inv_length
        if norm > 0.0 and norm < np.inf:
            inv = 1.0 / norm
            for k in range(D):
                V[k, i] *= inv
        else:
            for k in range(D):
                V[k, i] = 1.0 if k == 0 else 0.0


@njit(**_JIT)
def swap_points(i, j, X, V, E, E0, LSUM, STATS, IDX, HIST, FLAGS):
    """Exchange active points i and j of a block (all per-point state)."""
    if i == j:
        return
    FLAGS[i], FLAGS[j] = FLAGS[j], FLAGS[i]
    D = X.shape[0]
    for k in range(D):
        X[k, i], X[k, j] = X[k, j], X[k, i]
        V[k, i], V[k, j] = V[k, j], V[k, i]
    E[i], E[j] = E[j], E[i]
    E0[i], E0[j] = E0[j], E0[i]
    LSUM[i], LSUM[j] = LSUM[j], LSUM[i]
    for r in range(STATS.shape[0]):
        STATS[r, i], STATS[r, j] = STATS[r, j], STATS[r, i]
    IDX[i], IDX[j] = IDX[j], IDX[i]
    for r in range(HIST.shape[0]):
        for k in range(D):
            HIST[r, k, i], HIST[r, k, j] = HIST[r, k, j], HIST[r, k, i]


@njit(**_JIT)
def lyapunov_lower_bound(lsum, lsq, steps, segments):
    """A lower confidence bound of the Lyapunov exponent lambda = lsum / steps: lambda -
    CHAOS_Z * se, where se is the batch-means standard error over the ``segments``
    renormalisation segments (``lsq`` = sum of g_j^2 / L_j over segments of L_j steps and
    log growth g_j).  -inf with fewer than 2 segments (no spread can be measured)."""
    if segments < 2:
        return -np.inf
    lam = lsum / steps
    spread = max(lsq / steps - lam * lam, 0.0)  # weighted variance of the segment averages
    return lam - CHAOS_Z * math.sqrt(spread / (segments - 1))


@njit(**_JIT)
def init_chaos_stats(STATS, n):
    """Empty chaos statistics for points 0..n-1: ``STATS`` has 2 + 2d rows: row
    :data:`STAT_LSQ` (sum of g^2 / L over renormalisation segments), row
    :data:`STAT_INSIDE` (second-half samples inside the first half's box), rows
    2..2+d the box's lower corner and 2+d..2+2d its upper corner."""
    D = (STATS.shape[0] - 2) // 2
    for i in range(n):
        STATS[STAT_LSQ, i] = 0.0
        STATS[STAT_INSIDE, i] = 0.0
        for k in range(D):
            STATS[2 + k, i] = np.inf
            STATS[2 + D + k, i] = -np.inf


@njit(**_JIT)
def sample_recurrence(X, STATS, n, first_half):
    """One recurrence sample of points 0..n-1 at their current state ``X`` (d, n), taken
    after every renormalisation in the Lyapunov window.  In the window's first half the
    sample widens the point's box; in the second half it counts as inside when it lies in
    the first half's box widened on every side by RETURN_FRACTION of the box's extent
    (largest side).  A monotone drift leaves the box (only the samples near its edge
    count); an orbit on a bounded attractor, also an intermittent one, stays in it."""
    D = X.shape[0]
    if first_half:
        for k in range(D):
            LO = STATS[2 + k]
            HI = STATS[2 + D + k]
            XK = X[k]
            for i in range(n):
                v = XK[i]
                LO[i] = _el.select(v < LO[i], v, LO[i])
                HI[i] = _el.select(v > HI[i], v, HI[i])
        return
    # branch-free, coordinates outer and points inner, so that the loops vectorise
    SLACK = np.zeros(n)
    OK = np.ones(n, np.uint8)
    for k in range(D):
        LO = STATS[2 + k]
        HI = STATS[2 + D + k]
        for i in range(n):
            SLACK[i] = max(SLACK[i], HI[i] - LO[i])
    for i in range(n):
        SLACK[i] *= RETURN_FRACTION
    for k in range(D):
        LO = STATS[2 + k]
        HI = STATS[2 + D + k]
        XK = X[k]
        for i in range(n):
            v = XK[i]
            OK[i] &= (v >= LO[i] - SLACK[i]) & (v <= HI[i] + SLACK[i])
    IN = STATS[STAT_INSIDE]
    for i in range(n):
        IN[i] += OK[i]


@njit(**_JIT)
def chaos_class(STATS, i, lsum, steps, segments, n_first, n_second, chaos_threshold):
    """Class of a finite, non-periodic point ``i`` whose exponent lsum / steps exceeds
    ``chaos_threshold`` (docs/simulator.md): UNDECIDED with fewer than
    RETURN_MIN_SAMPLES recurrence samples in either half of the Lyapunov window (too few
    steps to tell); DRIFTING if fewer than half of the second half's samples are in the
    first half's box (:func:`sample_recurrence`); CHAOTIC if the exponent is significantly
    above the threshold (:func:`lyapunov_lower_bound`); UNDECIDED otherwise."""
    if n_first < RETURN_MIN_SAMPLES or n_second < RETURN_MIN_SAMPLES:
        return UNDECIDED
    if 2.0 * STATS[STAT_INSIDE, i] < n_second:
        return DRIFTING
    if lyapunov_lower_bound(lsum, STATS[STAT_LSQ, i], steps, segments) > chaos_threshold:
        return CHAOTIC
    return UNDECIDED
