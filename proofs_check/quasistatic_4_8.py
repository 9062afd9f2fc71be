"""The quasistatic flow (4.8) checked against GD on a valley F(x, y) = f(h(x) y).

**Section 4.4** (Ma, Kunin, Wu & Ying 2022).  Let f satisfy the conditions of Theorem 4.1
and h be smooth and positive.  Assuming y bounces on the period-2 orbit of the 1-D map at
the current x (4.7), eta f'(h y) h = 2y, the GD update of x (4.6) becomes

    x_{t+1} = x_t - 2 y_t^2 grad log h(x_t)                                    (4.8)

-- GD on log h driven by the oscillation -- which "makes sense when h(x) changes slowly".
The orbit, hence the motion, exists only while eta h(x)^2 f''(0) > 2: the flow stops where
h falls to the halting level sqrt(2/(eta f''(0))).

What :func:`check_quasistatic_4_8` computes:

* hypotheses -- the profile f satisfies Theorem 4.1's hypotheses (interval certificates);
  h is positive along both trajectories and has no switches (Piecewise, |.|) (numeric and
  symbolic); the quasistatic regime, measured as the largest relative change of h in one
  step of the flow, at most :data:`SLOW` (numeric);
* constants -- the halting level h*, the predicted stopping point (1-D manifold: the root of
  h(x) = h* along the flow, by Brent's method), the amplitude |y| at x0;
* proof step -- (4.7): GD's |y_t| against the amplitude y(x_t) = x_{eta h^2}(f)/h of the
  core, after a transient of :data:`TRANSIENT` steps;
* conclusion -- (a) tracking: max_t |x_GD(t) - x_QS(t)| <= :data:`TRACKING` x the distance
  the flow travels; (b) stopping: GD does not pass the halting level by more than
  :data:`STOPPING` x |h(x0) - h*|, and where it stops (h(x_t) settled to within
  :data:`SETTLED` x |h(x0) - h*| over the last tenth of the run) is within
  :data:`STOPPING` x |h(x0) - h*| of h*; if it still creeps (f1's orbit amplitude vanishes
  linearly at the threshold, so h approaches h* like 1/t), the limit extrapolated from the
  last half of the run by h(t) = h_oo + A/(t + B) is used once 80% of the way is done.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import sympy as sp
from scipy.optimize import brentq, curve_fit

from proofs_check._gd import gradient_descent
from proofs_check._inputs import CheckInputError, gd_memory, learning_rates, positive_integer
from proofs_check._onedim import analysis
from proofs_check._results import Check, ClaimResult, Constant, Status, combine
from proofs_check.theorem_4_1 import theorem_hypotheses
from theory import quasistatic, resolve_function
from theory.catalog import Valley

CLAIM = "Quasistatic flow (4.8)"
#: the quasistatic regime: largest relative change of h per step of the flow
SLOW = 1e-2
#: tracking tolerance, relative to the distance travelled by the flow
TRACKING = 2e-2
#: stopping tolerance, relative to |h(x0) - h*|
STOPPING = 5e-2
#: GD has stopped when h varies by less than this (relative to |h(x0) - h*|) over the last
#: tenth of the run
SETTLED = 1e-3
#: GD steps ignored before comparing |y_t| with the orbit amplitude
TRANSIENT = 50
#: (4.7) tolerance on |y_GD - y(x_GD)|, relative to the largest amplitude
AMPLITUDE = 2e-2
#: the paper's settings for its Fig. 4.2
PAPER_SETTINGS: dict[str, dict[str, Any]] = {
    "fig4.2": {"eta": 3.0, "x0": (1.0,), "y0": 1.0, "steps": 6000}}


def _valley(function) -> Valley:
    if isinstance(function, str):
        function = resolve_function(function)
    if not isinstance(function, Valley):
        raise CheckInputError(
            f"function={function!r} must be a theory.catalog.Valley F(x, y) = f(h(x) y) (or a "
            "catalog name of one, e.g. 'fig4.2'); the quasistatic flow (4.8) is defined on "
            "valleys only"
        )
    return function


def _extrapolated_limit(values: np.ndarray) -> float | None:
    """h_oo of a fit h(t) = h_oo + A/(t + B) on the last half of the series (None if the fit
    fails)."""
    n = values.size
    t = np.arange(n // 2, n, dtype=float)
    tail = values[n // 2:]
    try:
        with np.errstate(all="ignore"):
            params, _ = curve_fit(lambda s, lim, a, b: lim + a / (s + b), t, tail,
                                  p0=[tail[-1], (tail[0] - tail[-1]) * n, float(n) / 4],
                                  maxfev=20000)
    except (RuntimeError, ValueError):
        return None
    return float(params[0]) if np.isfinite(params[0]) else None


def _stopping_point(valley: Valley, x0: np.ndarray, direction: np.ndarray, level: float
                    ) -> float | None:
    """For a 1-D manifold: the x where h(x) = level, searched along the flow's direction."""
    if x0.size != 1:
        return None

    def gap(s):
        return float(valley.flatness(np.array([x0[0] + s * direction[0]]))) - level

    if gap(0.0) <= 0:
        return float(x0[0])
    far = 1.0
    while gap(far) > 0 and far < 1e12:
        far *= 2
    if gap(far) > 0:
        return None
    return float(x0[0] + brentq(gap, 0.0, far, xtol=1e-12) * direction[0])


