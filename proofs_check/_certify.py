"""Interval certificates on a bounded range: signs, maxima and roots of 1-D functions.

A certificate covers a stated range [lower, upper] with cells, bisecting adaptively, and
decides every cell with rigorous interval enclosures (:mod:`proofs_check._arb`) at a stated
precision.  On a cell [a, b] the enclosure of g is the intersection of

* the natural enclosure g([a, b]),
* the mean-value forms g(a) + g'([a, b]) [0, b - a] and g(b) - g'([a, b]) [0, b - a];

and, when the statement is strict and must hold on (a, b] only (e.g. g(x) = f'(x) > 0 on
(0, R], where g(0) = 0), the *monotone argument*: g(a) satisfies the non-strict relation and
g' the strict one on (a, b] (decided the same way, recursively with g'', g''', ...).  A cell
on which the opposite relation is certain (or a point where it is) is a certified
counterexample.  Cells still undecided at the width floor or after the evaluation budget
leave the certificate unverified: the statement is then *unknown* on the range, never
*holds*.
"""

from __future__ import annotations

import heapq
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

from proofs_check._arb import PRECISION_BITS, Interval, IntervalFunction, working_precision

#: relations a certificate can establish for g on a range
RELATIONS = ("<0", "<=0", ">0", ">=0", "!=0", "finite")
#: the first cell of a range starting at 0 is [0, 2^-30]; then [2^-30, 2^-29], ...
SMALLEST_CELL = 2.0**-30
#: default number of cell evaluations per certificate
BUDGET = 20000


@dataclass(frozen=True)
class Piece:
    """A cell [lo, hi] of the range on which g, g', g'', ... are the given formulas.

    ``lo``/``hi`` are floats (rounded outward) used for bisection; ``lo_exact``/``hi_exact``
    are tight intervals around exact ends (e.g. the switching point 1/3), used instead of
    the floats in the enclosures of the end cells, so a formula is not evaluated beyond its
    cell by more than the working precision.
    """

    lo: float
    hi: float
    funcs: tuple[IntervalFunction, ...]
    lo_exact: Interval | None = None
    hi_exact: Interval | None = None

    def end(self, x: float) -> Interval:
        """The tight interval of the cell end x (a float endpoint of a bisection cell)."""
        if x == self.lo and self.lo_exact is not None:
            return self.lo_exact
        if x == self.hi and self.hi_exact is not None:
            return self.hi_exact
        return Interval.point(x)


@dataclass(frozen=True)
class IntervalCertificate:
    """The outcome of certifying ``statement`` on [lower, upper] (or (lower, upper]).

    ``verified``: proven on the whole range.  ``counterexample``: a point x of the range
    where the statement is proven false.  ``undecided``: (up to 8) cells left open.
    ``cells``: cells evaluated.
    """

    statement: str
    lower: float
    upper: float
    open_at_lower: bool
    precision_bits: int
    verified: bool
    counterexample: float | None = None
    undecided: tuple[tuple[float, float], ...] = ()
    cells: int = 0
    method: str = "inf-sup intervals on Arb, adaptive bisection, mean-value forms"

    def __post_init__(self):
        if self.verified and (self.counterexample is not None or self.undecided):
            raise ValueError("a verified certificate has neither counterexample nor open cells")
        if not self.lower <= self.upper:
            raise ValueError(f"range [{self.lower}, {self.upper}] is empty")

    @property
    def refuted(self) -> bool:
        return self.counterexample is not None

    @property
    def range_text(self) -> str:
        left = "(" if self.open_at_lower else "["
        return f"{left}{self.lower:.6g}, {self.upper:.6g}]"

    def describe(self) -> str:
        head = f"{self.statement} on {self.range_text} ({self.precision_bits}-bit Arb, "
        head += f"{self.cells} cells)"
        if self.verified:
            return f"certified: {head}"
        if self.refuted:
            return f"refuted: {head}; certified counterexample at x = {self.counterexample:.10g}"
        cells = ", ".join(f"[{a:.6g}, {b:.6g}]" for a, b in self.undecided[:3])
        return f"not certified: {head}; undecided cells {cells}"

    def to_dict(self) -> dict:
        return {
            "statement": self.statement,
            "range": [self.lower, self.upper],
            "open_at_lower": self.open_at_lower,
            "precision_bits": self.precision_bits,
            "verified": self.verified,
            "counterexample": self.counterexample,
            "undecided": [list(c) for c in self.undecided],
            "cells": self.cells,
            "method": self.method,
        }


