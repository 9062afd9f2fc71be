"""The one safe parser for every expression a user types (no ``eval``, bounded work).

Every entry point that takes a function as text -- :class:`~theory.Subquadratic`,
:class:`~theory.Landscape`, :func:`~theory.resolve_function`, ``catalog.valley(h=...)``,
``catalog.population_loss(density=..., support=...)`` and every ``msl`` command -- goes
through :func:`parse`.  The text is read by Python's :mod:`ast` (which only builds a syntax
tree; nothing is executed) and the tree is converted node by node to sympy.  Only these are
allowed:

* numbers (integers and finite decimals; no complex literals),
* names, which become real variables, and the constants ``pi`` and ``E``,
* ``+ - * / **`` (``^`` is read as ``**``) and unary ``+``/``-``,
* calls, with positional arguments only, of the elementary functions in :data:`FUNCTIONS`.

Everything else -- attributes (``a.b``), subscripts, lambdas, comprehensions, conditionals,
comparisons, strings, keyword arguments, names starting with ``_`` -- is a
:class:`~theory.errors.ParseError` naming the offending piece.

The work is bounded: at most :data:`MAX_LENGTH` characters, :data:`MAX_DEPTH` levels of
nesting, numbers of at most :data:`MAX_DIGITS` digits (``10**10**10`` is refused before it
is computed), integer powers of a variable of at most :data:`MAX_EXPONENT`, and
:data:`TIME_LIMIT` seconds for the conversion.  Error messages quote at most
:data:`SHOW_CHARS` characters of the text.
"""

from __future__ import annotations

import ast
import difflib
import math
import warnings
from collections.abc import Callable, Iterable
from typing import NoReturn

import sympy as sp

from theory._time_limit import time_limit
from theory.errors import ParseError

#: longest accepted text (the paper's functions are under 100 characters)
MAX_LENGTH = 4000
#: deepest nesting of calls, powers, unary signs and parentheses
MAX_DEPTH = 100
#: most decimal digits of any exact number met while parsing (literal or computed)
MAX_DIGITS = 1000
#: largest |n| in an integer power ``expr**n`` of a non-constant expression
MAX_EXPONENT = 1000
#: seconds allowed to convert the syntax tree to sympy
TIME_LIMIT = 5.0
#: characters of the text quoted in an error message
SHOW_CHARS = 60


def _relu(z):
    return sp.Max(0, z)


#: name -> (sympy function, allowed numbers of arguments)
FUNCTIONS: dict[str, tuple[Callable, tuple[int, ...]]] = {
    **{n: (getattr(sp, n), (1,)) for n in (
        "sin", "cos", "tan", "cot", "sec", "csc", "asin", "acos", "atan", "acot",
        "sinh", "cosh", "tanh", "coth", "sech", "csch", "asinh", "acosh", "atanh",
        "exp", "sqrt", "cbrt", "sign", "erf", "erfc", "Abs", "Heaviside",
    )},
    "log": (sp.log, (1, 2)),
    "ln": (sp.log, (1,)),
    "abs": (sp.Abs, (1,)),
    "heaviside": (sp.Heaviside, (1,)),
    "relu": (_relu, (1,)),
    "atan2": (sp.atan2, (2,)),
    **{n: (getattr(sp, n.capitalize()), tuple(range(1, 33))) for n in ("max", "min")},
    **{n: (getattr(sp, n), tuple(range(1, 33))) for n in ("Max", "Min")},
}
#: names that are constants rather than variables
CONSTANTS: dict[str, sp.Expr] = {"pi": sp.pi, "E": sp.E}
#: names refused as variables, with the reason
_RESERVED = {
    "I": "is the imaginary unit; the functions here are real",
    "j": "is not allowed as a variable (reads as the imaginary unit)",
    "oo": "is infinity; give a finite expression",
    "zoo": "is complex infinity; give a finite expression",
    "nan": "is not a number; give a finite expression",
    "inf": "is infinity; give a finite expression",
    "infinity": "is infinity; give a finite expression",
}
_BINARY = {
    ast.Add: ("+", lambda a, b: a + b),
    ast.Sub: ("-", lambda a, b: a - b),
    ast.Mult: ("*", lambda a, b: a * b),
    ast.Div: ("/", lambda a, b: a / b),
    ast.Pow: ("**", None),
}
_UNSUPPORTED = {
    ast.Attribute: "an attribute access (a.b)",
    ast.Subscript: "a subscript (a[...])",
    ast.Lambda: "a lambda",
    ast.IfExp: "a conditional (... if ... else ...)",
    ast.Compare: "a comparison",
    ast.BoolOp: "a boolean operator (and/or)",
    ast.ListComp: "a comprehension",
    ast.SetComp: "a comprehension",
    ast.DictComp: "a comprehension",
    ast.GeneratorExp: "a generator expression",
    ast.List: "a list",
    ast.Tuple: "a tuple",
    ast.Set: "a set",
    ast.Dict: "a dict",
    ast.Starred: "a starred argument",
    ast.JoinedStr: "a string",
    ast.NamedExpr: "an assignment (:=)",
    ast.Await: "await",
    ast.Yield: "yield",
    ast.YieldFrom: "yield",
    ast.Slice: "a slice",
}


