"""Theorem 4.3 checks: the statements, the simulations both paths share and the result.

See :mod:`proofs_check.theorem_4_3` for what is checked.
"""

from __future__ import annotations

import math

import numpy as np

from proofs_check._gd import BLOW_UP, gradient_descent
from proofs_check._results import ClaimResult, Status

CLAIM = "Theorem 4.3"
#: default learning rates, as multiples of the threshold 2/lambda_max(Hessian at x*)
DEFAULT_FACTORS = (0.5, 2.5, 10.0)
#: learning rates of the paper's figures, used as defaults for the catalog entries
PAPER_LEARNING_RATES = {
    "f1": (1.0, 3.0, 5.0),
    "f2": (0.2, 0.5, 2.0),
    "f3": (0.1, 0.3, 1.0),
    "fig4.2": (3.0,),
    "fig5.1": (0.25, 2.5),
}
#: r1 when no point satisfies |grad f| >= (2c/eta)|x - x*| (relative to the scale)
R1_FLOOR = 1e-6
#: GD steps after entering B_{R_eta} during which the trajectories must stay inside
STAY_STEPS = 300

STATEMENT_C1 = ("grad f is continuous: the GD map h(x) = x - eta grad f(x) is continuous "
                "(what the proof of Theorem 4.3 uses)")
STATEMENT_C2 = "f is twice continuously differentiable (Definition 4.1)"
STATEMENT_MIN = "f has a unique global (and local) minimum x* (Definition 4.1)"
STATEMENT_RATIO = "lim_{|x|->oo} |grad f(x)|/|x| = 0 (Definition 4.1)"
STATEMENT_ANGLE = ("grad f(x)^T (x - x*) >= c |grad f(x)| |x - x*| for all x, with a constant "
                   "c > 0 (Definition 4.1)")
STATEMENT_45 = "(4.5): |x - eta grad f(x)| < |x| for |x - x*| > r1 (proof of Theorem 4.3)"
STATEMENT_INVARIANT = ("B_{R_eta}(x*) is invariant: |h(x) - x*| <= R_eta on it (proof of "
                       "Theorem 4.3)")
STATEMENT_CONCLUSION = ("for every eta > 0 there is R_eta such that every GD trajectory "
                        "eventually stays in B_{R_eta}(x*) (Theorem 4.3)")


def _result(name, etas, hypotheses, constants, steps, conclusion) -> ClaimResult:
    notes = []
    failed = [h.name for h in hypotheses if h.used_by_proof and h.status is Status.FAILS]
    letter = [h.name for h in hypotheses if not h.used_by_proof and h.status is Status.FAILS]
    if failed:
        notes.append(f"Definition 4.1 not met ({', '.join(failed)}): Theorem 4.3 does not "
                     f"apply; the conclusion {conclusion.status.value}")
    if letter:
        notes.append(f"outside the letter of Definition 4.1 ({', '.join(letter)}), which the "
                     "proof does not use")
    return ClaimResult(CLAIM, name, etas, hypotheses, constants, steps, conclusion,
                       tuple(notes))



