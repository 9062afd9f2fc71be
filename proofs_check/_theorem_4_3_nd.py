"""Theorem 4.3 on a landscape in n dimensions, sampled (never certified).

Spheres of radii 10^-3 ... 10^6 around x* give the ratio |grad f|/|x - x*|, the sampled
constant c, r1, r2, (4.5) and the invariance of B_{R_eta}; random lines probe continuity;
local minimisations probe uniqueness.  See :mod:`proofs_check.theorem_4_3`.
"""

from __future__ import annotations

import math

import numpy as np
import sympy as sp
from scipy.optimize import minimize

from proofs_check import _theorem_4_3_shared as shared
from proofs_check._inputs import CheckInputError
from proofs_check._onedim import analysis
from proofs_check._results import Check, ClaimResult, Constant, Status, combine
from proofs_check._sampling import RADII, directions, probe_continuity, sample_shells
from proofs_check._separable import decomposition
from proofs_check._theorem_4_3_1d import proof_radii_1d
from theory import Landscape


def _landscape(obj) -> tuple[Landscape, str | None, object]:
    """(landscape, name, object) of any :class:`theory.FunctionLike` object."""
    land = obj.landscape
    return land, getattr(obj, "name", None) or (None if obj is land else "separable"), obj


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


def _require_minimum(land: Landscape, name: str, center: np.ndarray) -> None:
    """Refuse a landscape whose seeded minimisation runs off to infinity (x**3, x*y)."""
    with np.errstate(all="ignore"):
        value = float(land.value(center[None])[0])
    if not (np.all(np.isfinite(center)) and np.max(np.abs(center)) < 1e8 and np.isfinite(value)):
        raise CheckInputError(
            f"function={name!r} has no minimum: seeded minimisation reaches f = {value:.3g} at "
            f"|x| = {float(np.max(np.abs(center))):.3g} (f is unbounded below); Theorem 4.3 "
            "needs a minimiser x*"
        )


def _n_dimensional(obj, etas, starts: int, seed: int, max_steps: int) -> ClaimResult:
    land, name, _ = _landscape(obj)
    scale = 1.0
    center, local_minima = _find_minimum(land, seed)
    _require_minimum(land, name or land.name, center)
    units = directions(land.dim, seed)
    shells = sample_shells(land.gradient, center, scale * RADII, units)

    def hessian_flat(p):
        return land.hessian(p).reshape(p.shape[0], -1)

    probe_g = probe_continuity(land.gradient, center, scale, seed)
    probe_h = probe_continuity(hessian_flat, center, scale, seed)
    c1 = _continuity_check("grad f continuous", shared.STATEMENT_C1, probe_g, True)
    c2 = _continuity_check("C^2", shared.STATEMENT_C2, probe_h, False)
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
            summary = shared._simulate(land.gradient, center, eta, r_parts, scale, starts, seed,
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
            summary = shared._simulate(land.gradient, center, eta, r_eta, scale, starts, seed,
                                max_steps, dim=land.dim)
        summaries.append(summary)
        verdicts.append(shared._verdict(summary, eta))
    manifold = _valley_of_minima(land, center)
    if manifold:
        verdicts.append((Status.FAILS, manifold + ": GD started on it at any distance stays "
                         "there, so no ball B_R contains the tail of every trajectory"))
    conclusion = Check("GD ends in B_{R_eta}", shared.STATEMENT_CONCLUSION,
                       combine(s for s, _ in verdicts), "symbolic" if manifold else "simulation",
                       bool(manifold), "; ".join(t for _, t in verdicts),
                       data={"simulations": summaries, "ratio": ratio_data})
    return shared._result(name, etas, hypotheses, constants, steps, conclusion)


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
        return Check("unique minimum", shared.STATEMENT_MIN, Status.FAILS, "symbolic", True,
                     manifold)
    far = [p for p in local_minima if np.linalg.norm(p - center) > 1e-3 * scale]
    values = land.value(np.asarray(far)) if far else np.array([])
    center_value = float(land.value(center[None])[0])
    norms = shells.gradient_norm
    stationary = shells.finite & (norms <= 1e-300)
    if far:
        p = far[int(np.argmin(values))]
        return Check("unique minimum", shared.STATEMENT_MIN, Status.FAILS, "numeric", False,
                     f"a local minimisation ends at {np.round(p, 6).tolist()} with f = "
                     f"{float(np.min(values)):.6g} (x* = {center.tolist()}, f(x*) = "
                     f"{center_value:.6g})")
    if stationary.any():
        i, j = np.argwhere(stationary)[0]
        return Check("unique minimum", shared.STATEMENT_MIN, Status.FAILS, "numeric", False,
                     f"grad f = 0 at {shells.points[i, j].tolist()} != x*")
    return Check("unique minimum", shared.STATEMENT_MIN, Status.HOLDS, "numeric", False,
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
        return Check("|grad f|/|x| -> 0", shared.STATEMENT_RATIO, Status.HOLDS, "numeric", False,
                     text + " (decreasing)"), data
    if last >= decade:
        return Check("|grad f|/|x| -> 0", shared.STATEMENT_RATIO, Status.FAILS, "numeric", False,
                     text + " (not decreasing)"), data
    return Check("|grad f|/|x| -> 0", shared.STATEMENT_RATIO, Status.UNKNOWN, "numeric", False,
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
        return Check("angle condition", shared.STATEMENT_ANGLE, Status.FAILS, "numeric", False,
                     text + ": grad f points away from x*"), c_hat
    if c_hat <= 1e-8:
        return Check("angle condition", shared.STATEMENT_ANGLE, Status.FAILS, "numeric", False,
                     text + ": the cosine is numerically 0, no constant c > 0 works"), c_hat
    if outer < 0.5 * inner and outer < 5e-2:
        return Check("angle condition", shared.STATEMENT_ANGLE, Status.FAILS, "numeric", False,
                     text + ": the cosine keeps falling towards 0 with |x|, so no constant "
                            "c > 0 works"), c_hat
    return Check("angle condition", shared.STATEMENT_ANGLE, Status.HOLDS, "numeric", False,
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
    r1 = float(shells.radius[rows[-1] + 1]) if rows.size else shared.R1_FLOOR * scale
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
    return Check(f"(4.5) (eta={eta:.6g})", shared.STATEMENT_45,
                 Status.FAILS if bad.any() else Status.HOLDS, "numeric", False, text)


def _invariance_nd(land, center, eta, r_eta, units) -> Check:
    inner = sample_shells(land.gradient, center, r_eta * np.linspace(0.0, 1.0, 41)[1:], units)
    mapped = np.linalg.norm(inner.points - eta * inner.gradient - center, axis=-1)
    finite = np.isfinite(mapped)
    bad = finite & (mapped > r_eta * (1 + 1e-12))
    worst = float(np.nanmax(mapped))
    return Check(f"B_R invariant (eta={eta:.6g})",
                 shared.STATEMENT_INVARIANT + f"; R_eta = {r_eta:.6g}",
                 Status.FAILS if bad.any() else Status.HOLDS, "numeric", False,
                 f"{int(finite.sum())} sampled points of B_R: max |h(x) - x*| = {worst:.6g}, "
                 f"{int(bad.sum())} outside B_R")