# ---------------------------------------------------------------------------- predicates
def holds(e: Interval, relation: str) -> bool:
    """``relation`` is certain for every value in the interval e."""
    if not e.is_finite():
        return False
    if relation == "<0":
        return bool(e.hi < 0)
    if relation == "<=0":
        return bool(e.hi <= 0)
    if relation == ">0":
        return bool(e.lo > 0)
    if relation == ">=0":
        return bool(e.lo >= 0)
    if relation == "!=0":
        return bool(e.hi < 0 or e.lo > 0)
    return True  # "finite"


def strictly_violated(e: Interval, relation: str) -> bool:
    """The relation fails with room to spare (a point value certainly on the wrong side of
    0, or an exact zero for "!=0"): by continuity it then fails on a neighbourhood."""
    if not e.is_finite():
        return False
    if relation in ("<0", "<=0"):
        return bool(e.lo > 0)
    if relation in (">0", ">=0"):
        return bool(e.hi < 0)
    if relation == "!=0":
        return e.is_zero()
    return False


def violated_everywhere(e: Interval, relation: str) -> bool:
    """The negation of ``relation`` is certain for every value in e."""
    if not e.is_finite():
        return False
    if relation == "<0":
        return bool(e.lo >= 0)
    if relation == "<=0":
        return bool(e.lo > 0)
    if relation == ">0":
        return bool(e.hi <= 0)
    if relation == ">=0":
        return bool(e.hi < 0)
    if relation == "!=0":
        return e.is_zero()
    return False


_NON_STRICT = {"<0": "<=0", ">0": ">=0"}


def enclose(funcs: Sequence[IntervalFunction], left: Interval, right: Interval) -> Interval:
    """g on the cell from ``left`` to ``right`` (tight intervals around its ends): natural
    enclosure intersected with both mean-value forms."""
    g = funcs[0]
    cell = Interval(left.lo, right.hi)
    e = g(cell)
    if len(funcs) > 1 and not cell.is_point():
        d = funcs[1](cell)
        if d.is_finite():
            spread = Interval.between(0.0, 1.0) * (right - left) * d
            for form in (g(left) + spread, g(right) - spread):
                if form.is_finite():
                    e = form if not e.is_finite() else e.intersection(form)
    return e


def _decide(funcs: Sequence[IntervalFunction], a: float, b: float, relation: str,
            open_left: bool, piece: Piece) -> tuple[str, float | None]:
    """('good'|'bad'|'open', counterexample point) for g on the cell [a, b] (or (a, b])."""
    if relation == "!=0":
        for strict in ("<0", ">0"):
            verdict, _ = _decide(funcs, a, b, strict, open_left, piece)
            if verdict == "good":
                return "good", None
        mid = (a + b) / 2
        if a < mid and funcs[0](Interval.point(mid)).is_zero():
            return "bad", mid
        return "open", None
    left, right = piece.end(a), piece.end(b)
    e = enclose(funcs, left, right)
    if holds(e, relation):
        return "good", None
    if violated_everywhere(e, relation):
        return "bad", a + (b - a) / 2
    mid = (a + b) / 2
    if a < mid and strictly_violated(funcs[0](Interval.point(mid)), relation):
        return "bad", mid
    if len(funcs) > 1 and relation in ("<0", "<=0", ">0", ">=0"):
        # monotone argument from the left end: g(a) satisfies the relation (the non-strict
        # one suffices when a itself is excluded) and g' has the same sign on (a, b], so g
        # moves away from 0 on the right side
        at_a = _NON_STRICT.get(relation, relation) if open_left else relation
        if holds(funcs[0](left), at_a):
            verdict, _ = _decide(funcs[1:], a, b, relation, True, piece)
            if verdict == "good":
                return "good", None
    return "open", None