def show(text: str, limit: int = SHOW_CHARS) -> str:
    """``repr`` of ``text`` shortened to about ``limit`` characters (for error messages)."""
    if len(text) <= limit:
        return repr(text)
    return f"{text[:limit]!r}... ({len(text)} characters)"


def _digits(n: int) -> int:
    """Decimal digits of |n| (an estimate good to one digit, without converting n)."""
    return int(abs(n).bit_length() * 0.30103) + 1


def _number_size(value: sp.Expr) -> int:
    """Digits of the largest exact integer in a number (0 for floats and non-numbers)."""
    if isinstance(value, sp.Rational):
        return max(_digits(value.p), _digits(value.q))
    return 0


class _Converter:
    """Converts an :mod:`ast` tree to sympy under the allow-list (see the module doc)."""

    def __init__(self, text: str, argument: str, variables: frozenset[str] | None):
        self.text = text
        self.argument = argument
        self.variables = variables
        self.symbols: dict[str, sp.Symbol] = {}

    # -- errors -----------------------------------------------------------------------
    def piece(self, node: ast.AST) -> str:
        segment = ast.get_source_segment(self.text, node) or type(node).__name__
        return show(segment, 40)

    def fail(self, node: ast.AST | None, why: str) -> NoReturn:
        where = f" at {self.piece(node)}" if node is not None else ""
        raise ParseError(f"{self.argument}={show(self.text)}{where}: {why}")

    def check_size(self, node: ast.AST, value: sp.Expr) -> sp.Expr:
        coefficient = value
        if isinstance(value, sp.Mul):
            coefficient = value.as_coeff_Mul()[0]
        elif isinstance(value, sp.Add):
            coefficient = value.as_coeff_Add()[0]
        if _number_size(coefficient) > MAX_DIGITS:
            self.fail(node, f"a number with more than {MAX_DIGITS} digits")
        return value

    # -- conversion -------------------------------------------------------------------
    def convert(self, node: ast.AST, depth: int = 0) -> sp.Expr:
        if depth > MAX_DEPTH:
            self.fail(None, f"nested more than {MAX_DEPTH} levels deep")
        if isinstance(node, ast.BinOp) and not isinstance(node.op, ast.Pow):
            return self.chain(node, depth)
        if isinstance(node, ast.BinOp):
            return self.power(node, depth)
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.USub):
                return -self.convert(node.operand, depth + 1)
            if isinstance(node.op, ast.UAdd):
                return self.convert(node.operand, depth + 1)
            self.fail(node, f"the operator {type(node.op).__name__} is not allowed")
        if isinstance(node, ast.Constant):
            return self.constant(node)
        if isinstance(node, ast.Name):
            return self.name(node)
        if isinstance(node, ast.Call):
            return self.call(node, depth)
        kind = _UNSUPPORTED.get(type(node), f"a {type(node).__name__} expression")
        self.fail(node, f"{kind} is not allowed; use numbers, variables, + - * / ** and "
                        "elementary functions")

    def chain(self, node: ast.expr, depth: int) -> sp.Expr:
        """a op b op c ... along the left spine, iteratively (long sums stay shallow)."""
        spine: list[ast.BinOp] = []
        while isinstance(node, ast.BinOp) and not isinstance(node.op, ast.Pow):
            spine.append(node)
            node = node.left
        value = self.convert(node, depth + 1)
        for link in reversed(spine):
            if type(link.op) not in _BINARY:
                symbol = {ast.FloorDiv: "//", ast.Mod: "%", ast.MatMult: "@", ast.BitXor: "^",
                          ast.BitAnd: "&", ast.BitOr: "|", ast.LShift: "<<",
                          ast.RShift: ">>"}.get(type(link.op), type(link.op).__name__)
                self.fail(link, f"the operator {symbol} is not allowed")
            _, apply = _BINARY[type(link.op)]
            assert apply is not None  # ** never lies on the spine: power() takes it
            right = self.convert(link.right, depth + 1)
            value = self.check_size(link, apply(value, right))
        return value

    def power(self, node: ast.BinOp, depth: int) -> sp.Expr:
        base = self.convert(node.left, depth + 1)
        exponent = self.convert(node.right, depth + 1)
        if exponent.is_Number and exponent.is_Rational:
            size = abs(float(exponent))
            if base.is_Number and base.is_Rational:
                digits = size * max(_number_size(base), 1)
                if base not in (0, 1, -1) and digits > MAX_DIGITS:
                    self.fail(node, f"the number would have about {digits:.3g} digits "
                                    f"(the limit is {MAX_DIGITS})")
            elif not base.is_Number and size > MAX_EXPONENT:
                self.fail(node, f"the exponent {exponent} is larger than {MAX_EXPONENT}")
        return self.check_size(node, base**exponent)

    def constant(self, node: ast.Constant) -> sp.Expr:
        value = node.value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            kind = "a complex number" if isinstance(value, complex) else (
                f"a {type(value).__name__} constant")
            self.fail(node, f"{kind} is not allowed; the functions here are real")
        if isinstance(value, float):
            if not math.isfinite(value):
                self.fail(node, "the number is not finite")
            segment = ast.get_source_segment(self.text, node)
            return sp.Float(segment if segment else value)
        if _digits(value) > MAX_DIGITS:
            self.fail(node, f"a number with more than {MAX_DIGITS} digits")
        return sp.Integer(value)

    def name(self, node: ast.Name) -> sp.Expr:
        name = node.id
        if name in CONSTANTS:
            return CONSTANTS[name]
        if name.startswith("_"):
            self.fail(node, "names starting with '_' are not allowed")
        if name in _RESERVED:
            self.fail(node, f"{name} {_RESERVED[name]}")
        if name in FUNCTIONS:
            self.fail(node, f"{name} is a function; call it, e.g. {name}(x)")
        if self.variables is not None and name not in self.variables:
            allowed = ", ".join(sorted(self.variables)) or "none"
            self.fail(node, f"unknown name {name} (the variables are: {allowed})")
        if name not in self.symbols:
            self.symbols[name] = sp.Symbol(name, real=True)
        return self.symbols[name]

    def call(self, node: ast.Call, depth: int) -> sp.Expr:
        if not isinstance(node.func, ast.Name):
            self.fail(node.func, "only elementary functions called by name are allowed")
        name = node.func.id
        if name not in FUNCTIONS:
            close = difflib.get_close_matches(name, list(FUNCTIONS), n=3)
            hint = f" (did you mean {', '.join(close)}?)" if close else ""
            self.fail(node, f"uses an unknown function {name}(){hint}; allowed: "
                            f"{', '.join(sorted(set(FUNCTIONS) - {'Max', 'Min', 'Abs'}))}")
        if node.keywords:
            self.fail(node, f"{name}() takes no keyword arguments")
        function, arities = FUNCTIONS[name]
        if len(node.args) not in arities:
            expected = " or ".join(str(a) for a in arities[:2])
            self.fail(node, f"{name}() takes {expected} argument(s), got {len(node.args)}")
        args = [self.convert(a, depth + 1) for a in node.args]
        return self.check_size(node, function(*args))


