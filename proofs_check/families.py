"""Families of one-dimensional functions with known behaviour under the hypotheses of Section 4.

Every constructor takes exact parameters (sympy rationals), returns a cached, named
:class:`theory.Subquadratic` (or :class:`theory.catalog.Valley`), and states in its docstring
which hypotheses of Lemma 4.1 / Theorem 4.1 / Definition 4.1 the function satisfies and which
it violates, with the reason.  The Hypothesis strategies of :mod:`proofs_check.strategies`
draw from these families, so that a drawn function satisfies (or violates) the hypotheses
*by construction*; the package's tests certify the promises with the interval checks.

This module does not import Hypothesis.

Notation: u = b|x| (b > 0 a scale), a > 0 a weight; f1(u) = (1 + u) ln(1 + u) - u.

=====================  ====================================  ==================================
family                 f''                                   hypotheses
=====================  ====================================  ==================================
:func:`profile`        a b^2 f0''(b x), f0 in f1, pseudo-    Theorem 4.1 (hence Lemma 4.1)
                       Huber, log cosh
:func:`combination`    positive sum of the above             Theorem 4.1
:func:`rescaled`       a g''(b x) b^2 for g a combination    Theorem 4.1
:func:`flat_top`       a b^2 on |u| <= 1, a b^2/u^2 beyond   Lemma 4.1; NOT strictly decreasing
:func:`huber`          a b^2 on |u| <= 1, 0 beyond           C^1 only (f'' jumps to 0)
:func:`kinked_f1`      1/(1+|x|), times c < 1 beyond s       all but C^2 (f'' jumps down)
:func:`slope_jump_f1`  f1'', f' drops by c at |x| = s        all but C^1 (and so C^2)
:func:`bumped_pseudo_  (1+x^2)^(-3/2) + c (2 - 4x^2) e^-x^2  all but f'' non-increasing (and
huber`                                                       so strictly decreasing)
:func:`quadratic_      2a + b/(1+|x|)                        all but f'' -> 0
plus_f1`
=====================  ====================================  ==================================
"""

from __future__ import annotations

from functools import cache

import sympy as sp

from theory import Subquadratic, X, catalog
from theory.catalog import Valley
from theory.errors import ParameterError

#: profile kinds of :func:`profile`
PROFILES = ("f1", "pseudo_huber", "log_cosh")
#: exact positive scales 1/4, 1/2, ..., 4 (the order the package's own suite draws them in)
SCALES = tuple(sp.Rational(k, 4) for k in range(1, 17))
#: the same scales, simplest first (1, 2, 3, 4, 1/2, 3/2, ...): Hypothesis shrinks towards
#: the first element of a sampled list, so a shrunk counterexample has the simplest scales
SIMPLE_SCALES = tuple(sorted(SCALES, key=lambda q: (q.q, q.p)))
#: three scales (1, 2, 1/2): a family small enough that Hypothesis shrinks in seconds (each
#: distinct function costs a Subquadratic construction, ~0.2-1 s of sympy)
FEW_SCALES = (sp.Integer(1), sp.Integer(2), sp.Rational(1, 2))
#: the variable u = b|x| > 0 of the piecewise families
_U = sp.Symbol("u", positive=True)


def _positive(name: str, value) -> sp.Rational:
    q = sp.nsimplify(value, rational=True)
    if not (q.is_Rational and q > 0):
        raise ParameterError(f"{name}={value!r} must be a positive rational number")
    return q


def _kind(kind: str) -> str:
    if kind not in PROFILES:
        raise ParameterError(f"kind={kind!r} must be one of {PROFILES}")
    return kind


def profile_expr(kind: str, a: sp.Rational, b: sp.Rational) -> sp.Expr:
    """a f(b x) for f = f1, pseudo-Huber sqrt(1 + x^2) - 1 or log cosh."""
    u = b * X
    if _kind(kind) == "f1":
        v = sp.Abs(u)
        return a * ((1 + v) * sp.log(1 + v) - v)
    if kind == "pseudo_huber":
        return a * (sp.sqrt(1 + u**2) - 1)
    return a * sp.log(sp.cosh(u))


@cache
def profile(kind: str, a: sp.Rational, b: sp.Rational) -> Subquadratic:
    """a f(b x), f in :data:`PROFILES`: f'' = a b^2 f''(b x) is even, positive, strictly
    decreasing in |x| and tends to 0 (Lemma 4.1 and Theorem 4.1 hold); threshold
    2/(a b^2)."""
    return Subquadratic(profile_expr(kind, _positive("a", a), _positive("b", b)),
                        name=f"{a}*{kind}({b}*x)")


def _terms_name(terms) -> str:
    return " + ".join(f"{a}*{k}({b}*x)" for k, a, b in terms)


