"""Theorem 4.2 (separable functions, eigen-directions) checked on a concrete function.

**Theorem 4.2** (Ma, Kunin, Wu & Ying 2022, Section 4.2).  Let f(x) = f_1(p_1^T x) + ... +
f_n(p_n^T x) (4.4), {p_i} an orthonormal basis and each f_i satisfying the conditions of
Theorem 4.1.  Then, except for a zero-measure set of x_0, the component z_t^(i) = p_i^T x_t
of the GD trajectory converges to 0 if eta <= 2/f_i''(0), otherwise to the periodic
solution {+x_eta^(i), -x_eta^(i)} of f_i.

*Proof* (paper): since the p_i are orthonormal, p_i^T grad f(x) = f_i'(p_i^T x), so each
component follows GD on f_i and Theorem 4.1 applies.

What :func:`check_theorem_4_2` computes:

* hypotheses -- the form (4.4) (a :class:`theory.catalog.Separable`, or a landscape whose
  expression is a sum of one-variable terms, recognised symbolically) with an orthonormal
  basis (exact for signed permutation matrices, else max |P P^T - I|); Theorem 4.1's
  hypotheses for every f_i (interval certificates, as in :mod:`proofs_check.theorem_4_1`);
* constants -- each threshold 2/f_i''(0) and certified enclosures of x_eta^(i);
* proof step -- the decoupling p_i^T grad f(x) = f_i'(p_i^T x), at seeded random points,
  with the landscape's own (symbolic) gradient;
* conclusion -- GD on the whole landscape from seeded starting points; each component's
  measured limit against 0 or +-x_eta^(i); the number of sign patterns of the limits
  ("exponentially many period-2 solutions").
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import sympy as sp

from proofs_check._gd import gradient_descent
from proofs_check._inputs import CheckInputError, any_function, learning_rates, positive_integer
from proofs_check._onedim import analysis
from proofs_check._results import Check, ClaimResult, Constant, Status, combine
from proofs_check._separable import decomposition
from proofs_check.lemma_4_1 import x_eta_constant
from proofs_check.theorem_4_1 import CONVERGED, theorem_hypotheses

CLAIM = "Theorem 4.2"


def default_learning_rates(thresholds) -> list[float]:
    """Below all thresholds, between each pair of distinct neighbours, above all."""
    values = sorted(set(thresholds))
    out = [0.5 * values[0]]
    out += [math.sqrt(a * b) for a, b in itertools.pairwise(values)]
    out.append(2.0 * values[-1])
    return out


def check_theorem_4_2(function, eta=None, *, starts: int = 16, seed: int = 0,
                      max_steps: int = 5000) -> ClaimResult:
    """Check Theorem 4.2 on a separable function (a theory.catalog.Separable, a landscape
    that is a sum of one-variable terms, or a catalog name such as ``"two_layer_2d"``).

    ``eta``: a learning rate, a sequence, or None (below, between and above the
    components' thresholds).
    """
    obj = any_function(function)
    parts = decomposition(obj)
    if parts is None:
        raise CheckInputError(
            f"function={getattr(obj, 'name', obj)!r} is not of the form (4.4) "
            "f(x) = sum_i f_i(p_i^T x): give a theory.catalog.Separable or a landscape whose "
            "expression is a sum of one-variable terms"
        )
    functions, basis, land, exact_basis = parts
    starts = positive_integer("starts", starts)
    max_steps = positive_integer("max_steps", max_steps)
    thresholds = [float(f.threshold) for f in functions]
    etas = learning_rates(eta, default_learning_rates(thresholds))
    n = len(functions)
    name = getattr(obj, "name", None) or land.name

    deviation = float(np.max(np.abs(basis @ basis.T - np.eye(n))))
    form = Check(
        "form (4.4)", "f(x) = sum_i f_i(p_i^T x) with {p_i} an orthonormal basis (4.4)",
        Status.HOLDS if deviation <= 1e-12 else Status.FAILS,
        "symbolic" if exact_basis else "numeric", exact_basis and deviation == 0,
        ("exact: a sum of one-variable terms along a signed permutation basis" if exact_basis
         else f"max |P P^T - I| = {deviation:.3g} (float basis)"),
        data={"components": [f.name for f in functions]},
    )
    per_component = []
    for i, f in enumerate(functions):
        hyps = theorem_hypotheses(analysis(f))
        used = [h for h in hyps if h.used_by_proof]
        status = combine(h.status for h in used)
        missing = [h.name for h in used if h.status is not Status.HOLDS]
        per_component.append(Check(
            f"f_{i + 1}: Theorem 4.1", f"f_{i + 1} = {f.name} satisfies the conditions of "
            "Theorem 4.1", status, "interval", all(h.certified for h in used)
            and status is not Status.UNKNOWN,
            "all hold (certified)" if not missing else
            "; ".join(f"{h.name}: {h.status.value} ({h.evidence[:160]})" for h in used
                      if h.status is not Status.HOLDS),
            data={"hypotheses": [h.to_dict() for h in hyps]}))
    hypotheses = (form, *per_component)

    constants = [Constant(f"threshold 2/f_{i + 1}''(0)", t, certified=False,
                          note=f"exact: {functions[i].threshold}")
                 for i, t in enumerate(thresholds)]
    targets: dict[tuple[int, float], float | None] = {}
    for value in etas:
        for i, f in enumerate(functions):
            if sp.Rational(value) > f.threshold:
                constant, record = x_eta_constant(analysis(f), value)
                if constant is not None:
                    constants.append(Constant(f"x_eta^({i + 1})(eta={value:.6g})", constant.value,
                                              constant.lower, constant.upper, True, constant.note))
                targets[(i, value)] = constant.value if constant is not None else math.nan
            else:
                targets[(i, value)] = None

    rng = np.random.default_rng(seed)
    probe = rng.normal(size=(64, n)) * 2.0
    z = probe @ basis.T
    with np.errstate(all="ignore"):
        projected = np.asarray(land.gradient(probe)) @ basis.T
        direct = np.stack([f.df(z[:, i]) for i, f in enumerate(functions)], axis=1)
    mismatch = float(np.max(np.abs(projected - direct) / (1 + np.abs(direct))))
    decouple = Check("decoupling", "p_i^T grad f(x) = f_i'(p_i^T x) (proof of Theorem 4.2)",
                     Status.HOLDS if mismatch <= 1e-9 else Status.FAILS, "numeric", False,
                     f"64 seeded points: max relative difference {mismatch:.3g} between the "
                     "landscape's gradient projected on p_i and f_i'")

    scale = max(analysis(f).scale for f in functions)
    records = []
    verdicts = []
    for value in etas:
        status, text, record = _simulate(land, functions, basis, value, targets, scale, rng,
                                         starts, max_steps)
        records.append(record)
        verdicts.append((status, text))
    conclusion = Check(
        "components converge to 0 or +-x_eta^(i)",
        "except for a zero-measure set of x_0, z_t^(i) = p_i^T x_t converges to 0 if "
        "eta <= 2/f_i''(0), else to {+-x_eta^(i)} (Theorem 4.2)",
        combine(s for s, _ in verdicts), "simulation", False,
        "; ".join(t for _, t in verdicts), data={"runs": records})
    return ClaimResult(CLAIM, name, etas, hypotheses, tuple(constants), (decouple,),
                       conclusion).noting_unmet_hypotheses()


def _distances(comps: np.ndarray, functions, targets, value) -> tuple[np.ndarray, np.ndarray]:
    """Per component: distance of z^(i) to its limit set, and the reference length."""
    dist, ref = [], []
    for i, f in enumerate(functions):
        target = targets[(i, value)]
        if target is None:
            dist.append(np.abs(comps[..., i]))
            ref.append(analysis(f).scale)
        else:
            dist.append(np.abs(np.abs(comps[..., i]) - target))
            ref.append(target)
    return np.stack(dist, axis=-1), np.array(ref)


def _simulate(land, functions, basis, value, targets, scale, rng, starts, max_steps):
    n = len(functions)
    if any(t is not None and math.isnan(t) for (i, e), t in targets.items() if e == value):
        missing = [i + 1 for i in range(n) if targets[(i, value)] is not None
                   and math.isnan(targets[(i, value)])]
        return Status.FAILS, (f"eta = {value:.6g}: no certified x_eta for component(s) "
                              f"{missing}"), {"eta": value, "missing": missing}
    radii = scale * np.exp(rng.uniform(np.log(1e-2), np.log(10.0), starts))
    u = rng.normal(size=(starts, n))
    x = radii[:, None] * u / np.linalg.norm(u, axis=1, keepdims=True)
    steps = 0
    grew = np.zeros(n, dtype=bool)
    diverged = False
    while steps < max_steps:
        run = gradient_descent(land.gradient, x, value, min(500, max_steps - steps))
        steps += run.path.shape[0] - 1
        x = run.final
        if run.diverged.any():
            diverged = True
            break
        dist, ref = _distances(run.path @ basis.T, functions, targets, value)
        increase = np.diff(dist, axis=0) > 1e-12 * np.maximum(dist[:-1], ref)
        grew |= increase.any(axis=(0, 1))
        if np.all(dist[-1] <= CONVERGED * ref):
            break
        if grew.any() and steps >= 3000:
            break
    comps = x @ basis.T
    dist, ref = _distances(comps, functions, targets, value)
    per = []
    statuses = []
    for i in range(n):
        target = targets[(i, value)]
        worst = float(np.max(dist[:, i]))
        if worst <= CONVERGED * ref[i]:
            statuses.append(Status.HOLDS)
            note = ""
        elif grew[i]:
            statuses.append(Status.FAILS)
            note = " (NOT converging: the distance grows)"
        else:
            statuses.append(Status.UNKNOWN)
            note = " (still converging)"
        per.append(f"z^({i + 1}) -> {'0' if target is None else f'+-{target:.6g}'}: max "
                   f"distance {worst:.3g}{note}")
    if diverged:
        statuses.append(Status.FAILS)
        per.append("GD diverged")
    above = [i for i in range(n) if targets[(i, value)] is not None]
    patterns = len({tuple(np.sign(row[above]).astype(int)) for row in comps}) if above else 1
    record = {"eta": value, "steps": steps, "components": per, "sign_patterns": patterns}
    text = (f"eta = {value:.6g} ({steps} steps, {starts} starts): " + "; ".join(per)
            + (f"; {patterns} distinct sign patterns of the period-2 limits" if above else ""))
    return combine(statuses), text, record
