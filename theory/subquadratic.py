"""One-dimensional subquadratic functions (Section 4.1 of the paper).

A :class:`Subquadratic` is an even function f with a minimum at 0 and a finite positive
curvature f''(0).  Gradient descent x_{t+1} = x_t - eta f'(x_t) (4.1) on it converges to 0
when eta < 2/f''(0) (the *threshold*); above the threshold, 0 is unstable and, for the
functions of Lemma 4.1, GD settles on the period-2 orbit {+x_eta, -x_eta} where x_eta is the
positive root of eta f'(x) = 2x, i.e. of h(x) = f'(x)/x = 2/eta.

Derivatives are taken on the branch x > 0 (where |x| = x), so functions built from |x|, such
as f1 = (1+|x|) ln(1+|x|) - |x|, get clean derivatives with the right f''(0); by evenness
f^(n)(x) = sign(x)^n f_+^(n)(|x|).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import sympy as sp
from sympy.codegen.rewriting import optimize, optims_c99

from theory import _orbit_stability, _periodic_points, validation
from theory._overflow_safe import log1p_form, overflow_safe
from theory._symbols import ETA, X_POS, X
from theory._sympy_utils import (
    clean_derivative,
    parse,
    realify,
    time_limit,
    to_piecewise,
)
from theory.errors import (
    CurvatureAtZeroError,
    LearningRateError,
    NoMinimumAtZeroError,
    NotEvenError,
    NotOneVariableError,
    NotRealError,
    ParameterError,
)

#: highest derivative order computed (a recursion over the orders)
MAX_DERIVATIVE_ORDER = 64


def _order(n) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or not 0 <= n <= (
        MAX_DERIVATIVE_ORDER
    ):
        raise ParameterError(
            f"n={n!r} must be a whole number from 0 to {MAX_DERIVATIVE_ORDER} (a derivative order)"
        )
    return int(n)

#: upper end of the search for x_eta by default: None, the whole float range (the
#: function's own scale, however large; 1e12 before, which missed f1's x_eta at eta = 1e300)
SEARCH_MAX = None
#: below this, float evaluation of f' loses too many digits; mpmath takes over
_FLOAT_FLOOR = 1e-7
_TINY = sp.Rational(1, 10**40)


@dataclass(frozen=True)
class PeriodicOrbit:
    """The symmetric period-2 orbit {+x_eta, -x_eta} of GD (4.1) at learning rate eta.

    ``multiplier`` is the cycle multiplier (1 - eta f''(x_eta))^2, the derivative of the
    two-step map at x_eta; the orbit is linearly stable when it is below 1.
    ``one_minus_multiplier`` = a (2 - a) with a = eta f''(x_eta), computed from a without
    cancellation, and ``stability`` is "stable", "unstable" or "marginal" (undecided at the
    working precision, ``precision``; see :mod:`theory._orbit_stability`).
    """

    eta: float
    x_eta: float
    multiplier: float
    one_minus_multiplier: float = float("nan")
    stability: str = ""
    precision: str = "float precision"

    def __post_init__(self):
        if not self.stability:  # built from the multiplier alone: decide it in floats
            margin = 1.0 - self.multiplier
            verdict = ("marginal" if not abs(margin) > 1e-12 else
                       "stable" if margin > 0 else "unstable")
            object.__setattr__(self, "one_minus_multiplier", margin)
            object.__setattr__(self, "stability", verdict)

    @property
    def stable(self) -> bool:
        """True only when the orbit is decided stable (not for a marginal one)."""
        return self.stability == "stable"

    @property
    def marginal(self) -> bool:
        return self.stability == "marginal"


def _validated_eta(eta) -> float:
    return validation.learning_rate(eta)


def _limit_at_zero_plus(expr: sp.Expr) -> sp.Expr:
    """lim_{x -> 0+} of a branch expression in X_POS (Piecewise: the piece active near 0+)."""
    expr = sp.piecewise_fold(expr)
    if isinstance(expr, sp.Piecewise):
        for piece, condition in expr.args:
            if bool(condition.subs(X_POS, _TINY)):
                expr = piece
                break
    try:
        with time_limit(20):
            value = sp.limit(expr, X_POS, 0, "+")
    except Exception:  # sympy cannot always take the limit: evaluate very close to 0
        value = None
    if value is None or value.has(sp.Limit, sp.AccumBounds):
        samples = [sp.N(expr.subs(X_POS, sp.Rational(1, 10**k)), 30) for k in (20, 25)]
        if all(s.is_finite for s in samples) and abs(samples[0] - samples[1]) < 1e-15 * (
            1 + abs(samples[1])
        ):
            value = sp.Float(samples[1], 15)
        else:
            value = sp.nan
    return value


def _numeric(expr: sp.Expr) -> Callable[[np.ndarray], np.ndarray]:
    """A numpy function of X_POS that broadcasts constants to the input's shape.

    log(1 + x) and exp(x) - 1 are rewritten as log1p and expm1 first (C99 optimisations),
    so that h(x) = f'(x)/x keeps its digits for small x, then into the overflow-safe forms
    of :mod:`theory._overflow_safe` (x/sqrt(1 + x**2) is not 0 at x = 1e160).
    """
    expr = overflow_safe(optimize(log1p_form(expr), optims_c99))
    fn = sp.lambdify(X_POS, expr, modules=["scipy", "numpy"])
    scalar = None

    def evaluate(a: np.ndarray) -> np.ndarray:
        nonlocal scalar
        with np.errstate(all="ignore"):
            try:
                out = fn(a)
            except (TypeError, OverflowError):  # a function with no array version, or
                # an integer constant too large for a float (1/10**320): mpmath point by point
                if scalar is None:
                    precise = sp.lambdify(X_POS, expr, modules="mpmath")
                    scalar = np.vectorize(lambda v: float(precise(v)), otypes=[float])
                out = scalar(a)
        return np.broadcast_to(np.asarray(out, dtype=float), a.shape)

    return evaluate


class Subquadratic:
    """An even one-dimensional function with a minimum at 0 and 0 < f''(0) < infinity.

    Built from a sympy expression or a string in one variable (any name), e.g.
    ``Subquadratic("log(cosh(x))")``.  Immutable.  Raises, on construction:
    :class:`~theory.errors.ParseError`, :class:`~theory.errors.NotOneVariableError`,
    :class:`~theory.errors.NotEvenError`, :class:`~theory.errors.NoMinimumAtZeroError`,
    :class:`~theory.errors.CurvatureAtZeroError`.

    The paper's Section 4.1 assumes, in addition, that f'' decreases in |x| (Lemma 4.1,
    Theorem 4.1); that is a hypothesis to check (``proofs_check``), not a requirement here,
    so non-convex functions such as f2 (6.2) are accepted.
    """

    __slots__ = ("__dict__", "expr", "name")
    expr: sp.Expr
    name: str

    def __init__(self, function: str | sp.Expr, name: str | None = None):
        expr = realify(parse(function))
        symbols = sorted(expr.free_symbols, key=lambda s: s.name)
        if len(symbols) != 1:
            raise NotOneVariableError(
                f"function={function!r} must depend on exactly one variable; "
                f"it has {len(symbols)}: {', '.join(s.name for s in symbols) or 'none'}"
            )
        expr = to_piecewise(expr.xreplace({symbols[0]: X}))
        object.__setattr__(self, "expr", expr)
        object.__setattr__(self, "name", name or str(function))
        self._check_real()
        self._check_even()
        self._check_minimum()

    def __setattr__(self, key, value):
        raise AttributeError(f"Subquadratic is immutable (cannot set {key!r})")

    def __repr__(self) -> str:
        return f"Subquadratic({self.name!r})"

    def __eq__(self, other) -> bool:
        return isinstance(other, Subquadratic) and self.expr == other.expr

    def __hash__(self) -> int:
        return hash(("Subquadratic", self.expr))

    # ------------------------------------------------------------------ validation
    def _check_real(self) -> None:
        """f is real at sample points of both signs (x**2.5, log(x), sqrt(x) are not)."""
        for k in (1, 3, 10, 22):
            for point in (sp.Rational(k, 7), -sp.Rational(k, 7)):
                value = sp.N(self.expr.xreplace({X: point}), 20)
                imaginary = sp.im(value)
                if imaginary.is_number and imaginary.is_finite and imaginary != 0 and abs(
                    imaginary
                ) > 1e-15 * (1 + abs(value)):
                    raise NotRealError(
                        f"function={self.name!r} is not real: f({point}) = "
                        f"{complex(value):.6g}; the functions here must be real for real x"
                    )

    def _check_even(self) -> None:
        """f(x) = f(-x), exactly when sympy can tell, else at 16 points to 30 digits."""
        difference = self.expr.xreplace({X: -X}) - self.expr
        if sp.expand(difference) == 0:
            return
        points = [sp.Rational(k, 7) for k in (1, 3, 5, 10, 22, 41, 97, 300)]
        points += [sp.Rational(1, 10**k) for k in (2, 5, 8)] + [sp.Integer(10**k) for k in (3, 5)]
        for point in points:
            value = sp.N(difference.xreplace({X: point}), 30)
            scale = 1 + abs(sp.N(self.expr.xreplace({X: point}), 30))
            if value.is_finite and abs(value) > 1e-20 * scale:
                raise NotEvenError(
                    f"function={self.name!r} is not even: f({point}) - f(-{point}) = "
                    f"{float(-value):.6g}; Section 4.1 assumes f(x) = f(-x)"
                )

    def _check_minimum(self) -> None:
        slope = _limit_at_zero_plus(self.branch(1))
        if slope.is_finite is not True or slope != 0:
            raise NoMinimumAtZeroError(
                f"function={self.name!r} has no minimum at 0 with f'(0) = 0: "
                f"f'(0+) = {_short(slope)} (a kink or a slope at the origin)"
            )
        curvature = self.curvature_at_zero
        if curvature.is_finite and bool(curvature < 0):
            raise NoMinimumAtZeroError(
                f"function={self.name!r} has f''(0) = {curvature!s} < 0: 0 is a local maximum"
            )
        if curvature.is_finite is not True or not bool(curvature > 0):
            raise CurvatureAtZeroError(
                f"function={self.name!r} has f''(0) = {curvature!s}; the threshold 2/f''(0) needs "
                "a finite positive curvature at the minimum"
            )
        threshold = float(2 / curvature)
        if not (math.isfinite(threshold) and float(curvature) < math.inf):
            raise CurvatureAtZeroError(
                f"function={self.name!r} has f''(0) = {_short(curvature)}: the threshold "
                f"2/f''(0) = {_short(2 / curvature)} is not a finite float (floats end at "
                "1.8e308), so no learning rate can be compared with it; rescale f"
            )
        grid = np.geomspace(1e-6, 1e6, 241)
        with np.errstate(all="ignore"):
            values = self.f(grid) - float(self.f(0.0))
        bad = np.flatnonzero(np.isfinite(values) & (values < -1e-12 * (1 + np.abs(values))))
        if bad.size:
            x_bad = float(grid[bad[0]])
            raise NoMinimumAtZeroError(
                f"function={self.name!r} has no minimum at 0: f({x_bad:.6g}) - f(0) = "
                f"{values[bad[0]]:.6g} < 0"
            )

    # ------------------------------------------------------------------ symbolic
    @cached_property
    def _branches(self) -> dict[int, sp.Expr]:
        return {0: self.expr.xreplace({X: X_POS})}

    def branch(self, n: int = 0) -> sp.Expr:
        """The n-th derivative on the branch x > 0, as an expression in ``theory.X_POS``."""
        n = _order(n)
        cache = self._branches
        if n not in cache:
            cache[n] = _tidy(clean_derivative(sp.diff(self.branch(n - 1), X_POS)))
        return cache[n]

    @cached_property
    def _derivatives(self) -> dict[int, sp.Expr]:
        return {0: self.expr}

    def derivative(self, n: int) -> sp.Expr:
        """f^(n)(x) as a sympy expression in ``theory.X``, valid for every x != 0.

        The direct derivative is used when it has no distributional part; otherwise the
        branch form sign(x)^n f_+^(n)(|x|) (an even f has f^(n)(-x) = (-1)^n f^(n)(x)).
        """
        n = _order(n)
        cache = self._derivatives
        if n not in cache:
            direct = sp.diff(self.derivative(n - 1), X) if n > 0 else self.expr
            if direct.has(sp.DiracDelta):
                direct = sp.sign(X) ** (n % 2) * self.branch(n).xreplace({X_POS: sp.Abs(X)})
            cache[n] = _tidy(direct) if n > 0 else direct
        return cache[n]

    @property
    def df_expr(self) -> sp.Expr:
        """f'(x)."""
        return self.derivative(1)

    @property
    def d2f_expr(self) -> sp.Expr:
        """f''(x)."""
        return self.derivative(2)

    @property
    def d3f_expr(self) -> sp.Expr:
        """f'''(x)."""
        return self.derivative(3)

    @cached_property
    def h_expr(self) -> sp.Expr:
        """h(x) = f'(x)/x of Lemma 4.1 (even; tends to f''(0) at 0)."""
        return self.branch(1).xreplace({X_POS: sp.Abs(X)}) / sp.Abs(X)

    @cached_property
    def curvature_at_zero(self) -> sp.Expr:
        """f''(0) = lim_{x->0} h(x), exact when sympy can take the limit."""
        return _limit_at_zero_plus(self.branch(2))

    @cached_property
    def threshold(self) -> sp.Expr:
        """The threshold learning rate 2/f''(0) (Section 4.1), exact when possible."""
        return 2 / self.curvature_at_zero

    # ------------------------------------------------------------------ numeric
    @cached_property
    def _numeric_branches(self) -> list[Callable[[np.ndarray], np.ndarray]]:
        return [_numeric(self.branch(n)) for n in range(4)]

    def _evaluate(self, n: int, x) -> np.ndarray | float:
        a = np.asarray(x)
        if a.dtype.kind not in "biuf":
            raise ParameterError(
                f"x={x!r} is not a real number or an array of real numbers"[:200]
            )
        a = a.astype(float)
        r = np.abs(a)
        out = np.array(self._numeric_branches[n](r), dtype=float)
        if n % 2 == 1:  # odd derivatives of an even function vanish at 0
            out = np.where(r == 0, 0.0, out)
        elif n == 2:
            out = np.where(r == 0, float(self.curvature_at_zero), out)
        if n % 2 == 1:
            out = np.sign(a) * out
        return out if out.ndim else float(out)

    def f(self, x):
        """f(x) for scalars or numpy arrays."""
        return self._evaluate(0, x)

    def df(self, x):
        """f'(x) for scalars or numpy arrays."""
        return self._evaluate(1, x)

    def d2f(self, x):
        """f''(x) for scalars or numpy arrays (f''(0) at 0)."""
        return self._evaluate(2, x)

    def d3f(self, x):
        """f'''(x) for scalars or numpy arrays (0 at x = 0 by symmetry)."""
        return self._evaluate(3, x)

    def h(self, x):
        """h(x) = f'(x)/x for scalars or arrays, with h(0) = f''(0)."""
        a = np.abs(np.asarray(x, dtype=float))
        with np.errstate(all="ignore"):
            out = np.where(a == 0, float(self.curvature_at_zero), self._evaluate(1, a) / a)
        return out if out.ndim else float(out)

    # ------------------------------------------------------------------ period-2 orbit
    @cached_property
    def _slope_mp(self) -> Callable:
        return sp.lambdify(X_POS, log1p_form(self.branch(1)), modules="mpmath")

    @cached_property
    def _curvature_mp(self) -> Callable:
        return sp.lambdify(X_POS, log1p_form(self.branch(2)), modules="mpmath")

    def _check_eta_above_threshold(self, eta) -> float:
        value = _validated_eta(eta)
        threshold = float(self.threshold)
        if value <= threshold and not _exactly_above(value, self.threshold):
            raise LearningRateError(
                f"eta={value:g} is not above the threshold 2/f''(0) = {threshold:.10g} of "
                f"{self.name!r}: for eta <= 2/f''(0) GD converges to 0 (Theorem 4.1) and "
                "there is no period-2 orbit"
            )
        return value

    def periodic_points(self, eta, *, search_max: float | None = SEARCH_MAX
                        ) -> tuple[float, ...]:
        """Every root x > 0 of eta f'(x) = 2x found on (0, search_max] (default: the whole
        float range), in increasing order.

        A root is a sign change of h(x) - 2/eta on a geometric grid (mpmath where floats
        overflow), refined by Brent's method (mpmath bisection at 50 digits below 1e-7 or
        where floats overflow); a sign change across a jump of f' (a kink of f) is not a
        root.  For the functions of Lemma 4.1 there is exactly
        one.  Raises :class:`LearningRateError` for
        eta <= threshold and :class:`NoPeriodicOrbitError` when there is no root.
        """
        eta = self._check_eta_above_threshold(eta)
        return _periodic_points.roots(self, eta, search_max)

    def periodic_point(self, eta) -> float:
        """x_eta: the positive point of the period-2 orbit {+x_eta, -x_eta} (Lemma 4.1).

        The root of eta f'(x) = 2x other than 0 (the smallest, if there are several).
        """
        return self.periodic_points(eta)[0]

    def cycle_multiplier(self, eta) -> float:
        """(1 - eta f''(x_eta))^2: the derivative of the two-step GD map at x_eta."""
        return self.periodic_orbit(eta).multiplier

    def is_stable(self, eta) -> bool:
        """Whether the period-2 orbit at eta is decided linearly stable (cycle multiplier
        < 1, decided without cancellation; False for a marginal orbit too)."""
        return self.periodic_orbit(eta).stable

    def periodic_orbit(self, eta) -> PeriodicOrbit:
        """The period-2 orbit at eta with its cycle multiplier and stability verdict."""
        eta = _validated_eta(eta)
        x_eta = self.periodic_point(eta)
        decided = _orbit_stability.stability(self, eta, x_eta)
        # the multiplier itself stays the float (1 - eta f''(x_eta))^2 that the momentum
        # orbits reproduce at beta = 0; the verdict and 1 - multiplier come from a itself
        multiplier = float((1.0 - eta * self.d2f(x_eta)) ** 2)
        if not math.isfinite(multiplier):
            multiplier = decided.multiplier
        return PeriodicOrbit(eta, x_eta, multiplier, decided.one_minus_multiplier,
                             decided.verdict, decided.precision)

    @cached_property
    def _closed_form(self) -> sp.Expr | None:
        return _periodic_points.closed_form(self)

    @cached_property
    def _closed_form_numeric(self) -> Callable | None:
        expr = self._closed_form
        if expr is None:
            return None
        return sp.lambdify(ETA, expr, modules=["scipy", "numpy"])

    def periodic_point_array(self, etas) -> np.ndarray:
        """x_eta for an array of learning rates (all above the threshold), vectorised.

        Uses the closed form when there is one, polished by two Newton steps on
        eta f'(x) - 2x = 0; where the polish moves the closed form by more than 1e-8
        (Lambert W loses digits near its branch point) or there is no closed form,
        :meth:`periodic_point` solves point by point.
        """
        etas = np.asarray(etas, dtype=float)
        threshold = float(self.threshold)
        bad = ~(np.isfinite(etas) & (etas > threshold))
        if bad.any():  # raises the error periodic_point gives for that learning rate
            self._check_eta_above_threshold(float(etas[bad].flat[0]))
        return _periodic_points.roots_array(self, etas)

    def periodic_point_expr(self) -> sp.Expr | None:
        """x_eta as a closed form in ``theory.ETA``, or None when sympy finds none.

        The candidate roots that sympy returns are checked against the numeric root at four
        learning rates above the threshold; the trivial root 0 (for f1 the principal branch
        of Lambert W) is never returned.
        """
        return self._closed_form

    @cached_property
    def landscape(self):
        """The same function as a one-dimensional :class:`~theory.landscape.Landscape`."""
        from theory.landscape import Landscape

        return Landscape(
            self.expr,
            variables=(X,),
            name=self.name,
            gradient=(self.df_expr,),
            hessian=((self.d2f_expr,),),
            minimum=(0.0,),
        )


