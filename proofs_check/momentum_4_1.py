"""Lemma 4.1 and Theorem 4.1 for heavy-ball and Nesterov momentum (issue 13).

**Lemma 4.1 for momentum** (derived in :mod:`theory.optimizers`, docs/theory.md).  For the
map on (x_t, x_{t-1}), the symmetric period-2 orbit {+a, -a} solves
eta f'(s a) = 2 (1 + beta) a (heavy ball: s = 1; Nesterov: s = 1 + 2 beta), i.e. GD's
equation eta_eff f'(b) = 2b at b = s a with eta_eff = eta/(1+beta) (heavy ball) or
eta (1+2beta)/(1+beta) (Nesterov).  So, under Lemma 4.1's hypotheses, a exists exactly for
eta above the optimizer's threshold (eta_eff > 2/f''(0)) and increases with eta (eta_eff and
x^GD increase, s is constant).

:func:`check_lemma_4_1_momentum` checks: the hypotheses (GD's, exactly as
:mod:`proofs_check.lemma_4_1`); the reduction (sympy identities: the period-2 equation minus
GD's at (eta_eff, s a) is 0; eta_eff at the threshold is 2/f''(0); d eta_eff / d eta > 0;
h = f'/x non-increasing by interval certificate); and the conclusion at learning rates on
both sides of the threshold with certified enclosures of a (GD's enclosure at eta_eff,
divided by s and widened by one ulp each side), increasing in eta, and
:func:`theory.optimizers.periodic_orbit` inside each enclosure.

**Theorem 4.1 for momentum** is *not* claimed: the paper has no proof.
:func:`simulate_theorem_4_1_momentum` reports what the compiled sweep shows: per (eta, beta),
the fraction of a grid of x0 converging to 0 below the threshold and to the period-2 orbit
{+-a} above it -- and names any other attractor found (for f1, heavy ball at beta = 0.8 has
a period-4 cycle beside the 2-cycle just above the threshold).
"""

from __future__ import annotations

import math

import numpy as np
import sympy as sp

from proofs_check import _hypotheses as hyp
from proofs_check._inputs import learning_rates, subquadratic, valid_radius
from proofs_check._onedim import DEFAULT_RADIUS, analysis
from proofs_check._results import Check, ClaimResult, Constant, Status
from proofs_check.lemma_4_1 import _conclusion, lemma_hypotheses
from theory import ETA
from theory.optimizers import (
    AMPLITUDE,
    BETA,
    CURVATURE,
    FPRIME,
    GD,
    HeavyBall,
    Nesterov,
    OptimizerError,
    derive,
    effective_learning_rate,
    periodic_orbit,
    threshold,
)

__all__ = ["check_lemma_4_1_momentum", "simulate_theorem_4_1_momentum"]

CLAIM = "Lemma 4.1 (momentum)"
DEFAULT_FACTORS = (0.5, 1.0, 1.01, 1.1, 1.5, 2.0, 5.0, 20.0)


def _optimizer(optimizer):
    if not isinstance(optimizer, (HeavyBall, Nesterov)):
        raise OptimizerError(f"optimizer={optimizer!r} must be HeavyBall(beta) or Nesterov(beta)")
    return optimizer


def _reduction_check(optimizer) -> Check:
    d = derive(optimizer)
    b = sp.Symbol("b", positive=True)
    gd_equation = d.effective_eta * FPRIME(b) - 2 * b  # GD at eta_eff, b = s a
    ratio = sp.simplify(d.period_two_equation.subs(FPRIME(d.scale * AMPLITUDE), FPRIME(b))
                        .subs(AMPLITUDE, b / d.scale) / gd_equation)
    at_threshold = sp.simplify(d.effective_eta.subs(ETA, d.threshold) - 2 / CURVATURE)
    slope = sp.simplify(sp.diff(d.effective_eta, ETA))
    increasing = slope.subs(BETA, sp.Symbol("b0", nonnegative=True)).is_positive is True
    nonneg = sp.Symbol("b0", nonnegative=True)
    factor_nonzero = ratio.free_symbols <= {BETA} and ratio.subs(BETA, nonneg).is_nonzero is True
    ok = factor_nonzero and at_threshold == 0 and increasing
    evidence = (f"period-2 equation = ({ratio}) x [eta_eff f'(b) - 2b] with b = ({d.scale}) a, "
                f"eta_eff = {d.effective_eta}; eta_eff(threshold = {d.threshold}) - 2/c = "
                f"{at_threshold}; d eta_eff/d eta = {slope} > 0")
    return Check("reduction to GD", "the momentum period-2 equation is GD's equation (Lemma "
                 "4.1) at an effective learning rate increasing in eta, equal to 2/f''(0) at "
                 "the threshold", Status.HOLDS if ok else Status.UNKNOWN, "symbolic", ok, evidence,
                 data={"effective_eta": str(d.effective_eta), "scale": str(d.scale),
                       "threshold": str(d.threshold)})


