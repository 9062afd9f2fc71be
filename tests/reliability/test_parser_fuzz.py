"""Fuzzing the expression parser with random strings of Python tokens.

Whatever the string, :func:`theory.parsing.parse` either returns a real sympy expression
(which a :class:`~theory.Landscape` accepts when it has a variable) or raises our
:class:`~theory.errors.MslValueError` -- never another exception -- and it does so within
a few seconds.
"""

from __future__ import annotations

import time

import sympy as sp
from hypothesis import example, given
from hypothesis import strategies as st

from theory import Landscape
from theory.errors import MslValueError
from theory.parsing import MAX_LENGTH, parse

TOKENS = (
    "x", "y", "x1", "pi", "E", "I", "e", "j", "oo", "nan", "_", "__import__", "os", "sin",
    "log", "exp", "sqrt", "abs", "max", "relu", "factorial", "Integral", "lambda", "if",
    "else", "for", "in", "not", "and", "0", "1", "2", "10", "0.5", "1e308", "1e-320",
    "9" * 50, "1j", "'s'", "+", "-", "*", "/", "**", "^", "//", "%", "@", "(", ")", "[",
    "]", ",", ".", ":", "=", "==", "<", "!", "~", "&", ";", "\n", " ", "\\", "#", "\"",
)

token_strings = st.lists(st.sampled_from(TOKENS), min_size=0, max_size=30).map("".join)


def _parse_or_refuse(text: str) -> None:
    start = time.monotonic()
    try:
        expr = parse(text)
    except MslValueError:
        pass
    else:
        assert isinstance(expr, sp.Expr)
        assert not expr.has(sp.I, sp.zoo, sp.nan, sp.oo)
        if expr.free_symbols:
            try:
                Landscape(expr)
            except MslValueError:
                pass
    assert time.monotonic() - start < 5


@given(token_strings)
@example("10**10**10*x")
@example("2**2**2**2**2**2*x")
@example("x**(10**9)")
@example("-" * 3000 + "x")
@example("(" * 300 + "x" + ")" * 300)
@example("+".join(["x"] * 1999))
@example("1/0")
@example("sqrt(-1)")
@example("max()")
@example("x" * (MAX_LENGTH + 1))
@example("(9" + "9" * 999 + ")**2*x")
def test_random_token_strings_parse_or_raise_our_error(text):
    _parse_or_refuse(text)


@given(st.text(max_size=40))
def test_random_text_parses_or_raises_our_error(text):
    _parse_or_refuse(text)


def test_error_for_a_million_terms_does_not_echo_the_input():
    text = "+".join(["x**2"] * 1_000_000)
    try:
        parse(text)
    except MslValueError as exc:
        assert len(str(exc)) < 300
        assert "characters long" in str(exc)
    else:  # pragma: no cover - the test fails here
        raise AssertionError("a 5 MB expression was accepted")
