"""Theorem 4.3 on a one-dimensional :class:`theory.Subquadratic`, certified with intervals.

The proof's constants r1, r2 and R_eta, (4.5) on (r1, R] and the invariance of
B_{R_eta}, each an interval certificate on [0, R]; the conclusion is simulated
(:mod:`proofs_check._theorem_4_3_shared`).  See :mod:`proofs_check.theorem_4_3`.
"""

from __future__ import annotations

import math

import numpy as np
import sympy as sp

from proofs_check import _hypotheses as hyp
from proofs_check import _theorem_4_3_shared as shared
from proofs_check._onedim import OneDimensional, exact, sympy_limit
from proofs_check._results import Check, ClaimResult, Constant, Status, combine
from theory import X_POS, Subquadratic


def definition_4_1_hypotheses(a: OneDimensional) -> tuple[Check, ...]:
    """The hypotheses of Definition 4.1 on a 1-D function: C^1, C^2, unique minimum, f'(x)/x
    -> 0 and the angle condition (c = 1 in 1-D)."""
    nonneg = a.certify(lambda d: d(1), ">=0", "f'(x) >= 0", open_at_lower=True)
    st, cert, text = hyp.certificate_status(nonneg)
    angle = Check("angle condition", shared.STATEMENT_ANGLE, st,
                  "interval" if nonneg else "none", cert,
                  f"{text}; in 1-D f'(x) x = |f'(x)| |x| wherever f'(x) x >= 0, so c = 1")
    last = a.formula(1, a.radius)
    limit = sympy_limit(last / X_POS, sp.oo)
    if limit is None:
        ratio = Check("|grad f|/|x| -> 0", shared.STATEMENT_RATIO, Status.UNKNOWN, "none", False,
                      "sympy could not take lim f'(x)/x")
    else:
        ratio = Check("|grad f|/|x| -> 0", shared.STATEMENT_RATIO,
                      Status.HOLDS if limit == 0 else Status.FAILS, "symbolic", True,
                      f"lim_(x->oo) f'(x)/x = {limit} (sympy, formula {last})")
    return (
        hyp.continuity(a, 1, used_by_proof=True, statement=shared.STATEMENT_C1),
        hyp.continuity(a, 2, used_by_proof=False, statement=shared.STATEMENT_C2),
        hyp.slope_positive(a, name="unique minimum", statement=shared.STATEMENT_MIN
                           + "; in 1-D: f'(x) > 0 for x > 0"),
        ratio,
        angle,
    )


def _one_dimensional(f: Subquadratic, etas, a: OneDimensional, starts: int, seed: int,
                     max_steps: int) -> ClaimResult:
    hypotheses = definition_4_1_hypotheses(a)
    angle = hypotheses[-1]
    constants = [Constant("c", 1.0, 1.0, 1.0, certified=angle.status is Status.HOLDS,
                          note="Definition 4.1's constant (1-D: c = 1)")]
    steps: list[Check] = []
    verdicts = []
    summaries = []
    scale = a.scale
    stuck = _flat_tail(a)
    for eta in etas:
        radii = proof_radii_1d(a, eta)
        if radii is None:
            verdicts.append((Status.UNKNOWN, f"eta = {eta:.6g}: r2 not computable"))
            continue
        r1, r1_note, r2_lo, r2_hi, r_eta = radii
        constants.append(Constant(f"r1 (eta={eta:.6g})", r1, certified=False, note=r1_note))
        constants.append(Constant(f"r2 = R_eta (eta={eta:.6g})", r_eta, r2_lo, r_eta,
                                  certified=True,
                                  note=f"max_(|x|<=r1) |x - eta f'(x)| in [{r2_lo:.10g}, "
                                       f"{r2_hi:.10g}] (certified), R_eta = max(r1, r2)"))
        proof = (_inequality_4_5_1d(a, eta, r1), _invariance_1d(a, eta, r_eta))
        steps += proof
        summary = shared._simulate(f.df, np.zeros(1), eta, r_eta, scale, starts, seed, max_steps,
                            dim=None)
        summaries.append(summary)
        verdicts.append(_against_proof(shared._verdict(summary, eta), proof, summary, a))
    if stuck is not None:
        verdicts.append((Status.FAILS, stuck))
    conclusion = Check("GD ends in B_{R_eta}", shared.STATEMENT_CONCLUSION,
                       combine(s for s, _ in verdicts),
                       "symbolic" if stuck else "simulation", bool(stuck),
                       "; ".join(t for _, t in verdicts), data={"simulations": summaries})
    return shared._result(f.name, etas, hypotheses, constants, steps, conclusion)


