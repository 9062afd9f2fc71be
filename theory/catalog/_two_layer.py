"""The Section 6 construction: a 3-neuron ReLU network whose loss is multiscale.

f(x, w) = 1 - sigma(w x + 1) + 2 sigma(w x) - sigma(w x - 1)   (6.1)

equals |x w| for |w| <= 1/x and 1 outside, so each sample's loss f(x_i, w)^2 is a quadratic
well of width 1/x_i.  Samples at different magnitudes give separate scales; a continuum of
magnitudes gives subquadratic growth, e.g. the population loss (6.2) for data uniform on
[0, C] (= f2).
"""

from __future__ import annotations

from collections.abc import Sequence

import sympy as sp

from theory import validation
from theory._symbols import X_POS, X
from theory.catalog._paper import positive_parameter
from theory.errors import ParameterError
from theory.landscape import Landscape
from theory.subquadratic import Subquadratic


def relu(z: sp.Expr) -> sp.Expr:
    return sp.Max(0, z)


def neuron(x: sp.Expr, w: sp.Expr) -> sp.Expr:
    """The network (6.1): 1 - sigma(w x + 1) + 2 sigma(w x) - sigma(w x - 1), sigma = ReLU."""
    from theory.parsing import parse

    x, w = parse(x, argument="x"), parse(w, argument="w")
    return 1 - relu(w * x + 1) + 2 * relu(w * x) - relu(w * x - 1)


def _inputs(data: Sequence[float]) -> tuple[sp.Expr, ...]:
    values = list(data)
    if not values:
        raise ParameterError("data is empty; give at least one input x_i > 0")
    out = []
    for i, v in enumerate(values):
        try:
            validation.positive_real(f"data[{i}]", v, error=ParameterError)
        except ParameterError as exc:
            raise ParameterError(f"{exc} (Section 6 assumes inputs x_i > 0)") from None
        out.append(v if isinstance(v, sp.Basic) else sp.nsimplify(v, rational=True))
    return tuple(out)


def empirical_loss(data: Sequence[float], name: str | None = None) -> Subquadratic:
    """L(w) = (1/n) sum_i f(x_i, w)^2 with targets y_i = 0, evaluated through the network.

    Direct composition of (6.1); see :func:`empirical_loss_closed_form` for the paper's
    piecewise formula.
    """
    xs = _inputs(data)
    expr = sp.Add(*[neuron(x, X) ** 2 for x in xs]) / len(xs)
    return Subquadratic(expr, name=name or f"L_emp(n={len(xs)})")


def empirical_loss_closed_form(data: Sequence[float], name: str | None = None) -> Subquadratic:
    """The piecewise quadratic/constant form of L(w) (Section 6), x_1 <= ... <= x_n:

    (1/n sum_{i<=n} x_i^2) w^2 for |w| <= 1/x_n;
    (1/n sum_{i<=k} x_i^2) w^2 + (n-k)/n for 1/x_{k+1} <= |w| <= 1/x_k, k = 1..n-1;
    1 for |w| > 1/x_1.
    """
    xs = sorted(_inputs(data))
    n = len(xs)
    pieces = []
    for k in range(n, 0, -1):
        second_moment = sp.Add(*[x**2 for x in xs[:k]]) / n
        pieces.append((second_moment * X**2 + sp.Rational(n - k, n), sp.Abs(X) <= 1 / xs[k - 1]))
    pieces.append((sp.S.One, True))
    return Subquadratic(sp.Piecewise(*pieces), name=name or f"L_emp_closed(n={n})")


def _pair(support) -> tuple:
    try:
        pair = tuple(support)
    except TypeError:
        pair = ()
    if len(pair) != 2:
        raise ParameterError(f"support={support!r} must be a pair (a, b) with 0 <= a < b <= oo")
    return pair


def _support_end(value, index: int) -> sp.Expr:
    """An end of the support: a number, an expression without variables, or infinity."""
    from theory.parsing import parse

    if value is sp.oo or (isinstance(value, str) and value.strip() in ("oo", "inf")) or (
        isinstance(value, float) and value == float("inf")
    ):
        return sp.oo
    return parse(value, argument=f"support[{index}]", variables=())


def population_loss(density: str | sp.Expr, support: tuple, name: str | None = None
                    ) -> Subquadratic:
    """L(w) = (int_0^{1/|w|} x^2 dmu) w^2 + int_{1/|w|}^inf dmu for mu with ``density`` in x
    on ``support`` = (a, b), 0 <= a < b <= oo (Section 6).  Uniform on [0, C] gives (6.2).
    """
    from theory._sympy_utils import parse

    t = sp.Symbol("x", positive=True)
    p = parse(density, argument="density")
    if p.free_symbols - {sp.Symbol("x"), sp.Symbol("x", real=True), t}:
        raise ParameterError(f"density={density!r} must be an expression in x only")
    p = p.xreplace({s: t for s in p.free_symbols})
    a, b = (_support_end(s, i) for i, s in enumerate(_pair(support)))
    if not (a.is_nonnegative and (b.is_positive or b is sp.oo) and bool(b > a)):
        raise ParameterError(f"support={support!r} must satisfy 0 <= a < b <= oo")
    mass = sp.simplify(sp.integrate(p, (t, a, b)))
    if mass != 1:
        raise ParameterError(f"density={density!r} integrates to {mass} on {support}, not 1")
    w = X_POS
    u = sp.Symbol("u", positive=True)
    second_moment = sp.integrate(t**2 * p, (t, a, u))
    tail = sp.integrate(p, (t, u, b))
    middle = (second_moment * w**2 + tail).xreplace({u: 1 / w})
    pieces = []
    if b is not sp.oo:
        pieces.append((sp.integrate(t**2 * p, (t, a, b)) * w**2, w <= 1 / b))
    pieces.append((sp.simplify(middle), True if a == 0 else w <= 1 / a))
    if a != 0:
        pieces.append((sp.S.One, True))
    branch = sp.Piecewise(*pieces)
    return Subquadratic(branch.xreplace({w: sp.Abs(X)}), name=name or f"L_pop({density})")


def uniform_population_loss(C=3) -> Subquadratic:
    """The population loss for x uniform on [0, C]: formula (6.2) (= f2(C))."""
    C = positive_parameter("C", C)
    return population_loss(1 / C, (0, C), name=f"L_pop(uniform[0,{C}])")


def two_layer_two_valley(loss: Subquadratic, k=10) -> Landscape:
    """The 2-D two-valley loss of Section 6: L(w1, w2) = l(w1) + l(k w2).

    The two-output network [f(x^(1), w1), f(x^(2), w2)] with x^(2) = k x^(1): the second
    input is k times larger, so its valley (along w1, made by the w2 term) is k times
    narrower.  ``loss`` is the per-coordinate loss l (an empirical or population loss).
    """
    if not isinstance(loss, Subquadratic):
        raise ParameterError(
            f"loss={loss!r} must be a theory.Subquadratic (the per-coordinate loss l), got "
            f"{type(loss).__name__}"
        )
    k = positive_parameter("k", k)
    w1, w2 = sp.symbols("w1 w2", real=True)
    expr = loss.expr.xreplace({X: w1}) + loss.expr.xreplace({X: k * w2})
    return Landscape(expr, variables=(w1, w2), name=f"two_layer_2d(k={k})", minimum=(0.0, 0.0))