def initial_cells(lo: float, hi: float) -> list[tuple[float, float]]:
    """[lo, hi] cut at 2^-30, 2^-29, ... (geometric cells: the functions vary on the
    scale of x)."""
    points = [lo]
    x = lo
    if lo <= 0:
        x = min(hi, SMALLEST_CELL)
        points.append(x)
    while x * 2 < hi:
        x *= 2
        points.append(x)
    if points[-1] < hi:
        points.append(hi)
    return [(a, b) for a, b in itertools.pairwise(points) if a < b] or [(lo, hi)]


def _anchored_prefix(piece: Piece, relation: str, open_left: bool) -> tuple[float, int]:
    """(x, evaluations): the largest x among hi, hi 2^-10, hi 2^-20, ... (down to
    2^-30) with the relation certified on [0, x] in one cell, else the piece's lower end.

    The monotone argument anchored at 0 (g(0) and the signs of g', g'', ... on [0, x])
    certifies a cell [0, x] that bisection cannot: cut at 2^-30, the cell [2^-30, 2^-29]
    must decide the sign of g(2^-30) itself, and for a function of scale s = 1e13,
    x f''(x) - f'(x) ~ -x^3/s^4 there is 1e-44 of terms of size x/s^2, below 128 bits.
    """
    if piece.lo > 0 or relation in ("!=0", "finite"):
        return piece.lo, 0
    x, tries = piece.hi, 0
    while x >= SMALLEST_CELL:
        tries += 1
        try:
            verdict, _ = _decide(piece.funcs, 0.0, x, relation, open_left, piece)
        except (ValueError, ZeroDivisionError, ArithmeticError):
            verdict = "open"
        if verdict == "good":
            return x, tries
        x *= 2.0**-10
    return piece.lo, tries


def _split(a: float, b: float) -> float:
    if a > 0 and b / a > 4:
        return math.sqrt(a) * math.sqrt(b)
    return a + (b - a) / 2


def certify(pieces: Sequence[Piece], relation: str, statement: str, *,
            open_at_lower: bool = False, budget: int = BUDGET,
            precision: int = PRECISION_BITS) -> IntervalCertificate:
    """Certify ``g <relation>`` on the union of the pieces (contiguous, increasing)."""
    if relation not in RELATIONS:
        raise ValueError(f"relation={relation!r} must be one of {RELATIONS}")
    if not pieces:
        raise ValueError("no cells to certify on")
    lower, upper = pieces[0].lo, pieces[-1].hi
    evaluated = 0
    undecided: list[tuple[float, float]] = []
    with working_precision(precision):
        for index, piece in enumerate(pieces):
            open_first = open_at_lower and index == 0 and piece.lo == lower
            start, tries = _anchored_prefix(piece, relation, open_first)
            evaluated += tries
            stack = list(reversed(initial_cells(start, piece.hi))) if start < piece.hi else []
            while stack:
                a, b = stack.pop()
                evaluated += 1
                open_left = open_at_lower and index == 0 and a == lower
                try:
                    verdict, point = _decide(piece.funcs, a, b, relation, open_left, piece)
                except (ValueError, ZeroDivisionError, ArithmeticError):
                    verdict, point = "open", None
                if verdict == "good":
                    continue
                if verdict == "bad":
                    return IntervalCertificate(statement, lower, upper, open_at_lower, precision,
                                               False, counterexample=point, cells=evaluated)
                mid = _split(a, b)
                if (evaluated >= budget or not a < mid < b or (b - a) <= 1e-14 * abs(b)
                        or b < 1e-250):
                    undecided.append((a, b))
                    continue
                stack += [(mid, b), (a, mid)]
    return IntervalCertificate(statement, lower, upper, open_at_lower, precision,
                               not undecided, undecided=tuple(undecided[:8]), cells=evaluated)


# ---------------------------------------------------------------------------- maxima
@dataclass(frozen=True)
class MaximumEnclosure:
    """max g on [lower, upper] lies in [value_lower, value_upper] (certified), attained
    near ``argmax``."""

    lower: float
    upper: float
    value_lower: float
    value_upper: float
    argmax: float
    precision_bits: int
    cells: int


