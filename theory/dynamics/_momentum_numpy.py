"""Heavy-ball and Nesterov momentum in whole-array NumPy: the 2-state block primitives of the
one event loop (:mod:`._event_loop`), nothing to compile (issue 19).

The arithmetic is that of the Numba momentum kernels (:mod:`._momentum_template`): the state
(x_t, x_{t-1}), z = x + beta (x - x_prev) for Nesterov, x - eta f'(z) formed first and
beta (x - x_prev) added after for heavy ball, the repair of removable singularities with the
``*_safe`` derivatives, the float rules of :mod:`._float_rules`, the history of x_t only, the
2-D tangent vector, the cycle exponent log(spectral radius of the product of the 2x2
Jacobians) / p.  Classes, periods and decision steps agree with the Numba kernels; states
and exponents to a few ulp (NumPy's elementary functions against the kernels' own).
"""

from __future__ import annotations

import numpy as np

from theory.dynamics._event_loop import bind
from theory.dynamics._float_rules import (
    STALL_MARK,
    mark_unrepresentable,
    stall_rule_array,
    stored_periods,
)
from theory.dynamics._numpy_functions import NumpyFunctions
from theory.dynamics._settings import KernelOutputs, KernelSettings
from theory.dynamics._support import (
    chaos_class,
    classify_block,
    init_chaos_stats,
    period_classes,
    renormalise,
    sample_recurrence,
)

__all__ = ["run"]

#: points per block (as the GD NumPy engine)
BLOCK = 16384
_DIAGONAL = 0.7071067811865476  # the 2-state tangent's start (1, 1)/sqrt(2)


