"""Theorem 4.3 (GD does not diverge on subquadratic functions) checked on a function.

**Definition 4.1** (Ma, Kunin, Wu & Ying 2022, Section 4.3).  A twice continuously
differentiable f: R^n -> R is *subquadratic* if it has a unique global (and local) minimum
x*, lim_{|x|->oo} |grad f(x)|/|x| = 0, and grad f(x)^T (x - x*) >= c |grad f(x)| |x - x*|
for all x, with a constant c > 0.

**Theorem 4.3.**  For a subquadratic f and any eta > 0 there is R_eta > 0 such that every
GD trajectory eventually stays in the closed ball B_{R_eta}(x*).

*Proof* (paper, x* = 0): choose r1 with |grad f(x)| < (2c/eta)|x| for |x| > r1; there
|x - eta grad f(x)| < |x| (4.5).  The GD map is continuous, so it maps B_{r1} into some
B_{r2}; B_{r2} (r2 >= r1) is invariant, and by (4.5) every trajectory enters it.

What :func:`check_theorem_4_3` computes:

* one-dimensional functions (:class:`theory.Subquadratic`) -- with intervals on [0, R]: grad
  f continuous (what the proof uses; C^2 is reported separately), f' > 0 on (0, R] (0 is
  the unique minimum and the only stationary point), f' >= 0 (the angle condition with
  c = 1), lim f'(x)/x = 0 (sympy); r1 (the largest root of eta f'(x) = 2x, certified
  enclosure; a floor of 1e-6 x scale when there is none), r2 (a certified upper bound of
  max_{|x| <= r1} |x - eta f'(x)|), R_eta = max(r1, r2); (4.5) on (r1, R] and the
  invariance |x - eta f'(x)| <= R_eta on [0, R_eta] (interval certificates);
* landscapes in n dimensions -- numerically (never certified): spheres of radii
  10^-3 ... 10^6 around x* along many directions give the ratio |grad f|/|x - x*|, the
  sampled constant c (the smallest cosine), r1, r2 and the checks of (4.5) and of the
  invariance of B_{R_eta}; random lines probe continuity of grad f and of the Hessian;
  several local minimisations and a symbolic test for valleys {x_i = 0} probe uniqueness;
* conclusion -- GD from seeded starting points in B_{max(2 R_eta, L)} (L the scale of f)
  until every trajectory has spent 300 steps inside B_{R_eta}; GD from far points
  (10 ... 10^4 x R_eta along the axes and diagonals) to find divergence or stationary points
  far away (counterexamples).
"""

from __future__ import annotations

import math

import numpy as np
import sympy as sp
from scipy.optimize import minimize

from proofs_check import _hypotheses as hyp
from proofs_check._gd import BLOW_UP, gradient_descent
from proofs_check._inputs import (
    any_function,
    learning_rates,
    positive_integer,
    valid_radius,
)
from proofs_check._onedim import DEFAULT_RADIUS, OneDimensional, analysis, exact, sympy_limit
from proofs_check._results import Check, ClaimResult, Constant, Status, combine
from proofs_check._sampling import RADII, directions, probe_continuity, sample_shells
from proofs_check._separable import decomposition
from theory import X_POS, Landscape, Subquadratic
from theory.catalog import Separable, TwoValley, Valley

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