def enclose_maximum(pieces: Sequence[Piece], *, rel_tol: float = 1e-6, budget: int = BUDGET,
                    precision: int = PRECISION_BITS) -> MaximumEnclosure:
    """A certified enclosure of max g over the pieces (branch and bound)."""
    best, argmax = -math.inf, pieces[0].lo
    heap: list[tuple[float, float, float, int]] = []
    evaluated = 0
    closed_upper = -math.inf
    with working_precision(precision):
        for k, piece in enumerate(pieces):
            for a, b in initial_cells(piece.lo, piece.hi):
                heap.append((-math.inf, a, b, k))
        while heap:
            neg_up, a, b, k = heapq.heappop(heap)
            slack = rel_tol * max(abs(best), 1e-300)
            if neg_up != -math.inf and -neg_up <= best + slack:
                closed_upper = max(closed_upper, -neg_up)
                continue
            piece = pieces[k]
            funcs = piece.funcs
            for x in (a, b, (a + b) / 2):
                # a cell end may be an exact switching point (e.g. 1/3): evaluate there, not
                # at its float rounding, which lies outside the formula's cell
                point_lo, _ = funcs[0](piece.end(x)).bounds()
                if point_lo > best:
                    best, argmax = point_lo, x
            evaluated += 1
            _, up = enclose(funcs, piece.end(a), piece.end(b)).bounds()
            mid = _split(a, b)
            if up <= best + rel_tol * max(abs(best), 1e-300) or evaluated >= budget \
                    or not a < mid < b:
                closed_upper = max(closed_upper, up)
                continue
            heapq.heappush(heap, (-up, a, mid, k))
            heapq.heappush(heap, (-up, mid, b, k))
    return MaximumEnclosure(pieces[0].lo, pieces[-1].hi, best, max(closed_upper, best), argmax,
                            precision, evaluated)


# ---------------------------------------------------------------------------- roots
@dataclass(frozen=True)
class RootEnclosure:
    """A root of g lies in [lower, upper]: certified signs of opposite sign at the ends of
    ``bracket`` (g continuous there), narrowed by interval Newton.  ``unique``: g' excludes
    0 on the bracket, so the root is the only one in it."""

    lower: float
    upper: float
    unique: bool
    precision_bits: int
    bracket: tuple[float, float]

    @property
    def midpoint(self) -> float:
        return self.lower + (self.upper - self.lower) / 2

    def contains(self, x: float) -> bool:
        return self.lower <= x <= self.upper

    def to_dict(self) -> dict:
        return {"lower": self.lower, "upper": self.upper, "unique": self.unique,
                "precision_bits": self.precision_bits, "bracket": list(self.bracket)}


def enclose_root(g: IntervalFunction, dg: IntervalFunction, guess: float, lo: float,
                 hi: float, *, precision: int = PRECISION_BITS) -> RootEnclosure | None:
    """Enclose the root of g near ``guess`` inside [lo, hi], where g is one formula.

    None when no certified sign change is found around the guess.
    """
    if not (math.isfinite(guess) and guess > 0):
        return None
    with working_precision(precision):
        bracket = None
        for delta in (1e-13, 1e-10, 1e-7, 1e-4, 1e-2, 1e-1):
            left, right = max(lo, guess * (1 - delta)), min(hi, guess * (1 + delta))
            if not left < right:
                continue
            gl, gr = g(Interval.point(left)), g(Interval.point(right))
            if (holds(gl, "<0") and holds(gr, ">0")) or (holds(gl, ">0") and holds(gr, "<0")):
                bracket = (left, right)
                break
        if bracket is None:
            return None
        x = Interval.between(*bracket)
        d = dg(x)
        unique = holds(d, "!=0")
        if unique:
            for _ in range(80):
                m = Interval.from_ball(x.mid())
                newton = m - g(m) / dg(x)
                if not newton.is_finite() or not newton.overlaps(x):
                    break
                shrunk = x.intersection(newton)
                if not (shrunk.hi - shrunk.lo) < (x.hi - x.lo):
                    break
                x = shrunk
        lower, upper = x.bounds()
        return RootEnclosure(max(lower, bracket[0]), min(upper, bracket[1]), unique,
                             precision, bracket)
