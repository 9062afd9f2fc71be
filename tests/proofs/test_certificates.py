"""The interval machinery (proofs_check._arb, _cells, _certify) against mpmath references."""

from __future__ import annotations

import math

import mpmath
import pytest
import sympy as sp
from hypothesis import given
from hypothesis import strategies as st

from proofs_check._arb import Interval, working_precision
from proofs_check._arb_compile import compile_arb
from proofs_check._cells import split_cells
from proofs_check._certify import Piece, certify, enclose_maximum, enclose_root
from theory import X_POS, catalog

x = X_POS
EXPRESSIONS = [
    sp.log(sp.cosh(x)),
    -2 * sp.sinh(x) / sp.cosh(x) ** 3,
    (x + 1) * sp.log(x + 1) - x,
    sp.sqrt(1 + x**2) - 1,
    -3 * x / (x**2 + 1) ** sp.Rational(5, 2),
    sp.LambertW(-2 * sp.exp(-x - 1) / 3 - sp.Rational(1, 10), -1),
    sp.atan(x) * sp.erf(x) - sp.tanh(x) ** 3,
    sp.Piecewise((3 * x**2, x <= sp.Rational(1, 3)), (1 - 2 / (9 * x), True)),
]


def _pieces(exprs, lo, hi):
    return [Piece(lo, hi, tuple(compile_arb(e, x) for e in exprs))]


@given(index=st.integers(0, len(EXPRESSIONS) - 1), a=st.floats(0.0, 50.0),
       width=st.floats(0.0, 5.0), t=st.floats(0.0, 1.0))
def test_enclosure_contains_mpmath_values(index, a, width, t):
    """Every value at a point of [a, a + width] (50-digit mpmath) lies in the enclosure."""
    expr = EXPRESSIONS[index]
    b = a + width
    point = a + t * (b - a)
    reference = sp.lambdify(x, expr, modules="mpmath")
    with mpmath.workdps(50):
        try:
            value = reference(mpmath.mpf(point))
        except (ValueError, ZeroDivisionError):
            return  # outside the real domain (Lambert W); nothing to compare
        if not isinstance(value, mpmath.mpf):
            return
    with working_precision():
        enclosure = compile_arb(expr, x)(Interval.between(a, b))
    if not enclosure.is_finite():
        return  # an unbounded enclosure claims nothing
    lo, hi = enclosure.bounds()
    assert lo - 1e-30 <= float(value) <= hi + 1e-30


def test_wide_cells_keep_the_sign_of_log_cosh_third_derivative():
    """f''' = -2 sinh/cosh^3 < 0 on a wide cell far out (ball arithmetic would lose it)."""
    with working_precision():
        e = compile_arb(-2 * sp.sinh(x) / sp.cosh(x) ** 3, x)(Interval.between(2000.0, 4000.0))
    assert e.is_finite() and e.hi < 0


def test_piecewise_union_when_the_condition_is_undecided():
    f = compile_arb(sp.Piecewise((x, x <= 1), (10 * x, True)), x)
    with working_precision():
        lo, hi = f(Interval.between(0.5, 2.0)).bounds()
    assert lo <= 0.5 and hi >= 20.0  # both pieces are possible on [0.5, 2]


def test_true_statement_certified_false_statement_refuted():
    exprs = [(x + 1) * sp.log(x + 1) - x]
    exprs += [sp.diff(exprs[0], x, k) for k in (1, 2, 3)]
    positive = certify(_pieces(exprs, 0.0, 1e6), ">0", "f1 > 0", open_at_lower=True)
    assert positive.verified and not positive.refuted
    below_one = certify(_pieces(exprs, 0.0, 1e6), "<0", "f1 - 1 < 0",
                        open_at_lower=True)
    assert below_one.refuted and below_one.counterexample > 0
    # the counterexample really violates the statement (mpmath, 50 digits)
    point = mpmath.mpf(below_one.counterexample)
    assert (1 + point) * mpmath.log(1 + point) - point >= 0


def test_undecidable_statement_is_not_certified():
    """(x - 1)^2 > 0 fails only at x = 1: no cell is certain either way -> not verified."""
    exprs = [(x - 1) ** 2, 2 * (x - 1), sp.Integer(2)]
    cert = certify(_pieces(exprs, 0.0, 2.0), ">0", "(x-1)^2 > 0", budget=2000)
    assert not cert.verified
    assert cert.undecided  # unknown, never holds


def test_root_enclosure_contains_the_root():
    """x_eta of f1 at eta = 3 against mpmath's findroot of 3 log(1 + x) = 2x."""
    g = compile_arb(3 * sp.log(1 + x) - 2 * x, x)
    dg = compile_arb(3 / (1 + x) - 2, x)
    enclosure = enclose_root(g, dg, 1.1, 0.0, 10.0)
    with mpmath.workdps(50):
        root = mpmath.findroot(lambda s: 3 * mpmath.log(1 + s) - 2 * s, 1.1)
    assert enclosure is not None and enclosure.unique
    assert enclosure.lower <= float(root) <= enclosure.upper
    assert enclosure.upper - enclosure.lower <= 4 * math.ulp(float(root))


def test_maximum_enclosure_contains_the_maximum():
    """max of |x - 3 tanh x| on [0, 1.29] (from mpmath on a fine grid plus findroot)."""
    exprs = [3 * sp.tanh(x) - x, 3 / sp.cosh(x) ** 2 - 1]
    result = enclose_maximum(_pieces(exprs, 0.0, 1.29))
    with mpmath.workdps(40):
        argmax = mpmath.findroot(lambda s: 3 / mpmath.cosh(s) ** 2 - 1, 0.9)
        value = 3 * mpmath.tanh(argmax) - argmax
    assert result.value_lower <= float(value) <= result.value_upper
    assert result.value_upper - result.value_lower <= 1e-5


def test_cells_of_f2_and_of_an_empirical_loss():
    f2 = catalog.f2()
    cells = split_cells([f2.branch(n) for n in range(3)], x)
    assert cells.boundaries == (sp.Rational(1, 3),)
    assert cells.formulas[2] == (6, -4 / (9 * x**3))
    loss = catalog.empirical_loss((1, 10, 100))
    cells = split_cells([loss.branch(1)], x)
    assert cells.boundaries == (sp.Rational(1, 100), sp.Rational(1, 10), 1)
    # on each cell f' is (1/n sum_{i<=k} x_i^2) 2w (Section 6, closed form)
    assert cells.formulas[0] == (2 * sp.Rational(10101, 3) * x, 2 * sp.Rational(101, 3) * x,
                                 2 * x / 3, 0)


@pytest.mark.parametrize("relation", ["<0", "<=0", ">0", ">=0", "!=0"])
def test_exact_zero_is_handled_by_relation(relation):
    """g = 0 identically: only the non-strict relations hold."""
    cert = certify(_pieces([sp.Integer(0)], 1.0, 2.0), relation, "0")
    assert cert.verified is (relation in ("<=0", ">=0"))
    assert cert.refuted is (relation not in ("<=0", ">=0"))
