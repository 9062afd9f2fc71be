"""The GD sweep of the generated kernels, in whole-array NumPy: nothing to compile.

:func:`run` takes the arguments of the generated ``run`` (:mod:`theory.dynamics._template`)
and fills the same outputs by the same algorithm, for any landscape and single-state map
(:mod:`._map_step`: the map's step printed for arrays): the points of a call
are cut into blocks; each step (GD: 4.1) updates all active points of a block with NumPy's
ufuncs on the landscape's derivatives (:mod:`._numpy_functions`); the steps run in the
kernel's segments (schedule boundaries, history checks every ``H`` steps, renormalisations
of the tangent vector every ``RENORM`` steps in the Lyapunov window, tail recording); a
state that turns non-finite from a finite one is redone with the ``*_safe`` derivatives.
The classification is the kernel's own compiled code, called from Python on the block:
``classify_block``, ``renormalise``, ``sample_recurrence``, ``init_chaos_stats`` and
``chaos_class`` of :mod:`._support` (function-independent, compiled once per installation
and loaded from Numba's cache).  So classes, periods and decision steps are the kernel's;
final states, cycle exponents and Lyapunov exponents agree to a few ulp per step (chaotic
orbits amplify that difference: their final states differ, their exponents agree within
the statistical error).

Speed: ~1e7-5e7 point-steps/s on one core (each step is a dozen ufunc calls on a block),
against ~1e9 for the compiled kernel, but it starts at once, where compiling a new
function's kernel costs 15-45 s (benchmarks/results/first_compile_profile.md).  The
policy that chooses between them: :mod:`theory.dynamics._engine`.
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
from theory.dynamics._map_step import ArrayStep
from theory.dynamics._numpy_functions import NumpyFunctions
from theory.dynamics._settings import KernelOutputs, KernelSettings
from theory.dynamics._support import (
    CONVERGED,
    PERIODIC,
    chaos_class,
    classify_block,
    init_chaos_stats,
    period_classes,
    renormalise,
    sample_recurrence,
)
from theory.optimizers._maps import get_map

__all__ = ["NUMPY_BLOCK", "run"]

#: points per block of the NumPy engine (large enough that a ufunc call's overhead is
#: small against its work, small enough for the history ring to stay in cache)
NUMPY_BLOCK = 16384


def _hv(h: tuple, d: int, v: np.ndarray, k: int) -> np.ndarray:
    """Row k of Hess f(x) v, from the upper triangle ``h`` (row by row) and v (d, n)."""
    total: np.ndarray | None = None
    for j in range(d):
        a, b = min(k, j), max(k, j)
        idx = a * d - a * (a - 1) // 2 + (b - a)
        term = h[idx] * v[j]
        total = term if total is None else total + term
    assert total is not None  # d >= 1
    return total


class _Block:
    """The per-point state of one block (the kernel's arrays), compacted as points finish."""

    def __init__(self, fn: NumpyFunctions, mp: ArrayStep, X0, ETA, start, gidx, factor0, H,
                 VINIT):
        self.fn = fn
        self.mp = mp
        n_x0 = X0.shape[0]
        flat = start + gidx
        d = fn.dim
        n = gidx.size
        self.idx = gidx.copy()
        self.E0 = ETA[flat // n_x0].astype(float)
        self.E = self.E0 * factor0
        self.X = np.ascontiguousarray(X0[flat % n_x0].T, dtype=float)
        self.V = np.ascontiguousarray(np.repeat(VINIT[:, None], n, axis=1))
        self.LSUM = np.zeros(n)
        self.STATS = np.empty((2 + 2 * d, n))
        init_chaos_stats(self.STATS, np.int64(n))
        self.HIST = np.empty((H + 1, d, n))
        self.HIST[0] = self.X
        self.FLAGS = np.zeros(n, np.uint8)  # derivative not representable (_float_rules)

    @property
    def n(self) -> int:
        return self.idx.size

    def keep(self, mask: np.ndarray) -> None:
        """Drop the points where ``mask`` is False (finished)."""
        self.idx = self.idx[mask]
        self.E0 = self.E0[mask]
        self.E = self.E[mask]
        self.X = np.ascontiguousarray(self.X[:, mask])
        self.V = np.ascontiguousarray(self.V[:, mask])
        self.LSUM = self.LSUM[mask]
        self.STATS = np.ascontiguousarray(self.STATS[:, mask])
        self.HIST = np.ascontiguousarray(self.HIST[:, :, mask])
        self.FLAGS = self.FLAGS[mask]


def _step(fn: NumpyFunctions, mp: ArrayStep, X, V, E, lyap: bool, P: tuple, bound: float,
          FLAGS: np.ndarray):
    """One step of the map ``mp`` for every point (and its tangent vector if ``lyap``):
    (X', V'); FLAGS[i] = 1 where a finite state within ``bound`` gave NaN after the repair
    (``flag_unrepresentable`` of :mod:`._float_rules`)."""
    d = fn.dim
    xs = tuple(X)
    Y = np.empty_like(X)
    W = V
    if lyap:
        values = fn.grad_hess(*xs)
        W = np.empty_like(V)
        hv = [_hv(values[d:], d, V, k) for k in range(d)]
        for k, w in enumerate(mp.tangent(xs, values[:d], tuple(V), hv, E, P)):
            W[k] = w
    else:
        values = fn.grad(*xs)
    for k, y in enumerate(mp.step(xs, values[:d], E, P)):
        Y[k] = y
    # a new state (tangent) that is not finite although the old state is: the derivatives
    # hit a removable singularity; redo those points with the *_safe derivatives
    bad = ~np.isfinite(Y).all(axis=0)
    if lyap:
        bad |= ~np.isfinite(W).all(axis=0)
    if bad.any():
        bad &= np.isfinite(X).all(axis=0)
        if bad.any():
            sub = tuple(x[bad] for x in xs)
            e = E[bad]
            if lyap:
                safe = fn.grad_hess_safe(*sub)
                vb = V[:, bad]
                hv = [_hv(safe[d:], d, vb, k) for k in range(d)]
                for k, w in enumerate(mp.tangent(sub, safe[:d], tuple(vb), hv, e, P)):
                    W[k, bad] = w
            else:
                safe = fn.grad_safe(*sub)
            for k, y in enumerate(mp.step(sub, safe[:d], e, P)):
                Y[k, bad] = y
            ok = (np.abs(X[:, bad]) <= bound).all(axis=0)
            FLAGS[np.flatnonzero(bad)[ok & np.isnan(Y[:, bad]).any(axis=0)]] = 1
    return Y, W


def _cycle_exponent(fn: NumpyFunctions, mp: ArrayStep, x, e, p: int, reps: int, S
                    ) -> np.ndarray:
    """The kernel's ``cycle_exponent`` for points with the same period p: x (d, m)."""
    d = fn.dim
    vinit, P = S.vinit, _params(S)
    x = [np.array(row) for row in x]
    v = [np.full(e.size, vinit[k]) for k in range(d)]
    total = np.zeros(e.size)
    n = p * reps
    warm = p * (reps // 2)
    for s in range(n):
        values = fn.grad_hess_safe(*x)
        vv = np.array(v)
        hv = [_hv(values[d:], d, vv, k) for k in range(d)]
        w = list(mp.tangent(x, values[:d], v, hv, e, P))
        x = list(mp.step(x, values[:d], e, P))
        norm = np.sqrt(sum(wk * wk for wk in w))
        if s >= warm:
            total += np.log(norm)
        ok = (norm > 0.0) & (norm < np.inf)
        inv = np.where(ok, 1.0 / np.where(ok, norm, 1.0), 0.0)
        v = [np.where(ok, w[k] * inv, vinit[k]) for k in range(d)]
    return total / (n - warm)


def _classify(fn: NumpyFunctions, mp: ArrayStep, blk: _Block, t: int, m_div: int, m: int,
              S: KernelSettings) -> np.ndarray:
    """classify_block's answers for the block at time t, with the float rules of
    :mod:`._float_rules` (the kernel's ``mark_unrepresentable`` and ``mark_stalled``)."""
    period = np.empty(blk.n, np.int64)
    classify_block(blk.HIST, np.int64(t), np.int64(m_div), np.int64(m), np.int64(blk.n),
                   float(S.bound), np.int64(S.period_max), float(S.rtol), float(S.atol), period)
    mark_unrepresentable(period, blk.FLAGS, np.int64(blk.n))
    if get_map(mp.name).stalls:
        H = blk.HIST.shape[0] - 1
        x1, x0 = blk.HIST[t % H], blk.HIST[(t - 1) % H]
        cand = np.flatnonzero((period == 1) & (x1 == x0).all(axis=0))
        if cand.size:
            d = fn.dim
            vals = fn.grad_hess_safe(*x1[:, cand])
            gmax = np.max(np.abs(np.array(vals[:d]).reshape(d, -1)), axis=0)
            hnorm = np.zeros(cand.size)
            for k in range(d):
                hnorm = np.maximum(hnorm, sum(np.abs(_hv_entry(vals[d:], d, k, j))
                                              for j in range(d)))
            xmax = np.max(np.abs(x1[:, cand]), axis=0)
            stall = stall_rule_array(gmax, hnorm, xmax, float(S.rtol), float(S.atol))
            period[cand[stall]] = STALL_MARK
    return period


def _hv_entry(h: tuple, d: int, k: int, j: int):
    """Hess f entry (k, j) from the upper triangle ``h`` (row by row)."""
    a, b = min(k, j), max(k, j)
    return h[a * d - a * (a - 1) // 2 + (b - a)]


def _params(S: KernelSettings) -> tuple[float, ...]:
    return tuple(float(v) for v in S.params)


def _finish(fn, mp: ArrayStep, blk: _Block, sel, t, cls, period, lam, S: KernelSettings,
            OUT: KernelOutputs) -> None:
    """The kernel's ``finish_point`` for the block's points ``sel`` (an index array), decided
    at time t with classes ``cls``, periods ``period`` and exponents ``lam``."""
    if sel.size == 0:
        return
    steps, cycle_steps, tail_from = int(S.steps), int(S.cycle_steps), int(S.tail_from)
    OUT_X, TAIL, LOSS = OUT.final_state, OUT.tail, OUT.loss
    d = fn.dim
    H = blk.HIST.shape[0] - 1
    gi = blk.idx[sel]
    OUT.classes[gi] = cls
    OUT.period[gi] = period
    OUT.decided_step[gi] = t
    record_tail = TAIL.shape[1] > 0
    record_loss = LOSS.shape[1] > 0
    cyc = (cls == CONVERGED) | (cls == PERIODIC)
    for p in np.unique(period[cyc]):
        p = int(p)
        mine = cyc & (period == p)
        s, g = sel[mine], gi[mine]
        a = t - ((t - steps) % p)
        OUT_X[g] = blk.HIST[a % H][:, s].T
        reps = 1 if d == 1 else max(2, (cycle_steps + p - 1) // p)
        OUT.lyapunov[g] = _cycle_exponent(fn, mp, blk.HIST[t % H][:, s], blk.E[s], p, reps, S)
        if record_tail:
            taus = np.arange(max(t + 1, tail_from), steps + 1)
            if taus.size:
                rows = (t - ((t - taus) % p)) % H
                TAIL[g[:, None], (taus - tail_from)[None, :]] = np.transpose(
                    blk.HIST[rows][:, :, s], (2, 0, 1))
        if record_loss and t < steps:
            taus = np.arange(t + 1, steps + 1)
            LOSS[g[:, None], taus[None, :]] = LOSS[g[:, None], (t - ((t - taus) % p))[None, :]]
    rest = ~cyc
    if rest.any():
        s, g = sel[rest], gi[rest]
        OUT_X[g] = blk.X[:, s].T
        OUT.lyapunov[g] = lam[rest]
        if record_tail:
            lo = max(t + 1, tail_from)
            if lo <= steps:
                TAIL[g, lo - tail_from:] = blk.X[:, s].T[:, None, :]
        if record_loss and t < steps:
            LOSS[g, t + 1:] = np.inf


# ------------------------------------------------------- primitives of the event loop
def _start_block(blk: _Block, S: KernelSettings, OUT: KernelOutputs) -> None:
    if OUT.tail.shape[1] > 0 and int(S.tail_from) == 0:
        OUT.tail[blk.idx, 0] = blk.X.T
    if OUT.loss.shape[1] > 0:
        OUT.loss[blk.idx, 0] = blk.fn.loss_safe(*blk.X)[0]


def _set_rate(blk: _Block, factor: float) -> None:
    blk.E = blk.E0 * factor


def _advance(blk: _Block, t: int, t_next: int, do_lyap: bool, keep_hist: bool,
             recording: bool, S: KernelSettings, OUT: KernelOutputs) -> None:
    """Steps t..t_next-1 of the block.  The kernel stores the iterates not kept in a sink
    row, never read: storing them in the ring (overwritten during the last H steps, before
    any read) is the same."""
    H, tail_from, bound, P = int(S.history), int(S.tail_from), float(S.bound), _params(S)
    record_tail = OUT.tail.shape[1] > 0
    record_loss = OUT.loss.shape[1] > 0
    for s in range(t, t_next):
        blk.X, blk.V = _step(blk.fn, blk.mp, blk.X, blk.V, blk.E, do_lyap, P, bound,
                             blk.FLAGS)
        blk.HIST[(s + 1) % H] = blk.X
        if recording:
            if record_tail and s + 1 >= tail_from:
                OUT.tail[blk.idx, s + 1 - tail_from] = blk.X.T
            if record_loss:
                OUT.loss[blk.idx, s + 1] = blk.fn.loss_safe(*blk.X)[0]


def _renormalise_block(blk: _Block, length: int) -> None:
    renormalise(blk.V, blk.LSUM, blk.STATS, np.int64(blk.n), np.int64(length))


def _sample_block(blk: _Block, first: bool) -> None:
    sample_recurrence(blk.X, blk.STATS, np.int64(blk.n), first)


def _classify_points(blk: _Block, t: int, m_div: int, m: int, S: KernelSettings
                     ) -> np.ndarray:
    return _classify(blk.fn, blk.mp, blk, t, m_div, m, S)


def _finish_early(blk: _Block, period: np.ndarray, t: int, S: KernelSettings,
                  OUT: KernelOutputs) -> _Block:
    done = period != 0
    if done.any():
        sel = np.flatnonzero(done)
        p = period[sel]
        _finish(blk.fn, blk.mp, blk, sel, t, period_classes(p, np.where),
                stored_periods(p, np.where), np.full(sel.size, np.nan), S, OUT)
        blk.keep(~done)
    return blk


def _finish_rest(blk: _Block, period: np.ndarray, S: KernelSettings, OUT: KernelOutputs,
                 n_seg: int, n_first: int, n_second: int) -> None:
    steps, lyap_from, chaos_threshold = int(S.steps), int(S.lyap_from), float(S.chaos_threshold)
    cls = period_classes(period, np.where)
    lam = np.full(blk.n, np.nan)
    open_ = period == 0
    if bool(S.lyapunov):
        window = steps - lyap_from
        lam[open_] = blk.LSUM[open_] / window
        for i in np.flatnonzero(open_ & (lam > chaos_threshold)):
            cls[i] = chaos_class(blk.STATS, np.int64(i), float(blk.LSUM[i]), np.int64(window),
                                 np.int64(n_seg), np.int64(n_first), np.int64(n_second),
                                 chaos_threshold)
    _finish(blk.fn, blk.mp, blk, np.arange(blk.n), steps, cls, stored_periods(period, np.where),
            lam, S, OUT)


#: the event loop of :mod:`._event_loop` on NumPy blocks
_EVENT_LOOP = bind({
    "block_size": lambda blk: blk.n, "start_block": _start_block, "set_rate": _set_rate,
    "advance": _advance, "renormalise_block": _renormalise_block,
    "sample_block": _sample_block, "classify_points": _classify_points,
    "finish_early": _finish_early, "finish_rest": _finish_rest}, "numpy")


def run(fn: NumpyFunctions, mp: ArrayStep, X0, ETA, S: KernelSettings, OUT: KernelOutputs
        ) -> None:
    """The generated kernel's ``run(X0, ETA, S, OUT)`` on NumPy, for the landscape's
    derivatives ``fn`` and the map's array step ``mp`` (:mod:`._map_step`).
    ``S.block`` is ignored (a work layout that changes no number): blocks of
    :data:`NUMPY_BLOCK` points, fewer when the history ring of a block would exceed 64 MiB
    (never fewer than ``S.block``, the kernel's layout)."""
    total = int(S.stop) - int(S.start)
    H = int(S.history)
    size = min(NUMPY_BLOCK, max(int(S.block), 2**23 // ((H + 1) * fn.dim)))
    with np.errstate(all="ignore"):
        for lo in range(0, total, size):
            gidx = np.arange(lo, min(total, lo + size), dtype=np.int64)
            blk = _Block(fn, mp, X0, ETA, int(S.start), gidx, S.factors[0], int(S.history),
                         S.vinit)
            _EVENT_LOOP(blk, S, OUT)