def _checked(expr: sp.Expr, text: str, argument: str) -> sp.Expr:
    if not isinstance(expr, sp.Expr):
        kind = type(expr).__name__
        raise ParseError(f"{argument}={show(text)} is not an expression (got {kind})")
    if expr.has(sp.zoo, sp.nan, sp.oo, -sp.oo):
        raise ParseError(f"{argument}={show(text)} contains an infinite or undefined constant "
                         "(e.g. a division by zero)")
    if expr.has(sp.I):
        raise ParseError(f"{argument}={show(text)} is not real (it contains the imaginary "
                         "unit I); the functions here are real")
    undefined = sorted({str(f.func) for f in expr.atoms(sp.core.function.AppliedUndef)})
    if undefined:
        raise ParseError(f"{argument}={show(text)} uses unknown function(s) "
                         f"{', '.join(undefined)}")
    return expr


def parse_text(text: str, *, argument: str = "function",
               variables: Iterable[str] | None = None) -> sp.Expr:
    """A sympy expression from ``text`` under the allow-list (see the module doc)."""
    if len(text) > MAX_LENGTH:
        raise ParseError(f"{argument}={show(text)} is {len(text)} characters long; the limit "
                         f"is {MAX_LENGTH}")
    stripped = text.strip()
    if not stripped:
        raise ParseError(f"{argument}='' is empty; give an expression such as 'log(cosh(x))'")
    source = stripped.replace("^", "**")
    try:
        with warnings.catch_warnings():  # "invalid decimal literal" and the like
            warnings.simplefilter("ignore", SyntaxWarning)
            tree = ast.parse(source, mode="eval")
    except SyntaxError as exc:
        detail = (exc.msg or "invalid syntax").split(" - ")[0][:100]
        raise ParseError(f"{argument}={show(text)} could not be parsed as an expression: "
                         f"{detail}") from None
    except (RecursionError, MemoryError):
        raise ParseError(f"{argument}={show(text)} could not be parsed as an expression: "
                         "it is nested too deeply") from None
    converter = _Converter(source, argument, None if variables is None else frozenset(variables))
    try:
        with time_limit(TIME_LIMIT):
            expr = converter.convert(tree.body)
    except TimeoutError:
        raise ParseError(f"{argument}={show(text)}: building the expression took longer than "
                         f"{TIME_LIMIT:g} s") from None
    except RecursionError:
        raise ParseError(f"{argument}={show(text)} is nested too deeply") from None
    except (TypeError, ValueError, ArithmeticError) as exc:
        if isinstance(exc, ParseError):
            raise
        raise ParseError(f"{argument}={show(text)} is not a valid expression: "
                         f"{str(exc)[:100]}") from None
    return _checked(expr, text, argument)


def parse(function: str | sp.Expr | float, *, argument: str = "function",
          variables: Iterable[str] | None = None) -> sp.Expr:
    """A sympy expression from a string, a sympy expression or a real number.

    Strings are read by :func:`parse_text` (no ``eval``; see the module doc).  Raises
    :class:`~theory.errors.ParseError` naming ``argument`` and the offending piece.
    """
    if isinstance(function, str):
        return parse_text(function, argument=argument, variables=variables)
    if isinstance(function, sp.Basic):
        return _checked(function, str(function), argument)
    if isinstance(function, (int, float)) and not isinstance(function, bool):
        if isinstance(function, float) and not math.isfinite(function):
            raise ParseError(f"{argument}={function!r} is not finite")
        return sp.Float(function) if isinstance(function, float) else sp.Integer(function)
    raise ParseError(f"{argument}={show(repr(function))} has type {type(function).__name__}; "
                     "expected a string or a sympy expression")


__all__ = ["CONSTANTS", "FUNCTIONS", "MAX_LENGTH", "ParseError", "parse", "parse_text", "show"]
