"""Theorem 4.1 checked on a concrete function.

**Theorem 4.1** (Ma, Kunin, Wu & Ying 2022, Section 4.1).  Assume f satisfies the
conditions of Lemma 4.1 and f''(s) < f''(t) for any |s| > |t|.  Then, except for a
zero-measure set of x_0, GD (4.1) x_{t+1} = x_t - eta f'(x_t) converges to 0 if
eta <= 2/f''(0), and to the periodic solution {+x_eta, -x_eta} otherwise.

*Proof* (paper): for eta <= 2/f''(0), |x - eta f'(x)| < |x| for x != 0.  For
eta > 2/f''(0), the distance to the orbit shrinks, |x_{k+1} + x_eta| < |x_k - x_eta| for
x_k > 0 (4.2), because 0 < eta int_{x_eta}^{x_k} f'' < 2 (x_k - x_eta) (Case 1,
x_k > x_eta) and 0 < eta int_{x_k}^{x_eta} f'' < 2 (x_eta - x_k) (Case 2, x_k < x_eta).
Since int_{x_eta}^{x} f'' = f'(x) - 2 x_eta/eta, both cases say: eta f'(x) lies strictly
between 2x and 2x_eta.

What :func:`check_theorem_4_1` computes, at learning rates on both sides of the threshold:

* hypotheses -- those of Lemma 4.1 plus f'' strictly decreasing (interval certificate of
  f''' < 0 on (0, R], exact downward jumps);
* constants -- the threshold, certified enclosures of x_eta and of the cycle multiplier
  (1 - eta f''(x_eta))^2;
* proof steps -- for eta <= threshold, 0 < eta f'(x) < 2x on (0, R] (interval); for
  eta > threshold, (4.2) Cases 1 and 2 on (0, R] with intervals (eta f'(x) between 2x and
  2 x_eta away from x_eta; 0 < eta f'' < 2 on a neighbourhood of the enclosure of x_eta,
  where (4.2) follows from the mean value theorem), and (4.2) itself on a float grid;
* conclusion -- GD from seeded starting points (log-uniform in scale x [1e-2, 10]) until it
  converges (at most ``max_steps`` steps): the measured limit (0 or +-x_eta), the largest
  increase of the distance to the limit set between steps, divergence; where GD does not
  converge, its Lyapunov exponent and bound (what GD does instead).
"""

from __future__ import annotations

import math

import numpy as np
import sympy as sp

from proofs_check import _hypotheses as hyp
from proofs_check._arb import Interval, working_precision
from proofs_check._arb_compile import compile_arb
from proofs_check._gd import distance_to_orbit, gradient_descent, lyapunov_exponent, starting_points
from proofs_check._inputs import (
    gd_memory,
    learning_rates,
    positive_integer,
    subquadratic,
    valid_radius,
    valid_seed,
)
from proofs_check._onedim import DEFAULT_RADIUS, OneDimensional, analysis, exact
from proofs_check._results import Check, ClaimResult, Constant, Status, combine
from proofs_check.lemma_4_1 import lemma_hypotheses, x_eta_constant
from theory import X_POS, Subquadratic

CLAIM = "Theorem 4.1"
#: default learning rates, as multiples of the threshold 2/f''(0)
DEFAULT_FACTORS = (0.5, 1.0, 1.5, 2.5, 5.0)
#: GD has converged when the distance to the limit set is below this (relative to x_eta or
#: to the scale of f)
CONVERGED = 1e-8
#: at the threshold itself convergence is sublinear; |x_T| below this (relative) suffices
CONVERGED_AT_THRESHOLD = 5e-2
#: the distance to the limit set may grow by this much (relative) between steps (rounding)
ROUNDING = 1e-12


def theorem_hypotheses(a: OneDimensional) -> tuple[Check, ...]:
    """Lemma 4.1's hypotheses and strict decrease of f'' (Theorem 4.1)."""
    return (*lemma_hypotheses(a), hyp.second_derivative_strictly_decreasing(a))


# ---------------------------------------------------------------------------- proof steps
def _contraction_below_threshold(a: OneDimensional, eta: float) -> Check:
    statement = (f"eta = {eta:.6g} <= 2/f''(0): |x - eta f'(x)| < |x| for x != 0, i.e. "
                 "0 < eta f'(x) < 2x on (0, oo) (proof of Theorem 4.1)")
    positive = a.slope_positive
    below = a.sign_of_residual(eta, "<0")
    certs = [c for c in (positive, below) if c is not None]
    statuses = [hyp.certificate_status(c)[0] for c in (positive, below)]
    status = combine(statuses)
    text = "; ".join(c.describe() for c in certs) or "not translatable"
    return Check(f"contraction (eta={eta:.6g})", statement, status, "interval",
                 status is not Status.UNKNOWN, text,
                 data={"certificates": [c.to_dict() for c in certs]})


