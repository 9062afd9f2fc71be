"""Lemma 4.1 checked on a concrete function.

**Lemma 4.1** (Ma, Kunin, Wu & Ying 2022, Section 4.1).  Let f be even, C^2, with a minimum
at 0 and f''(x) decreasing in |x|.  If lim_{|x|->oo} f''(x) = 0, then x_eta, the positive
root of eta f'(x) = 2x, exists for any eta > 2/f''(0); viewed as a function of eta, x_eta is
monotonically increasing.

*Proof* (paper): with h(x) = f'(x)/x, x_eta solves h(x) = 2/eta; h is decreasing because
h'(x) = (x f''(x) - f'(x))/x^2 and x f''(x) <= int_0^x f''(t) dt = f'(x); h(0+) = f''(0) and
h(oo) = 0.

What :func:`check_lemma_4_1` computes:

* hypotheses -- evenness (exact), 0 < f''(0) < oo (exact limit), C^1 and C^2 (exact jumps
  at the switching points, interval finiteness), f'' non-increasing (interval certificate of
  f''' <= 0 on every cell of [0, R] and exact downward jumps), lim f'' = 0 (sympy limit);
* proof steps -- h non-increasing (interval certificate of x f'' - f' <= 0 and exact jumps
  of f'), the two limits of h (sympy);
* constants -- the threshold 2/f''(0) and, at each learning rate, a certified enclosure of
  x_eta (certified sign change plus interval Newton) that is the only root in (0, R];
* conclusion -- at learning rates on both sides of the threshold: no root below, one root
  above, increasing in eta, and the core's ``Subquadratic.periodic_point`` inside each
  enclosure.  Where f' jumps (the empirical losses of Section 6) the learning rates with
  2/eta inside a jump of h are tried too: there x_eta does not exist.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import sympy as sp
from scipy.optimize import brentq

from proofs_check import _hypotheses as hyp
from proofs_check._inputs import learning_rates, subquadratic, valid_radius
from proofs_check._onedim import DEFAULT_RADIUS, OneDimensional, analysis
from proofs_check._results import Check, ClaimResult, Constant, Status
from theory import X_POS, Subquadratic

CLAIM = "Lemma 4.1"
#: default learning rates, as multiples of the threshold 2/f''(0)
DEFAULT_FACTORS = (0.5, 1.0, 1.01, 1.1, 1.5, 2.0, 3.0, 5.0, 10.0, 30.0, 100.0)


def lemma_hypotheses(a: OneDimensional) -> tuple[Check, ...]:
    """The hypotheses of Lemma 4.1 (with the standing assumptions of Section 4.1)."""
    f = a.f
    return (
        hyp.even(f),
        hyp.minimum_at_zero(f),
        hyp.continuity(a, 1, used_by_proof=True,
                       statement="f' is continuous, so f'(x) = int_0^x f''(t) dt (used by the "
                                 "proof of Lemma 4.1)"),
        hyp.continuity(a, 2, used_by_proof=False,
                       statement="f has continuous second order derivatives (standing "
                                 "assumption of Section 4.1; a decreasing f'' may jump down "
                                 "without harming the proof)"),
        hyp.second_derivative_nonincreasing(a),
        hyp.second_derivative_vanishes(a),
    )


def gap_learning_rates(a: OneDimensional) -> list[float]:
    """Learning rates with 2/eta strictly inside a downward jump of h = f'/x (where f'
    jumps): Lemma 4.1's conclusion fails there.  Empty for C^1 functions."""
    out: list = []
    if not a.split:
        return out
    formulas = a.cell_formulas(1)
    threshold = float(a.f.threshold)
    for k, (b, j) in enumerate(a.jumps(1)):
        if j is None or j >= 0:
            continue
        left = float(sp.N(formulas[k].subs(X_POS, b), 30))
        right = float(sp.N(formulas[k + 1].subs(X_POS, b), 30))
        h_left, h_right = left / float(b), right / float(b)
        level = math.sqrt(h_left * h_right) if h_right > 0 else h_left / 2
        eta = 2.0 / level
        if eta > threshold:
            out.append(eta)
    return out


