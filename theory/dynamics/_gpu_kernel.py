"""The GPU sweep kernel: a single-state map (GD 4.1 by default) on every orbit of a chunk at
once, in PyTorch (the map's step: :mod:`theory.dynamics._map_step`).

:class:`TorchSweepKernel.run` has the signature and the semantics of the Numba kernel ``run``
(:mod:`theory.dynamics._template`): the same event loop (schedule boundaries, history checks
every ``H`` steps, renormalisation of the tangent vector at most every 16 steps, the
Lyapunov window from ``lyap_from``, tail and loss recording), the same removable-singularity
repair (a step whose new state is not finite from a finite one is redone with the
derivative entries averaged at x -+ offset), the same classification
(:mod:`theory.dynamics._gpu_classify`) and the same way of finishing a point (a periodic
point's state at ``steps``, tail and loss read off its cycle; its exponent that of the
cycle).  Where the Numba kernel runs blocks of 512 points, this runs the whole chunk as one
block (the block size never changes the numbers), each step a few element-wise tensor
operations over all active orbits, on whatever device the tensors live on (CUDA, or the
CPU for the tests).  Results agree with the Numba kernel to rounding: torch's log1p, exp,
... differ from :mod:`theory.dynamics._elementary` by a few ulp, which a chaotic orbit
amplifies (its exponent, class and boundedness agree; its final state does not).
"""

from __future__ import annotations

import math
import warnings

import torch

from theory.dynamics._event_loop import bind
from theory.dynamics._float_rules import (
    STALL_MARK,
    UNREPRESENTABLE_MARK,
    stall_rule_array,
    stored_periods,
)
from theory.dynamics._gpu_classify import chaos_classes, classify, renormalise, sample_recurrence
from theory.dynamics._support import (
    CONVERGED,
    DIVERGED_MARK,
    PERIODIC,
    period_classes,
)

__all__ = ["TorchSweepKernel"]

#: at most this many steps between renormalisations (the template's RENORM)
RENORM = 16
_F64 = torch.float64
#: per-point state of the active orbits (compacted together when points finish)
_ACTIVE = ("X", "V", "E", "E0", "LSUM", "LSQ", "INSIDE", "LO", "HI", "IDX", "FLAG")