def check_lemma_4_1_momentum(function, optimizer, eta=None, *,
                             radius: float = DEFAULT_RADIUS) -> ClaimResult:
    """Check Lemma 4.1 for ``optimizer`` (HeavyBall or Nesterov) on ``function``."""
    optimizer = _optimizer(optimizer)
    f = subquadratic(function)
    a = analysis(f, valid_radius(radius))
    limit = threshold(f, optimizer)
    etas = learning_rates(eta, [limit * k for k in DEFAULT_FACTORS])
    effective = tuple(effective_learning_rate(optimizer, e) for e in etas)
    gd_check, _ = _conclusion(a, effective)
    scale = 1.0 + 2.0 * optimizer.beta if isinstance(optimizer, Nesterov) else 1.0
    constants = [Constant(f"threshold ({optimizer.name}, beta={optimizer.beta:g})", limit,
                          math.nextafter(limit, 0), math.nextafter(limit, math.inf),
                          certified=True, note="derived: see theory.optimizers.derive")]
    failures: list[str] = []
    previous = None
    original = dict(zip(effective, etas, strict=True))
    for record in gd_check.data["learning_rates"]:
        if "x_eta_lower" not in record:
            continue
        e_eff = record["eta"]
        e = original[e_eff]
        lower = math.nextafter(record["x_eta_lower"] / scale, 0.0)
        upper = math.nextafter(record["x_eta_upper"] / scale, math.inf)
        core = periodic_orbit(f, optimizer, e).x_eta
        if not lower <= core <= upper:
            failures.append(f"eta = {e:.6g}: periodic_orbit {core!r} outside "
                            f"[{lower!r}, {upper!r}]")
        if previous is not None and not previous < lower:
            failures.append(f"enclosures at eta <= {e:.6g} not strictly increasing")
        previous = upper
        constants.append(Constant(f"x_eta(eta={e:.6g}, beta={optimizer.beta:g})",
                                  (lower + upper) / 2, lower, upper, certified=True,
                                  note=f"GD's certified x at eta_eff = {e_eff:.6g}, / {scale:g}"))
    status = gd_check.status
    if failures:
        status = Status.FAILS
    conclusion = Check(
        "x_eta exists, increasing", f"for {optimizer.name} (beta = {optimizer.beta:g}) the "
        f"period-2 amplitude exists exactly for eta > {limit:.6g} and increases with eta",
        status, "interval", status is Status.HOLDS,
        "; ".join(failures) or f"via GD at eta_eff: {gd_check.evidence}",
        data={"gd_conclusion": gd_check.data, "effective_etas": list(effective)})
    steps = (_reduction_check(optimizer), hyp.h_nonincreasing(a), hyp.h_limits(a))
    return ClaimResult(CLAIM, f.name, tuple(etas), lemma_hypotheses(a), tuple(constants),
                       steps, conclusion).noting_unmet_hypotheses()


def simulate_theorem_4_1_momentum(function, method: str = "momentum", betas=(0.0, 0.5, 0.8),
                                  factors=(0.5, 0.9, 1.05, 1.5, 3.0), x0=None,
                                  steps: int = 20000) -> dict:
    """Basin fractions per (beta, eta): converged below / period-2 {+-a} above the threshold.

    Returns ``{"rows": [...], "holds_everywhere": bool, "other_attractors": [...]}``; a row
    has beta, eta, eta/threshold, the expected outcome and the fraction of x0 reaching it.
    This is a simulation report, not a proof.
    """
    from theory.dynamics import CLASS_NAMES, simulate_momentum

    f = subquadratic(function)
    x0 = np.linspace(-4.0, 4.0, 33) if x0 is None else np.asarray(x0, dtype=float)
    rows, others = [], []
    for beta in betas:
        optimizer = HeavyBall(beta) if method == "momentum" else Nesterov(beta)
        if beta == 0 and method not in ("momentum", "nesterov"):
            optimizer = GD()  # type: ignore[assignment]  # beta = 0: plain GD
        limit = threshold(f, optimizer)
        etas = np.array([limit * k for k in factors])
        sweep = simulate_momentum(f, etas, [beta], x0, steps, method=method)
        for i, (eta, k) in enumerate(zip(etas, factors, strict=True)):
            classes, periods = sweep.classes[i, 0], sweep.period[i, 0]
            if k < 1:
                hit = classes == CLASS_NAMES.index("converged")
                expected = "converged to 0"
            else:
                a = periodic_orbit(f, optimizer, eta).x_eta
                finals = np.abs(sweep.final_state[i, 0, :, 0])
                hit = (periods == 2) & np.isclose(finals, a, rtol=1e-7)
                expected = f"period 2 at +-{a:.6g}"
                for j in np.flatnonzero(~hit & (x0 != 0)):
                    others.append({"beta": beta, "eta": float(eta), "x0": float(x0[j]),
                                   "class": CLASS_NAMES[classes[j]], "period": int(periods[j]),
                                   "state": sweep.final_state[i, 0, j].tolist()})
            nonzero = x0 != 0
            rows.append({"beta": float(beta), "eta": float(eta), "eta_over_threshold": k,
                         "expected": expected,
                         "fraction": float(hit[nonzero].mean())})
    return {"function": f.name, "method": method, "steps": steps, "x0_points": int(x0.size),
            "rows": rows, "holds_everywhere": all(r["fraction"] == 1.0 for r in rows),
            "other_attractors": others}
