"""Lemma 4.1 generalised (beyond the paper; issue 21): the flip at 2/f''(x*) for any minimum.

**Statement.**  Let f be C^4 near a minimum x* with f''(x*) > 0 (f need not be even), and
Q = 3 f'''(x*)^2 - f''(x*) f''''(x*) != 0.  At eta* = 2/f''(x*) the GD map
g(x) = x - eta f'(x) has a flip; if Q > 0 (supercritical) a *stable* period-2 orbit near x*
exists for eta slightly above eta*, and if Q < 0 (subcritical) an *unstable* one exists for
eta slightly below (Kuznetsov, Elements of Applied Bifurcation Theory, Thm 4.3, with
c(0) = Q / (3 f''^2)).  For an even f, Q = -f''(0) f''''(0): Lemma 4.1's local content
(f'' decreasing near 0 gives f'''' <= 0).

What :func:`check_lemma_4_1_generalised` computes: hypotheses (a 1-D function, a certified
non-degenerate minimum, C^4 there, Q != 0) from :func:`theory.bifurcation.flip_criterion`;
the constants (x*, eta*, Q with their enclosures); the conclusion: at
eta = eta* (1 +- 1e-3) on the predicted side, a 2-cycle near x* enclosed by Krawczyk with a
certified multiplier, stable iff supercritical.
"""

from __future__ import annotations

import numpy as np

from proofs_check._inputs import any_function
from proofs_check._results import Check, ClaimResult, Constant, Status
from theory import as_landscape
from theory.bifurcation import BifurcationError, enclose_cycle, find_cycles, flip_criterion

CLAIM = "Lemma 4.1 generalised (beyond the paper)"
#: relative distance of the probe learning rate from eta*
OFFSET = 1e-3


def _refused(name: str, why: str, hypotheses: list[Check]) -> ClaimResult:
    conclusion = Check("period-2 orbit", "the flip's direction is decided by Q",
                       Status.UNKNOWN, "none", False, "not checked: " + why)
    return ClaimResult(CLAIM, name, (), tuple(hypotheses), (), (), conclusion)


def check_lemma_4_1_generalised(function) -> ClaimResult:
    obj = any_function(function)
    land = as_landscape(obj)
    name = getattr(obj, "name", None) or land.name or str(function)
    one_d = len(land.variables) == 1
    hypotheses = [Check("one-dimensional", "f is a function of one variable",
                        Status.HOLDS if one_d else Status.FAILS, "construction", True,
                        f"{len(land.variables)} variable(s)")]
    if not one_d:
        return _refused(name, "not one-dimensional", hypotheses)
    try:
        crit = flip_criterion(obj)
    except BifurcationError as exc:
        smooth = "differentiable" not in str(exc)
        hypotheses.append(Check(
            "C^4 minimum" if smooth else "C^4 at x*",
            "a non-degenerate minimum x* (f' = 0, f'' > 0) where f is C^4", Status.FAILS,
            "symbolic", True, str(exc)))
        return _refused(name, str(exc), hypotheses)
    lo, hi = crit.quantity_enclosure
    hypotheses += [
        Check("C^4 minimum", "a non-degenerate minimum x* (f' = 0, f'' > 0), f C^4 near it",
              Status.HOLDS, "interval", True,
              f"x* = {crit.minimum[0]:.16g}, f''(x*) = {crit.curvature:.16g} "
              f"({crit.certified_by})"),
        Check("Q != 0", "Q = 3 f'''(x*)^2 - f''(x*) f''''(x*) is not zero (non-degenerate "
              "flip)", Status.FAILS if crit.exact_zero else (
                  Status.UNKNOWN if crit.verdict == "degenerate" else Status.HOLDS),
              "interval", crit.verdict != "degenerate" or crit.exact_zero,
              f"Q in [{lo:.12g}, {hi:.12g}]: {crit.verdict}"),
    ]
    constants = (Constant("x*", crit.minimum[0]),
                 Constant("eta* = 2/f''(x*)", crit.threshold),
                 Constant("Q", crit.quantity, lo, hi, certified=True,
                          note=f"normal-form coefficient c = {crit.coefficient:.6g}"))
    if crit.verdict == "degenerate":
        return _refused(name, "Q = 0 or undecided", hypotheses)
    side = 1 + OFFSET if crit.supercritical else 1 - OFFSET
    eta = crit.threshold * side
    xstar = crit.minimum[0]
    scale = 1 + abs(xstar)
    starts = xstar + scale * np.concatenate([np.geomspace(1e-3, 0.5, 40),
                                             -np.geomspace(1e-3, 0.5, 40)])
    near = [c for c in find_cycles(obj, eta, 2, starts=starts)
            if max(abs(p - xstar) for p in c.points) < 0.5 * scale]
    if not near:
        status, evidence, certified, data = Status.FAILS, (
            f"no 2-cycle within {0.5 * scale:.3g} of x* at eta = {eta:.12g}"), False, {}
    else:
        cyc = min(near, key=lambda c: max(abs(p - xstar) for p in c.points))
        enc = enclose_cycle(obj, eta, cyc.points[0], 2)
        expected = crit.supercritical
        ok = enc.minimal and enc.stable is expected
        status = Status.HOLDS if ok else (Status.UNKNOWN if enc.stable is None
                                          else Status.FAILS)
        certified = status is not Status.UNKNOWN
        evidence = (f"at eta = eta* (1 {'+' if side > 1 else '-'} {OFFSET:g}) the 2-cycle "
                    f"{[f'{p:.10g}' for p in enc.midpoints]} (Krawczyk width "
                    f"{enc.width:.1e}) has multiplier in [{enc.multiplier[0]:.6g}, "
                    f"{enc.multiplier[1]:.6g}]: {'stable' if enc.stable else 'unstable'}")
        data = enc.to_dict()
    conclusion = Check(
        "period-2 orbit", "near eta*, a period-2 orbit near x*, stable above eta* iff Q > 0 "
        "(unstable below eta* iff Q < 0)", status, "interval", certified, evidence, data=data)
    return ClaimResult(CLAIM, name, (eta,), tuple(hypotheses), constants, (), conclusion,
                       notes=("beyond the paper: Kuznetsov Thm 4.3 flip normal form; "
                              "docs/bifurcation.md",))