def check_quasistatic_4_8(function, eta=None, *, x0=None, y0=None, steps=None
                          ) -> ClaimResult:
    """Check the quasistatic flow (4.8) on a valley (a Valley or catalog name such as
    ``"fig4.2"``): GD at learning rate ``eta`` from (x0, y0) against (4.8) from x0, for
    ``steps`` steps.  Defaults: the paper's settings for fig4.2 (eta 3, (1, 1), 6000 steps);
    otherwise x0 = 0, eta = 1.5 x 2/(h(x0)^2 f''(0)), y0 = the orbit amplitude at x0, 6000
    steps."""
    valley = _valley(function)
    d = len(valley.x)
    paper = PAPER_SETTINGS.get(valley.name, {})
    start = np.zeros(d) if x0 is None and "x0" not in paper else np.asarray(
        paper.get("x0") if x0 is None else x0, dtype=float).reshape(-1)
    if start.shape != (d,) or not np.all(np.isfinite(start)):
        raise CheckInputError(f"x0={x0!r} must be {d} finite manifold coordinate(s)")
    h0 = float(valley.flatness(start[None])[0])
    if not (math.isfinite(h0) and h0 > 0):
        raise CheckInputError(f"x0={start.tolist()}: h(x0) = {h0} must be finite and positive")
    threshold = float(valley.f.threshold)
    default_eta = paper.get("eta", 1.5 * threshold / h0**2)
    etas = learning_rates(eta, [default_eta])
    if len(etas) != 1:
        raise CheckInputError(f"eta={eta!r}: the quasistatic check takes one learning rate")
    (eta_value,) = etas
    n_steps = positive_integer("steps", paper.get("steps", 6000) if steps is None else steps)
    gd_memory("check_quasistatic_4_8", 1, n_steps, d + 1)
    amplitude0 = float(quasistatic.amplitude(valley, start[None], eta_value)[0])
    y_start = paper.get("y0", amplitude0) if y0 is None else float(y0)
    if not math.isfinite(y_start):
        raise CheckInputError(f"y0={y0!r} must be finite")

    # ---------------------------------------------------------------- hypotheses
    profile = theorem_hypotheses(analysis(valley.f))
    used = [h for h in profile if h.used_by_proof]
    profile_status = combine(h.status for h in used)
    failing = [h.name for h in used if h.status is not Status.HOLDS]
    q1 = Check("profile f: Theorem 4.1", "f satisfies the conditions of Theorem 4.1 (Section 4.4)",
               profile_status, "interval", all(h.certified for h in used),
               f"all of {len(used)} hypotheses of Theorem 4.1 hold for {valley.f.name}"
               if not failing else f"{valley.f.name}: not established: {', '.join(failing)}",
               data={"hypotheses": [h.to_dict() for h in profile]})

    # ---------------------------------------------------------------- runs
    land = valley.landscape
    gd = gradient_descent(land.gradient, np.concatenate([start, [y_start]])[None], eta_value,
                          n_steps)
    path = gd.path[:, 0, :]
    x_gd, y_gd = path[:, :d], np.abs(path[:, d])
    flow = quasistatic.quasistatic_flow(valley, start, eta_value, n_steps)
    h_gd = valley.flatness(x_gd)
    h_qs = flow.h
    level = flow.halting_level

    switches = valley.h.has(sp.Piecewise, sp.Abs, sp.sign, sp.Max, sp.Min, sp.Heaviside)
    positive = bool(np.all(np.isfinite(h_gd)) and np.all(h_gd > 0) and np.all(h_qs > 0))
    q2 = Check("h smooth, positive", "h is a smooth positive function (Section 4.4)",
               Status.HOLDS if positive and not switches else Status.FAILS,
               "numeric", False,
               f"h = {valley.h}: {'no' if not switches else 'has'} switches; min h along GD "
               f"{np.nanmin(h_gd):.6g}, along (4.8) {np.min(h_qs):.6g}")
    with np.errstate(all="ignore"):
        change = np.abs(np.diff(h_qs)) / h_qs[:-1]
    slow = float(np.nanmax(change)) if change.size else 0.0
    q3 = Check("quasistatic regime", f"h changes slowly: max_t |h(x_t+1) - h(x_t)|/h(x_t) <= "
               f"{SLOW:g} along (4.8) (Section 4.4: 'h(x) changes slowly compared with the "
               f"moving speed of x')", Status.HOLDS if slow <= SLOW else Status.FAILS,
               "numeric", False, f"largest relative change of h in one step: {slow:.3g}")
    hypotheses = (q1, q2, q3)

    # ---------------------------------------------------------------- constants
    direction = -valley.grad_log_h(start[None])[0]
    norm = float(np.linalg.norm(direction))
    predicted = _stopping_point(valley, start, direction / norm, level) if norm > 0 else None
    constants = [
        Constant("halting level h*", level, note="sqrt(2/(eta f''(0))): (4.8) stops where "
                 "h(x) <= h*"),
        Constant("amplitude |y(x0)|", amplitude0, note="x_{eta h^2}(f)/h at x0 (core)"),
    ]
    if predicted is not None:
        constants.append(Constant("predicted stop x*", predicted,
                                  note="h(x*) = h* along the initial direction of (4.8)"))

    # ---------------------------------------------------------------- (4.7)
    amplitude = quasistatic.amplitude(valley, x_gd, eta_value)
    after = slice(min(TRANSIENT, n_steps), None)
    scale_y = max(float(np.max(amplitude)), 1e-300)
    gap_y = float(np.max(np.abs(y_gd[after] - amplitude[after]))) / scale_y
    step = Check("(4.7) y on the orbit", "(4.7): |y_t| = x_{eta h(x_t)^2}(f)/h(x_t), the period-2 "
                 "amplitude at the current x", Status.HOLDS if gap_y <= AMPLITUDE else Status.FAILS,
                 "numeric", False,
                 f"after {TRANSIENT} steps, max | |y_GD| - y(x_GD) | = {gap_y:.3g} x max amplitude "
                 f"(tolerance {AMPLITUDE:g})")

    # ---------------------------------------------------------------- conclusion
    travel = float(np.max(np.linalg.norm(flow.x - start, axis=-1)))
    tracking = float(np.max(np.linalg.norm(x_gd - flow.x, axis=-1))) / max(travel, 1e-300)
    spread = abs(h0 - level)
    overshoot = float(level - np.min(h_gd)) / max(spread, 1e-300)
    tail = h_gd[-max(2, n_steps // 10):]
    settled = float(np.max(tail) - np.min(tail)) <= SETTLED * spread
    progress = (h0 - float(h_gd[-1])) / max(spread, 1e-300)
    limit = _extrapolated_limit(h_gd[1::2]) if n_steps >= 200 and not settled else None
    verdicts = [(Status.HOLDS if tracking <= TRACKING else Status.FAILS,
                 f"tracking: max_t |x_GD - x_QS| = {tracking:.3g} x the flow's travel "
                 f"{travel:.4g} (tolerance {TRACKING:g})")]
    where = (f"after {n_steps} steps h = {h_gd[-1]:.6g}, x = {x_gd[-1].round(4).tolist()}"
             + (f" (x* = {predicted:.6g})" if predicted is not None else ""))
    stop_error = None
    if overshoot > STOPPING:
        verdicts.append((Status.FAILS, f"GD passes the halting level h* = {level:.6g} by "
                         f"{overshoot:.3g} x |h(x0) - h*| (min h(x_t) = {np.min(h_gd):.6g})"))
    elif settled:
        stop_error = abs(float(h_gd[-1]) - level) / max(spread, 1e-300)
        verdicts.append((Status.HOLDS if stop_error <= STOPPING else Status.FAILS,
                         f"stopping: GD has stopped (h varies by < {SETTLED:g} x |h(x0) - h*| "
                         f"over the last tenth) at {stop_error:.3g} x |h(x0) - h*| from h* = "
                         f"{level:.6g} (tolerance {STOPPING:g}); {where}"))
    elif progress >= 0.8 and limit is not None:
        stop_error = abs(limit - level) / max(spread, 1e-300)
        verdicts.append((Status.HOLDS if stop_error <= STOPPING else Status.UNKNOWN,
                         f"stopping: GD still creeps towards h* = {level:.6g}; the limit of "
                         f"h(x_t) extrapolated by h_oo + A/(t + B) is {limit:.6g}, "
                         f"{stop_error:.3g} x |h(x0) - h*| from h* (tolerance {STOPPING:g}); "
                         f"{where}"))
    else:
        verdicts.append((Status.UNKNOWN, f"stopping: GD still moving, {progress:.0%} of the way "
                         f"from h(x0) = {h0:.6g} to h* = {level:.6g}; {where}"))
    conclusion = Check(
        "GD follows (4.8), stops where predicted",
        "on a slowly varying valley GD's manifold coordinate follows (4.8) and stops where "
        "eta h(x)^2 f''(0) = 2 (Section 4.4, Fig. 4.2)",
        combine(s for s, _ in verdicts), "simulation", False,
        "; ".join(t for _, t in verdicts),
        data={"eta": eta_value, "x0": start.tolist(), "y0": y_start, "steps": n_steps,
              "tracking": tracking, "travel": travel, "stop_error": stop_error,
              "extrapolated_h": limit, "overshoot": overshoot, "settled": settled,
              "final_x_gd": x_gd[-1].tolist(),
              "final_x_qs": flow.x[-1].tolist(), "halted_at": flow.halted_at},
    )
    notes = []
    result = ClaimResult(CLAIM, valley.name, (eta_value,), hypotheses, tuple(constants), (step,),
                         conclusion)
    if not result.applies:
        missing = ", ".join(h.name for h in hypotheses if h.status is not Status.HOLDS)
        notes.append(f"hypotheses not established ({missing}); "
                     f"the conclusion {conclusion.status.value}")
    return ClaimResult(CLAIM, valley.name, (eta_value,), hypotheses, tuple(constants), (step,),
                       conclusion, tuple(notes))