def _first_sign_change(a: OneDimensional, eta: float) -> float | None:
    """The first x > 0 where eta f'(x) - 2x changes sign from + to - on a float grid,
    refined by Brent's method (an independent guess for the root enclosure)."""
    grid = a.scale * np.geomspace(1e-9, 1e9, 2001)
    with np.errstate(all="ignore"):
        g = eta * np.asarray(a.f.df(grid)) - 2 * grid
    change = np.flatnonzero((g[:-1] > 0) & (g[1:] < 0))
    if change.size == 0:
        return None
    i = int(change[0])
    try:
        return float(brentq(lambda x: eta * float(a.f.df(x)) - 2 * x, grid[i], grid[i + 1],
                            xtol=1e-300, rtol=1e-15))
    except ValueError:
        return None


def x_eta_constant(a: OneDimensional, eta: float) -> tuple[Constant | None, dict]:
    """The certified x_eta at eta (> threshold) and a record for the conclusion."""
    f = a.f
    record: dict = {"eta": eta}
    try:
        core = f.periodic_points(eta)
    except (ValueError, ArithmeticError, RuntimeError) as exc:  # MslValueError included
        core = ()
        record["core_error"] = str(exc)
    record["core_x_eta"] = list(core)
    enclosure = a.enclose_x_eta(eta, core[0] if core else None)
    if enclosure is None:  # the core's value is not near a root: look for one ourselves
        enclosure = a.enclose_x_eta(eta, _first_sign_change(a, eta))
    if enclosure is None:
        cert = a.no_root(eta)
        record["no_root_certificate"] = cert.to_dict() if cert else None
        end = a.sign_of_residual(eta, "<0", a.radius * (1 - 2.0**-20), a.radius)
        if cert is not None and cert.verified and end is not None and end.verified:
            # no root on (0, R] although eta f' - 2x starts > 0 at 0+ and ends < 0 at R:
            # f' jumps across 2x/eta (every number here from intervals)
            record["status"] = "no root"
            record["evidence"] = (f"eta = {eta:.6g}: eta f'(x) - 2x != 0 on (0, {a.radius:.3g}] "
                                  f"and < 0 at x = {a.radius:.3g} (certified): it jumps over 0, "
                                  f"so there is no x_eta; the core returned {list(core)}")
        elif cert is not None and cert.verified:
            # a certified absence on (0, R] only: x_eta may lie beyond R (Lemma 4.1 is about
            # (0, oo)), so this refutes nothing
            record["status"] = "unknown"
            record["evidence"] = (f"eta = {eta:.6g}: no root of eta f'(x) = 2x on (0, "
                                  f"{a.radius:.3g}] (certified) and eta f'(x) - 2x not certified "
                                  f"< 0 at its end: x_eta lies beyond the certified range"
                                  + (f" (the core finds x_eta = {core[0]:.6g})" if core else ""))
        elif cert is not None and cert.refuted:
            record["status"] = "unknown"
            record["evidence"] = (f"eta = {eta:.6g}: a root exists near "
                                  f"x = {cert.counterexample:.6g} but was not enclosed")
        else:
            record["status"] = "unknown"
            record["evidence"] = f"eta = {eta:.6g}: no certified root and no certified absence"
        return None, record
    left = a.no_root(eta, 0.0, enclosure.lower)
    right = a.no_root(eta, enclosure.upper, a.radius)
    only = bool(enclosure.unique and left and left.verified and right and right.verified)
    core_inside = bool(core) and enclosure.contains(core[0])
    record.update({"x_eta_lower": enclosure.lower, "x_eta_upper": enclosure.upper,
                   "unique_on_range": only, "core_inside": core_inside,
                   "status": "root" if only else "root (uniqueness not certified)"})
    note = (f"unique root of eta f'(x) = 2x on (0, {a.radius:.3g}]" if only
            else "root enclosed; other roots on (0, R] not excluded")
    if core and not core_inside:
        note += f"; the core's periodic_point {core[0]!r} lies OUTSIDE the enclosure"
    record["evidence"] = (f"eta = {eta:.6g}: x_eta in [{enclosure.lower:.17g}, "
                          f"{enclosure.upper:.17g}] ({note})")
    constant = Constant(f"x_eta(eta={eta:.6g})", enclosure.midpoint, enclosure.lower,
                        enclosure.upper, certified=True, note=note)
    return constant, record