def _inequality_4_2_at(a: OneDimensional, eta: float, x: float, lower: float, upper: float
                       ) -> Interval:
    """|x - eta f'(x) + x_eta| - |x - x_eta| at a point, with x_eta in [lower, upper]."""
    with working_precision():
        slope = compile_arb(a.formula(1, x), X_POS)(Interval.point(x))
        x_eta = Interval.between(lower, upper)
        point = Interval.point(x)
        step = point - Interval.point(eta) * slope
        return (step + x_eta).abs() - (point - x_eta).abs()


def _inequality_4_2(a: OneDimensional, eta: float, lower: float, upper: float) -> Check:
    """(4.2) Cases 1 and 2 with intervals on (0, R], and (4.2) on a float grid."""
    statement = (f"(4.2) at eta = {eta:.6g}: |x - eta f'(x) + x_eta| < |x - x_eta| for "
                 "0 < x != x_eta; Case 1 (x > x_eta): 0 < eta int_{x_eta}^x f'' < 2(x - x_eta); "
                 "Case 2 (x < x_eta): 0 < eta int_x^{x_eta} f'' < 2(x_eta - x)")
    e = exact(eta)
    lo_q, hi_q = sp.Rational(lower), sp.Rational(upper)
    certificates: list = []
    for rho in (1e-3, 1e-6):
        near_lo, near_hi = lower * (1 - rho), upper * (1 + rho)
        plan = [
            ("Case 2: eta f'(x) > 2x", lambda d: e * d(1) - 2 * X_POS, ">0", 0.0, near_lo, True),
            ("Case 2: eta f'(x) < 2 x_eta", lambda d: e * d(1) - 2 * lo_q, "<0", 0.0, near_lo,
             True),
            ("near x_eta: eta f''(x) > 0", lambda d: e * d(2), ">0", near_lo, near_hi, False),
            ("near x_eta: eta f''(x) < 2", lambda d: e * d(2) - 2, "<0", near_lo, near_hi, False),
            ("Case 1: eta f'(x) > 2 x_eta", lambda d: e * d(1) - 2 * hi_q, ">0", near_hi,
             a.radius, False),
            ("Case 1: eta f'(x) < 2x", lambda d: e * d(1) - 2 * X_POS, "<0", near_hi, a.radius,
             False),
        ]
        certificates = []
        for name, build, relation, lo, hi, open_lo in plan:
            cert = a.certify(build, relation, name, lo=lo, hi=hi, open_at_lower=open_lo)
            certificates.append(cert)
        if all(c is not None and c.verified for c in certificates):
            break
        if any(c is not None and c.refuted for c in certificates):
            break
    grid = np.concatenate([a.scale * np.geomspace(1e-4, 1e4, 801),
                           lower * (1 + np.linspace(-0.5, 0.5, 201))])
    grid = grid[(grid > 0) & (np.abs(grid - lower) > 1e-9 * lower)]
    with np.errstate(all="ignore"):
        lhs = np.abs(grid - eta * np.asarray(a.f.df(grid)) + lower)
    rhs = np.abs(grid - lower)
    bad = grid[lhs >= rhs * (1 + ROUNDING)]
    numeric = (f"float grid of {grid.size} points: (4.2) violated at {bad.size}"
               + (f" (first x = {bad[0]:.6g})" if bad.size else ""))
    texts = [c.describe() for c in certificates if c is not None]
    data = {"certificates": [c.to_dict() for c in certificates if c is not None],
            "grid_violations": int(bad.size)}
    refuted = [c for c in certificates if c is not None and c.refuted]
    if refuted:
        x = refuted[0].counterexample
        assert x is not None  # a refuted certificate names its point
        gap = _inequality_4_2_at(a, eta, x, lower, upper)
        if gap.is_finite() and gap.lo > 0:
            text = (f"{refuted[0].describe()}; (4.2) itself fails at x = {x:.6g}: "
                    f"|x - eta f'(x) + x_eta| - |x - x_eta| in [{gap.bounds()[0]:.6g}, "
                    f"{gap.bounds()[1]:.6g}] > 0 (certified); {numeric}")
            return Check(f"(4.2) (eta={eta:.6g})", statement, Status.FAILS, "interval", True,
                         text, data=data)
        return Check(f"(4.2) (eta={eta:.6g})", statement, Status.FAILS, "interval", True,
                     f"{refuted[0].describe()} (the proof's case inequality fails); {numeric}",
                     data=data)
    if len(texts) == len(certificates) and all(c is not None and c.verified
                                               for c in certificates):
        return Check(f"(4.2) (eta={eta:.6g})", statement, Status.HOLDS, "interval", True,
                     "; ".join(texts) + f"; {numeric}", data=data)
    return Check(f"(4.2) (eta={eta:.6g})", statement, Status.UNKNOWN, "numeric", False,
                 "; ".join(texts) + f"; {numeric}", data=data)


