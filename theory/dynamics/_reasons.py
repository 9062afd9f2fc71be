"""Why an orbit is undecided (issue 12: "a drifting or transient orbit is reported as such
(its own class, or undecided with the reason)").

The kernels (GD and momentum, every engine) leave a finite orbit undecided at the last step
for exactly one of four reasons, which follow from the stored result without re-running it
(the classification rule of ``_support.chaos_class`` and the drivers' event loop):

1. ``no exponent``: no period was found and ``lyapunov=False``, so nothing tests for chaos;
2. ``not chaotic``: no period was found and the exponent is at or below
   ``chaos_threshold``: a transient (still converging, slowly), or a quasi-periodic or
   long-period orbit; more steps or a larger ``period_max`` may decide it;
3. ``too few steps``: the exponent is above ``chaos_threshold`` but the Lyapunov window
   holds fewer than ``RETURN_MIN_SAMPLES`` recurrence samples in one of its halves (one
   sample per renormalisation segment), too few to tell chaos from a drift;
4. ``not significant``: recurrent, exponent above ``chaos_threshold``, but its lower
   confidence bound (``CHAOS_Z`` standard errors) is not.

The recurrence samples are counted by replaying the event loop's segments
(:func:`._support.segment_end`) from the result's metadata: they are the same for every
point of a sweep.
"""

from __future__ import annotations

import numpy as np

from theory.dynamics._options import RENORM
from theory.dynamics._support import RETURN_MIN_SAMPLES, UNDECIDED, segment_end

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
}


def recurrence_samples(metadata: dict) -> tuple[int, int]:
    """Recurrence samples (renormalisation segments) in the first and the second half of
    the Lyapunov window of a sweep with these settings (the kernels' event loop)."""
    steps = int(metadata["steps"])
    lyap = bool(metadata["lyapunov"])
    lyap_from = int(metadata["transient"])
    early_exit = bool(metadata["early_exit"])
    H = int(metadata["history"])
    momentum = "method" in metadata  # heavy ball / Nesterov: no schedule, no tail events
    bounds = [] if momentum else [int(b) for b in metadata["schedule"]["boundaries"]]
    keep_last = 0 if momentum else int(metadata.get("keep_last") or 0)
    tail_from = steps - keep_last + 1 if keep_last else steps + 1
    lyap_mid = lyap_from + (steps - lyap_from) // 2
    n_first = n_second = 0
    seg, t = 0, 0
    while t < steps:
        while seg < len(bounds) and t >= bounds[seg]:
            seg += 1
        do_lyap = lyap and t >= lyap_from
        keep_hist = early_exit or t >= steps - H
        bound = bounds[seg] if seg < len(bounds) else steps
        t_next = int(segment_end.py_func(t, steps, bound, early_exit, H, do_lyap, lyap,
                                         lyap_from, RENORM, keep_last > 0, tail_from,
                                         keep_hist))
        if do_lyap:
            if t_next <= lyap_mid:
                n_first += 1
            else:
                n_second += 1
        t = t_next
    return n_first, n_second


def undecided_reasons(result) -> np.ndarray:
    """Reason code (:data:`UNDECIDED_REASONS`) of every point of ``result`` (0 where the
    point is not undecided), an int8 array of ``result.classes``' shape."""
    meta = result.metadata
    reasons = np.zeros(result.classes.shape, dtype=np.int8)
    undecided = result.classes == UNDECIDED
    if not undecided.any():
        return reasons
    if not meta["lyapunov"]:
        reasons[undecided] = 1
        return reasons
    threshold = float(meta["chaos_threshold"])
    lam = result.lyapunov
    with np.errstate(invalid="ignore"):
        above = np.isfinite(lam) & (lam > threshold)
    n_first, n_second = recurrence_samples(meta)
    short = min(n_first, n_second) < RETURN_MIN_SAMPLES
    reasons[undecided & ~above] = 2
    reasons[undecided & above] = 3 if short else 4
    return reasons
