"""The hypotheses of Section 4.1 on a concrete 1-D function, as :class:`Check` objects.

Shared by Lemma 4.1, Theorem 4.1, Theorem 4.2 (per component), Theorem 4.3 (1-D) and the
quasistatic flow (the profile across the valley).  Interval statements are certified on
the stated range [0, R] (by evenness, on [-R, R]); limits at infinity are exact sympy
limits; a float grid gives supporting evidence that never certifies anything.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from proofs_check._cells import SplitError, split_cells
from proofs_check._certify import IntervalCertificate
from proofs_check._onedim import OneDimensional, sympy_limit
from proofs_check._results import Check, Status
from theory import X_POS, Subquadratic, X, time_limit


def _grid(a: OneDimensional) -> np.ndarray:
    """A float grid of x > 0 from 1e-6 L to 1e6 L (L the scale of f)."""
    return a.scale * np.geomspace(1e-6, 1e6, 1201)


def certificate_status(cert: IntervalCertificate | None) -> tuple[Status, bool, str]:
    """(status, certified, evidence) of a certificate (None: not translatable)."""
    if cert is None:
        return Status.UNKNOWN, False, "no interval certificate (expression not translatable)"
    if cert.verified:
        return Status.HOLDS, True, cert.describe()
    if cert.refuted:
        return Status.FAILS, True, cert.describe()
    return Status.UNKNOWN, False, cert.describe()


def _jump_text(jumps, order: int) -> str:
    parts = [f"x = {b}: f^({order}) jumps by {j}" for b, j in jumps if j is None or j != 0]
    return "; ".join(parts)


# ---------------------------------------------------------------------------- standing
def _exactly_even(f: Subquadratic) -> bool:
    """f(-x) - f(x) is 0 on every cell of x > 0 (sympy, a few seconds at most per step; the
    time limits are not nested, since an inner one would cancel the outer alarm)."""
    difference = f.expr.xreplace({X: -X_POS}) - f.branch(0)
    if difference == 0:
        return True
    try:
        with time_limit(5):
            if sp.expand(difference) == 0:
                return True
    except Exception:  # timeouts and sympy failures: not decided here
        pass
    try:
        cells = split_cells([difference], X_POS)
    except SplitError:
        return False
    for formula in cells.formulas[0]:
        try:
            with time_limit(5):
                if sp.simplify(formula) != 0:
                    return False
        except Exception:  # not exact
            return False
    return True


def even(f: Subquadratic) -> Check:
    """f(x) = f(-x) (Section 4.1)."""
    statement = "f is even: f(x) = f(-x) (Section 4.1)"
    if _exactly_even(f):
        return Check("even", statement, Status.HOLDS, "symbolic", True,
                     "f(-x) - f(x) simplifies to 0 exactly (on every cell of x > 0)")
    return Check("even", statement, Status.HOLDS, "numeric", False,
                 "validated by theory.Subquadratic at 13 points to 30 digits (sympy could not "
                 "simplify f(-x) - f(x) to 0)")


def minimum_at_zero(f: Subquadratic) -> Check:
    """f'(0) = 0 and 0 < f''(0) < oo: the threshold 2/f''(0) exists."""
    curvature = f.curvature_at_zero
    exact = not curvature.has(sp.Float)
    return Check(
        "0 < f''(0) < oo",
        "minimum at 0 with f'(0) = 0 and finite positive curvature f''(0) (Section 4.1)",
        Status.HOLDS, "symbolic" if exact else "numeric", exact,
        f"f''(0) = lim_(x->0+) f''(x) = {curvature} (sympy); threshold 2/f''(0) = "
        f"{f.threshold}; f'(0+) = 0 and f(x) >= f(0) validated by theory.Subquadratic",
        data={"curvature": float(curvature), "threshold": float(f.threshold),
              "threshold_exact": str(f.threshold)},
    )


