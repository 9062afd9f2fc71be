"""Hypothesis strategies for functions that satisfy (or violate) the hypotheses of Section 4.

Every strategy builds its functions *by construction* from the families of
:mod:`proofs_check.families` (no ``assume``, no ``filter``): a drawn function satisfies the
hypotheses its strategy promises, which the package's own suite certifies with the interval
checks (:func:`proofs_check.testing.certify_hypotheses`).  Parameters are small exact
rationals, so sympy keeps f''(0) and the threshold 2/f''(0) exact; constructed functions are
cached (building a :class:`theory.Subquadratic` takes sympy limits, ~0.1-0.8 s).  Hypothesis
shrinks towards the first branch of ``one_of`` and the first element of a sampled list, so
strategies list the simplest member first: a shrunk counterexample is as simple as the
family allows (``1*f1(1*x)`` before ``3/4*log_cosh(5/2*x)``).

One-dimensional functions (:class:`theory.Subquadratic`):

* :func:`subquadratic_functions` -- Theorem 4.1 (f'' even, positive, strictly decreasing in
  |x|, tending to 0): a f(b x) for f in {f1, pseudo-Huber, log cosh}, positive sums, and
  a g(b x) for a positive sum g (composition with linear maps keeps the class);
* :func:`lemma_4_1_functions` -- Lemma 4.1 (f'' non-increasing, -> 0): the above and the
  flat-top family (f'' constant near 0, so not strictly decreasing);
* :func:`definition_4_1_functions` -- non-convex members of Definition 4.1 (Theorem 4.3);
* :func:`c1_piecewise_functions` -- C^1 but not C^2 piecewise functions, like f2;
* :func:`violating_exactly_one` -- functions violating exactly one hypothesis of Lemma 4.1 /
  Theorem 4.1 (and the stronger ones it implies), for negative tests;
* :func:`theorem_4_1_functions`, :func:`violating_functions` -- the draws the package's own
  suite uses (kept stable so that its derandomized CI examples do not change);
* :func:`asymmetric_flip_functions` -- beyond the paper (issue 21): asymmetric functions with
  a shifted minimum whose flip direction is known by construction (:class:`FlipCase`).

Learning rates and landscapes: :func:`learning_rates` (relative to a function's threshold),
:func:`theorem_4_1_cases`; :func:`valleys` and :func:`slow_valleys` -- F(x, y) = f(h(x) y)
(Section 4.4); :func:`separable_landscapes` and :func:`separable_cases` -- (4.4) along random
orthonormal bases (Theorem 4.2).

**Extension point: optimizers.**  :data:`OPTIMIZERS` is the package's optimizer vocabulary
(the registry :data:`theory.optimizers.MAPS`); :func:`optimizers` draws a name from it and
:func:`optimizer_settings` a name with its hyperparameters, so an optimizer added to the
registry is covered here without a change.

This module needs Hypothesis (``pip install 'multiscale-landscapes[test]'``); importing
:mod:`proofs_check` itself does not import it.
"""

from __future__ import annotations

from itertools import pairwise
from typing import NamedTuple

import numpy as np
import sympy as sp

try:
    from hypothesis import strategies as st
    from hypothesis.strategies import SearchStrategy, composite
except ImportError as exc:  # pragma: no cover - exercised only without hypothesis
    raise ImportError("proofs_check.strategies needs Hypothesis: pip install hypothesis (or "
                      "the 'test' extra of multiscale-landscapes)") from exc

from proofs_check import families as fam
from proofs_check._bifurcation_strategies import FlipCase, asymmetric_flip_functions  # noqa: F401
from proofs_check.families import PROFILES, SCALES, SIMPLE_SCALES
from theory import Subquadratic, catalog
from theory.catalog import Separable, Valley
from theory.errors import MslValueError
from theory.optimizers import MAPS, OPTIMIZER_NAMES