# ---------------------------------------------------------------------------- simulation
def simulate(f: Subquadratic, eta: float, x_eta: float | None, scale: float, *, starts: int,
             seed: int, max_steps: int, threshold: float) -> dict:
    """GD from seeded starting points until converged (or ``max_steps``): a summary."""
    x0 = starting_points(scale, starts, seed, spread=(1e-2, 10.0))
    target = x_eta if x_eta is not None else 0.0
    reference = x_eta if x_eta is not None else scale
    at_threshold = x_eta is None and math.isclose(eta, threshold, rel_tol=1e-12)
    x = x0
    steps = 0
    worst_increase = 0.0
    diverged_at = -1
    history = []
    while steps < max_steps:
        chunk = min(1000, max_steps - steps)
        run = gradient_descent(f.df, x, eta, chunk)
        if run.diverged.any():
            diverged_at = steps + int(run.diverged_at[run.diverged][0])
            x = run.final
            steps += chunk
            break
        d = distance_to_orbit(run.path, target) if x_eta is not None else np.abs(run.path)
        increase = np.max(np.diff(d, axis=0) / np.maximum(d[:-1], reference))
        worst_increase = max(worst_increase, float(increase))
        history.append(run.path)
        x = run.final
        steps += chunk
        final = d[-1]
        if worst_increase > 1e-3 and steps >= 3000:
            break  # the distance to the limit set grows: (4.2) is violated, GD does not settle
        if x_eta is not None and np.all(final <= CONVERGED * reference):
            break
        if x_eta is None and not at_threshold and np.all(final <= CONVERGED * reference):
            break
    path = np.concatenate([h[:-1] for h in history] + [x[None]]) if history else x[None]
    if x_eta is not None:
        final_distance = distance_to_orbit(x, x_eta)
    else:
        final_distance = np.abs(x)
    burn = path.shape[0] // 2
    lyapunov = lyapunov_exponent(f.d2f, path, eta, burn) if path.shape[0] > 10 else None
    return {
        "eta": eta,
        "starts": int(starts),
        "seed": int(seed),
        "x0_range": [float(np.min(np.abs(x0))), float(np.max(np.abs(x0)))],
        "steps": int(steps),
        "limit": "0" if x_eta is None else f"+-{x_eta:.17g}",
        "max_final_distance": float(np.max(final_distance)),
        "relative_final_distance": float(np.max(final_distance) / reference),
        "worst_relative_increase": worst_increase,
        "diverged_at": diverged_at,
        "max_abs_x_after_burn_in": float(np.max(np.abs(path[burn:]))),
        "lyapunov_exponent": (None if lyapunov is None or not np.isfinite(lyapunov).any()
                              else float(np.nanmax(lyapunov))),
        "at_threshold": at_threshold,
        "final_states": [float(v) for v in x[:8]],
    }


def _verdict(summary: dict) -> tuple[Status, str]:
    eta = summary["eta"]
    if summary["diverged_at"] >= 0:
        return Status.FAILS, f"eta = {eta:.6g}: GD diverged at step {summary['diverged_at']}"
    relative = summary["relative_final_distance"]
    limit = summary["limit"]
    tail = (f"{summary['starts']} starts in [{summary['x0_range'][0]:.3g}, "
            f"{summary['x0_range'][1]:.3g}], {summary['steps']} steps")
    if summary["at_threshold"]:
        monotone = summary["worst_relative_increase"] <= 0
        if monotone and relative <= CONVERGED_AT_THRESHOLD:
            return Status.HOLDS, (f"eta = {eta:.6g} (threshold): |x_t| strictly decreasing, "
                                  f"max |x_T| = {summary['max_final_distance']:.3g} ({tail}; "
                                  "sublinear convergence)")
        status = Status.UNKNOWN if monotone else Status.FAILS
        return status, (f"eta = {eta:.6g} (threshold): max |x_T| = "
                              f"{summary['max_final_distance']:.3g}, largest relative increase "
                              f"{summary['worst_relative_increase']:.3g} ({tail})")
    if relative <= CONVERGED:
        return Status.HOLDS, (f"eta = {eta:.6g}: converged to {limit} (max distance "
                              f"{summary['max_final_distance']:.3g}; {tail})")
    lyapunov = summary["lyapunov_exponent"]
    instead = (f"max distance to {limit} still {summary['max_final_distance']:.3g}; |x_t| <= "
               f"{summary['max_abs_x_after_burn_in']:.4g} (bounded); Lyapunov exponent "
               + ("not estimated" if lyapunov is None else f"{lyapunov:.3g}")
               + (" > 0: chaotic" if lyapunov and lyapunov > 0 else ""))
    if summary["worst_relative_increase"] <= ROUNDING:
        return Status.UNKNOWN, (f"eta = {eta:.6g}: still converging after {tail} (distance "
                                f"non-increasing; {instead})")
    return Status.FAILS, (f"eta = {eta:.6g}: GD does not converge to {limit}: {instead}; the "
                          f"distance grew by up to {summary['worst_relative_increase']:.3g} "
                          f"(relative) in one step ({tail})")