def continuity(a: OneDimensional, order: int, *, used_by_proof: bool, statement: str) -> Check:
    """f in C^order on [-R, R]: every formula finite on its cell (interval) and no jump of
    f, ..., f^(order) at a switching point (exact)."""
    name = "C^1" if order == 1 else "C^2"
    if not a.split:
        return Check(name, statement, Status.UNKNOWN, "none", False,
                     f"the switching points could not be found ({a.split_error})",
                     used_by_proof=used_by_proof)
    broken = []
    undecided = []
    for n in range(order + 1):
        for b, j in a.jumps(n):
            if j is None:
                undecided.append((n, b))
            elif j != 0:
                broken.append((n, b, j))
    if broken:
        n, b, j = broken[0]
        text = "; ".join(f"f^({n}) jumps by {j} at |x| = {b}" for n, b, j in broken)
        return Check(name, statement, Status.FAILS, "symbolic", True, text,
                     used_by_proof=used_by_proof,
                     data={"jumps": [[n, str(b), str(j)] for n, b, j in broken]})
    finite = [a.finite[n] for n in range(order + 1)]
    if undecided or any(c is None or not c.verified for c in finite):
        return Check(name, statement, Status.UNKNOWN, "none", False,
                     "jumps undecided at " + ", ".join(str(b) for _, b in undecided)
                     if undecided else "finiteness of f^(n) not certified on the range",
                     used_by_proof=used_by_proof)
    where = ", ".join(str(b) for b in a.boundaries) or "none"
    return Check(
        name, statement, Status.HOLDS, "interval", True,
        f"f, ..., f^({order}) are finite on every cell of [0, {a.radius:.6g}] (interval) and "
        f"continuous at the switching points ({where}) (exact); even, so continuous at 0",
        used_by_proof=used_by_proof,
    )


def second_derivative_nonincreasing(a: OneDimensional) -> Check:
    """f'' non-increasing in |x|: f''' <= 0 on every cell and no upward jump of f''."""
    statement = "f''(x) decreases as |x| increases (Section 4.1, used by Lemma 4.1)"
    return _monotone_second_derivative(a, a.d3_nonpositive, strict=False,
                                       name="f'' non-increasing", statement=statement)


def second_derivative_strictly_decreasing(a: OneDimensional) -> Check:
    """f''(s) < f''(t) for |s| > |t| (Theorem 4.1)."""
    statement = "f''(s) < f''(t) for any |s| > |t| (strictly subquadratic, Theorem 4.1)"
    return _monotone_second_derivative(a, a.d3_negative, strict=True,
                                       name="f'' strictly decreasing", statement=statement)


def _monotone_second_derivative(a: OneDimensional, cert, *, strict: bool, name: str,
                                statement: str) -> Check:
    status, _, evidence = certificate_status(cert)
    jumps = a.jumps(2)
    upward = [(b, j) for b, j in jumps if j is not None and j > 0]
    undecided = [b for b, j in jumps if j is None]
    grid = _grid(a)
    d3 = np.asarray(a.f.d3f(grid))
    positive = grid[np.isfinite(d3) & (d3 > 0)]
    numeric = (f"float grid [{grid[0]:.3g}, {grid[-1]:.3g}]: f''' > 0 at {positive.size} of "
               f"{grid.size} points" + (f" (first at x = {positive[0]:.6g})" if positive.size
                                        else ""))
    if upward:
        return Check(name, statement, Status.FAILS, "symbolic", True,
                     "f'' jumps up at " + ", ".join(f"|x| = {b} (by {j})" for b, j in upward),
                     data={"numeric": numeric})
    if status is Status.FAILS:
        x = cert.counterexample
        value = float(a.f.d2f(x))
        text = (f"{evidence}: f''' {'>= 0' if strict else '> 0'} there, so f'' "
                f"{'is not strictly decreasing' if strict else 'increases'} near |x| = {x:.6g} "
                f"(f''({x:.6g}) = {value:.6g})")
        return Check(name, statement, Status.FAILS, "interval", True, text,
                     data={"counterexample": x, "certificate": cert, "numeric": numeric})
    if status is Status.HOLDS and not undecided:
        jump_text = (" and f'' only jumps down at " + ", ".join(str(b) for b, _ in jumps)
                     if jumps else "")
        return Check(name, statement, Status.HOLDS, "interval", True,
                     f"{evidence}{jump_text} (certified on |x| <= {a.radius:.6g} only)",
                     data={"certificate": cert, "numeric": numeric})
    return Check(name, statement, Status.UNKNOWN, "numeric" if cert else "none", False,
                 f"{evidence}; {numeric}", data={"numeric": numeric})