# ============================================================================ 1-D
def _one_dimensional(f: Subquadratic, etas, a: OneDimensional, starts: int, seed: int,
                     max_steps: int) -> ClaimResult:
    nonneg = a.certify(lambda d: d(1), ">=0", "f'(x) >= 0", open_at_lower=True)
    st, cert, text = hyp.certificate_status(nonneg)
    angle = Check("angle condition", STATEMENT_ANGLE, st, "interval" if nonneg else "none", cert,
                  f"{text}; in 1-D f'(x) x = |f'(x)| |x| wherever f'(x) x >= 0, so c = 1")
    last = a.formula(1, a.radius)
    limit = sympy_limit(last / X_POS, sp.oo)
    if limit is None:
        ratio = Check("|grad f|/|x| -> 0", STATEMENT_RATIO, Status.UNKNOWN, "none", False,
                      "sympy could not take lim f'(x)/x")
    else:
        ratio = Check("|grad f|/|x| -> 0", STATEMENT_RATIO,
                      Status.HOLDS if limit == 0 else Status.FAILS, "symbolic", True,
                      f"lim_(x->oo) f'(x)/x = {limit} (sympy, formula {last})")
    hypotheses = (
        hyp.continuity(a, 1, used_by_proof=True, statement=STATEMENT_C1),
        hyp.continuity(a, 2, used_by_proof=False, statement=STATEMENT_C2),
        hyp.slope_positive(a, name="unique minimum", statement=STATEMENT_MIN
                           + "; in 1-D: f'(x) > 0 for x > 0"),
        ratio,
        angle,
    )
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
        steps.append(_inequality_4_5_1d(a, eta, r1))
        steps.append(_invariance_1d(a, eta, r_eta))
        summary = _simulate(f.df, np.zeros(1), eta, r_eta, scale, starts, seed, max_steps,
                            dim=None)
        summaries.append(summary)
        verdicts.append(_verdict(summary, eta))
    if stuck is not None:
        verdicts.append((Status.FAILS, stuck))
    conclusion = Check("GD ends in B_{R_eta}", STATEMENT_CONCLUSION,
                       combine(s for s, _ in verdicts),
                       "symbolic" if stuck else "simulation", bool(stuck),
                       "; ".join(t for _, t in verdicts), data={"simulations": summaries})
    return _result(f.name, etas, hypotheses, constants, steps, conclusion)


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
    floor = R1_FLOOR * a.scale
    if above.size == 0:
        return floor, (f"eta f'(x) < 2x on the whole grid: any r1 > 0 works; r1 = "
                       f"{R1_FLOOR:g} x scale")
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
    return Check(f"(4.5) (eta={eta:.6g})", STATEMENT_45 + "; 1-D: 0 < eta f'(x) < 2x",
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
                 STATEMENT_INVARIANT + f"; R_eta = {r_eta:.10g}", status, "interval",
                 status is not Status.UNKNOWN,
                 "; ".join(c.describe() for c in certs) or "not translatable",
                 data={"certificates": [c.to_dict() for c in certs]})


# ============================================================================ n-D
def _landscape(obj) -> tuple[Landscape, str, object]:
    if isinstance(obj, Landscape):
        return obj, obj.name, obj
    if isinstance(obj, (Separable, Valley, TwoValley)):
        name = getattr(obj, "name", None) or "separable"
        return obj.landscape, name, obj
    raise TypeError(type(obj).__name__)


def _find_minimum(land: Landscape, seed: int) -> tuple[np.ndarray, list[np.ndarray]]:
    """x* (the given minimum, else the best of seeded local minimisations) and the local
    minimisers found from seeded starts."""
    rng = np.random.default_rng(seed)
    dim = land.dim

    def value(p):
        return float(land.value(np.asarray(p)[None])[0])

    def grad(p):
        return np.asarray(land.gradient(np.asarray(p)[None])[0], dtype=float)

    found = []
    for start in rng.uniform(-3, 3, (8, dim)):
        with np.errstate(all="ignore"):
            res = minimize(value, start, jac=grad, method="L-BFGS-B",
                           options={"maxiter": 500, "gtol": 1e-12})
        if np.all(np.isfinite(res.x)):
            found.append(np.asarray(res.x))
    if land.minimum is not None:
        return np.asarray(land.minimum, dtype=float), found
    if not found:
        return np.zeros(dim), found
    values = [value(p) for p in found]
    return found[int(np.argmin(values))], found


def _valley_of_minima(land: Landscape, center: np.ndarray) -> str | None:
    """A coordinate hyperplane {x_i = 0} on which f is constant = f(x*) (symbolic)."""
    minimum_value = float(land.value(center[None])[0])
    for v in land.variables:
        restricted = sp.sympify(land.expr.xreplace({v: 0}))
        if restricted.free_symbols:
            continue
        try:
            constant = float(sp.N(restricted, 30))
        except (TypeError, ValueError):
            continue
        if abs(constant - minimum_value) <= 1e-12 * (1 + abs(minimum_value)):
            return (f"f = {sp.nsimplify(restricted)} on the whole hyperplane {{{v} = 0}} "
                    f"(sympy): a valley of global minima, not a unique minimum")
    return None