#: optimizers a conjecture can be stated for: the registry's names (extension point above)
OPTIMIZERS: tuple[str, ...] = OPTIMIZER_NAMES
#: eta / threshold ranges of :func:`learning_rates` (above 3 the orbit of bounded-gradient
#: profiles such as log cosh attracts too slowly to be observed)
BELOW_THRESHOLD = (0.05, 0.95)
ABOVE_THRESHOLD = (1.2, 3.0)
#: hypotheses :func:`violating_exactly_one` can violate
VIOLATIONS = ("C^1", "C^2", "f'' non-increasing", "f'' -> 0", "f'' strictly decreasing")


class StrategyArgumentError(MslValueError):
    """An argument of a strategy was rejected."""


class Violation(NamedTuple):
    """A function violating ``hypothesis`` (and the stronger hypotheses it implies, see
    :data:`proofs_check.testing.IMPLIED_FAILURES`) and no other hypothesis of Lemma 4.1 /
    Theorem 4.1."""

    hypothesis: str
    function: Subquadratic


# ---------------------------------------------------------------------------- Theorem 4.1
def scaled_profiles(kinds: tuple[str, ...] = PROFILES, scales: tuple = SCALES
                    ) -> SearchStrategy[Subquadratic]:
    """a f(b x): f'' = a b^2 f_0''(b x) strictly decreasing in |x|, tending to 0."""
    return st.builds(fam.profile, st.sampled_from(kinds), st.sampled_from(scales),
                     st.sampled_from(scales))


def _terms(scales: tuple) -> SearchStrategy[tuple]:
    term = st.tuples(st.sampled_from(PROFILES), st.sampled_from(scales), st.sampled_from(scales))
    return st.lists(term, min_size=2, max_size=3, unique_by=lambda t: t[0]).map(
        lambda terms: tuple(sorted(terms, key=lambda t: t[0])))


def positive_combinations(scales: tuple = SCALES) -> SearchStrategy[Subquadratic]:
    """Sums of two or three scaled profiles with positive weights (f'' is a positive sum of
    strictly decreasing functions tending to 0)."""
    return _terms(scales).map(fam.combination)


def theorem_4_1_functions() -> SearchStrategy[Subquadratic]:
    """Functions satisfying the hypotheses of Lemma 4.1 and Theorem 4.1 (the draws of the
    package's own suite; :func:`subquadratic_functions` is the broader, simplest-first one)."""
    return st.one_of(scaled_profiles(), positive_combinations())


def subquadratic_functions() -> SearchStrategy[Subquadratic]:
    """The Theorem 4.1 class: f even, f'' > 0 strictly decreasing in |x| and -> 0 (hence
    Lemma 4.1 too).  Scaled profiles, positive sums, and rescaled sums a g(b x); shrinks
    towards ``1*f1(1*x)``."""
    return st.one_of(scaled_profiles(scales=SIMPLE_SCALES),
                     positive_combinations(SIMPLE_SCALES), rescaled_combinations())


def rescaled_combinations() -> SearchStrategy[Subquadratic]:
    """a g(b x) for g a positive sum of scaled profiles (Theorem 4.1's class is closed under
    x -> b x and y -> a y)."""
    return st.builds(fam.rescaled, _terms(SIMPLE_SCALES), st.sampled_from(SIMPLE_SCALES),
                     st.sampled_from(SIMPLE_SCALES))


def flat_tops() -> SearchStrategy[Subquadratic]:
    """a flat_top(b x): Lemma 4.1 holds, f'' is constant near 0 (not strictly decreasing)."""
    return st.builds(fam.flat_top, st.sampled_from(SIMPLE_SCALES),
                     st.sampled_from(SIMPLE_SCALES))


def lemma_4_1_functions() -> SearchStrategy[Subquadratic]:
    """The Lemma 4.1 class (even, C^2, f'' non-increasing in |x| and -> 0): Theorem 4.1's
    class and the flat-top family."""
    return st.one_of(subquadratic_functions(), flat_tops())


