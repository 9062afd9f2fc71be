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

from theory.dynamics._gpu_classify import chaos_classes, classify, renormalise, sample_recurrence
from theory.dynamics._support import (
    CONVERGED,
    PERIODIC,
    history_window,
    period_classes,
    segment_end,
)

__all__ = ["TorchSweepKernel"]

#: at most this many steps between renormalisations (the template's RENORM)
RENORM = 16
_F64 = torch.float64
#: per-point state of the active orbits (compacted together when points finish)
_ACTIVE = ("X", "V", "E", "E0", "LSUM", "LSQ", "INSIDE", "LO", "HI", "IDX")


class TorchSweepKernel:
    """The sweep kernel of one landscape on one torch device (``namespace``: the generated
    ``loss``, ``grad``, ``grad_hess`` of :func:`theory.dynamics._gpu_source.torch_functions`)."""

    def __init__(self, dim: int, namespace: dict, device, fused=None, optimizer: str = "gd"):
        from theory.dynamics._map_step import array_step

        self.dim = dim
        #: the map's step and tangent step for tensors (:mod:`theory.dynamics._map_step`)
        self.map = array_step(optimizer, dim, "torch")
        #: its hyperparameters (set by run from the settings record)
        self.params: tuple[float, ...] = ()
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

    def _step(self, X, V, E, lyap):
        """One GD step (and tangent step) of all active points, with the repair pass: a
        point whose new state (or tangent) is not finite although its state is."""
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
        return Y, W

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
        ``run(X0, ETA, S, OUT)``; ``S.block`` is ignored: the chunk is one block).  Fills the
        numpy output arrays of ``OUT`` in place."""
        dev, d = self.device, self.dim
        start, stop, steps, BOUNDS, FACTORS, H = (S.start, S.stop, S.steps, S.bounds,
                                                  S.factors, S.history)
        period_max, rtol, atol, bound = S.period_max, S.rtol, S.atol, S.bound
        lyap, lyap_from, early_exit = bool(S.lyapunov), S.lyap_from, bool(S.early_exit)
        chaos_threshold, cycle_steps, VINIT, tail_from = (S.chaos_threshold, S.cycle_steps,
                                                          S.vinit, S.tail_from)
        TAIL, LOSS = OUT.tail, OUT.loss
        self.params = tuple(float(v) for v in S.params)
        start, stop, steps, H = int(start), int(stop), int(steps), int(H)
        lyap_from, tail_from, period_max = int(lyap_from), int(tail_from), int(period_max)
        bounds = [int(b) for b in BOUNDS]
        factors = [float(f) for f in FACTORS]
        n_x0, total = X0.shape[0], stop - start
        flat = torch.arange(start, stop, device=dev)
        S = {"X": torch.as_tensor(X0, dtype=_F64).to(dev)[flat % n_x0],
             "E0": torch.as_tensor(ETA, dtype=_F64).to(dev)[flat // n_x0]}
        S["E"] = S["E0"] * factors[0]
        vinit = torch.as_tensor(VINIT, dtype=_F64).to(dev)[None, :]
        S["V"] = vinit.expand(total, d).clone()
        S["IDX"] = torch.arange(total, device=dev)
        for name in ("LSUM", "LSQ", "INSIDE"):
            S[name] = torch.zeros(total, dtype=_F64, device=dev)
        S["LO"] = torch.full((total, d), math.inf, dtype=_F64, device=dev)
        S["HI"] = torch.full((total, d), -math.inf, dtype=_F64, device=dev)
        HIST = torch.zeros((H, total, d), dtype=_F64, device=dev)
        HIST[0] = S["X"]
        K, record_tail, record_loss = TAIL.shape[1], TAIL.shape[1] > 0, LOSS.shape[1] > 0
        out = {"x": torch.empty((total, d), dtype=_F64, device=dev),
               "cls": torch.empty(total, dtype=torch.int64, device=dev),
               "period": torch.empty(total, dtype=torch.int64, device=dev),
               "lyap": torch.empty(total, dtype=_F64, device=dev),
               "step": torch.empty(total, dtype=torch.int64, device=dev),
               "tail": torch.empty((total, K, d), dtype=_F64, device=dev),
               "loss": torch.empty((total, LOSS.shape[1]), dtype=_F64, device=dev)}
        if record_tail and tail_from == 0:
            out["tail"][:, 0] = S["X"]
        if record_loss:
            out["loss"][:, 0] = self._loss_at(S["X"])
        fin = {"steps": steps, "H": H, "tail_from": tail_from, "cycle_steps": cycle_steps,
               "vinit": vinit}

        last_b = bounds[-1] if bounds else 0
        lyap_mid = lyap_from + (steps - lyap_from) // 2
        n_seg = n_first = n_second = 0
        seg, t = 0, 0
        while t < steps and S["X"].shape[0] > 0:
            while seg < len(bounds) and t >= bounds[seg]:
                seg += 1
                S["E"] = S["E0"] * factors[seg]
            do_lyap = lyap and t >= lyap_from
            recording = record_loss or (record_tail and t >= tail_from - 1)
            keep_hist = early_exit or t >= steps - H
            t_next = segment_end.py_func(t, steps, bounds[seg] if seg < len(bounds) else steps,
                                         early_exit, H, do_lyap, lyap, lyap_from, RENORM,
                                         record_tail, tail_from, keep_hist)
            t_steps = range(t, t_next)
            if self.fused is not None and not recording:  # one launch for the segment
                for name in ("X", "V", "E"):
                    S[name] = S[name].contiguous()
                try:
                    self.fused(S["X"], S["V"], S["E"], HIST, t, t_next, keep_hist, do_lyap)
                    t_steps = range(0)
                except Exception as exc:  # a launch that failed changed nothing: go on
                    warnings.warn(f"fused CUDA step failed ({type(exc).__name__}: "
                                  f"{str(exc).strip()[:200]}); using the PyTorch step",
                                  RuntimeWarning, stacklevel=2)
                    self.fused = None
            for s in t_steps:
                S["X"], S["V"] = self._step(S["X"], S["V"], S["E"], do_lyap)
                if keep_hist or recording:
                    HIST[(s + 1) % H] = S["X"]
                if recording:
                    if record_tail and s + 1 >= tail_from:
                        out["tail"][S["IDX"], s + 1 - tail_from] = S["X"]
                    if record_loss:
                        out["loss"][S["IDX"], s + 1] = self._loss_at(S["X"])
            if do_lyap:
                S["V"] = renormalise(S["V"], S["LSUM"], S["LSQ"], t_next - t)
                n_seg += 1
                first = t_next <= lyap_mid
                sample_recurrence(S["X"], S["LO"], S["HI"], S["INSIDE"], first)
                n_first += 1 if first else 0
                n_second += 0 if first else 1
            t = t_next
            if early_exit and t % H == 0 and t < steps:
                m_div, m = history_window.py_func(t, H, last_b)
                period = classify(HIST, t, m_div, m, bound, period_max, rtol, atol)
                done = period != 0
                if bool(done.any()):
                    sel = torch.nonzero(done).flatten()
                    p = period[sel]
                    cls = period_classes(p, torch.where)
                    nan = torch.full(sel.shape, math.nan, dtype=_F64, device=dev)
                    self._finish(S, HIST, out, sel, t, cls, p.clamp_min(0), nan, fin)
                    keep = ~done
                    for name in _ACTIVE:
                        S[name] = S[name][keep]
                    HIST = HIST[:, keep]
        if S["X"].shape[0] > 0:
            m_div, m = history_window.py_func(steps, H, last_b)
            period = classify(HIST, steps, m_div, m, bound, period_max, rtol, atol)
            cls = period_classes(period, torch.where)
            lam = torch.full(period.shape, math.nan, dtype=_F64, device=dev)
            if lyap:
                window = steps - lyap_from
                lam_all = S["LSUM"] / window
                chaotic = chaos_classes(S["LSUM"], S["LSQ"], S["INSIDE"], window, n_seg,
                                        n_first, n_second, float(chaos_threshold))
                open_ = period == 0
                lam = torch.where(open_, lam_all, lam)
                cls = torch.where(open_ & (lam_all > chaos_threshold), chaotic, cls)
            sel = torch.arange(period.shape[0], device=dev)
            self._finish(S, HIST, out, sel, steps, cls, period.clamp_min(0), lam, fin)
        OUT.final_state[:] = out["x"].cpu().numpy()
        OUT.classes[:] = out["cls"].cpu().numpy()
        OUT.period[:] = out["period"].cpu().numpy()
        OUT.lyapunov[:] = out["lyap"].cpu().numpy()
        OUT.decided_step[:] = out["step"].cpu().numpy()
        if record_tail:
            TAIL[:] = out["tail"].cpu().numpy()
        if record_loss:
            LOSS[:] = out["loss"].cpu().numpy()

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
