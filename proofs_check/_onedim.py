"""Interval analysis of a one-dimensional :class:`theory.Subquadratic` on [0, R].

Everything here works on the branch x > 0 (where |x| = x), cut into cells on which f is
one formula (:mod:`proofs_check._cells`).  By evenness, a statement about f^(n) on (0, R]
is the statement on [-R, R] \\ {0}.

**Formulas.**  On each cell, f is split into its additive components (the terms of the
cell formula, e.g. a f1(b x) + c log cosh(d x) has two); each component is differentiated
n times, simplifying after every step (sympy's simplify, a few seconds at most per
component), and the interval enclosure of f^(n) is the sum over components of the
intersection of the raw and the simplified formula's enclosures.  This removes the
cancellation of sympy's raw derivatives (pseudo-Huber's f''' comes out as a difference of
two terms of size 1e-8 whose sum is 5e-15 at x = 5000) without losing the raw form where
the simplified one has a removable singularity.

**Builders.**  A certified quantity g is given as a *builder*: a function of ``d`` (d(n)
stands for f^(n)) returning a sympy expression affine in the d(n) with coefficients in x,
e.g. ``lambda d: X_POS * d(2) - d(1)``.  Its derivatives follow from the total derivative
rule (d(n)' = d(n + 1)), so they are exact too (for x f'' - f': x f''').

:func:`analysis` caches one :class:`OneDimensional` per function, so that the claims share
their certificates.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import cached_property, lru_cache

import sympy as sp

from proofs_check._arb import (
    IntervalFunction,
    UnsupportedExpression,
    working_precision,
)
from proofs_check._arb_compile import compile_arb, exact_interval, intersect_forms
from proofs_check._cells import SplitError, jump, split_cells
from proofs_check._certify import (
    IntervalCertificate,
    MaximumEnclosure,
    Piece,
    RootEnclosure,
    certify,
    enclose_maximum,
    enclose_root,
)
from theory import X_POS, Subquadratic, time_limit
from theory.errors import MslValueError

#: the default certified range is [0, R] with R = 2^40 (about 1.1e12), or more for a function
#: of a larger scale (:func:`scaled_radius`)
DEFAULT_RADIUS = 2.0**40
#: derivatives of a certified function that the monotone argument may use
DEPTH = 4
#: seconds allowed to one sympy limit
SYMPY_SECONDS = 15
#: seconds allowed to simplifying one derivative of one component
SIMPLIFY_SECONDS = 3
#: derivatives of order above this are not simplified (they only serve the monotone
#: argument near 0, and sympy's simplify gets slow on them)
SIMPLIFY_ORDER = 4
#: placeholders d(n) = f^(n) in builders
D = sp.symbols("D0:12", real=True)

Builder = Callable[[Callable[[int], sp.Expr]], sp.Expr]


def _float_down(value: sp.Expr) -> float:
    v = float(sp.N(value, 30))
    return math.nextafter(v, -math.inf) if v > 0 else 0.0


def _float_up(value: sp.Expr) -> float:
    if value is sp.oo:
        return math.inf
    return math.nextafter(float(sp.N(value, 30)), math.inf)


def exact(eta: float) -> sp.Rational:
    """A float learning rate as the exact binary number it is."""
    return sp.Rational(float(eta))


def sympy_limit(expr: sp.Expr, point) -> sp.Expr | None:
    """lim_{x -> point} expr (x = X_POS), or None when sympy cannot decide in time."""
    direction = "+" if point == 0 else "-"
    try:
        with time_limit(SYMPY_SECONDS):
            value = sp.limit(expr, X_POS, point, direction)
    except Exception:
        return None
    if value is None or value.has(sp.Limit, sp.AccumBounds, sp.nan):
        return None
    return value


def _simplified(expr: sp.Expr) -> sp.Expr:
    try:
        with time_limit(SIMPLIFY_SECONDS):
            out = sp.simplify(expr)
    except Exception:  # timeouts and sympy failures: keep the raw form
        return expr
    return out


def template_derivative(template: sp.Expr) -> sp.Expr:
    """d/dx of an expression in x and the placeholders D_n (D_n' = D_{n+1})."""
    out = sp.diff(template, X_POS)
    for n in range(len(D) - 1):
        if template.has(D[n]):
            out += sp.diff(template, D[n]) * D[n + 1]
    return out


class _Cell:
    """One cell [lo, hi] and the component-wise derivative formulas of f on it."""

    def __init__(self, lo: sp.Expr, hi: sp.Expr, formula: sp.Expr):
        self.lo, self.hi = lo, hi
        self.components = list(sp.Add.make_args(sp.expand(formula, deep=False)))
        self._forms: dict[int, list[list[sp.Expr]]] = {0: [[c] for c in self.components]}
        self._exact: dict[int, sp.Expr] = {0: formula}

    def forms(self, n: int) -> list[list[sp.Expr]]:
        """For each component, its formulas of the n-th derivative (raw and simplified)."""
        if n not in self._forms:
            previous = self.forms(n - 1)
            out = []
            for forms in previous:
                best = forms[-1]  # the simplified form of order n - 1
                raw = sp.diff(best, X_POS)
                simple = _simplified(raw) if n <= SIMPLIFY_ORDER else raw
                out.append([raw] if simple == raw else [raw, simple])
            self._forms[n] = out
        return self._forms[n]

    def formula(self, n: int) -> sp.Expr:
        """f^(n) on the cell, as one exact sympy expression (sum of simplified forms)."""
        if n not in self._exact:
            self._exact[n] = sp.Add(*(forms[-1] for forms in self.forms(n)))
        return self._exact[n]

    def enclosure(self, n: int) -> IntervalFunction:
        """An interval function enclosing f^(n) on the cell."""
        parts = [intersect_forms([compile_arb(e, X_POS) for e in forms])
                 for forms in self.forms(n)]
        if not parts:
            return compile_arb(sp.Integer(0), X_POS)
        if len(parts) == 1:
            return parts[0]

        def total(x):
            out = parts[0](x)
            for p in parts[1:]:
                out = out + p(x)
            return out

        return total


class OneDimensional:
    """Cells, certificates and root enclosures of one function on [0, radius]."""

    def __init__(self, f: Subquadratic, radius: float = DEFAULT_RADIUS):
        self.f = f
        self.radius = float(radius)
        try:
            # switching points come from f itself (and |.|, sign in f', f''); the core's
            # higher branches are slow to build for sums of several profiles
            cells = split_cells([f.branch(n) for n in range(3)], X_POS)
            self.split_error = None
            self.boundaries = cells.boundaries
            self._cells = [_Cell(a, b, cells.formulas[0][k])
                           for k, (a, b) in enumerate(cells.intervals)]
        except SplitError as exc:
            self.split_error = str(exc)
            self.boundaries = ()
            self._cells = None  # type: ignore[assignment]  # no cells: one branch
            self._whole = f.branch(0)

    @property
    def split(self) -> bool:
        """Whether the half-line was cut into cells with one formula each."""
        return self._cells is not None

    # ---------------------------------------------------------------- formulas
    def cell_at(self, x: float) -> _Cell | None:
        if self._cells is None:
            return None
        for cell in self._cells:
            if _float_down(cell.lo) <= x <= _float_up(cell.hi):
                return cell
        raise ValueError(f"x={x} is outside [0, oo)")

    def formula(self, n: int, x: float) -> sp.Expr:
        """f^(n) on the cell containing x >= 0 (an exact sympy expression)."""
        cell = self.cell_at(x)
        return self.f.branch(n) if cell is None else cell.formula(n)

    def cell_formulas(self, n: int) -> tuple[sp.Expr, ...]:
        """f^(n) on every cell, in order."""
        if self._cells is None:
            return (self.f.branch(n),)
        return tuple(cell.formula(n) for cell in self._cells)

    # ---------------------------------------------------------------- pieces
    def pieces(self, build: Builder, lo: float = 0.0, hi: float | None = None,
               depth: int = DEPTH) -> list[Piece]:
        """Interval pieces of g = build(d) and its first ``depth - 1`` derivatives on
        [lo, hi], one per cell.  Raises UnsupportedExpression."""
        hi = self.radius if hi is None else hi
        template = sp.sympify(build(lambda n: D[n]))
        templates = [template]
        for _ in range(depth - 1):
            templates.append(template_derivative(templates[-1]))
        out = []
        with working_precision():
            if self._cells is None:
                if not (lo < hi):
                    return out
                whole = {D[n]: compile_arb(self.f.branch(n), X_POS) for n in range(len(D) - 4)}
                usable = templates if not self.f.branch(0).has(sp.Piecewise) else templates[:1]
                funcs = tuple(compile_arb(t, X_POS, whole) for t in usable)
                return [Piece(lo, hi, funcs)]
            for cell in self._cells:
                left, right = max(lo, _float_down(cell.lo)), min(hi, _float_up(cell.hi))
                if not left < right:
                    continue
                needed = sorted({n for t in templates for n in range(len(D)) if t.has(D[n])})
                externals = {D[n]: cell.enclosure(n) for n in needed}
                funcs = tuple(
                    intersect_forms([
                        compile_arb(t, X_POS, externals),
                        # the exact formula: sympy cancels e.g. x (202/3) - 202 x/3 to 0
                        compile_arb(t.xreplace({D[n]: cell.formula(n) for n in needed}), X_POS),
                    ])
                    for t in templates)
                lo_exact = exact_interval(cell.lo) if cell.lo != 0 and \
                    left == _float_down(cell.lo) else None
                hi_exact = exact_interval(cell.hi) if cell.hi != sp.oo and \
                    right == _float_up(cell.hi) else None
                out.append(Piece(left, right, funcs, lo_exact, hi_exact))
        return out

    def certify(self, build: Builder, relation: str, statement: str, *, lo: float = 0.0,
                hi: float | None = None, open_at_lower: bool = False
                ) -> IntervalCertificate | None:
        """Certificate of ``build(...) <relation>`` on [lo, hi] (None: not translatable)."""
        try:
            pieces = self.pieces(build, lo, hi)
        except UnsupportedExpression:
            return None
        if not pieces:
            return None
        return certify(pieces, relation, statement, open_at_lower=open_at_lower)

    def maximum(self, build: Builder, lo: float, hi: float) -> MaximumEnclosure | None:
        try:
            pieces = self.pieces(build, lo, hi, depth=2)
        except UnsupportedExpression:
            return None
        return enclose_maximum(pieces) if pieces else None

    # ---------------------------------------------------------------- jumps
    def jumps(self, n: int) -> list[tuple[sp.Expr, sp.Expr | None]]:
        """(b, f^(n)(b+) - f^(n)(b-)) at every switching point b (None: undecided)."""
        if self._cells is None:
            return []
        out = []
        for left, right in zip(self._cells[:-1], self._cells[1:], strict=True):
            out.append((left.hi, jump(left.formula(n), right.formula(n), X_POS, left.hi)))
        return out

    # ---------------------------------------------------------------- named certificates
    @cached_property
    def d3_nonpositive(self) -> IntervalCertificate | None:
        return self.certify(lambda d: d(3), "<=0", "f'''(x) <= 0", open_at_lower=True)

    @cached_property
    def d3_negative(self) -> IntervalCertificate | None:
        return self.certify(lambda d: d(3), "<0", "f'''(x) < 0", open_at_lower=True)

    @cached_property
    def h_numerator_nonpositive(self) -> IntervalCertificate | None:
        """N(x) = x f''(x) - f'(x) <= 0, i.e. h'(x) = N(x)/x^2 <= 0 (proof of Lemma 4.1)."""
        return self.certify(lambda d: X_POS * d(2) - d(1), "<=0", "x f''(x) - f'(x) <= 0",
                            open_at_lower=True)

    @cached_property
    def slope_positive(self) -> IntervalCertificate | None:
        return self.certify(lambda d: d(1), ">0", "f'(x) > 0", open_at_lower=True)

    @cached_property
    def finite(self) -> dict[int, IntervalCertificate | None]:
        return {n: self.certify(lambda d, n=n: d(n),  # type: ignore[misc]
                                "finite", f"f^({n})(x) finite")
                for n in (0, 1, 2)}

    # ---------------------------------------------------------------- x_eta
    def residual(self, eta: float) -> Builder:
        e = exact(eta)
        return lambda d: e * d(1) - 2 * X_POS

    def enclose_x_eta(self, eta: float, guess: float | None) -> RootEnclosure | None:
        """A certified enclosure of the root of eta f'(x) = 2x near ``guess``."""
        if guess is None or not (math.isfinite(guess) and guess > 0):
            return None
        if self._cells is None and self.f.branch(1).has(sp.Piecewise):
            return None  # g may jump inside a cell: a sign change is not a root
        try:
            pieces = self.pieces(self.residual(eta), 0.0, self.radius, depth=2)
        except UnsupportedExpression:
            return None
        for piece in pieces:
            if piece.lo <= guess <= piece.hi:
                return enclose_root(piece.funcs[0], piece.funcs[1], guess, piece.lo, piece.hi)
        return None

    def no_root(self, eta: float, lo: float = 0.0, hi: float | None = None,
                ) -> IntervalCertificate | None:
        """Certificate that eta f'(x) != 2x on (lo, hi]."""
        return self.certify(self.residual(eta), "!=0", f"eta f'(x) - 2x != 0 (eta = {eta:g})",
                            lo=lo, hi=hi, open_at_lower=True)

    def sign_of_residual(self, eta: float, relation: str, lo: float = 0.0,
                         hi: float | None = None) -> IntervalCertificate | None:
        return self.certify(self.residual(eta), relation,
                            f"eta f'(x) - 2x {relation[:-1]} 0 (eta = {eta:g})", lo=lo, hi=hi,
                            open_at_lower=True)

    # ---------------------------------------------------------------- scale
    @cached_property
    def scale(self) -> float:
        """A length scale L of f: x_eta at eta = 4/f''(0), where h(L) = f''(0)/2 (1 if none)."""
        try:
            return float(self.f.periodic_point(2 * float(self.f.threshold)))
        except (MslValueError, ValueError, ArithmeticError):
            return 1.0

    @cached_property
    def threshold_interval(self):
        return exact_interval(self.f.threshold)


#: the default range reaches this many length scales of f (x_eta at twice the threshold)
SCALES_COVERED = 2.0**20


def scaled_radius(f: Subquadratic, radius: float = DEFAULT_RADIUS) -> float:
    """``radius``, or for the default radius 2^40 the power of two above 2^20 length scales
    of f when that is larger: x_eta of log(cosh(x/1e13)) lies near 1.3e13, beyond 2^40, and
    a range that misses it can certify nothing about it."""
    if radius != DEFAULT_RADIUS:
        return radius
    try:
        scale = float(f.periodic_point(2 * float(f.threshold)))
    except (MslValueError, ValueError, ArithmeticError):
        return radius
    wanted = scale * SCALES_COVERED
    if not (math.isfinite(wanted) and wanted > radius):
        return radius
    return min(2.0 ** math.ceil(math.log2(wanted)), 2.0**1000)


def analysis(f: Subquadratic, radius: float = DEFAULT_RADIUS) -> OneDimensional:
    """The cached :class:`OneDimensional` of f on [0, radius] (the default radius widened to
    the function's scale, :func:`scaled_radius`)."""
    return _analysis(f, scaled_radius(f, radius))


@lru_cache(maxsize=64)
def _analysis(f: Subquadratic, radius: float) -> OneDimensional:
    return OneDimensional(f, radius)