def second_derivative_vanishes(a: OneDimensional) -> Check:
    """lim_{|x| -> oo} f''(x) = 0 (Lemma 4.1)."""
    statement = "lim_{|x|->oo} f''(x) = 0 (Lemma 4.1)"
    last = a.formula(2, a.radius)
    value = sympy_limit(last, sp.oo)
    far = a.scale * np.array([1e3, 1e6, 1e9])
    numeric = ", ".join(f"f''({x:.3g}) = {float(a.f.d2f(x)):.3g}" for x in far)
    if value is None:
        return Check("f'' -> 0", statement, Status.UNKNOWN, "numeric", False,
                     f"sympy could not take the limit; {numeric}")
    if value == 0:
        return Check("f'' -> 0", statement, Status.HOLDS, "symbolic", True,
                     f"lim f''(x) = 0 (sympy, formula {last} of the last cell); {numeric}")
    return Check("f'' -> 0", statement, Status.FAILS, "symbolic", True,
                 f"lim f''(x) = {value} != 0 (sympy, formula {last}); {numeric}",
                 data={"limit": str(value)})


# ---------------------------------------------------------------------------- proof steps
def h_nonincreasing(a: OneDimensional) -> Check:
    """h = f'(x)/x non-increasing on (0, R]: h' = (x f'' - f')/x^2 <= 0 and no upward jump."""
    statement = ("h(x) = f'(x)/x is decreasing on (0, oo): h'(x) = (x f''(x) - f'(x))/x^2 <= 0 "
                 "(proof of Lemma 4.1)")
    cert = a.h_numerator_nonpositive
    status, _, evidence = certificate_status(cert)
    jumps = a.jumps(1)
    upward = [(b, j) for b, j in jumps if j is not None and j > 0]
    if upward:
        return Check("h decreasing", statement, Status.FAILS, "symbolic", True,
                     "f' (hence h) jumps up at " + ", ".join(str(b) for b, _ in upward))
    if status is Status.FAILS and cert is not None:
        x = cert.counterexample
        return Check("h decreasing", statement, Status.FAILS, "interval", True,
                     f"{evidence}: h increases near x = {x:.6g}",
                     data={"certificate": cert})
    if status is Status.HOLDS and all(j is not None for _, j in jumps):
        down = [str(b) for b, j in jumps if j != 0]
        extra = f"; h jumps down at {', '.join(down)} (f' jumps down)" if down else ""
        return Check("h decreasing", statement, Status.HOLDS, "interval", True,
                     f"{evidence}{extra}", data={"certificate": cert})
    return Check("h decreasing", statement, Status.UNKNOWN, "none", False, evidence)


def h_limits(a: OneDimensional) -> Check:
    """lim_{x->0+} h = f''(0) and lim_{x->oo} h = 0 (proof of Lemma 4.1)."""
    statement = "lim_{x->0+} h(x) = f''(0) and lim_{x->oo} h(x) = 0 (proof of Lemma 4.1)"
    first = a.formula(1, 0.0)
    last = a.formula(1, a.radius)
    at_zero = sympy_limit(first / X_POS, 0)
    at_infinity = sympy_limit(last / X_POS, sp.oo)
    curvature = a.f.curvature_at_zero
    text = f"lim_(0+) f'(x)/x = {at_zero}, f''(0) = {curvature}; lim_(oo) f'(x)/x = {at_infinity}"
    if at_zero is None or at_infinity is None:
        return Check("h limits", statement, Status.UNKNOWN, "none", False,
                     text + " (sympy could not take a limit)")
    same = sp.simplify(at_zero - curvature) == 0
    if same and at_infinity == 0:
        return Check("h limits", statement, Status.HOLDS, "symbolic", True, text)
    return Check("h limits", statement, Status.FAILS, "symbolic", True, text)


def slope_positive(a: OneDimensional, *, name: str, statement: str) -> Check:
    """f'(x) > 0 on (0, R]: 0 is the unique minimum and the only stationary point (1-D)."""
    cert = a.slope_positive
    status, certified, evidence = certificate_status(cert)
    if status is Status.FAILS and cert is not None:
        x = cert.counterexample
        evidence += f": f'({x:.6g}) = {float(a.f.df(x)):.6g}, so x = {x:.6g} is not descending"
    return Check(name, statement, status, "interval" if cert else "none", certified, evidence,
                 data={"certificate": cert} if cert else {})