def _conclusion(a: OneDimensional, etas: tuple[float, ...]) -> tuple[Check, list[Constant]]:
    threshold = a.f.threshold
    below = [e for e in etas if sp.Rational(e) <= threshold]
    above = [e for e in etas if sp.Rational(e) > threshold]
    records: list[dict] = []
    constants: list[Constant] = []
    failures: list[str] = []
    unknown: list[str] = []
    for eta in below:
        cert = a.sign_of_residual(eta, "<0")
        record: dict = {"eta": eta, "certificate": cert.to_dict() if cert else None}
        if cert is not None and cert.verified:
            record.update(status="no root", evidence=f"eta = {eta:.6g} <= 2/f''(0): eta f'(x) "
                          f"< 2x on (0, {a.radius:.3g}] (certified): no x_eta")
        elif cert is not None and cert.refuted:
            record.update(status="root below threshold",
                          evidence=f"eta = {eta:.6g} <= 2/f''(0) but eta f'(x) >= 2x at "
                                   f"x = {cert.counterexample:.6g} (certified)")
            failures.append(record["evidence"])
        else:
            record.update(status="unknown", evidence=f"eta = {eta:.6g}: not certified")
            unknown.append(record["evidence"])
        records.append(record)
    enclosures: list[tuple[float, Constant]] = []
    for eta in above:
        constant, record = x_eta_constant(a, eta)
        records.append(record)
        if record["status"] == "no root":
            failures.append(record["evidence"])
        elif constant is None or record["status"] != "root":
            unknown.append(record["evidence"])
        if constant is not None:
            constants.append(constant)
            enclosures.append((eta, constant))
            if not record["core_inside"]:
                failures.append(record["evidence"])
    for (e1, c1), (e2, c2) in itertools.pairwise(enclosures):
        assert None not in (c1.lower, c1.upper, c2.lower, c2.upper)  # enclosed constants
        if c1.lower >= c2.upper:  # type: ignore[operator]
            failures.append(f"x_eta not increasing: x_eta({e1:.6g}) >= x_eta({e2:.6g})")
        elif not c1.upper < c2.lower:  # type: ignore[operator]
            unknown.append(f"x_eta({e1:.6g}) and x_eta({e2:.6g}) enclosures overlap")
    statement = ("x_eta exists for every eta > 2/f''(0) (none for eta <= 2/f''(0)) and is "
                 "increasing in eta (Lemma 4.1)")
    summary = "; ".join(r["evidence"] for r in records)
    data = {"learning_rates": records}
    if failures:
        return Check("x_eta exists, increasing", statement, Status.FAILS, "interval", True,
                     "; ".join(failures), data=data), constants
    if unknown:
        return Check("x_eta exists, increasing", statement, Status.UNKNOWN, "interval", False,
                     "; ".join(unknown), data=data), constants
    return Check("x_eta exists, increasing", statement, Status.HOLDS, "interval", True,
                 f"at {len(etas)} learning rates: {summary}; enclosures strictly increasing",
                 data=data), constants


def check_lemma_4_1(function: Subquadratic | str, eta=None, *,
                    radius: float = DEFAULT_RADIUS) -> ClaimResult:
    """Check Lemma 4.1 on ``function`` (a Subquadratic or catalog name / expression).

    ``eta``: a learning rate or a sequence of them (default: multiples 0.5 ... 100 of the
    threshold, plus learning rates inside any jump of h).  ``radius``: the certified range
    is [0, radius] (by evenness [-radius, radius]).
    """
    f = subquadratic(function)
    a = analysis(f, valid_radius(radius))
    threshold = float(f.threshold)
    defaults = [threshold * k for k in DEFAULT_FACTORS] + gap_learning_rates(a)
    etas = learning_rates(eta, defaults)
    hypotheses = lemma_hypotheses(a)
    steps = (hyp.h_nonincreasing(a), hyp.h_limits(a))
    conclusion, xs = _conclusion(a, etas)
    t_lo, t_hi = a.threshold_interval.bounds()
    constants = (Constant("threshold 2/f''(0)", threshold, t_lo, t_hi, certified=True,
                          note=f"exact: {f.threshold}"), *xs)
    return ClaimResult(CLAIM, f.name, etas, hypotheses, constants, steps,
                       conclusion).noting_unmet_hypotheses()
