"""Typed Hypothesis strategies for the project's property tests (Section 4 of the paper).

Functions are drawn by construction so that they satisfy (or violate) a claim's hypotheses;
no ``assume``.  Parameters are small exact rationals, so sympy keeps f''(0) and the
threshold 2/f''(0) exact, and constructed functions are cached (building a Subquadratic
takes sympy limits).

* :func:`scaled_profiles`, :func:`positive_combinations`, :func:`theorem_4_1_functions` --
  even functions with f'' strictly decreasing in |x| and tending to 0 (Lemma 4.1, Theorem
  4.1): a f(b x) for f in {f1, pseudo-Huber sqrt(1+x^2)-1, log cosh} and positive sums;
* :func:`learning_rate_factors`, :func:`theorem_4_1_cases` -- learning rates on both sides of
  the threshold 2/f''(0);
* :func:`orthonormal_bases`, :func:`separable_cases` -- the separable functions (4.4) of
  Theorem 4.2 along random orthonormal bases;
* :func:`population_losses`, :func:`definition_4_1_functions` -- non-convex functions
  satisfying Definition 4.1 (Theorem 4.3): Section 6 population losses for drawn data
  distributions, f2(C), f2 + a f1;
* :func:`violating_functions` -- functions that break a hypothesis (negative direction);
* :func:`slow_valleys` -- slowly varying valleys F(x, y) = f(h(x) y) for the quasistatic
  flow (4.8).
"""

from __future__ import annotations

from functools import cache
from itertools import pairwise

import numpy as np
import sympy as sp
from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy, composite

from theory import Subquadratic, X, catalog
from theory.catalog import Separable, Valley

#: profile kinds of :func:`scaled_profiles`
PROFILES = ("f1", "pseudo_huber", "log_cosh")
#: exact positive scales 1/4, 1/2, ..., 4
SCALES = tuple(sp.Rational(k, 4) for k in range(1, 17))


def profile_expr(kind: str, a: sp.Rational, b: sp.Rational) -> sp.Expr:
    """a f(b x) for f = f1, pseudo-Huber or log cosh."""
    u = b * X
    if kind == "f1":
        v = sp.Abs(u)
        return a * ((1 + v) * sp.log(1 + v) - v)
    if kind == "pseudo_huber":
        return a * (sp.sqrt(1 + u**2) - 1)
    if kind == "log_cosh":
        return a * sp.log(sp.cosh(u))
    raise ValueError(f"kind={kind!r} must be one of {PROFILES}")


@cache
def profile(kind: str, a: sp.Rational, b: sp.Rational) -> Subquadratic:
    return Subquadratic(profile_expr(kind, a, b), name=f"{a}*{kind}({b}*x)")


@cache
def combination(terms: tuple[tuple[str, sp.Rational, sp.Rational], ...]) -> Subquadratic:
    expr = sp.Add(*(profile_expr(*t) for t in terms))
    name = " + ".join(f"{a}*{k}({b}*x)" for k, a, b in terms)
    return Subquadratic(expr, name=name)


def scaled_profiles(kinds: tuple[str, ...] = PROFILES) -> SearchStrategy[Subquadratic]:
    """a f(b x): f'' = a b^2 f_0''(b x) strictly decreasing in |x|, tending to 0."""
    return st.builds(profile, st.sampled_from(kinds), st.sampled_from(SCALES),
                     st.sampled_from(SCALES))


def positive_combinations() -> SearchStrategy[Subquadratic]:
    """Sums of two or three scaled profiles with positive weights (f'' is a positive sum of
    strictly decreasing functions tending to 0)."""
    term = st.tuples(st.sampled_from(PROFILES), st.sampled_from(SCALES), st.sampled_from(SCALES))
    return st.lists(term, min_size=2, max_size=3, unique_by=lambda t: t[0]).map(
        lambda terms: combination(tuple(sorted(terms, key=lambda t: t[0]))))


def theorem_4_1_functions() -> SearchStrategy[Subquadratic]:
    """Functions satisfying the hypotheses of Lemma 4.1 and Theorem 4.1."""
    return st.one_of(scaled_profiles(), positive_combinations())


def learning_rate_factors(side: str) -> SearchStrategy[float]:
    """eta / threshold: below (0.05 ... 0.95) or above (1.2 ... 3; above 3 the orbit of
    bounded-gradient profiles such as log cosh attracts too slowly to be observed)."""
    if side == "below":
        return st.floats(0.05, 0.95)
    if side == "above":
        return st.floats(1.2, 3.0)
    raise ValueError(f"side={side!r} must be 'below' or 'above'")


@composite
def theorem_4_1_cases(draw, side: str | None = None) -> tuple[Subquadratic, float]:
    """(f, eta) with f satisfying Theorem 4.1's hypotheses and eta on the drawn side of the
    threshold."""
    f = draw(theorem_4_1_functions())
    chosen = side or draw(st.sampled_from(("below", "above")))
    return f, float(f.threshold) * draw(learning_rate_factors(chosen))