@cache
def combination(terms: tuple[tuple[str, sp.Rational, sp.Rational], ...]) -> Subquadratic:
    """sum_i a_i f_i(b_i x) over ``terms`` = ((kind, a, b), ...): f'' is a positive sum of
    strictly decreasing functions tending to 0, so Theorem 4.1 holds."""
    if not terms:
        raise ParameterError("terms=() must name at least one (kind, a, b) profile")
    expr = sp.Add(*(profile_expr(k, _positive("a", a), _positive("b", b)) for k, a, b in terms))
    return Subquadratic(expr, name=_terms_name(terms))


@cache
def rescaled(terms: tuple[tuple[str, sp.Rational, sp.Rational], ...], a: sp.Rational,
             b: sp.Rational) -> Subquadratic:
    """a g(b x) for g = :func:`combination` (terms): composing with the linear maps
    x -> b x and y -> a y keeps every hypothesis of Theorem 4.1 (f'' = a b^2 g''(b x))."""
    a, b = _positive("a", a), _positive("b", b)
    inner = sp.Add(*(profile_expr(k, w, s * b) for k, w, s in terms))
    return Subquadratic(a * inner, name=f"{a}*[{_terms_name(terms)}]({b}*x)")


def _piecewise(a: sp.Rational, b: sp.Rational, inner: sp.Expr, outer: sp.Expr) -> sp.Expr:
    """a g(b|x|) with g = inner for u <= 1 and outer for u > 1 (u = b|x|)."""
    v = b * sp.Abs(X)
    return a * sp.Piecewise((inner.xreplace({_U: v}), v <= 1), (outer.xreplace({_U: v}), True))


@cache
def flat_top(a: sp.Rational, b: sp.Rational) -> Subquadratic:
    """a g(b x), g(u) = u^2/2 for u <= 1, 1/2 + 2(u - 1) - ln u beyond: g'' = 1 then 1/u^2
    (continuous at 1), so g is C^2, f'' is non-increasing and tends to 0 (Lemma 4.1 holds)
    but constant on |x| <= 1/b: f'' is NOT strictly decreasing (Theorem 4.1's extra
    hypothesis is the one that fails)."""
    a, b = _positive("a", a), _positive("b", b)
    expr = _piecewise(a, b, _U**2 / 2, sp.Rational(1, 2) + 2 * (_U - 1) - sp.log(_U))
    return Subquadratic(expr, name=f"{a}*flat_top({b}*x)")


@cache
def huber(a: sp.Rational, b: sp.Rational) -> Subquadratic:
    """a g(b x), g the Huber loss u^2/2 for u <= 1, u - 1/2 beyond: C^1 but not C^2 (g''
    jumps from 1 to 0), f'' non-increasing and -> 0, not strictly decreasing (flat)."""
    a, b = _positive("a", a), _positive("b", b)
    return Subquadratic(_piecewise(a, b, _U**2 / 2, _U - sp.Rational(1, 2)),
                        name=f"{a}*huber({b}*x)")


def _f1(v: sp.Expr) -> sp.Expr:
    return (1 + v) * sp.log(1 + v) - v


@cache
def kinked_f1(c: sp.Rational, s: sp.Rational) -> Subquadratic:
    """f1 for |x| <= s, c f1(|x|) + (1 - c)(f1(s) + f1'(s)(|x| - s)) beyond (0 < c < 1):
    f and f' are continuous at s, f'' = 1/(1+|x|) jumps DOWN to c/(1+|x|).  Every hypothesis
    of Theorem 4.1 holds (f'' strictly decreasing, jumps down only) except C^2."""
    c, s = _positive("c", c), _positive("s", s)
    if not c < 1:
        raise ParameterError(f"c={c} must be below 1 (f'' jumps down)")
    v = sp.Abs(X)
    outer = c * _f1(v) + (1 - c) * (_f1(s) + sp.log(1 + s) * (v - s))
    return Subquadratic(sp.Piecewise((_f1(v), v <= s), (outer, True)),
                        name=f"kinked_f1(c={c}, s={s})")


@cache
def slope_jump_f1(c: sp.Rational, s: sp.Rational) -> Subquadratic:
    """f1 for |x| <= s, f1(|x|) - c(|x| - s) beyond (0 < c < ln(1 + s)): f is continuous, f'
    drops by c at |x| = s (still positive), f'' = 1/(1+|x|) on both sides.  Every hypothesis
    of Lemma 4.1 and Theorem 4.1 holds except C^1 (and therefore C^2); Lemma 4.1's conclusion
    fails for the learning rates with 2/eta inside the jump of h = f'/x."""
    c, s = _positive("c", c), _positive("s", s)
    if not c < sp.log(1 + s):
        raise ParameterError(f"c={c} must be below f1'(s) = ln(1 + {s}) (f' stays positive)")
    v = sp.Abs(X)
    return Subquadratic(sp.Piecewise((_f1(v), v <= s), (_f1(v) - c * (v - s), True)),
                        name=f"slope_jump_f1(c={c}, s={s})")


