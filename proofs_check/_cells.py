"""Split the half-line [0, oo) into cells on which a 1-D branch expression is one formula.

The branches f_+^(n) of :class:`theory.Subquadratic` (derivatives on x > 0) may contain
``Piecewise`` (f2, the empirical losses of Section 6), ``Abs`` or ``sign`` of non-positive
arguments.  Interval certificates need one smooth formula per cell (a mean-value form is
only valid where the function is differentiable), so :func:`split_cells` finds every
switching point (where a condition of a ``Piecewise`` or the argument of ``Abs``/``sign``
changes sign) exactly with sympy, and on each open cell between consecutive switching points
replaces every switch by its active branch.  Jumps at the switching points are examined
separately (:func:`jump`).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import sympy as sp

from theory import time_limit

#: seconds allowed to sympy for finding the switching points of one expression
SOLVE_SECONDS = 10


class SplitError(Exception):
    """The switching points could not be found exactly (the cover stays unsplit)."""


@dataclass(frozen=True)
class Cells:
    """Cells [b_k, b_{k+1}] of [0, oo) (b_0 = 0, last b = oo) and, for each input expression,
    the formula valid on every open cell.

    ``boundaries`` are exact sympy numbers (switching points, increasing); ``formulas[j][k]``
    is the formula of expression j on cell k.
    """

    boundaries: tuple[sp.Expr, ...]
    formulas: tuple[tuple[sp.Expr, ...], ...]

    @property
    def intervals(self) -> tuple[tuple[sp.Expr, sp.Expr], ...]:
        points = (sp.S.Zero, *self.boundaries, sp.oo)
        return tuple(itertools.pairwise(points))


def _switches(expr: sp.Expr, var: sp.Symbol) -> list[sp.Expr]:
    """Functions of ``var`` whose sign changes are the possible switching points."""
    out: list[sp.Expr] = []
    for node in sp.preorder_traversal(expr):
        if isinstance(node, sp.Piecewise):
            for _, condition in node.args:
                for rel in condition.atoms(sp.Rel):
                    out.append(rel.lhs - rel.rhs)
        elif isinstance(node, (sp.Abs, sp.sign, sp.Heaviside)):
            out.append(node.args[0])
        elif isinstance(node, (sp.Max, sp.Min)):
            args = node.args
            out += [a - b for i, a in enumerate(args) for b in args[i + 1 :]]
    return [s for s in out if s.has(var)]


def _positive_roots(g: sp.Expr, var: sp.Symbol) -> list[sp.Expr]:
    try:
        with time_limit(SOLVE_SECONDS):
            roots = sp.solveset(sp.Eq(g, 0), var, domain=sp.Interval.open(0, sp.oo))
    except Exception as exc:  # sympy raises many kinds; a timeout too
        raise SplitError(f"cannot solve {g} = 0: {exc}") from None
    if roots is sp.S.EmptySet:
        return []
    if not isinstance(roots, sp.FiniteSet):
        raise SplitError(f"the zeros of {g} on x > 0 are not a finite set ({roots})")
    out = []
    for r in roots:
        if not (r.is_real and r.is_positive):
            raise SplitError(f"switching point {r} of {g} is not a known positive number")
        out.append(r)
    return out


def _truth_at(condition, var: sp.Symbol, point: sp.Expr) -> bool:
    value = condition.subs(var, point)
    if value in (sp.true, True):
        return True
    if value in (sp.false, False):
        return False
    if isinstance(value, sp.Rel):  # decide numerically at 50 digits (point is interior)
        diff = sp.N(value.lhs - value.rhs, 50)
        return bool(sp.Rel(diff, 0, value.rel_op))
    raise SplitError(f"cannot decide {condition} at {var} = {point}")


def _sign_at(arg: sp.Expr, var: sp.Symbol, point: sp.Expr) -> int:
    value = sp.N(arg.subs(var, point), 50)
    if value == 0 or not value.is_real:
        raise SplitError(f"{arg} vanishes at the interior point {point}")
    return 1 if value > 0 else -1


def formula_on_cell(expr: sp.Expr, var: sp.Symbol, point: sp.Expr) -> sp.Expr:
    """``expr`` with every switch replaced by its branch active at ``point`` (a cell interior
    point; the active branch is the same on the whole open cell)."""

    def choose_piece(pw: sp.Piecewise) -> sp.Expr:
        for piece, condition in pw.args:
            if _truth_at(condition, var, point):
                return piece
        raise SplitError(f"no piece of {pw} is active at {var} = {point}")

    out = expr.replace(lambda e: isinstance(e, (sp.Max, sp.Min, sp.Heaviside)),
                       lambda e: e.rewrite(sp.Piecewise))
    out = out.replace(lambda e: isinstance(e, sp.Piecewise), choose_piece)
    out = out.replace(lambda e: isinstance(e, sp.Abs) and e.args[0].has(var),
                      lambda e: _sign_at(e.args[0], var, point) * e.args[0])
    out = out.replace(lambda e: isinstance(e, sp.sign) and e.args[0].has(var),
                      lambda e: sp.Integer(_sign_at(e.args[0], var, point)))
    return out


def split_cells(exprs: Sequence[sp.Expr], var: sp.Symbol) -> Cells:
    """The common cells of ``exprs`` and each expression's formula on each cell.

    Raises :class:`SplitError` when a switching point cannot be found exactly.
    """
    roots: list[sp.Expr] = []
    for expr in exprs:
        for g in _switches(expr, var):
            roots += _positive_roots(g, var)
    unique: list[sp.Expr] = []
    for r in sorted(set(roots), key=lambda r: float(sp.N(r, 30))):
        if not unique or sp.simplify(r - unique[-1]) != 0:
            unique.append(r)
    points = [sp.S.Zero, *unique]
    samples = [(a + b) / 2 for a, b in itertools.pairwise(points)]
    samples.append(points[-1] + 1 if points[-1] != 0 else sp.S.One)
    formulas = tuple(
        tuple(formula_on_cell(expr, var, s) for s in samples) for expr in exprs
    )
    # merge neighbouring cells where every expression has the same formula
    keep = [0]
    for k in range(1, len(samples)):
        if any(formulas[j][k] != formulas[j][keep[-1]] for j in range(len(exprs))):
            keep.append(k)
    boundaries = tuple(points[k] for k in keep[1:])
    merged = tuple(tuple(row[k] for k in keep) for row in formulas)
    return Cells(boundaries, merged)


def jump(left: sp.Expr, right: sp.Expr, var: sp.Symbol, point: sp.Expr) -> sp.Expr | None:
    """right(point) - left(point), exactly; None if sympy cannot decide whether it is 0."""
    try:
        with time_limit(SOLVE_SECONDS):
            value = sp.simplify(right.subs(var, point) - left.subs(var, point))
    except Exception:
        return None
    if value.is_number and value.is_finite:
        return value
    return None
