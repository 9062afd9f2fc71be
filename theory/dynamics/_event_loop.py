"""The event loop of a block of orbits, written once (issue 19).

:func:`event_loop` iterates a map over one block of points: steps in segments between
events (schedule boundaries, the Lyapunov window, renormalisations of the tangent vector,
history checks every ``H`` steps with early exit, the tail), the classification of the
block at every check and at the end, and the points' outputs.  It only calls engine
primitives by name; each engine binds them (:func:`bind`):

* ``block_size(blk)`` -- the number of active points;
* ``start_block(blk, S, OUT)`` -- outputs at t = 0 (tail, loss);
* ``set_rate(blk, factor)`` -- learning rates eta_0 * factor (a schedule boundary);
* ``advance(blk, t, t_next, do_lyap, keep_hist, recording, S, OUT)`` -- steps t..t_next-1
  (history, tangent vectors, tail and loss as asked);
* ``renormalise_block(blk, length)`` and ``sample_block(blk, first)`` -- after a segment
  in the Lyapunov window (exponent sums, recurrence samples);
* ``classify_points(blk, t, m_div, m, S)`` -- the classification answers at time t
  (``_support.classify_block`` and the float rules of ``_float_rules``);
* ``finish_early(blk, period, t, S, OUT)`` -- write the decided points and drop them from
  the block (returns the block);
* ``finish_rest(blk, period, S, OUT, n_seg, n_first, n_second)`` -- write the rest at
  ``steps`` (chaos test with the recurrence sample counts).

The Numba kernels print this function's source (:data:`EVENT_LOOP_SOURCE`) into their
generated modules, inlined into their parallel ``run`` and compiled against the njit
primitives of :mod:`._template` (single-state maps; a block is a tuple of arrays, finished
points swapped out) and :mod:`._momentum_template` (heavy ball, Nesterov).  The NumPy
engines bind it to their array primitives (:mod:`._numpy_kernel`, :mod:`._momentum_numpy`;
finished points dropped with ``keep(mask)``), the PyTorch engine to its tensor primitives
(:mod:`._gpu_kernel`), and the replay of :mod:`._reasons` to primitives that only count the
recurrence samples (docs/architecture.md).  Hence the loop is written in the subset both
Python and Numba run: plain ints and bools, the settings and output records' fields, no
per-point loop.
"""

from __future__ import annotations

import inspect
from typing import Any

from theory.dynamics._options import RENORM
from theory.dynamics._support import history_window, segment_end

__all__ = ["EVENT_LOOP_SOURCE", "PRIMITIVES", "bind", "event_loop"]

#: the names an engine binds (module docstring)
PRIMITIVES = ("block_size", "start_block", "set_rate", "advance", "renormalise_block",
              "sample_block", "classify_points", "finish_early", "finish_rest")


def _unbound(*args: Any) -> Any:
    raise RuntimeError("event_loop runs with an engine's primitives: use bind()")


# placeholders of the primitives (the loop below is compiled again by bind, with the engine's)
block_size = start_block = set_rate = advance = renormalise_block = _unbound
sample_block = classify_points = finish_early = finish_rest = _unbound


def event_loop(blk, S, OUT):
    """Run the block ``blk`` of an engine through steps 0..S.steps (S: the settings record,
    OUT: the output record of :mod:`._settings`)."""
    steps = int(S.steps)
    H = int(S.history)
    BOUNDS = S.bounds
    FACTORS = S.factors
    lyap = bool(S.lyapunov)
    lyap_from = int(S.lyap_from)
    early_exit = bool(S.early_exit)
    tail_from = int(S.tail_from)
    record_tail = OUT.tail.shape[1] > 0
    record_loss = OUT.loss.shape[1] > 0
    n_bounds = BOUNDS.shape[0]
    last_b = int(BOUNDS[n_bounds - 1]) if n_bounds > 0 else 0
    start_block(blk, S, OUT)
    n_seg = 0  # renormalisation segments in the Lyapunov window (shared by the block)
    n_first = 0  # recurrence samples in its first half
    n_second = 0  # and in its second half
    lyap_mid = lyap_from + (steps - lyap_from) // 2
    seg = 0
    t = 0
    while t < steps and block_size(blk) > 0:
        while seg < n_bounds and t >= BOUNDS[seg]:
            seg += 1
            set_rate(blk, FACTORS[seg])
        do_lyap = lyap and t >= lyap_from
        # step t computes x_{t+1}: record from step tail_from - 1 on
        recording = record_loss or (record_tail and t >= tail_from - 1)
        keep_hist = early_exit or t >= steps - H
        t_next = segment_end(t, steps, int(BOUNDS[seg]) if seg < n_bounds else steps,
                             early_exit, H, do_lyap, lyap, lyap_from, RENORM, record_tail,
                             tail_from, keep_hist)
        advance(blk, t, t_next, do_lyap, keep_hist, recording, S, OUT)
        if do_lyap:
            renormalise_block(blk, t_next - t)
            n_seg += 1
            first = t_next <= lyap_mid
            sample_block(blk, first)
            n_first += 1 if first else 0
            n_second += 0 if first else 1
        t = t_next
        if early_exit and t % H == 0 and t < steps:
            m_div, m = history_window(t, H, last_b)
            period = classify_points(blk, t, m_div, m, S)
            blk = finish_early(blk, period, t, S, OUT)
    if block_size(blk) > 0:
        m_div, m = history_window(steps, H, last_b)
        period = classify_points(blk, steps, m_div, m, S)
        finish_rest(blk, period, S, OUT, n_seg, n_first, n_second)


#: the text of :func:`event_loop` (the Numba kernels print it into their modules)
EVENT_LOOP_SOURCE = inspect.getsource(event_loop)


def bind(primitives: dict[str, Any], name: str) -> Any:
    """:func:`event_loop` compiled against an engine's ``primitives`` (every name of
    :data:`PRIMITIVES`); ``name`` labels the code object (tracebacks)."""
    missing = sorted(set(PRIMITIVES) - set(primitives))
    if missing:
        raise ValueError(f"primitives={name!r} lacks {', '.join(missing)}")
    namespace: dict[str, Any] = {
        **primitives, "RENORM": RENORM,
        "history_window": history_window.py_func, "segment_end": segment_end.py_func,
    }
    exec(compile(EVENT_LOOP_SOURCE, f"<msl event loop: {name}>", "exec"), namespace)
    return namespace["event_loop"]