def _n_dimensional(obj, etas, starts: int, seed: int, max_steps: int) -> ClaimResult:
    land, name, _ = _landscape(obj)
    scale = 1.0
    center, local_minima = _find_minimum(land, seed)
    units = directions(land.dim, seed)
    shells = sample_shells(land.gradient, center, scale * RADII, units)

    def hessian_flat(p):
        return land.hessian(p).reshape(p.shape[0], -1)

    probe_g = probe_continuity(land.gradient, center, scale, seed)
    probe_h = probe_continuity(hessian_flat, center, scale, seed)
    c1 = _continuity_check("grad f continuous", STATEMENT_C1, probe_g, True)
    c2 = _continuity_check("C^2", STATEMENT_C2, probe_h, False)
    unique = _uniqueness(land, center, local_minima, shells, scale)
    ratio, ratio_data = _ratio_check(shells)
    angle, c_hat = _angle_check(shells)
    hypotheses = (c1, c2, unique, ratio, angle)
    constants = [Constant("c", c_hat, note="smallest sampled cosine of the angle between "
                          "grad f(x) and x - x* (numeric: the infimum may be smaller)")]
    steps: list[Check] = []
    verdicts = []
    summaries = []
    parts = decomposition(obj)
    for eta in etas:
        r1, r2, r_eta = _radii(land, shells, center, eta, c_hat, units, scale)
        if r_eta is None:
            constants.append(Constant(f"r1 (eta={eta:.6g})", math.inf,
                                      note="no sampled radius beyond which |grad f| < "
                                           "(2c/eta)|x - x*| (c <= 0 or the ratio grows)"))
            r_parts = _radius_from_components(parts, eta) if parts else None
            if r_parts is not None:
                constants.append(Constant(
                    f"R_eta from the components (eta={eta:.6g})", r_parts,
                    note="sqrt(sum_i R_eta(f_i)^2) with each R_eta(f_i) certified by the 1-D "
                         "proof: GD on a separable f is GD on each f_i (4.4)"))
            summary = _simulate(land.gradient, center, eta, r_parts, scale, starts, seed,
                                max_steps if r_parts else min(max_steps, 3000), dim=land.dim,
                                invariant=False)
        else:
            constants.append(Constant(f"r1 (eta={eta:.6g})", r1, note="numeric (sampled "
                                      "spheres)"))
            constants.append(Constant(f"r2 = R_eta (eta={eta:.6g})", r_eta,
                                      note=f"max sampled |h(x) - x*| over B_r1 = {r2:.6g}; "
                                           "R_eta = max(r1, r2) (numeric)"))
            steps.append(_inequality_4_5_nd(land, shells, center, eta, r1))
            steps.append(_invariance_nd(land, center, eta, r_eta, units))
            summary = _simulate(land.gradient, center, eta, r_eta, scale, starts, seed,
                                max_steps, dim=land.dim)
        summaries.append(summary)
        verdicts.append(_verdict(summary, eta))
    manifold = _valley_of_minima(land, center)
    if manifold:
        verdicts.append((Status.FAILS, manifold + ": GD started on it at any distance stays "
                         "there, so no ball B_R contains the tail of every trajectory"))
    conclusion = Check("GD ends in B_{R_eta}", STATEMENT_CONCLUSION,
                       combine(s for s, _ in verdicts), "symbolic" if manifold else "simulation",
                       bool(manifold), "; ".join(t for _, t in verdicts),
                       data={"simulations": summaries, "ratio": ratio_data})
    return _result(name, etas, hypotheses, constants, steps, conclusion)


def _radius_from_components(parts, eta: float) -> float | None:
    """sqrt(sum R_eta(f_i)^2) for f = sum_i f_i(p_i^T x) (1-D radii certified), or None."""
    functions, _, _, _ = parts
    total = 0.0
    for f in functions:
        radii = proof_radii_1d(analysis(f), eta)
        if radii is None:
            return None
        total += radii[4] ** 2
    return math.nextafter(math.sqrt(total), math.inf)


def _continuity_check(name, statement, probe, used) -> Check:
    where = ", ".join(f"{v:.4g}" for v in probe.location)
    text = (f"largest jump along {probe.lines} random lines: {probe.coarse_jump:.3g} at spacing "
            f"2e-3, {probe.refined_jump:.3g} at spacing 2e-6, near ({where})")
    if probe.discontinuous:
        return Check(name, statement, Status.FAILS, "numeric", False,
                     text + ": the jump does not shrink (discontinuity)", used_by_proof=used)
    return Check(name, statement, Status.HOLDS, "numeric", False,
                 text + ": jumps shrink with the spacing", used_by_proof=used)


