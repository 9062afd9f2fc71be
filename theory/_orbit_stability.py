"""The linear stability of GD's period-2 orbit {+x_eta, -x_eta}, decided without cancellation.

The cycle multiplier is m = (1 - a)^2 with a = eta f''(x_eta), and the orbit is stable when
m < 1.  Computing m in floats and comparing it with 1 loses everything when a is tiny (for
log cosh at eta = 45, a = 5.2e-18 and m rounds to 1 although 1 - m = a (2 - a) = 1.03e-17 > 0).
Here 1 - m = a (2 - a) is computed from a itself, at 50 digits of mpmath on the root polished
at the same precision, and again at 150, 450 and 1350 digits until two precisions agree on the
verdict (a rounding error at one precision can flip the sign of a tiny a; it
cannot at two); where they never do (a = 0 or a = 2 to within the working precision, e.g. a Huber
tail with f'' = 0) the verdict is *marginal*: linear stability is undecided at that precision.
When mpmath cannot evaluate f'' the float a decides, with the same third state.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import mpmath

__all__ = ["MARGINAL", "STABLE", "UNSTABLE", "Stability", "stability"]

STABLE, UNSTABLE, MARGINAL = "stable", "unstable", "marginal"
#: precisions tried in turn (decimal digits)
PRECISIONS = (50, 150, 450, 1350)
#: relative tolerance of a float a (its last digits depend on the formula's rounding)
FLOAT_TOLERANCE = 1e-9


@dataclass(frozen=True)
class Stability:
    """a = eta f''(x_eta), 1 - multiplier = a (2 - a) and the verdict (stable / unstable /
    marginal) with the precision that decided it."""

    curvature_term: float
    one_minus_multiplier: float
    verdict: str
    precision: str

    @property
    def multiplier(self) -> float:
        return (1.0 - self.curvature_term) ** 2


def _verdict(a, two_minus_a, tolerance) -> str:
    """stable iff 0 < a < 2 (then 1 - multiplier = a (2 - a) > 0); marginal when a = 0 or
    a = 2 to within the tolerance."""
    if not a or abs(two_minus_a) <= tolerance * max(1, abs(a)):
        return MARGINAL
    return STABLE if a > 0 and two_minus_a > 0 else UNSTABLE


def _at_precision(f, eta: float, x_eta: float, dps: int):
    """(a, verdict) at ``dps`` digits: Newton on eta f'(x) = 2x from x_eta, then a."""
    with mpmath.workdps(dps + 10):
        e, x = mpmath.mpf(eta), mpmath.mpf(x_eta)
        for _ in range(60):
            slope = e * f._curvature_mp(x) - 2
            if not slope:
                break
            step = (e * f._slope_mp(x) - 2 * x) / slope
            x -= step
            if abs(step) <= abs(x) * mpmath.mpf(10) ** (-dps - 5):
                break
        if not (mpmath.isfinite(x) and abs(x - x_eta) <= 1e-6 * x_eta):
            x = mpmath.mpf(x_eta)  # Newton wandered off (a kink): stay on the float root
        a = e * f._curvature_mp(x)
        if not mpmath.isfinite(a):
            raise ValueError("f'' is not finite at x_eta")
        verdict = _verdict(a, 2 - a, mpmath.mpf(10) ** (-dps + 10))
        return a, a * (2 - a), verdict


def stability(f, eta: float, x_eta: float) -> Stability:
    """The stability of the period-2 orbit of f at eta (x_eta its float point)."""
    previous = None
    try:
        for dps in PRECISIONS:
            a, margin, verdict = _at_precision(f, eta, x_eta, dps)
            if verdict != MARGINAL and verdict == previous:
                return Stability(float(a), float(margin), verdict, f"{dps} digits (mpmath)")
            previous = verdict
        return Stability(float(a), float(margin), MARGINAL,
                         f"{PRECISIONS[-1]} digits (mpmath)")
    except (TypeError, ValueError, ZeroDivisionError, OverflowError, AttributeError):
        pass
    a = eta * float(f.d2f(x_eta))
    if not math.isfinite(a):
        return Stability(a, math.nan, MARGINAL, "float precision (f'' not representable)")
    verdict = _verdict(a, 2.0 - a, FLOAT_TOLERANCE)
    return Stability(a, a * (2.0 - a), verdict, "float precision")