@cache
def bumped_pseudo_huber(c: sp.Rational) -> Subquadratic:
    """sqrt(1 + x^2) - 1 + c (1 - exp(-x^2)), c >= 1/2: smooth, even, f >= 0 = f(0),
    f''(0) = 1 + 2c, f'' -> 0, but f''' = -3x (1 + x^2)^(-5/2) + c e^(-x^2)(8x^3 - 12x) > 0 at
    x = 2: f'' is NOT non-increasing (nor strictly decreasing); every other hypothesis of
    Lemma 4.1 holds."""
    c = _positive("c", c)
    if c < sp.Rational(1, 2):
        raise ParameterError(f"c={c} must be at least 1/2 (f''' > 0 at x = 2)")
    expr = sp.sqrt(1 + X**2) - 1 + c * (1 - sp.exp(-X**2))
    return Subquadratic(expr, name=f"pseudo_huber + {c}*(1 - exp(-x**2))")


@cache
def quadratic_plus_f1(a: sp.Rational, b: sp.Rational) -> Subquadratic:
    """a x^2 + b f1: f'' -> 2a != 0 (Lemma 4.1's hypothesis fails; no x_eta for
    eta >= 1/a); every other hypothesis of Lemma 4.1 and Theorem 4.1 holds."""
    return Subquadratic(_positive("a", a) * X**2 + _positive("b", b) * catalog.f1().expr,
                        name=f"{a}*x**2 + {b}*f1")


@cache
def f2_plus_f1(C: sp.Rational, a: sp.Rational) -> Subquadratic:
    """f2(C) + a f1: non-convex, C^1 only, f' > 0 on x > 0 and f'(x)/x -> 0 (Definition
    4.1)."""
    expr = catalog.f2(C).expr + _positive("a", a) * catalog.f1().expr
    return Subquadratic(expr, name=f"f2(C={C}) + {a}*f1")


#: densities on [0, C] of :func:`population_loss`
DENSITIES = ("uniform", "linear", "quadratic")


@cache
def population_loss(kind: str, C: sp.Rational) -> Subquadratic:
    """Section 6 population loss for data with density ``kind`` on [0, C]: non-convex, but
    L'(w) = 2 w int_0^{1/w} x^2 dmu > 0 and L'(w)/w -> 0 (Definition 4.1)."""
    if kind not in DENSITIES:
        raise ParameterError(f"kind={kind!r} must be one of {DENSITIES}")
    C = _positive("C", C)
    t = sp.Symbol("x", positive=True)
    densities = {
        "uniform": 1 / C + 0 * t,
        "linear": 2 * t / C**2,
        "quadratic": 3 * t**2 / C**3,
    }
    return catalog.population_loss(densities[kind], (0, C), name=f"L_pop({kind}[0,{C}])")


@cache
def empirical_loss(data: tuple[int, ...]) -> Subquadratic:
    """The empirical loss of Section 6 on ``data``: f' jumps (C^1 fails)."""
    return catalog.empirical_loss(data, name=f"L_emp{data}")


@cache
def valley(b: sp.Rational, slope: sp.Rational) -> Valley:
    """F(x1, x2) = f(x2 (b/(1 + s x1))) with f the pseudo-Huber loss, as a Valley with
    profile pseudo_huber(b x) and flatness h(x1) = 1/(1 + s x1)."""
    x1 = sp.Symbol("x1", real=True)
    return catalog.valley(profile("pseudo_huber", sp.Integer(1), b), 1 / (1 + slope * x1),
                          ("x1",), "x2", name=f"valley(pseudo_huber({b}x), h=1/(1+{slope}x1))")


#: flatness functions h(x1) > 0 of :func:`flat_valley`, by name
FLATNESS = ("1 + s*x1**2", "exp(s*x1)", "1/(1 + s*x1**2)")


@cache
def flat_valley(f: Subquadratic, flatness: str, s: sp.Rational) -> Valley:
    """F(x1, x2) = f(h(x1) x2) (Section 4.4) for a profile f and a flatness h from
    :data:`FLATNESS` with slope s > 0 (h > 0 everywhere): a manifold of minima {x2 = 0} whose
    sharpness f''(0) h(x1)^2 varies along x1."""
    if flatness not in FLATNESS:
        raise ParameterError(f"flatness={flatness!r} must be one of {FLATNESS}")
    s = _positive("s", s)
    x1 = sp.Symbol("x1", real=True)
    h = sp.sympify(flatness, locals={"s": s, "x1": x1})
    return catalog.valley(f, h, ("x1",), "x2", name=f"valley({f.name}, h={h})")