def check_theorem_4_1(function: Subquadratic | str, eta=None, *,
                      radius: float = DEFAULT_RADIUS, starts: int = 48, seed: int = 0,
                      max_steps: int = 20000) -> ClaimResult:
    """Check Theorem 4.1 on ``function`` at ``eta`` (a number, a sequence, or None for
    0.5, 1, 1.5, 2.5 and 5 times the threshold).

    ``starts`` GD trajectories (seeded by ``seed``) per learning rate, at most
    ``max_steps`` steps each; the interval certificates cover [0, radius].
    """
    starts = positive_integer("starts", starts)
    seed = valid_seed(seed)
    max_steps = positive_integer("max_steps", max_steps)
    gd_memory("check_theorem_4_1", starts, max_steps)
    radius = valid_radius(radius)
    f = subquadratic(function)
    a = analysis(f, radius)
    threshold = float(f.threshold)
    etas = learning_rates(eta, [threshold * k for k in DEFAULT_FACTORS])
    hypotheses = theorem_hypotheses(a)
    t_lo, t_hi = a.threshold_interval.bounds()
    constants = [Constant("threshold 2/f''(0)", threshold, t_lo, t_hi, certified=True,
                          note=f"exact: {f.threshold}")]
    steps: list[Check] = []
    summaries = []
    verdicts: list[tuple[Status, str]] = []
    for value in etas:
        above = sp.Rational(value) > f.threshold
        x_eta = None
        if above:
            constant, record = x_eta_constant(a, value)
            if constant is None:
                steps.append(Check(f"(4.2) (eta={value:.6g})", "(4.2) needs x_eta",
                                   Status.UNKNOWN, "none", False,
                                   "no certified x_eta: " + record["evidence"]))
                summary = simulate(f, value, None, a.scale, starts=starts, seed=seed,
                                   max_steps=min(max_steps, 5000), threshold=threshold)
                summaries.append(summary)
                absent = record["status"] == "no root"
                verdicts.append((
                    Status.FAILS if absent else Status.UNKNOWN,
                    f"{record['evidence']}; GD instead: max |x_T| = "
                    f"{summary['max_final_distance']:.4g}, Lyapunov exponent "
                    f"{summary['lyapunov_exponent']}",
                ))
                continue
            constants.append(constant)
            x_eta = constant.value
            assert constant.lower is not None and constant.upper is not None  # certified
            with working_precision():
                d2 = compile_arb(a.formula(2, x_eta), X_POS)(
                    Interval.between(constant.lower, constant.upper))
                factor = Interval.point(1) - Interval.point(value) * d2
                m_lo, m_hi = factor.power(2).bounds()
            if math.isfinite(m_lo):
                constants.append(Constant(
                    f"cycle multiplier (eta={value:.6g})", (m_lo + m_hi) / 2, m_lo, m_hi,
                    certified=True, note="(1 - eta f''(x_eta))^2; the orbit attracts iff < 1"))
            steps.append(_inequality_4_2(a, value, constant.lower, constant.upper))
            if not record.get("core_inside", False):
                verdicts.append((Status.FAILS, record["evidence"]))
        else:
            steps.append(_contraction_below_threshold(a, value))
        summary = simulate(f, value, x_eta, a.scale, starts=starts, seed=seed,
                           max_steps=max_steps, threshold=threshold)
        summaries.append(summary)
        verdicts.append(_verdict(summary))
    status = combine(s for s, _ in verdicts)
    conclusion = Check(
        "GD converges to 0 or +-x_eta",
        "except for a zero-measure set of x_0, GD converges to 0 if eta <= 2/f''(0), otherwise "
        "to the periodic solution {+x_eta, -x_eta} (Theorem 4.1)",
        status, "simulation", False, "; ".join(text for _, text in verdicts),
        data={"simulations": summaries},
    )
    return ClaimResult(CLAIM, f.name, etas, hypotheses, tuple(constants), tuple(steps),
                       conclusion).noting_unmet_hypotheses()