# ---------------------------------------------------------------------------- learning rates
def learning_rate_factors(side: str) -> SearchStrategy[float]:
    """eta / threshold: below (0.05 ... 0.95) or above (1.2 ... 3)."""
    if side == "below":
        return st.floats(*BELOW_THRESHOLD)
    if side == "above":
        return st.floats(*ABOVE_THRESHOLD)
    raise StrategyArgumentError(f"side={side!r} must be 'below' or 'above'")


def learning_rates(f: Subquadratic, above_threshold: bool | None = True
                   ) -> SearchStrategy[float]:
    """Learning rates eta relative to f's threshold 2/f''(0): above it (1.2 ... 3 times,
    GD settles on the 2-cycle {+-x_eta} in Theorem 4.1's class) when ``above_threshold`` is
    True, below it (0.05 ... 0.95 times, GD converges to 0) when False, either when None."""
    if not isinstance(f, Subquadratic):
        raise StrategyArgumentError(f"f={f!r} must be a theory.Subquadratic")
    if above_threshold not in (True, False, None):
        raise StrategyArgumentError(f"above_threshold={above_threshold!r} must be True, False "
                                    "or None")
    threshold = float(f.threshold)
    sides = {True: ("above",), False: ("below",), None: ("below", "above")}[above_threshold]
    return st.one_of(*(learning_rate_factors(s) for s in sides)).map(lambda k: threshold * k)


@composite
def theorem_4_1_cases(draw, side: str | None = None) -> tuple[Subquadratic, float]:
    """(f, eta) with f satisfying Theorem 4.1's hypotheses and eta on the drawn side of the
    threshold."""
    f = draw(theorem_4_1_functions())
    chosen = side or draw(st.sampled_from(("below", "above")))
    return f, float(f.threshold) * draw(learning_rate_factors(chosen))


def optimizers() -> SearchStrategy[str]:
    """The optimizers of :data:`OPTIMIZERS` (the registry; shrinks to ``"gd"``)."""
    return st.sampled_from(OPTIMIZERS)


@composite
def optimizer_settings(draw, names: tuple[str, ...] | None = None
                       ) -> tuple[str, dict[str, float]]:
    """(name, hyperparameters): an optimizer of ``names`` (default :data:`OPTIMIZERS`) and
    each of its registry hyperparameters drawn from [minimum, minimum + 0.9] (beta < 1)."""
    name = draw(st.sampled_from(names or OPTIMIZERS))
    params = {h.name: draw(st.floats(h.minimum, h.minimum + 0.9)) for h in MAPS[name].hyper}
    return name, params


# ---------------------------------------------------------------------------- other classes
def population_losses() -> SearchStrategy[Subquadratic]:
    """Population losses (Section 6) for uniform, linear and quadratic densities on [0, C]:
    non-convex, but L'(w) = 2 w int_0^{1/w} x^2 dmu > 0 and L'(w)/w -> 0 (Definition 4.1)."""
    return st.builds(fam.population_loss, st.sampled_from(fam.DENSITIES),
                     st.sampled_from((sp.Integer(1), sp.Integer(2), sp.Integer(3),
                                      sp.Integer(5))))


def definition_4_1_functions() -> SearchStrategy[Subquadratic]:
    """Non-convex 1-D functions satisfying Definition 4.1 (f' > 0 on x > 0, f'(x)/x -> 0)."""
    return st.one_of(
        population_losses(),
        st.sampled_from((1, 2, 3, 5)).map(lambda C: catalog.f2(C)),
        st.builds(fam.f2_plus_f1, st.sampled_from((sp.Integer(1), sp.Integer(3))),
                  st.sampled_from((sp.Rational(1, 10), sp.Rational(1, 2), sp.Integer(1)))),
    )