class TorchSweepKernel:
    """The sweep kernel of one landscape on one torch device (``namespace``: the generated
    ``loss``, ``grad``, ``grad_hess`` of :func:`theory.dynamics._gpu_source.torch_functions`)."""

    def __init__(self, dim: int, namespace: dict, device, fused=None, optimizer: str = "gd"):
        from theory.dynamics._map_step import array_step
        from theory.optimizers._maps import get_map

        self.dim = dim
        #: the map's step and tangent step for tensors (:mod:`theory.dynamics._map_step`)
        self.map = array_step(optimizer, dim, "torch")
        self.map_info = get_map(optimizer)
        #: its hyperparameters and divergence bound (set by run from the settings record)
        self.params: tuple[float, ...] = ()
        self.bound = math.inf
        #: the float-stall rule applies (theory.dynamics._float_rules)
        self.stalls = self.map_info.stalls
        self.device = torch.device(device)
        #: the fused CUDA step (:class:`theory.dynamics._gpu_fused.FusedSteps`) or None
        self.fused = fused
        self._loss = namespace["loss"]
        self._grad = namespace["grad"]
        self._grad_hess = namespace["grad_hess"]
        self._hess_index = {}
        n = 0
        for j in range(dim):
            for k in range(j, dim):
                self._hess_index[(j, k)] = self._hess_index[(k, j)] = dim + n
                n += 1

    # ------------------------------------------------------------------ derivatives
    def _eval(self, fn, X):
        """The entries of fn at the points X (n, d), each an (n,) tensor."""
        like = X[:, 0]
        out = []
        for v in fn(*(X[:, k] for k in range(self.dim))):
            if not (isinstance(v, torch.Tensor) and v.shape == like.shape):
                v = torch.as_tensor(v, dtype=_F64, device=like.device).expand(like.shape)
            out.append(v)
        return out

    def _safe(self, fn, X):
        """fn with each entry that is not finite at a finite x replaced by its mean at
        x -+ 1e-7 (1 + max|x|)/sqrt(d) (1, ..., 1) (the kernels' ``*_safe``)."""
        vals = self._eval(fn, X)
        bad = torch.stack([~torch.isfinite(v) for v in vals], 1)
        need = bad.any(1) & torch.isfinite(X).all(1)
        if not bool(need.any()):
            return vals
        idx = torch.nonzero(need).flatten()
        Xs = X[idx]
        h = 1e-7 * (1.0 + Xs.abs().amax(1).clamp_min(0.0)) / math.sqrt(float(self.dim))
        a = self._eval(fn, Xs + h[:, None])
        b = self._eval(fn, Xs - h[:, None])
        out = []
        for j, v in enumerate(vals):
            v = v.clone()
            v[idx] = torch.where(bad[idx, j], 0.5 * (a[j] + b[j]), v[idx])
            out.append(v)
        return out

    def _apply(self, vals, X, V, E, lyap):
        """(F(x), J v) of the map from the derivative entries ``vals`` (GD:
        x - e grad f(x), v - e Hess f(x) v)."""
        d = self.dim
        xs = [X[:, k] for k in range(d)]
        ys = self.map.step(xs, vals[:d], E, self.params)
        # d = 1: views, no stacking (the fewer tensor operations per step, the faster)
        Y = ys[0][:, None] if d == 1 else torch.stack(ys, 1)
        if not lyap:
            return Y, V
        hv = []
        for k in range(d):
            s = vals[self._hess_index[(k, 0)]] * V[:, 0]
            for j in range(1, d):
                s = s + vals[self._hess_index[(k, j)]] * V[:, j]
            hv.append(s)
        ws = self.map.tangent(xs, vals[:d], [V[:, k] for k in range(d)], hv, E, self.params)
        return Y, (ws[0][:, None] if d == 1 else torch.stack(ws, 1))

    @staticmethod
    def _total(A):
        """Per point, a number that is finite iff every coordinate is (up to overflow of
        the sum, which only sends a step through the repair, whose result is the same)."""
        return A[:, 0] if A.shape[1] == 1 else A.sum(1)

    def _step(self, X, V, E, lyap, FLAG=None):
        """One GD step (and tangent step) of all active points, with the repair pass: a
        point whose new state (or tangent) is not finite although its state is; FLAG[i] set
        where the repaired state has a NaN from a state within the bound (_float_rules)."""
        fn = self._grad_hess if lyap else self._grad
        Y, W = self._apply(self._eval(fn, X), X, V, E, lyap)
        new = self._total(Y) + self._total(W) if lyap else self._total(Y)
        old = self._total(X)
        # u - u is 0 for finite u, nan for nan and +-inf: two operations (torch.isfinite
        # takes four)
        bad = ((old - old) == 0.0) & ((new - new) != 0.0)
        if bool(bad.any()):  # a removable singularity: redo with the *_safe entries
            idx = torch.nonzero(bad).flatten()
            Ys, Ws = self._apply(self._safe(fn, X[idx]), X[idx], V[idx], E[idx], lyap)
            Y[idx] = Ys
            if lyap:
                W[idx] = Ws
            if FLAG is not None:
                ok = (X[idx].abs() <= self.bound).all(1) & torch.isnan(Ys).any(1)
                FLAG[idx[ok]] = 1
        return Y, W

    def _classify(self, HIST, t, m_div, m, S, rules):
        """classify's answers with the float rules (_float_rules): a flagged point's
        divergence is UNREPRESENTABLE_MARK, a stalled fixed point STALL_MARK."""
        period = classify(HIST, t, m_div, m, *rules)
        period = torch.where((period == DIVERGED_MARK) & (S["FLAG"] != 0), UNREPRESENTABLE_MARK,
                             period)
        if not self.stalls:
            return period
        H = HIST.shape[0]
        x1 = HIST[t % H]
        cand = torch.nonzero((period == 1) & (x1 == HIST[(t - 1) % H]).all(1)).flatten()
        if cand.numel():
            d = self.dim
            xs = x1[cand]
            vals = self._safe(self._grad_hess, xs)
            gmax = torch.stack([v.abs() for v in vals[:d]], 1).amax(1)
            rows = [sum(vals[self._hess_index[(k, j)]].abs() for j in range(d))
                    for k in range(d)]
            hnorm = torch.stack(rows, 1).amax(1)
            stall = stall_rule_array(gmax, hnorm, xs.abs().amax(1), rules[2], rules[3])
            period[cand[stall]] = STALL_MARK
        return period

    def _loss_at(self, X):
        return self._safe(self._loss, X)[0]

    def _cycle_exponent(self, x, e, p, cycle_steps, vinit):
        """Largest Lyapunov exponent of the p-cycle through each x (``cycle_exponent`` of the
        template): p * r tangent steps, log growth averaged over the second half."""
        r = torch.ones_like(p) if self.dim == 1 else torch.clamp(
            (cycle_steps + p - 1) // p, min=2)
        n = p * r
        warm = p * (r // 2)
        v = vinit.expand(x.shape).clone()
        total = torch.zeros(x.shape[0], dtype=_F64, device=x.device)
        for s in range(int(n.max())):
            vals = self._safe(self._grad_hess, x)
            x, w = self._apply(vals, x, v, e, True)
            norm = torch.sqrt((w * w).sum(1))
            total += torch.where((s >= warm) & (s < n), torch.log(norm), 0.0)
            ok = (norm > 0.0) & (norm < math.inf)
            v = torch.where(ok[:, None], w * (1.0 / torch.where(ok, norm, 1.0))[:, None],
                            vinit.expand(w.shape))
        return total / (n - warm).to(_F64)

    # ------------------------------------------------------------------------ run
    def run(self, X0, ETA, S, OUT) -> None:
        """The map on the flat points S.start..S.stop-1 of ETA x X0 (the Numba
        ``run(X0, ETA, S, OUT)``; ``S.block`` is ignored: the chunk is one block), through
        the event loop of :mod:`._event_loop`.  Fills the numpy output arrays of ``OUT``
        in place."""
        dev, d = self.device, self.dim
        self.params = tuple(float(v) for v in S.params)
        self.bound = float(S.bound)
        start, stop, H = int(S.start), int(S.stop), int(S.history)
        n_x0, total = X0.shape[0], stop - start
        flat = torch.arange(start, stop, device=dev)
        st = {"X": torch.as_tensor(X0, dtype=_F64).to(dev)[flat % n_x0],
              "E0": torch.as_tensor(ETA, dtype=_F64).to(dev)[flat // n_x0]}
        st["E"] = st["E0"] * float(S.factors[0])
        vinit = torch.as_tensor(S.vinit, dtype=_F64).to(dev)[None, :]
        st["V"] = vinit.expand(total, d).clone()
        st["IDX"] = torch.arange(total, device=dev)
        st["FLAG"] = torch.zeros(total, dtype=torch.uint8, device=dev)  # _float_rules
        for name in ("LSUM", "LSQ", "INSIDE"):
            st[name] = torch.zeros(total, dtype=_F64, device=dev)
        st["LO"] = torch.full((total, d), math.inf, dtype=_F64, device=dev)
        st["HI"] = torch.full((total, d), -math.inf, dtype=_F64, device=dev)
        HIST = torch.zeros((H, total, d), dtype=_F64, device=dev)
        HIST[0] = st["X"]
        out = {"x": torch.empty((total, d), dtype=_F64, device=dev),
               "cls": torch.empty(total, dtype=torch.int64, device=dev),
               "period": torch.empty(total, dtype=torch.int64, device=dev),
               "lyap": torch.empty(total, dtype=_F64, device=dev),
               "step": torch.empty(total, dtype=torch.int64, device=dev),
               "tail": torch.empty((total, OUT.tail.shape[1], d), dtype=_F64, device=dev),
               "loss": torch.empty((total, OUT.loss.shape[1]), dtype=_F64, device=dev)}
        fin = {"steps": int(S.steps), "H": H, "tail_from": int(S.tail_from),
               "cycle_steps": S.cycle_steps, "vinit": vinit,
               "rules": (float(S.bound), int(S.period_max), float(S.rtol), float(S.atol))}
        _EVENT_LOOP(_Chunk(self, st, HIST, out, fin), S, OUT)
        OUT.final_state[:] = out["x"].cpu().numpy()
        OUT.classes[:] = out["cls"].cpu().numpy()
        OUT.period[:] = out["period"].cpu().numpy()
        OUT.lyapunov[:] = out["lyap"].cpu().numpy()
        OUT.decided_step[:] = out["step"].cpu().numpy()
        if OUT.tail.shape[1] > 0:
            OUT.tail[:] = out["tail"].cpu().numpy()
        if OUT.loss.shape[1] > 0:
            OUT.loss[:] = out["loss"].cpu().numpy()

    def advance(self, c: _Chunk, t: int, t_next: int, do_lyap: bool, keep_hist: bool,
                recording: bool) -> None:
        """Steps t..t_next-1 of the active orbits (the fused CUDA step for a segment
        without recording, when there is one)."""
        st, H, out, tail_from = c.state, c.fin["H"], c.out, c.fin["tail_from"]
        t_steps = range(t, t_next)
        if self.fused is not None and not recording:  # one launch for the segment
            for name in ("X", "V", "E", "FLAG"):
                st[name] = st[name].contiguous()
            try:
                self.fused(st["X"], st["V"], st["E"], c.HIST, t, t_next, keep_hist, do_lyap,
                           st["FLAG"], self.bound)
                t_steps = range(0)
            except Exception as exc:  # a launch that failed changed nothing: go on
                warnings.warn(f"fused CUDA step failed ({type(exc).__name__}: "
                              f"{str(exc).strip()[:200]}); using the PyTorch step",
                              RuntimeWarning, stacklevel=2)
                self.fused = None
        record_tail, record_loss = out["tail"].shape[1] > 0, out["loss"].shape[1] > 0
        for s in t_steps:
            st["X"], st["V"] = self._step(st["X"], st["V"], st["E"], do_lyap, st["FLAG"])
            if keep_hist or recording:
                c.HIST[(s + 1) % H] = st["X"]
            if recording:
                if record_tail and s + 1 >= tail_from:
                    out["tail"][st["IDX"], s + 1 - tail_from] = st["X"]
                if record_loss:
                    out["loss"][st["IDX"], s + 1] = self._loss_at(st["X"])

    def finish_early(self, c: _Chunk, period, t: int) -> _Chunk:
        """Write the points decided at time t and drop them from the chunk."""
        done = period != 0
        if bool(done.any()):
            sel = torch.nonzero(done).flatten()
            p = period[sel]
            nan = torch.full(sel.shape, math.nan, dtype=_F64, device=sel.device)
            self._finish(c.state, c.HIST, c.out, sel, t, period_classes(p, torch.where),
                         stored_periods(p, torch.where), nan, c.fin)
            keep = ~done
            for name in _ACTIVE:
                c.state[name] = c.state[name][keep]
            c.HIST = c.HIST[:, keep]
        return c

    def finish_rest(self, c: _Chunk, period, S, n_seg: int, n_first: int,
                    n_second: int) -> None:
        """Write the points still active at ``steps`` (chaos test for the open ones)."""
        st, steps = c.state, c.fin["steps"]
        cls = period_classes(period, torch.where)
        lam = torch.full(period.shape, math.nan, dtype=_F64, device=period.device)
        if bool(S.lyapunov):
            window = steps - int(S.lyap_from)
            threshold = float(S.chaos_threshold)
            lam_all = st["LSUM"] / window
            chaotic = chaos_classes(st["LSUM"], st["LSQ"], st["INSIDE"], window, n_seg,
                                    n_first, n_second, threshold)
            open_ = period == 0
            lam = torch.where(open_, lam_all, lam)
            cls = torch.where(open_ & (lam_all > threshold), chaotic, cls)
        sel = torch.arange(period.shape[0], device=period.device)
        self._finish(st, c.HIST, c.out, sel, steps, cls, stored_periods(period, torch.where),
                     lam, c.fin)

    def _finish(self, S, HIST, out, sel, t, cls, p, lam, fin):
        """Write the outputs of active points ``sel`` decided at time t (the template's
        ``finish_point``): cyclic points read their state at ``steps``, tail and loss off
        their cycle; the others keep their last state (loss +inf after t)."""
        steps, H, tail_from = fin["steps"], fin["H"], fin["tail_from"]
        gi = S["IDX"][sel]
        out["cls"][gi] = cls
        out["period"][gi] = p
        out["step"][gi] = t
        cyclic = (cls == CONVERGED) | (cls == PERIODIC)
        taus = torch.arange(max(t + 1, tail_from), steps + 1, device=sel.device)
        loss_taus = torch.arange(t + 1, steps + 1, device=sel.device)
        if bool(cyclic.any()):
            c, pc, gc = sel[cyclic], p[cyclic], gi[cyclic]
            a = t - torch.remainder(t - steps, pc)
            out["x"][gc] = HIST[torch.remainder(a, H), c]
            out["lyap"][gc] = self._cycle_exponent(HIST[t % H, c], S["E"][c], pc,
                                                   fin["cycle_steps"], fin["vinit"])
            if taus.numel() and out["tail"].shape[1]:
                src = t - torch.remainder(t - taus[None, :], pc[:, None])
                out["tail"][gc[:, None], taus[None, :] - tail_from] = HIST[
                    torch.remainder(src, H), c[:, None]]
            if loss_taus.numel() and out["loss"].shape[1]:
                src = t - torch.remainder(t - loss_taus[None, :], pc[:, None])
                out["loss"][gc[:, None], loss_taus[None, :]] = out["loss"][gc[:, None], src]
        other = ~cyclic
        if bool(other.any()):
            o, go = sel[other], gi[other]
            out["x"][go] = S["X"][o]
            out["lyap"][go] = lam[other]
            if taus.numel() and out["tail"].shape[1]:
                out["tail"][go[:, None], taus[None, :] - tail_from] = S["X"][o][:, None, :]
            if loss_taus.numel() and out["loss"].shape[1]:
                out["loss"][go[:, None], loss_taus[None, :]] = math.inf


class _Chunk:
    """The active orbits of a chunk (one block of the event loop): per-point tensors
    ``state`` (compacted together), the history ring, the output tensors and constants."""

    def __init__(self, kernel: TorchSweepKernel, state: dict, HIST, out: dict, fin: dict):
        self.kernel = kernel
        self.state = state
        self.HIST = HIST
        self.out = out
        self.fin = fin


def _start_block(c: _Chunk, S, OUT) -> None:
    if c.out["tail"].shape[1] > 0 and c.fin["tail_from"] == 0:
        c.out["tail"][:, 0] = c.state["X"]
    if c.out["loss"].shape[1] > 0:
        c.out["loss"][:, 0] = c.kernel._loss_at(c.state["X"])


def _set_rate(c: _Chunk, factor: float) -> None:
    c.state["E"] = c.state["E0"] * float(factor)


def _renormalise_block(c: _Chunk, length: int) -> None:
    c.state["V"] = renormalise(c.state["V"], c.state["LSUM"], c.state["LSQ"], length)


def _sample_block(c: _Chunk, first: bool) -> None:
    st = c.state
    sample_recurrence(st["X"], st["LO"], st["HI"], st["INSIDE"], first)


#: the event loop of :mod:`._event_loop` on tensors
_EVENT_LOOP = bind({
    "block_size": lambda c: c.state["X"].shape[0], "start_block": _start_block,
    "set_rate": _set_rate,
    "advance": lambda c, t, t_next, do_lyap, keep_hist, recording, S, OUT: c.kernel.advance(
        c, t, t_next, do_lyap, keep_hist, recording),
    "renormalise_block": _renormalise_block, "sample_block": _sample_block,
    "classify_points": lambda c, t, m_div, m, S: c.kernel._classify(c.HIST, t, m_div, m,
                                                                     c.state, c.fin["rules"]),
    "finish_early": lambda c, period, t, S, OUT: c.kernel.finish_early(c, period, t),
    "finish_rest": lambda c, period, S, OUT, n_seg, n_first, n_second: c.kernel.finish_rest(
        c, period, S, n_seg, n_first, n_second),
}, "torch")
