"""Certified hypotheses and assertion helpers for tests about Section 4's claims.

For a researcher's own property tests (and the package's): certify which hypotheses of
Lemma 4.1, Theorem 4.1 or Definition 4.1 a function satisfies, and assert a claim at a
learning rate with a failure message that names the function, the learning rate, the
violated inequality and the certified interval.  Used by the pytest plugin
(:mod:`proofs_check.pytest_plugin`) and usable without pytest::

    from proofs_check.testing import assert_theorem_4_1, certify_hypotheses

    assert_theorem_4_1("log(cosh(x))", eta=3.0)
    certify_hypotheses("f2", "lemma_4_1")["f'' non-increasing"].status  # Status.FAILS

Neither this module nor :mod:`proofs_check` imports Hypothesis.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from proofs_check._inputs import CheckInputError, learning_rates, subquadratic, valid_radius
from proofs_check._onedim import DEFAULT_RADIUS, analysis
from proofs_check._results import Check, ClaimResult, Status
from proofs_check._theorem_4_3_1d import definition_4_1_hypotheses
from proofs_check.lemma_4_1 import check_lemma_4_1, lemma_hypotheses
from proofs_check.theorem_4_1 import check_theorem_4_1, theorem_hypotheses
from theory import Subquadratic

#: the hypothesis sets :func:`certify_hypotheses` knows
HYPOTHESIS_SETS = ("lemma_4_1", "theorem_4_1", "definition_4_1")
#: violating the key necessarily violates these stronger hypotheses too (C^2 implies C^1;
#: strictly decreasing implies non-increasing)
IMPLIED_FAILURES: Mapping[str, tuple[str, ...]] = {
    "C^1": ("C^2",),
    "f'' non-increasing": ("f'' strictly decreasing",),
}


class ClaimAssertionError(AssertionError):
    """A claim or hypothesis asserted by :mod:`proofs_check.testing` does not hold.

    ``function``: the function's name; ``eta``: the learning rate (None for hypotheses);
    ``check``: the violated :class:`Check`; ``intervals``: the certified ranges behind it.
    """

    def __init__(self, message: str, *, function: str, eta: float | None, check: Check,
                 intervals: tuple[str, ...]):
        super().__init__(message)
        self.function, self.eta, self.check, self.intervals = function, eta, check, intervals


def certify_hypotheses(function: Subquadratic | str, hypotheses: str = "theorem_4_1", *,
                       radius: float = DEFAULT_RADIUS) -> dict[str, Check]:
    """The hypotheses of ``hypotheses`` (one of :data:`HYPOTHESIS_SETS`) on a 1-D function,
    name -> :class:`Check`, certified on [0, radius] by intervals where they can be (see
    docs/proofs.md).  No GD is run, so this takes a fraction of a second."""
    f = subquadratic(function)
    a = analysis(f, valid_radius(radius))
    if hypotheses == "lemma_4_1":
        checks = lemma_hypotheses(a)
    elif hypotheses == "theorem_4_1":
        checks = theorem_hypotheses(a)
    elif hypotheses == "definition_4_1":
        checks = definition_4_1_hypotheses(a)
    else:
        raise CheckInputError(f"hypotheses={hypotheses!r} must be one of {HYPOTHESIS_SETS}")
    return {c.name: c for c in checks}


def certified_intervals(check: Check) -> tuple[str, ...]:
    """The ranges of the interval certificates behind a check, e.g. ``(0, 1.09951e+12]``."""
    data = check.data
    found = []
    for cert in ([data["certificate"]] if "certificate" in data else []) + list(
            data.get("certificates", ())):
        if isinstance(cert, Mapping) and "range" in cert:
            lo, hi = cert["range"]
            left = "(" if cert.get("open_at_lower") else "["
            found.append(f"{cert.get('statement', '')} on {left}{float(lo):.6g}, "
                         f"{float(hi):.6g}]".strip())
    return tuple(found)


def _message(head: str, check: Check, intervals: tuple[str, ...], extra: str = "",
             label: str = "violated") -> str:
    where = "; ".join(intervals) if intervals else f"none ({check.method} evidence only)"
    return (f"{head}\n  {label}: {check.name} -- {check.statement}\n"
            f"  status: {check.status.value} ({'certified' if check.certified else 'not certified'}"
            f", by {check.method})\n  certified interval: {where}{extra}\n"
            f"  evidence: {check.evidence}")


def _fail(head: str, check: Check, *, function: str, eta: float | None, extra: str = "",
          label: str = "violated"):
    intervals = certified_intervals(check)
    raise ClaimAssertionError(_message(head, check, intervals, extra, label), function=function,
                              eta=eta, check=check, intervals=intervals)


def assert_hypotheses(function: Subquadratic | str, hypotheses: str = "theorem_4_1", *,
                      fails: Iterable[str] = (), radius: float = DEFAULT_RADIUS) -> None:
    """Every hypothesis of the set holds, certified, except those named in ``fails``, which
    fail, certified (a name of :data:`IMPLIED_FAILURES` brings its implied failures along)."""
    f = subquadratic(function)
    checks = certify_hypotheses(f, hypotheses, radius=radius)
    expected = set(fails)
    for name in list(expected):
        expected |= set(IMPLIED_FAILURES.get(name, ()))
    unknown = expected - set(checks)
    if unknown:
        raise CheckInputError(f"fails={sorted(unknown)} are not hypotheses of {hypotheses} "
                              f"({list(checks)})")
    for name, check in checks.items():
        want = Status.FAILS if name in expected else Status.HOLDS
        if check.status is not want or not check.certified:
            head = (f"hypothesis {name!r} of {hypotheses} on f = {f.name}: expected "
                    f"{want.value} (certified), got {check.status.value}"
                    f"{'' if check.certified else ' (not certified)'}")
            _fail(head, check, function=f.name, eta=None,
                  label="violated" if want is Status.HOLDS else "hypothesis")


def _single_eta(eta) -> float:
    values = learning_rates(eta, ())
    if len(values) != 1:
        raise CheckInputError(f"eta={eta!r} must be one learning rate")
    return values[0]


def _assert_claim(result: ClaimResult, f: Subquadratic, eta: float, require_certified: bool
                  ) -> None:
    threshold = float(f.threshold)
    head = (f"{result.claim} fails for f = {f.name} at eta = {eta:.10g} (threshold 2/f''(0) = "
            f"{threshold:.10g}, eta/threshold = {eta / threshold:.6g})")
    enclosures = [c for c in result.constants if c.certified and c.name.startswith("x_eta")]
    extra = "".join(f"\n  {c.name} in [{c.lower:.12g}, {c.upper:.12g}] (certified)"
                    for c in enclosures)
    for check in result.hypotheses:
        if check.used_by_proof and (check.status is not Status.HOLDS
                                    or (require_certified and not check.certified)):
            _fail(f"{head}: a hypothesis is not met", check, function=f.name, eta=eta,
                  extra=extra)
    for check in result.proof_steps:
        if check.status is Status.FAILS or (require_certified and not check.certified):
            _fail(f"{head}: a step of the proof does not hold", check, function=f.name,
                  eta=eta, extra=extra)
    if result.conclusion.status is not Status.HOLDS:
        _fail(f"{head}: the conclusion does not hold", result.conclusion, function=f.name,
              eta=eta, extra=extra)


def assert_lemma_4_1(function: Subquadratic | str, eta: float, *,
                     radius: float = DEFAULT_RADIUS, require_certified: bool = True
                     ) -> ClaimResult:
    """Lemma 4.1 on f at ``eta``: its hypotheses hold, the proof's steps hold (certified
    unless ``require_certified=False``) and x_eta exists iff eta > 2/f''(0).  Raises
    :class:`ClaimAssertionError`; returns the :class:`ClaimResult` otherwise."""
    f, value = subquadratic(function), _single_eta(eta)
    result = check_lemma_4_1(f, value, radius=radius)
    _assert_claim(result, f, value, require_certified)
    return result


def assert_theorem_4_1(function: Subquadratic | str, eta: float, *,
                       radius: float = DEFAULT_RADIUS, starts: int = 16, seed: int = 0,
                       max_steps: int = 20000, require_certified: bool = True) -> ClaimResult:
    """Theorem 4.1 on f at ``eta``: the hypotheses hold, the proof's inequalities ((4.2)
    above the threshold, the contraction below) hold on (0, radius] (certified unless
    ``require_certified=False``) and GD from ``starts`` seeded points converges to 0 or to
    {+-x_eta}.  Raises :class:`ClaimAssertionError` naming the function, the learning rate,
    the violated inequality and the certified interval."""
    f, value = subquadratic(function), _single_eta(eta)
    result = check_theorem_4_1(f, value, radius=radius, starts=starts, seed=seed,
                               max_steps=max_steps)
    _assert_claim(result, f, value, require_certified)
    return result