def c1_piecewise_functions() -> SearchStrategy[Subquadratic]:
    """Piecewise functions that are C^1 but not C^2 (f'' jumps), like f2 (6.2): the Huber
    loss a huber(b x), kinked_f1 (f'' jumps down) and f2(C) (non-convex)."""
    halves = (sp.Rational(1, 2), sp.Rational(1, 4), sp.Rational(3, 4))
    return st.one_of(
        st.builds(fam.huber, st.sampled_from(SIMPLE_SCALES), st.sampled_from(SIMPLE_SCALES)),
        st.builds(fam.kinked_f1, st.sampled_from(halves), st.sampled_from(SIMPLE_SCALES)),
        st.sampled_from((1, 2, 3, 5)).map(lambda C: catalog.f2(C)),
    )


def _violations(hypothesis: str) -> SearchStrategy[Subquadratic]:
    halves = (sp.Rational(1, 2), sp.Rational(1, 4), sp.Rational(3, 4))
    if hypothesis == "C^1":  # f' drops by c < ln(1 + s): s >= 1 keeps c <= 3/4 below ln 2
        return st.builds(fam.slope_jump_f1, st.sampled_from((sp.Rational(1, 4),
                                                             sp.Rational(1, 2))),
                         st.sampled_from((sp.Integer(1), sp.Integer(2), sp.Integer(3))))
    if hypothesis == "C^2":
        return st.builds(fam.kinked_f1, st.sampled_from(halves), st.sampled_from(SIMPLE_SCALES))
    if hypothesis == "f'' non-increasing":
        return st.builds(fam.bumped_pseudo_huber,
                         st.sampled_from((sp.Integer(1), sp.Rational(1, 2), sp.Integer(2),
                                          sp.Integer(4))))
    if hypothesis == "f'' -> 0":
        return st.builds(fam.quadratic_plus_f1, st.sampled_from(SIMPLE_SCALES[:8]),
                         st.sampled_from(SIMPLE_SCALES))
    if hypothesis == "f'' strictly decreasing":
        return flat_tops()
    raise StrategyArgumentError(f"hypothesis={hypothesis!r} must be one of {VIOLATIONS}")


def violating_exactly_one(hypothesis: str | None = None) -> SearchStrategy[Violation]:
    """:class:`Violation` (hypothesis, f): f violates ``hypothesis`` (drawn from
    :data:`VIOLATIONS` when None) and, of the hypotheses of Theorem 4.1 (Lemma 4.1's and
    strict decrease of f''), only it and the stronger ones it implies (C^1 -> C^2,
    non-increasing -> strictly decreasing)."""
    names = VIOLATIONS if hypothesis is None else (hypothesis,)
    for name in names:
        if name not in VIOLATIONS:
            raise StrategyArgumentError(f"hypothesis={name!r} must be one of {VIOLATIONS}")
    return st.one_of(*(_violations(n).map(lambda f, n=n: Violation(n, f))  # type: ignore[misc]
                       for n in names))


def violating_functions() -> SearchStrategy[Subquadratic]:
    """Functions breaking a hypothesis of Lemma 4.1 / Theorem 4.1: a x^2 + b f1 (f'' does
    not vanish), f2(C) (f'' not decreasing), empirical losses of Section 6 (f' jumps)."""
    return st.one_of(
        st.builds(fam.quadratic_plus_f1, st.sampled_from(SCALES[:8]), st.sampled_from(SCALES)),
        st.sampled_from((1, 2, 3, 5)).map(lambda C: catalog.f2(C)),
        st.lists(st.sampled_from((1, 2, 5, 10, 20)), min_size=2, max_size=3, unique=True)
        .map(lambda d: fam.empirical_loss(tuple(sorted(d)))),
    )


# ---------------------------------------------------------------------------- landscapes
def orthonormal_bases(n: int) -> SearchStrategy[np.ndarray]:
    """Haar-random orthonormal n x n bases (rows p_i), from a drawn seed."""
    return st.integers(0, 2**32 - 1).map(lambda seed: catalog.random_orthonormal_basis(n, seed))