def _short(value: sp.Expr) -> str:
    """A number for a message: 6 digits (sympy's Float of 1e-50301029 digits prints in full)."""
    try:
        return str(sp.N(value, 6))[:60]
    except (TypeError, ValueError, ArithmeticError):
        return str(value)[:60]


def _exactly_above(value: float, threshold: sp.Expr) -> bool:
    """Whether the float ``value`` is above the exact threshold although float(threshold)
    is not below it (2e26 is 200000000000000004764729344 > 2 10^26)."""
    try:
        return bool(sp.Rational(value) > threshold)
    except TypeError:  # an undecidable comparison
        return False


def _tanh_form(expr: sp.Expr) -> sp.Expr:
    """sinh(u)/cosh(u) as tanh(u), deterministically (no simplify, no time limit).

    Every sinh(u) becomes tanh(u) cosh(u) where cosh(u) also occurs, and sympy cancels
    cosh(u)/cosh(u) on construction: d/dx log(cosh(x)) = sinh(x)/cosh(x) becomes tanh(x),
    finite for every x, whether or not :func:`sympy.simplify` finishes in its time (it did
    not, under load, for sums such as f1(7x/2)/4 + 3 log(cosh(15x/4))/4, and f'(x)/x was
    nan beyond x ~ 190).
    """
    coshes = {c.args[0] for c in expr.atoms(sp.cosh)}
    swaps = {s: sp.tanh(s.args[0]) * sp.cosh(s.args[0]) for s in expr.atoms(sp.sinh)
             if s.args[0] in coshes}
    return expr.xreplace(swaps) if swaps else expr


def _tidy(expr: sp.Expr, seconds: float = 3.0) -> sp.Expr:
    """sympy's simplify when it finishes quickly and does not lengthen the expression.

    Beyond looks, this matters numerically: d/dx log(cosh x) = sinh(x)/cosh(x) overflows to
    nan for x > 710 while its simplified form tanh(x) does not.
    """
    expr = _tanh_form(expr)
    if expr.count_ops() > 400:
        return expr
    try:
        with time_limit(seconds):
            simpler = sp.simplify(expr)
    except Exception:  # a timeout or a sympy failure: keep the expression as it is
        return expr
    if simpler.has(sp.nan, sp.zoo) or simpler.count_ops() > expr.count_ops():
        return expr
    return simpler