def _simulate(gradient, center, eta, r_eta, scale, starts, seed, max_steps, dim, *,
              invariant: bool = True) -> dict:
    """GD from starts in B_{max(2 R_eta, scale)} (B_{10 scale} when R_eta is unknown) until every
    trajectory has spent the last STAY_STEPS steps inside B_{R_eta}; plus far probes.

    ``invariant``: B_{R_eta} is the proof's invariant ball, so a trajectory that leaves it
    after entering refutes the proof (recorded in ``left_after_entry``).
    """
    rng = np.random.default_rng(seed)
    reach = max(2 * r_eta, scale) if r_eta is not None else 10 * scale
    norms = reach * np.exp(rng.uniform(np.log(1e-3), 0.0, starts))
    if dim is None:
        x = norms * rng.choice([-1.0, 1.0], starts)
        center_b = 0.0
    else:
        u = rng.standard_normal((starts, dim))
        x = center + norms[:, None] * (u / np.linalg.norm(u, axis=1, keepdims=True))
        center_b = center

    def dist(p):
        return np.abs(p - center_b) if dim is None else np.linalg.norm(p - center_b, axis=-1)

    entered_at = np.full(starts, -1)
    last_outside = np.zeros(starts, dtype=int)
    # with (4.5) outside B_r1 and B_R invariant, |x_t - x*| <= max(|x_0 - x*|, R) for all t
    allowed = np.maximum(dist(x), r_eta if r_eta is not None else np.inf)
    escaped = 0.0
    steps = 0
    diverged = False
    unrepresentable = None
    left_after_entry = 0.0
    while steps < max_steps:
        chunk = min(500, max_steps - steps)
        run = gradient_descent(gradient, x, eta, chunk)
        d = dist(run.path)
        if run.unrepresentable.any():  # no verdict from numbers the floats could not hold
            lost = int(np.flatnonzero(run.unrepresentable)[0])
            assert run.unrepresentable_at is not None  # flagged points have a step
            unrepresentable = [float(v) for v in
                               run.path[int(run.unrepresentable_at[lost]) - 1, lost]]
            steps += chunk
            break
        if run.diverged.any():
            diverged = True
            steps += chunk
            break
        if r_eta is not None:
            escaped = max(escaped, float(np.max(d / allowed)) - 1.0)
            inside = d <= r_eta * (1 + 1e-12)
            for i in range(starts):
                outside = np.flatnonzero(~inside[:, i])
                if outside.size:
                    last_outside[i] = steps + int(outside[-1])
                hits = np.flatnonzero(inside[:, i])
                if entered_at[i] < 0 and hits.size:
                    entered_at[i] = steps + int(hits[0])
                if entered_at[i] >= 0:
                    after = d[max(0, entered_at[i] - steps):, i]
                    if after.size and after.max() > r_eta * (1 + 1e-12):
                        left_after_entry = max(left_after_entry, float(after.max()))
        x = run.final
        steps += chunk
        if r_eta is not None and np.all(steps - last_outside >= STAY_STEPS):
            break
    probes = _far_probes(gradient, center, eta, r_eta if r_eta is not None else scale, dim)
    settled = (steps - last_outside >= STAY_STEPS) if r_eta is not None else np.zeros(starts, bool)
    return {
        "eta": eta,
        "R_eta": r_eta,
        "invariant_ball": invariant,
        "starts": int(starts),
        "seed": int(seed),
        "start_radius": float(reach),
        "steps": int(steps),
        "diverged": diverged,
        "unrepresentable_at": unrepresentable,
        "settled": int(settled.sum()),
        "last_exit_step": int(np.max(last_outside)) if r_eta is not None else -1,
        "left_after_entry": left_after_entry,
        "escaped": escaped,
        "final_max_distance": float(np.max(dist(x))),
        "far_probes": probes,
    }


def _far_probes(gradient, center, eta, r, dim) -> dict:
    """GD for 200 steps from 10 ... 10^4 r along axes and diagonals: blow-ups and points
    that do not move (stationary far away) are counterexamples to Theorem 4.3."""
    if dim is None:
        units = np.array([[1.0], [-1.0]])
    else:
        eye = np.eye(dim)
        diag = np.ones(dim) / math.sqrt(dim)
        units = np.concatenate([eye, -eye, diag[None], -diag[None]])
    radii = r * np.array([10.0, 100.0, 1e3, 1e4])
    pts = (center + radii[:, None, None] * units[None]).reshape(-1, units.shape[1])
    x0 = pts[:, 0] if dim is None else pts
    run = gradient_descent(gradient, x0, eta, 200)
    start_norm = np.linalg.norm(pts - center, axis=-1)
    with np.errstate(all="ignore"):
        g0 = np.asarray(gradient(x0), dtype=float).reshape(pts.shape)
    stuck = np.all(g0 == 0, axis=-1)
    out: dict[str, object] = {"points": int(pts.shape[0]), "diverged": int(run.diverged.sum()),
           "stationary": int(stuck.sum()), "unrepresentable": int(run.unrepresentable.sum())}
    if run.unrepresentable.any():
        i = int(np.flatnonzero(run.unrepresentable)[0])
        assert run.unrepresentable_at is not None  # flagged points have a step
        out["unrepresentable_at"] = [float(v) for v in
                                     run.path[int(run.unrepresentable_at[i]) - 1, i]]
    if run.diverged.any():
        i = int(np.flatnonzero(run.diverged)[0])
        out["diverged_from"] = pts[i].tolist()
        out["diverged_at_step"] = int(run.diverged_at[i])
    if stuck.any():
        i = int(np.argmax(np.where(stuck, start_norm, -1)))
        out["stationary_at"] = pts[i].tolist()
    return out