def separable_landscapes(dims: tuple[int, int] = (2, 3)) -> SearchStrategy[Separable]:
    """f(x) = sum_i f_i(p_i^T x) (4.4) with f_i scaled profiles a f(b x) (each satisfies
    Theorem 4.1, so Theorem 4.2 applies) along a random orthonormal basis of dimension n in
    ``dims`` = (min, max)."""
    lo, hi = dims
    if not (isinstance(lo, int) and isinstance(hi, int) and 1 <= lo <= hi):
        raise StrategyArgumentError(f"dims={dims!r} must be (min, max) with 1 <= min <= max")

    @composite
    def draw_separable(draw) -> Separable:
        n = draw(st.integers(lo, hi))
        functions = [draw(scaled_profiles(scales=SIMPLE_SCALES)) for _ in range(n)]
        return catalog.separable(functions, draw(orthonormal_bases(n)))

    return draw_separable()


@composite
def separable_cases(draw) -> tuple[Separable, float]:
    """(f, eta): f(x) = sum_i a_i f1(p_i^T x) (4.4) with 2 or 3 distinct weights a_i in
    {1/2, 1, 2, 4} (thresholds 2/a_i within a factor 8, so every component converges within
    a few hundred steps), along a random orthonormal basis; eta below all thresholds,
    between two of them (geometric mean) or above all."""
    n = draw(st.integers(2, 3))
    weights = draw(st.lists(st.sampled_from((sp.Rational(1, 2), sp.Integer(1), sp.Integer(2),
                                             sp.Integer(4))), min_size=n, max_size=n,
                            unique=True))
    functions = [fam.profile("f1", a, sp.Integer(1)) for a in weights]
    basis = draw(orthonormal_bases(n))
    thresholds = sorted(float(f.threshold) for f in functions)
    candidates = [0.5 * thresholds[0], 2.0 * thresholds[-1]]
    candidates += [float(np.sqrt(a * b)) for a, b in pairwise(thresholds)]
    eta = draw(st.sampled_from(candidates))
    return catalog.separable(functions, basis), float(eta)


def valleys() -> SearchStrategy[Valley]:
    """F(x1, x2) = f(h(x1) x2) (Section 4.4): f a scaled profile (Theorem 4.1), h > 0 from
    :data:`proofs_check.families.FLATNESS` with slope s in {1/10, 1/4, 1/2, 1}."""
    slopes = (sp.Rational(1, 10), sp.Rational(1, 4), sp.Rational(1, 2), sp.Integer(1))
    return st.builds(fam.flat_valley, scaled_profiles(scales=SIMPLE_SCALES[:4]),
                     st.sampled_from(fam.FLATNESS), st.sampled_from(slopes))


@composite
def slow_valleys(draw) -> tuple[Valley, float]:
    """(valley, eta): F(x1, x2) = f(b x2/(1 + s x1)), f the pseudo-Huber loss (its orbit
    amplitude vanishes like sqrt(eta - threshold), so the flow stops within a few thousand
    steps; it also has a closed-form x_eta, which keeps (4.8) fast), b in {1/2, 1, 2}, the
    relative slope s/b in [1/50, 1/25] (slowly varying, yet the flow ends within 4000 steps),
    and eta 1.3 ... 1.8 times the threshold at x1 = 0."""
    b = draw(st.sampled_from((sp.Rational(1, 2), sp.Integer(1), sp.Integer(2))))
    ratio = draw(st.sampled_from((sp.Rational(1, 50), sp.Rational(1, 40), sp.Rational(1, 30),
                                  sp.Rational(1, 25))))
    v = fam.valley(b, b * ratio)
    factor = draw(st.floats(1.3, 1.8))
    return v, float(v.f.threshold) * factor
