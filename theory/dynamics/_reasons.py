"""Why an orbit is undecided (issue 12: "a drifting or transient orbit is reported as such
(its own class, or undecided with the reason)").

The kernels (GD and momentum, every engine) leave an orbit undecided for exactly one of six
reasons, which follow from the stored result without re-running it (the classification
rule of ``_support.chaos_class``, the drivers' event loop and the float rules of
``_float_rules``, issue 20):

1. ``no exponent``: no period was found and ``lyapunov=False``, so nothing tests for chaos;
2. ``not chaotic``: no period was found and the exponent is at or below
   ``chaos_threshold``: a transient (still converging, slowly), or a quasi-periodic or
   long-period orbit; more steps or a larger ``period_max`` may decide it;
3. ``too few steps``: the exponent is above ``chaos_threshold`` but the Lyapunov window
   holds fewer than ``RETURN_MIN_SAMPLES`` recurrence samples in one of its halves (one
   sample per renormalisation segment), too few to tell chaos from a drift;
4. ``not significant``: recurrent, exponent above ``chaos_threshold``, but its lower
   confidence bound (``CHAOS_Z`` standard errors) is not;
5. ``derivative not representable``: a step from a finite state within the divergence bound
   gave NaN (an overflow inside the derivative, such as inf * 0); the stored final state
   is that NaN;
6. ``step below float resolution``: the float orbit stalled (x - eta grad f(x) rounds to x)
   away from a critical point; stored with period 1 (the float orbit's period).

Reasons 5 and 6 take precedence over 1-4.

The recurrence samples are counted by replaying the event loop (:mod:`._event_loop`, the
engines' own source) from the result's metadata: they are the same for every point of a
sweep.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from theory.dynamics._event_loop import bind
from theory.dynamics._float_rules import STALL_MARK, stored_period
from theory.dynamics._support import RETURN_MIN_SAMPLES, UNDECIDED

__all__ = ["UNDECIDED_REASONS", "recurrence_samples", "undecided_reasons"]

#: reason code -> text (code 0: the point is not undecided)
UNDECIDED_REASONS = {
    0: "decided",
    1: "no exponent: no period found and lyapunov=False",
    2: "not chaotic: no period found and the exponent is at or below chaos_threshold "
       "(a transient or slow convergence, or a quasi-periodic or long-period orbit)",
    3: "too few steps: exponent above chaos_threshold, but the Lyapunov window holds fewer "
       f"than {RETURN_MIN_SAMPLES} recurrence samples in one of its halves",
    4: "not significant: recurrent and its exponent above chaos_threshold, but not by "
       "3 standard errors",
    5: "derivative not representable: a step from a finite state within the divergence "
       "bound gave NaN (an overflow inside the derivative, such as inf * 0)",
    6: "step below float resolution: x - eta grad f(x) rounds to x although grad f(x) is "
       "not 0 and no critical point lies within the tolerance (the true orbit moves)",
}

#: the period stored for a stalled point (reason 6)
_STALLED_PERIOD = stored_period.py_func(STALL_MARK)


def recurrence_samples(metadata: dict) -> tuple[int, int]:
    """Recurrence samples (renormalisation segments) in the first and the second half of
    the Lyapunov window of a sweep with these settings: the engines' event loop
    (:mod:`._event_loop`) run with primitives that only count."""
    steps = int(metadata["steps"])
    momentum = "method" in metadata  # heavy ball / Nesterov: no schedule, no tail events
    bounds = [] if momentum else [int(b) for b in metadata["schedule"]["boundaries"]]
    keep_last = 0 if momentum else int(metadata.get("keep_last") or 0)
    S = SimpleNamespace(
        steps=steps, history=int(metadata["history"]),
        bounds=np.asarray(bounds, dtype=np.int64), factors=np.ones(len(bounds) + 1),
        lyapunov=bool(metadata["lyapunov"]), lyap_from=int(metadata["transient"]),
        early_exit=bool(metadata["early_exit"]),
        tail_from=steps - keep_last + 1 if keep_last else steps + 1)
    OUT = SimpleNamespace(tail=np.empty((0, 1 if keep_last else 0)), loss=np.empty((0, 0)))
    counts: list[int] = []
    _replay(counts, S, OUT)
    return counts[0], counts[1]


def _nothing(*args: object) -> None:
    return None


#: the event loop with primitives that do nothing but keep the block (a list) active and
#: store the sample counts in it at the end
_replay = bind({
    "block_size": lambda blk: 1, "start_block": _nothing, "set_rate": _nothing,
    "advance": _nothing, "renormalise_block": _nothing, "sample_block": _nothing,
    "classify_points": _nothing, "finish_early": lambda blk, period, t, S, OUT: blk,
    "finish_rest": lambda blk, period, S, OUT, n_seg, n_first, n_second: blk.extend(
        (n_first, n_second)),
}, "replay")


def undecided_reasons(result) -> np.ndarray:
    """Reason code (:data:`UNDECIDED_REASONS`) of every point of ``result`` (0 where the
    point is not undecided), an int8 array of ``result.classes``' shape."""
    meta = result.metadata
    reasons = np.zeros(result.classes.shape, dtype=np.int8)
    undecided = result.classes == UNDECIDED
    if not undecided.any():
        return reasons
    float_rule = _float_reasons(result, undecided)
    if not meta["lyapunov"]:
        reasons[undecided] = 1
        return np.where(float_rule > 0, float_rule, reasons).astype(np.int8)
    threshold = float(meta["chaos_threshold"])
    lam = result.lyapunov
    with np.errstate(invalid="ignore"):
        above = np.isfinite(lam) & (lam > threshold)
    n_first, n_second = recurrence_samples(meta)
    short = min(n_first, n_second) < RETURN_MIN_SAMPLES
    reasons[undecided & ~above] = 2
    reasons[undecided & above] = 3 if short else 4
    return np.where(float_rule > 0, float_rule, reasons).astype(np.int8)


def _float_reasons(result, undecided: np.ndarray) -> np.ndarray:
    """Reasons 5 and 6 (0 elsewhere): a non-finite final state, period 1."""
    state = np.asarray(result.final_state)
    finite = np.isfinite(state.reshape(*undecided.shape, -1)).all(axis=-1)
    out = np.zeros(undecided.shape, dtype=np.int8)
    out[undecided & ~finite] = 5
    out[undecided & finite & (np.asarray(result.period) == _STALLED_PERIOD)] = 6
    return out