def _uniqueness(land, center, local_minima, shells, scale) -> Check:
    manifold = _valley_of_minima(land, center)
    if manifold:
        return Check("unique minimum", STATEMENT_MIN, Status.FAILS, "symbolic", True, manifold)
    far = [p for p in local_minima if np.linalg.norm(p - center) > 1e-3 * scale]
    values = land.value(np.asarray(far)) if far else np.array([])
    center_value = float(land.value(center[None])[0])
    norms = shells.gradient_norm
    stationary = shells.finite & (norms <= 1e-300)
    if far:
        p = far[int(np.argmin(values))]
        return Check("unique minimum", STATEMENT_MIN, Status.FAILS, "numeric", False,
                     f"a local minimisation ends at {np.round(p, 6).tolist()} with f = "
                     f"{float(np.min(values)):.6g} (x* = {center.tolist()}, f(x*) = "
                     f"{center_value:.6g})")
    if stationary.any():
        i, j = np.argwhere(stationary)[0]
        return Check("unique minimum", STATEMENT_MIN, Status.FAILS, "numeric", False,
                     f"grad f = 0 at {shells.points[i, j].tolist()} != x*")
    return Check("unique minimum", STATEMENT_MIN, Status.HOLDS, "numeric", False,
                 f"8 seeded local minimisations all end at x* = {center.tolist()}; grad f != 0 "
                 f"at all {int(shells.finite.sum())} sampled points")


def _ratio_check(shells) -> tuple[Check, dict]:
    with np.errstate(all="ignore"):
        ratio = np.nanmax(shells.gradient_norm / shells.radius[:, None], axis=1)
    r = shells.radius
    last, decade = ratio[-1], ratio[np.searchsorted(r, r[-1] / 10)]
    data = {"radius": r[::5].tolist(), "max_ratio": ratio[::5].tolist()}
    text = (f"max |grad f|/|x - x*| on spheres: {ratio[0]:.3g} at r = {r[0]:.3g}, "
            f"{decade:.3g} at r = {r[-1] / 10:.3g}, {last:.3g} at r = {r[-1]:.3g}")
    if last <= 1e-2 * np.nanmax(ratio) and last < decade:
        return Check("|grad f|/|x| -> 0", STATEMENT_RATIO, Status.HOLDS, "numeric", False,
                     text + " (decreasing)"), data
    if last >= decade:
        return Check("|grad f|/|x| -> 0", STATEMENT_RATIO, Status.FAILS, "numeric", False,
                     text + " (not decreasing)"), data
    return Check("|grad f|/|x| -> 0", STATEMENT_RATIO, Status.UNKNOWN, "numeric", False,
                 text), data


def _angle_check(shells) -> tuple[Check, float]:
    cos = shells.cosine
    per_shell = np.nanmin(cos, axis=1)
    c_hat = float(np.nanmin(per_shell))
    r = shells.radius
    inner = float(per_shell[np.searchsorted(r, r[-1] / 10)])
    outer = float(per_shell[-1])
    i, j = np.unravel_index(np.nanargmin(cos), cos.shape)
    where = np.round(shells.points[i, j], 6).tolist()
    text = (f"smallest cosine {c_hat:.3g} at x = {where}; per sphere: {inner:.3g} at "
            f"r = {r[-1] / 10:.3g}, {outer:.3g} at r = {r[-1]:.3g}")
    if c_hat <= 0:
        return Check("angle condition", STATEMENT_ANGLE, Status.FAILS, "numeric", False,
                     text + ": grad f points away from x*"), c_hat
    if c_hat <= 1e-8:
        return Check("angle condition", STATEMENT_ANGLE, Status.FAILS, "numeric", False,
                     text + ": the cosine is numerically 0, no constant c > 0 works"), c_hat
    if outer < 0.5 * inner and outer < 5e-2:
        return Check("angle condition", STATEMENT_ANGLE, Status.FAILS, "numeric", False,
                     text + ": the cosine keeps falling towards 0 with |x|, so no constant "
                            "c > 0 works"), c_hat
    return Check("angle condition", STATEMENT_ANGLE, Status.HOLDS, "numeric", False,
                 text + f": c = {c_hat:.3g} on the sampled spheres"), c_hat


def _radii(land, shells, center, eta, c, units, scale):
    """(r1, r2, R_eta) from the samples, or (None, None, None) when there is no r1."""
    if not c > 0:
        return None, None, None
    offsets = shells.radius[:, None] * np.ones(shells.gradient_norm.shape)
    violating = shells.finite & (shells.gradient_norm >= (2 * c / eta) * offsets)
    rows = np.flatnonzero(violating.any(axis=1))
    if rows.size and rows[-1] == shells.radius.size - 1:
        return None, None, None
    r1 = float(shells.radius[rows[-1] + 1]) if rows.size else R1_FLOOR * scale
    inner = sample_shells(land.gradient, center, np.geomspace(1e-3 * r1, r1, 40)
                          if r1 > 1e-300 else np.array([r1]), units)
    mapped = inner.points - eta * inner.gradient - center
    r2 = float(np.nanmax(np.linalg.norm(mapped, axis=-1)))
    return r1, r2, max(r1, r2)


