"""The classification rules of :mod:`theory.dynamics._support`, on tensors (GPU backend).

Same rules, same constants, vectorised over the orbits of a chunk instead of a block
(docs/simulator.md): divergence over the last ``m_div`` iterates, the minimal period
``p <= period_max`` over the last ``m`` (recurrence within the tolerance over the window,
an error that does not grow, a resolved cycle), and for a finite non-periodic orbit with
exponent above the threshold: undecided with too few recurrence samples, drifting when it
leaves the box of its first half, chaotic when the exponent's lower confidence bound
exceeds the threshold.  The ring buffer is ``HIST[t % H, i, k]`` (rows, points, coordinates).
"""

from __future__ import annotations

import math

import torch

from theory.dynamics._support import (
    CHAOS_Z,
    CHAOTIC,
    DIVERGED_MARK,
    DRIFTING,
    MIN_WINDOW,
    NOISE_FRACTION,
    RETURN_FRACTION,
    RETURN_MIN_SAMPLES,
    SEPARATION,
    UNDECIDED,
)

__all__ = ["chaos_classes", "classify", "renormalise", "sample_recurrence"]

#: elements per gathered slab of the history (bounds the memory of the window test)
_SLAB_ELEMENTS = 2**24


def _recurrence(HIST, rows_a, rows_b, points, rtol, atol):
    """(dist, tol) of shape (len(rows_a), len(points)): |x_a - x_b|_inf and atol + rtol *
    max(|x_a|_inf, |x_b|_inf) for history rows ``rows_a`` / ``rows_b``."""
    A = HIST[rows_a[:, None], points[None, :]]
    B = HIST[rows_b[:, None], points[None, :]]
    dist = (A - B).abs().amax(-1)
    tol = atol + rtol * torch.maximum(A.abs().amax(-1), B.abs().amax(-1))
    return dist, tol


def classify(HIST, t: int, m_div: int, m: int, bound: float, period_max: int, rtol: float,
             atol: float) -> torch.Tensor:
    """Per point (int64): :data:`DIVERGED_MARK` if one of x_{t-m_div+1..t} is non-finite or
    beyond ``bound``, else its minimal period p >= 1 in x_{t-m+1..t}, else 0
    (``classify_block`` of :mod:`._support`)."""
    H = HIST.shape[0]
    device = HIST.device
    rows = torch.remainder(t - torch.arange(max(m_div, 0), device=device), H)
    bad = torch.zeros(HIST.shape[1], dtype=torch.bool, device=device)
    slab = max(1, _SLAB_ELEMENTS // max(1, HIST.shape[1] * HIST.shape[2]))
    for a0 in range(0, m_div, slab):  # in slabs of rows: bounded temporaries
        recent = HIST[rows[a0:a0 + slab]]
        bad |= ((recent.abs() > bound) | ((recent - recent) != 0.0)).any(-1).any(0)
    period = torch.where(bad, DIVERGED_MARK, 0).to(torch.int64)
    open_points = torch.nonzero(~bad).flatten()
    for p in range(1, period_max + 1):
        need = max(2 * p, MIN_WINDOW)
        if open_points.numel() == 0 or m - p < need:
            break
        w = min(m - p, max(need, period_max))
        dlast, tlast = _recurrence(HIST, rows[:1], rows[p:p + 1], open_points, rtol, atol)
        first_ok = dlast[0] <= tlast[0]
        cand = open_points[first_ok]
        if cand.numel() == 0:
            continue
        dlast, tlast = dlast[0][first_ok], tlast[0][first_ok]
        ok = torch.ones(cand.numel(), dtype=torch.bool, device=device)
        slab = max(1, _SLAB_ELEMENTS // max(1, cand.numel() * HIST.shape[2]))
        dfirst = None
        for a0 in range(1, w, slab):  # the window a = 1 .. w - 1 (a = 0 checked above)
            a1 = min(w, a0 + slab)
            dist, tol = _recurrence(HIST, rows[a0:a1], rows[a0 + p:a1 + p], cand, rtol, atol)
            ok &= (dist <= tol).all(0)
            if a1 == w:
                dfirst = dist[-1]
        ok &= (dlast <= dfirst) | (dlast <= NOISE_FRACTION * tlast)
        for q in range(1, p):  # the cycle is resolved: far from every proper divisor lag
            if p % q == 0:
                dist, tol = _recurrence(HIST, rows[:1], rows[q:q + 1], cand, rtol, atol)
                ok &= dist[0] > SEPARATION * tol[0]
        found = cand[ok]
        if found.numel():
            period[found] = p
            open_points = open_points[period[open_points] == 0]
    return period


def renormalise(V, LSUM, LSQ, length: int):
    """Add log|v| to LSUM and log|v|^2 / length to LSQ, rescale v to unit length (a zero or
    non-finite norm restarts it along the first axis); returns the new V."""
    norm = torch.sqrt((V * V).sum(1)) if V.shape[1] > 1 else V[:, 0].abs()
    g = torch.log(norm)
    LSUM += g
    LSQ += g * g * (1.0 / length)
    ok = (norm > 0.0) & (norm < math.inf)
    restart = torch.zeros_like(V)
    restart[:, 0] = 1.0
    if V.shape[1] == 1:  # v / |v| = sign(v) exactly
        return torch.where(ok[:, None], torch.sign(V), restart)
    return torch.where(ok[:, None], V * (1.0 / torch.where(ok, norm, 1.0))[:, None], restart)


def sample_recurrence(X, LO, HI, INSIDE, first_half: bool):
    """One recurrence sample (``sample_recurrence`` of :mod:`._support`): in the first half
    of the Lyapunov window widen each point's box; in the second count the sample as inside
    when it is in the box widened by RETURN_FRACTION of its largest side."""
    if first_half:
        LO.copy_(torch.where(X < LO, X, LO))
        HI.copy_(torch.where(X > HI, X, HI))
        return
    slack = (HI - LO).amax(1).clamp_min(0.0) * RETURN_FRACTION
    inside = ((X >= LO - slack[:, None]) & (X <= HI + slack[:, None])).all(1)
    INSIDE += inside.to(INSIDE.dtype)


def chaos_classes(lsum, lsq, inside, steps: int, segments: int, n_first: int, n_second: int,
                  chaos_threshold: float) -> torch.Tensor:
    """``chaos_class`` of :mod:`._support` for finite non-periodic points whose exponent
    exceeds the threshold: UNDECIDED / DRIFTING / CHAOTIC codes (int64)."""
    device = lsum.device
    if n_first < RETURN_MIN_SAMPLES or n_second < RETURN_MIN_SAMPLES:
        return torch.full(lsum.shape, UNDECIDED, dtype=torch.int64, device=device)
    if segments < 2:
        lower = torch.full_like(lsum, -math.inf)
    else:
        lam = lsum / steps
        spread = (lsq / steps - lam * lam).clamp_min(0.0)
        lower = lam - CHAOS_Z * torch.sqrt(spread / (segments - 1))
    codes = torch.where(lower > chaos_threshold, CHAOTIC, UNDECIDED)
    codes = torch.where(2.0 * inside < n_second, DRIFTING, codes)
    return codes.to(torch.int64)