def orthonormal_bases(n: int) -> SearchStrategy[np.ndarray]:
    """Haar-random orthonormal n x n bases (rows p_i), from a drawn seed."""
    return st.integers(0, 2**32 - 1).map(lambda seed: catalog.random_orthonormal_basis(n, seed))


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
    functions = [profile("f1", a, sp.Integer(1)) for a in weights]
    basis = draw(orthonormal_bases(n))
    thresholds = sorted(float(f.threshold) for f in functions)
    candidates = [0.5 * thresholds[0], 2.0 * thresholds[-1]]
    candidates += [float(np.sqrt(a * b)) for a, b in pairwise(thresholds)]
    eta = draw(st.sampled_from(candidates))
    return catalog.separable(functions, basis), float(eta)


@cache
def population_loss(kind: str, C: sp.Rational) -> Subquadratic:
    """Section 6 population loss for data with density ``kind`` on [0, C]."""
    t = sp.Symbol("x", positive=True)
    densities = {
        "uniform": 1 / C + 0 * t,
        "linear": 2 * t / C**2,
        "quadratic": 3 * t**2 / C**3,
    }
    return catalog.population_loss(densities[kind], (0, C), name=f"L_pop({kind}[0,{C}])")


def population_losses() -> SearchStrategy[Subquadratic]:
    """Population losses (Section 6) for uniform, linear and quadratic densities on [0, C]:
    non-convex, but L'(w) = 2 w int_0^{1/w} x^2 dmu > 0 and L'(w)/w -> 0 (Definition 4.1)."""
    return st.builds(population_loss, st.sampled_from(("uniform", "linear", "quadratic")),
                     st.sampled_from((sp.Integer(1), sp.Integer(2), sp.Integer(3),
                                      sp.Integer(5))))


@cache
def f2_plus_f1(C: sp.Rational, a: sp.Rational) -> Subquadratic:
    expr = catalog.f2(C).expr + a * catalog.f1().expr
    return Subquadratic(expr, name=f"f2(C={C}) + {a}*f1")


def definition_4_1_functions() -> SearchStrategy[Subquadratic]:
    """Non-convex 1-D functions satisfying Definition 4.1 (f' > 0 on x > 0, f'(x)/x -> 0)."""
    return st.one_of(
        population_losses(),
        st.sampled_from((1, 2, 3, 5)).map(lambda C: catalog.f2(C)),
        st.builds(f2_plus_f1, st.sampled_from((sp.Integer(1), sp.Integer(3))),
                  st.sampled_from((sp.Rational(1, 10), sp.Rational(1, 2), sp.Integer(1)))),
    )


@cache
def quadratic_plus_f1(a: sp.Rational, b: sp.Rational) -> Subquadratic:
    """a x^2 + b f1: f'' -> 2a != 0 (Lemma 4.1's hypothesis fails; no x_eta for
    eta >= 1/a)."""
    return Subquadratic(a * X**2 + b * catalog.f1().expr, name=f"{a}*x**2 + {b}*f1")


@cache
def empirical_loss(data: tuple[int, ...]) -> Subquadratic:
    return catalog.empirical_loss(data, name=f"L_emp{data}")


def violating_functions() -> SearchStrategy[Subquadratic]:
    """Functions breaking a hypothesis of Lemma 4.1 / Theorem 4.1: a x^2 + b f1 (f'' does
    not vanish), f2(C) (f'' not decreasing), empirical losses of Section 6 (f' jumps)."""
    return st.one_of(
        st.builds(quadratic_plus_f1, st.sampled_from(SCALES[:8]), st.sampled_from(SCALES)),
        st.sampled_from((1, 2, 3, 5)).map(lambda C: catalog.f2(C)),
        st.lists(st.sampled_from((1, 2, 5, 10, 20)), min_size=2, max_size=3, unique=True)
        .map(lambda d: empirical_loss(tuple(sorted(d)))),
    )


@cache
def valley(b: sp.Rational, slope: sp.Rational) -> Valley:
    """F(x1, x2) = f(x2 (b/(1 + s x1))) with f the pseudo-Huber loss, as a Valley with
    profile pseudo_huber(b x) and flatness h(x1) = 1/(1 + s x1)."""
    x1 = sp.Symbol("x1", real=True)
    return catalog.valley(profile("pseudo_huber", sp.Integer(1), b), 1 / (1 + slope * x1),
                          ("x1",), "x2", name=f"valley(pseudo_huber({b}x), h=1/(1+{slope}x1))")


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
    v = valley(b, b * ratio)
    factor = draw(st.floats(1.3, 1.8))
    return v, float(v.f.threshold) * factor