def _inequality_4_5_nd(land, shells, center, eta, r1) -> Check:
    keep = shells.radius > r1
    pts = shells.points[keep]
    grad = shells.gradient[keep]
    before = np.linalg.norm(pts - center, axis=-1)
    after = np.linalg.norm(pts - eta * grad - center, axis=-1)
    finite = np.isfinite(after)
    bad = finite & (after >= before)
    text = (f"{int(finite.sum())} sampled points with r1 < |x - x*| <= "
            f"{shells.radius[-1]:.3g}: (4.5) violated at {int(bad.sum())}")
    if bad.any():
        i = np.argwhere(bad)[0]
        text += f" (first at x = {np.round(pts[tuple(i)], 6).tolist()})"
    return Check(f"(4.5) (eta={eta:.6g})", STATEMENT_45,
                 Status.FAILS if bad.any() else Status.HOLDS, "numeric", False, text)


def _invariance_nd(land, center, eta, r_eta, units) -> Check:
    inner = sample_shells(land.gradient, center, r_eta * np.linspace(0.0, 1.0, 41)[1:], units)
    mapped = np.linalg.norm(inner.points - eta * inner.gradient - center, axis=-1)
    finite = np.isfinite(mapped)
    bad = finite & (mapped > r_eta * (1 + 1e-12))
    worst = float(np.nanmax(mapped))
    return Check(f"B_R invariant (eta={eta:.6g})", STATEMENT_INVARIANT + f"; R_eta = {r_eta:.6g}",
                 Status.FAILS if bad.any() else Status.HOLDS, "numeric", False,
                 f"{int(finite.sum())} sampled points of B_R: max |h(x) - x*| = {worst:.6g}, "
                 f"{int(bad.sum())} outside B_R")


# ============================================================================ simulation
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
    left_after_entry = 0.0
    while steps < max_steps:
        chunk = min(500, max_steps - steps)
        run = gradient_descent(gradient, x, eta, chunk)
        d = dist(run.path)
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
    out = {"points": int(pts.shape[0]), "diverged": int(run.diverged.sum()),
           "stationary": int(stuck.sum())}
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
    if summary["diverged"] or probes["diverged"]:
        where = probes.get("diverged_from")
        return Status.FAILS, (f"eta = {eta:.6g}: GD diverges"
                              + (f" from x0 = {np.round(where, 4).tolist()} (norm > {BLOW_UP:g} "
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


def default_learning_rates(obj) -> tuple[float, ...]:
    """The paper's learning rates for its figures' functions, else multiples of the
    threshold 2/lambda_max of the Hessian at the minimum."""
    name = getattr(obj, "name", "")
    if name in PAPER_LEARNING_RATES:
        return PAPER_LEARNING_RATES[name]
    if isinstance(obj, Subquadratic):
        threshold = float(obj.threshold)
    else:
        land, _, _ = _landscape(obj)
        center = np.asarray(land.minimum if land.minimum is not None else np.zeros(land.dim))
        with np.errstate(all="ignore"):
            eig = np.linalg.eigvalsh(land.hessian(center[None])[0])
        top = float(np.max(eig)) if np.all(np.isfinite(eig)) else 1.0
        threshold = 2.0 / top if top > 0 else 1.0
    return tuple(threshold * k for k in DEFAULT_FACTORS)


def check_theorem_4_3(function, eta=None, *, radius: float = DEFAULT_RADIUS,
                      starts: int = 32, seed: int = 0, max_steps: int | None = None
                      ) -> ClaimResult:
    """Check Definition 4.1 and Theorem 4.3 on ``function``: a Subquadratic (interval
    certificates on [0, radius]), a Landscape, Separable, Valley or TwoValley (numerical),
    or a catalog name / expression.  ``eta``: a learning rate, a sequence, or None (the
    paper's learning rates for its functions, else 0.5, 2.5 and 10 times the threshold).
    ``max_steps``: GD steps per learning rate (default 20000 in 1-D, 5000 otherwise)."""
    obj = any_function(function)
    starts = positive_integer("starts", starts)
    if max_steps is None:  # 1-D steps are cheap; polynomially flat tails need many
        max_steps = 20000 if isinstance(obj, Subquadratic) else 5000
    max_steps = positive_integer("max_steps", max_steps)
    etas = learning_rates(eta, default_learning_rates(obj))
    if isinstance(obj, Subquadratic):
        return _one_dimensional(obj, etas, analysis(obj, valid_radius(radius)), starts, seed,
                                max_steps)
    return _n_dimensional(obj, etas, starts, seed, max_steps)