def _against_proof(verdict: tuple[Status, str], proof: tuple[Check, ...], summary: dict,
                   a: OneDimensional) -> tuple[Status, str]:
    """A simulated FAIL that the certified proof steps exclude is a float artefact: unknown.

    With (4.5) certified on (r1, R] and B_{R_eta} certified invariant, every trajectory from
    |x0| <= R stays within max(|x0|, R_eta) and no point of (r1, R] is stationary; a float
    GD that diverges or stalls there computed a derivative the floats could not hold (an
    overflowed form), and a FAIL drawn from it would not be certified by anything.
    """
    status, text = verdict
    if status is not Status.FAILS or not all(
            c.status is Status.HOLDS and c.certified for c in proof):
        return verdict
    probes = summary["far_probes"]
    where = probes.get("diverged_from") or probes.get("stationary_at")
    start = abs(float(np.ravel(where)[0])) if where is not None else summary["start_radius"]
    if not start <= a.radius:
        return verdict
    return Status.UNKNOWN, (f"{text}; but (4.5) and the invariance of B_R are certified on "
                            f"(0, {a.radius:.3g}], which bound every trajectory from |x0| <= "
                            "R by max(|x0|, R_eta) and exclude stationary points there: the "
                            "float GD is wrong here (a derivative form overflowed or lost its "
                            "digits), not a counterexample")


def _flat_tail(a: OneDimensional) -> str | None:
    """Counterexample: f' = 0 exactly on the unbounded last cell (stationary points)."""
    if not a.boundaries:
        return None
    last = a.cell_formulas(1)[-1]
    if last == 0:
        b = a.boundaries[-1]
        return (f"f'(x) = 0 exactly for |x| > {b} (sympy): every such x is a fixed point of GD, "
                f"so no ball B_R contains the tail of every trajectory")
    return None


def proof_radii_1d(a: OneDimensional, eta: float):
    """(r1, note, r2 lower, r2 upper, R_eta) of the proof for a 1-D f, or None."""
    r1, r1_note = _r1(a, eta)
    e = exact(eta)
    m_plus = a.maximum(lambda d: X_POS - e * d(1), 0.0, r1)
    m_minus = a.maximum(lambda d: e * d(1) - X_POS, 0.0, r1)
    if m_plus is None or m_minus is None:
        return None
    r2_hi = max(m_plus.value_upper, m_minus.value_upper)
    r2_lo = max(m_plus.value_lower, m_minus.value_lower)
    return r1, r1_note, r2_lo, r2_hi, math.nextafter(max(r1, r2_hi), math.inf)


def _r1(a: OneDimensional, eta: float) -> tuple[float, str]:
    """r1: beyond it eta f'(x) < 2x (|grad f| < (2c/eta)|x| with c = 1)."""
    grid = a.scale * np.geomspace(1e-8, 1e8, 3201)
    with np.errstate(all="ignore"):
        g = eta * np.asarray(a.f.df(grid)) - 2 * grid
    above = np.flatnonzero(~(g < 0))
    floor = shared.R1_FLOOR * a.scale
    if above.size == 0:
        return floor, (f"eta f'(x) < 2x on the whole grid: any r1 > 0 works; r1 = "
                       f"{shared.R1_FLOOR:g} x scale")
    k = above[-1]
    guess = float(grid[k])
    if k + 1 < grid.size:
        try:
            roots = a.f.periodic_points(eta)
        except (ValueError, ArithmeticError, RuntimeError):  # MslValueError included
            roots = ()
        near = [r for r in roots if grid[k] <= r <= grid[k + 1]]
        enclosure = a.enclose_x_eta(eta, near[-1] if near else guess)
        if enclosure is not None:
            return max(enclosure.upper, floor), (
                f"largest root of eta f'(x) = 2x, enclosed in [{enclosure.lower:.17g}, "
                f"{enclosure.upper:.17g}]")
        return max(float(grid[k + 1]), floor), ("first float grid point beyond the last "
                                                "x with eta f'(x) >= 2x")
    return float(grid[-1]), "eta f'(x) >= 2x up to the end of the grid"


def _inequality_4_5_1d(a: OneDimensional, eta: float, r1: float) -> Check:
    positive = a.certify(lambda d: d(1), ">0", "f'(x) > 0", lo=r1, open_at_lower=True)
    below = a.sign_of_residual(eta, "<0", lo=r1)
    certs = [c for c in (positive, below) if c is not None]
    statuses = [hyp.certificate_status(c)[0] for c in (positive, below)]
    status = combine(statuses)
    return Check(f"(4.5) (eta={eta:.6g})", shared.STATEMENT_45 + "; 1-D: 0 < eta f'(x) < 2x",
                 status, "interval", status is not Status.UNKNOWN,
                 "; ".join(c.describe() for c in certs) or "not translatable",
                 data={"certificates": [c.to_dict() for c in certs]})


def _invariance_1d(a: OneDimensional, eta: float, r_eta: float) -> Check:
    e = exact(eta)
    bound = sp.Rational(r_eta)
    upper = a.certify(lambda d: X_POS - e * d(1) - bound, "<=0", "x - eta f'(x) <= R_eta",
                      hi=r_eta)
    lower = a.certify(lambda d: e * d(1) - X_POS - bound, "<=0", "x - eta f'(x) >= -R_eta",
                      hi=r_eta)
    certs = [c for c in (upper, lower) if c is not None]
    status = combine(hyp.certificate_status(c)[0] for c in (upper, lower))
    return Check(f"B_R invariant (eta={eta:.6g})",
                 shared.STATEMENT_INVARIANT + f"; R_eta = {r_eta:.10g}", status, "interval",
                 status is not Status.UNKNOWN,
                 "; ".join(c.describe() for c in certs) or "not translatable",
                 data={"certificates": [c.to_dict() for c in certs]})