class _Block:
    """The per-point state of one block, compacted as points finish."""

    def __init__(self, fn: NumpyFunctions, nesterov: bool, X0, ETA, BETA, S: KernelSettings,
                 gidx: np.ndarray):
        n_x0, n_beta = X0.shape[0], BETA.shape[0]
        flat = int(S.start) + gidx
        n = gidx.size
        self.fn, self.nesterov = fn, nesterov
        self.idx = gidx.copy()
        self.E0 = ETA[flat // (n_beta * n_x0)].astype(float)
        self.E = self.E0 * S.factors[0]
        self.B = BETA[(flat // n_x0) % n_beta].astype(float)
        x = X0[flat % n_x0].astype(float)
        self.X = np.ascontiguousarray(np.stack([x, x]))
        self.V = np.full((2, n), _DIAGONAL)
        self.LSUM = np.zeros(n)
        self.STATS = np.empty((6, n))
        init_chaos_stats(self.STATS, np.int64(n))
        self.HIST = np.empty((int(S.history) + 1, 1, n))
        self.HIST[0, 0] = x
        self.FLAGS = np.zeros(n, np.uint8)

    @property
    def n(self) -> int:
        return self.idx.size

    def keep(self, mask: np.ndarray) -> None:
        for name in ("idx", "E0", "E", "B", "LSUM", "FLAGS"):
            setattr(self, name, getattr(self, name)[mask])
        self.X = np.ascontiguousarray(self.X[:, mask])
        self.V = np.ascontiguousarray(self.V[:, mask])
        self.STATS = np.ascontiguousarray(self.STATS[:, mask])
        self.HIST = np.ascontiguousarray(self.HIST[:, :, mask])


def _apply(blk: _Block, x, p, v0, v1, e, b, grad, lyap: bool):
    """(x_{t+1}, J v first coordinate) of the 2-state map with derivatives ``grad``."""
    z = x + b * (x - p) if blk.nesterov else x
    values = grad(z)
    y = z - e * values[0]
    if not blk.nesterov:
        y = y + b * (x - p)
    if not lyap:
        return y, None
    c = values[1]
    w = (1.0 - e * c) * ((1.0 + b) * v0 - b * v1) if blk.nesterov else \
        v0 - e * (c * v0) + b * (v0 - v1)
    return y, w


def _step(blk: _Block, lyap: bool, bound: float) -> None:
    x, p = blk.X[0], blk.X[1]
    v0, v1 = blk.V[0], blk.V[1]
    fn = blk.fn
    y, w = _apply(blk, x, p, v0, v1, blk.E, blk.B, fn.grad_hess if lyap else fn.grad, lyap)
    bad = ~np.isfinite(y)
    if lyap:
        bad |= ~np.isfinite(w)
    bad &= np.isfinite(x) & np.isfinite(p)
    if bad.any():  # a removable singularity: redo with the *_safe derivatives
        ys, ws = _apply(blk, x[bad], p[bad], v0[bad], v1[bad], blk.E[bad], blk.B[bad],
                        fn.grad_hess_safe if lyap else fn.grad_safe, lyap)
        y[bad] = ys
        if lyap:
            w[bad] = ws
        ok = (np.abs(x[bad]) <= bound) & (np.abs(p[bad]) <= bound) & np.isnan(ys)
        blk.FLAGS[np.flatnonzero(bad)[ok]] = 1
    blk.X = np.ascontiguousarray(np.stack([y, x]))
    if lyap:
        blk.V = np.ascontiguousarray(np.stack([w, v0]))


def _cycle_exponent(blk: _Block, sel: np.ndarray, period: int) -> np.ndarray:
    """log(spectral radius of the product of the Jacobians along the cycle) / period."""
    x, p = blk.X[0, sel].copy(), blk.X[1, sel].copy()
    e, b = blk.E[sel], blk.B[sel]
    m00, m01, m10, m11 = (np.ones_like(x), np.zeros_like(x), np.zeros_like(x),
                          np.ones_like(x))
    for _ in range(period):
        z = x + b * (x - p) if blk.nesterov else x
        g, c = blk.fn.grad_hess_safe(z)
        if blk.nesterov:
            q = 1.0 - e * c
            j00, j01 = q * (1.0 + b), -q * b
        else:
            j00, j01 = 1.0 + b - e * c, -b
        m00, m01, m10, m11 = j00 * m00 + j01 * m10, j00 * m01 + j01 * m11, m00, m01
        y = z - e * g
        if not blk.nesterov:
            y = y + b * (x - p)
        p, x = x, y
    tr, det = m00 + m11, m00 * m11 - m01 * m10
    disc = tr * tr / 4.0 - det
    root = np.sqrt(np.maximum(disc, 0.0))
    radius = np.where(det == 0.0, np.abs(tr), np.where(
        disc >= 0.0, np.maximum(np.abs(tr / 2.0 + root), np.abs(tr / 2.0 - root)),
        np.sqrt(np.abs(det))))
    return np.log(radius) / period


def _finish(blk: _Block, sel: np.ndarray, t: int, period: np.ndarray, S: KernelSettings,
            OUT: KernelOutputs) -> None:
    """Outputs of the block's points ``sel`` decided at time t (answers ``period``)."""
    steps, H = int(S.steps), blk.HIST.shape[0] - 1
    gi = blk.idx[sel]
    OUT.decided_step[gi] = t
    OUT.final_state[gi] = blk.X[:, sel].T
    OUT.classes[gi] = period_classes(period, np.where)
    OUT.period[gi] = stored_periods(period, np.where)
    OUT.lyapunov[gi] = np.nan
    for per in np.unique(period[period > 0]):
        per = int(per)
        mine = period == per
        s, g = sel[mine], gi[mine]
        a = t - ((t - steps) % per)
        OUT.final_state[g, 0] = blk.HIST[a % H, 0, s]
        OUT.final_state[g, 1] = blk.HIST[(a - 1) % H, 0, s]
        OUT.lyapunov[g] = _cycle_exponent(blk, s, per)


def _classify(blk: _Block, t: int, m_div: int, m: int, S: KernelSettings) -> np.ndarray:
    period = np.empty(blk.n, np.int64)
    classify_block(blk.HIST, np.int64(t), np.int64(m_div), np.int64(m), np.int64(blk.n),
                   float(S.bound), np.int64(S.period_max), float(S.rtol), float(S.atol), period)
    mark_unrepresentable(period, blk.FLAGS, np.int64(blk.n))
    H = blk.HIST.shape[0] - 1
    x = blk.HIST[t % H, 0]
    cand = np.flatnonzero((period == 1) & (x == blk.HIST[(t - 1) % H, 0]))
    if cand.size:
        g, c = blk.fn.grad_hess_safe(x[cand])
        stall = stall_rule_array(np.abs(g), np.abs(c), np.abs(x[cand]), float(S.rtol),
                                 float(S.atol))
        period[cand[stall]] = STALL_MARK
    return period


def _advance(blk: _Block, t: int, t_next: int, do_lyap: bool, keep_hist: bool,
             recording: bool, S: KernelSettings, OUT: KernelOutputs) -> None:
    H, bound = int(S.history), float(S.bound)
    for s in range(t, t_next):
        _step(blk, do_lyap, bound)
        blk.HIST[(s + 1) % H, 0] = blk.X[0]


def _finish_early(blk: _Block, period, t, S, OUT) -> _Block:
    done = period != 0
    if done.any():
        sel = np.flatnonzero(done)
        _finish(blk, sel, t, period[sel], S, OUT)
        blk.keep(~done)
    return blk


def _finish_rest(blk: _Block, period, S, OUT, n_seg, n_first, n_second) -> None:
    steps = int(S.steps)
    _finish(blk, np.arange(blk.n), steps, period, S, OUT)
    if bool(S.lyapunov):
        window = steps - int(S.lyap_from)
        for i in np.flatnonzero(period == 0):
            lam = blk.LSUM[i] / window
            OUT.lyapunov[blk.idx[i]] = lam
            if lam > S.chaos_threshold:
                OUT.classes[blk.idx[i]] = chaos_class(
                    blk.STATS, np.int64(i), float(blk.LSUM[i]), np.int64(window),
                    np.int64(n_seg), np.int64(n_first), np.int64(n_second),
                    float(S.chaos_threshold))


def _set_rate(blk: _Block, factor) -> None:
    blk.E = blk.E0 * factor


_EVENT_LOOP = bind({
    "block_size": lambda blk: blk.n, "start_block": lambda blk, S, OUT: None,
    "set_rate": _set_rate, "advance": _advance,
    "renormalise_block": lambda blk, length: renormalise(
        blk.V, blk.LSUM, blk.STATS, np.int64(blk.n), np.int64(length)),
    "sample_block": lambda blk, first: sample_recurrence(blk.X, blk.STATS, np.int64(blk.n),
                                                         first),
    "classify_points": _classify, "finish_early": _finish_early,
    "finish_rest": _finish_rest}, "numpy momentum")


def run(fn: NumpyFunctions, X0, ETA, BETA, nesterov: bool, S: KernelSettings,
        OUT: KernelOutputs) -> None:
    """The momentum kernel's ``run(X0, ETA, BETA, nesterov, S, OUT)`` on NumPy."""
    total = int(S.stop) - int(S.start)
    with np.errstate(all="ignore"):
        for lo in range(0, total, BLOCK):
            gidx = np.arange(lo, min(total, lo + BLOCK), dtype=np.int64)
            _EVENT_LOOP(_Block(fn, bool(nesterov), X0, ETA, BETA, S, gidx), S, OUT)