def _verdict(summary: dict, eta: float) -> tuple[Status, str]:
    probes = summary["far_probes"]
    lost = summary.get("unrepresentable_at") or probes.get("unrepresentable_at")
    if lost is not None and not (summary["diverged"] or probes["diverged"]):
        return Status.UNKNOWN, (f"eta = {eta:.6g}: derivative not representable: grad f is "
                                f"NaN at x = {np.round(lost, 6).tolist()} (its "
                                "form overflowed), so the float GD decides nothing there")
    if summary["diverged"] or probes["diverged"]:
        where = probes.get("diverged_from")
        return Status.FAILS, (f"eta = {eta:.6g}: GD diverges"
                              + (f" from x0 = {np.round(where, 4).tolist()} (norm > "
                                 f"{BLOW_UP:g}, or 1e50 x the start as grad f overflowed, "
                                 f"after {probes['diverged_at_step']} steps)" if where else ""))
    if probes["stationary"]:
        return Status.FAILS, (f"eta = {eta:.6g}: GD does not move from "
                              f"{np.round(probes['stationary_at'], 4).tolist()} (grad f = 0 far "
                              "from x*)")
    r_eta = summary["R_eta"]
    if r_eta is None:
        return Status.UNKNOWN, (f"eta = {eta:.6g}: no R_eta from the proof; {summary['starts']} "
                                f"trajectories from |x0| <= {summary['start_radius']:.3g} end "
                                f"within {summary['final_max_distance']:.4g} after "
                                f"{summary['steps']} steps; no divergence from far points")
    if summary["invariant_ball"] and summary["escaped"] > 1e-9:
        return Status.FAILS, (f"eta = {eta:.6g}: a trajectory went {summary['escaped']:.3g} x "
                              f"farther than max(|x0 - x*|, R_eta = {r_eta:.6g}), which (4.5) "
                              "and the invariance of B_R forbid")
    if summary["invariant_ball"] and summary["left_after_entry"] > 0:
        return Status.FAILS, (f"eta = {eta:.6g}: a trajectory left the invariant ball B_R "
                              f"after entering it (|x - x*| = {summary['left_after_entry']:.6g} "
                              f"> R_eta = {r_eta:.6g})")
    if summary["settled"] < summary["starts"]:
        return Status.UNKNOWN, (f"eta = {eta:.6g}: {summary['settled']} of {summary['starts']} "
                                f"trajectories stay in B_R (R_eta = {r_eta:.6g}) over the last "
                                f"{STAY_STEPS} of {summary['steps']} steps")
    return Status.HOLDS, (f"eta = {eta:.6g}: all {summary['starts']} trajectories from "
                          f"|x0 - x*| <= {summary['start_radius']:.4g} are in B_R (R_eta = "
                          f"{r_eta:.6g}) from step {summary['last_exit_step'] + 1} on (checked "
                          f"for {STAY_STEPS} steps); far probes (10 ... 1e4 R_eta) neither "
                          f"diverge nor stall")


