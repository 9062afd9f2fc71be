"""Interval analysis of a one-dimensional :class:`theory.Subquadratic` on [0, R].

Everything here works on the branch x > 0 (``Subquadratic.branch(n)``, where |x| = x), cut
into cells on which each derivative is one formula (:mod:`proofs_check._cells`).  By
evenness, a statement about f^(n) on (0, R] is the statement on [-R, R] \\ {0}.

:func:`analysis` caches one :class:`OneDimensional` per function, so that the claims share
their certificates.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import cached_property, lru_cache

import sympy as sp

from proofs_check._arb import (
    UnsupportedExpression,
    compile_arb,
    exact_interval,
    working_precision,
)
from proofs_check._cells import Cells, SplitError, jump, split_cells
from proofs_check._certify import (
    IntervalCertificate,
    MaximumEnclosure,
    Piece,
    RootEnclosure,
    certify,
    enclose_maximum,
    enclose_root,
)
from theory import X_POS, Subquadratic
from theory._sympy_utils import time_limit
from theory.errors import MslValueError

#: the default certified range is [0, R] with R = 2^40 (about 1.1e12)
DEFAULT_RADIUS = 2.0**40
#: derivatives of a certified function that the monotone argument may use
DEPTH = 4
#: seconds allowed to one sympy limit or simplification
SYMPY_SECONDS = 15

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


class OneDimensional:
    """Cells, certificates and root enclosures of one function on [0, radius]."""

    def __init__(self, f: Subquadratic, radius: float = DEFAULT_RADIUS):
        self.f = f
        self.radius = float(radius)
        exprs = [f.branch(n) for n in range(DEPTH + 2)]
        try:
            self.cells: Cells | None = split_cells(exprs, X_POS)
            self.split_error = None
        except SplitError as exc:
            self.cells = None
            self.split_error = str(exc)
            self._whole = tuple(exprs)

    # ---------------------------------------------------------------- cells
    @property
    def boundaries(self) -> tuple[sp.Expr, ...]:
        return self.cells.boundaries if self.cells is not None else ()

    def _cell_list(self) -> list[tuple[sp.Expr, sp.Expr, Callable[[int], sp.Expr]]]:
        if self.cells is None:
            return [(sp.S.Zero, sp.oo, lambda n: self._whole[n])]
        out = []
        for k, (a, b) in enumerate(self.cells.intervals):
            out.append((a, b, lambda n, k=k: self.cells.formulas[n][k]))
        return out

    def formula(self, n: int, x: float) -> sp.Expr:
        """The formula of f^(n) on the cell containing x > 0."""
        for a, b, d in self._cell_list():
            if _float_down(a) <= x <= _float_up(b):
                return d(n)
        raise ValueError(f"x={x} is outside [0, oo)")

    def pieces(self, build: Builder, lo: float = 0.0, hi: float | None = None,
               depth: int = DEPTH) -> list[Piece]:
        """Interval pieces of g = build(f-derivative formulas) on [lo, hi], one per cell,
        each with g and its first ``depth - 1`` derivatives (only g itself if the cells could
        not be split and g is piecewise).  Raises UnsupportedExpression."""
        hi = self.radius if hi is None else hi
        out = []
        with working_precision():
            return self._pieces(build, lo, hi, depth, out)

    def _pieces(self, build, lo, hi, depth, out):
        for a, b, d in self._cell_list():
            left, right = max(lo, _float_down(a)), min(hi, _float_up(b))
            if not left < right:
                continue
            g = build(d)
            exprs = [g]
            if self.cells is not None or not g.has(sp.Piecewise):
                for _ in range(depth - 1):
                    exprs.append(sp.diff(exprs[-1], X_POS))
            funcs = tuple(compile_arb(e, X_POS) for e in exprs)
            lo_exact = exact_interval(a) if a != 0 and left == _float_down(a) else None
            hi_exact = exact_interval(b) if b != sp.oo and right == _float_up(b) else None
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
        if self.cells is None:
            return []
        out = []
        formulas = self.cells.formulas[n]
        for k, b in enumerate(self.cells.boundaries):
            out.append((b, jump(formulas[k], formulas[k + 1], X_POS, b)))
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

        def build(d):
            n = X_POS * d(2) - d(1)
            try:
                with time_limit(SYMPY_SECONDS):
                    return sp.simplify(n)
            except Exception:
                return n

        return self.certify(build, "<=0", "x f''(x) - f'(x) <= 0", open_at_lower=True)

    @cached_property
    def slope_positive(self) -> IntervalCertificate | None:
        return self.certify(lambda d: d(1), ">0", "f'(x) > 0", open_at_lower=True)

    @cached_property
    def finite(self) -> dict[int, IntervalCertificate | None]:
        return {n: self.certify(lambda d, n=n: d(n), "finite", f"f^({n})(x) finite")
                for n in (0, 1, 2)}

    # ---------------------------------------------------------------- x_eta
    def residual(self, eta: float) -> Builder:
        e = exact(eta)
        return lambda d: e * d(1) - 2 * X_POS

    def enclose_x_eta(self, eta: float, guess: float | None) -> RootEnclosure | None:
        """A certified enclosure of the root of eta f'(x) = 2x near ``guess``."""
        if guess is None or not (math.isfinite(guess) and guess > 0):
            return None
        e = exact(eta)
        for a, b, d in self._cell_list():
            lo, hi = _float_down(a), min(_float_up(b), self.radius)
            if lo <= guess <= hi:
                try:
                    g = compile_arb(e * d(1) - 2 * X_POS, X_POS)
                    dg = compile_arb(e * d(2) - 2, X_POS)
                except UnsupportedExpression:
                    return None
                if self.cells is None and d(1).has(sp.Piecewise):
                    return None  # g may jump inside: a sign change is not a root
                return enclose_root(g, dg, guess, lo, hi)
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


@lru_cache(maxsize=64)
def analysis(f: Subquadratic, radius: float = DEFAULT_RADIUS) -> OneDimensional:
    """The cached :class:`OneDimensional` of f."""
    return OneDimensional(f, radius)
