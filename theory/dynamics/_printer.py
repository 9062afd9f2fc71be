"""A sympy code printer that writes Numba-compilable scalar Python.

The gradient and Hessian expressions of a :class:`theory.Landscape` (Section 4: GD
``x_{t+1} = x_t - eta grad f(x_t)``, eq. (4.1)) are printed as straight-line Python on
float64 scalars:

* ``Piecewise`` becomes nested conditional expressions ``(a if c else (b if d else nan))``;
* ``Abs`` -> ``abs``, ``sign`` -> ``_sign`` (NaN-propagating, unlike ``math.copysign``),
  ``Max``/``Min`` -> NaN-propagating ``_max``/``_min``;
* elementary functions go through the indirection module ``_el``
  (:mod:`theory.dynamics._elementary`: vectorisable log, log1p, exp, ...), other
  functions through ``math``/``np``;
* integer powers are multiplied out, half-integer powers use ``sqrt``, rationals become
  float literals (``repr`` of the nearest double).

Every function the printer does not know raises :class:`CompileError` naming it, so that an
expression that cannot be compiled is rejected before Numba sees it.
"""

from __future__ import annotations

import sympy as sp
from sympy.printing.pycode import PythonCodePrinter

from theory.dynamics._elementary import ELEMENTARY_NAMES
from theory.dynamics._errors import CompileError

#: sympy function name -> Numba-supported callable (outside the elementary module)
_MATH_FUNCTIONS = {
    "sin": "math.sin",
    "cos": "math.cos",
    "tan": "math.tan",
    "asin": "math.asin",
    "acos": "math.acos",
    "atan": "math.atan",
    "atan2": "math.atan2",
    "asinh": "math.asinh",
    "acosh": "math.acosh",
    "atanh": "math.atanh",
    "erf": "math.erf",
    "erfc": "math.erfc",
    "gamma": "math.gamma",
    "loggamma": "math.lgamma",
    "floor": "np.floor",
    "ceiling": "np.ceil",
}

_NON_SMOOTH = ("Abs", "sign", "Max", "Min", "Piecewise", "Heaviside")

#: small integer powers are multiplied out (exact, vectorisable); larger ones use ``**``
_MAX_UNROLLED_POWER = 4


def _float_literal(value: float) -> str:
    if value != value:
        return "math.nan"
    if value in (float("inf"), float("-inf")):
        return "math.inf" if value > 0 else "(-math.inf)"
    text = repr(float(value))
    return f"({text})" if text.startswith("-") else text


class NumbaPrinter(PythonCodePrinter):
    """Print a sympy expression as a Numba-compilable float64 scalar expression.

    ``symbol_names`` maps sympy symbols to the Python names used in the generated code.
    """

    printmethod = "_numbacode"

    def __init__(self, symbol_names: dict[sp.Symbol, str] | None = None):
        super().__init__({"fully_qualified_modules": False, "inline": True})
        self._names = dict(symbol_names or {})

    # ----------------------------------------------------------------- atoms
    def _print_Symbol(self, expr):
        if expr in self._names:
            return self._names[expr]
        raise CompileError(f"expression uses the symbol {expr.name!r}, which is not a variable")

    def _print_Integer(self, expr):
        return _float_literal(float(expr))

    def _print_Rational(self, expr):
        return _float_literal(float(expr))

    def _print_Float(self, expr):
        return _float_literal(float(expr))

    def _print_NumberSymbol(self, expr):  # pi, E, EulerGamma, ...
        return _float_literal(float(expr))

    _print_Exp1 = _print_NumberSymbol
    _print_Pi = _print_NumberSymbol
    _print_EulerGamma = _print_NumberSymbol
    _print_GoldenRatio = _print_NumberSymbol
    _print_Catalan = _print_NumberSymbol

    def _print_Infinity(self, expr):
        return "math.inf"

    def _print_NegativeInfinity(self, expr):
        return "(-math.inf)"

    def _print_NaN(self, expr):
        return "math.nan"

    def _print_BooleanTrue(self, expr):
        return "True"

    def _print_BooleanFalse(self, expr):
        return "False"

    def _print_ImaginaryUnit(self, expr):
        raise CompileError("expression is complex (contains I); the simulator needs a real f")

    # ------------------------------------------------------------- arithmetic
    def _print_Pow(self, expr, rational=False):
        base, exponent = expr.as_base_exp()
        b = self.parenthesize(base, 1000)  # atom-tight
        if exponent.is_Integer:
            n = int(exponent)
            if n == 0:
                return "1.0"
            if abs(n) <= _MAX_UNROLLED_POWER:
                product = "*".join([b] * abs(n))
                return f"({product})" if n > 0 else f"(1.0/({product}))"
            return f"({b}**{n})" if n > 0 else f"(1.0/({b}**{-n}))"
        if exponent.is_Rational and exponent.q == 2:
            n = int(exponent.p)  # exponent = n/2 with n odd
            root = f"_el.sqrt({self._print(base)})"
            whole = abs(n) // 2
            factors = [root] + [b] * whole
            product = "*".join(factors)
            return f"({product})" if n > 0 else f"(1.0/({product}))"
        if exponent == sp.Rational(1, 3):
            return f"np.cbrt({self._print(base)})"
        if exponent == sp.Rational(-1, 3):
            return f"(1.0/np.cbrt({self._print(base)}))"
        if base == sp.E:
            return f"_el.exp({self._print(exponent)})"
        return f"({b}**{self.parenthesize(exponent, 1000)})"

    def _print_Mul(self, expr):
        return super()._print_Mul(expr)

    # -------------------------------------------------------- non-smooth parts
    def _print_Abs(self, expr):
        return f"abs({self._print(expr.args[0])})"

    def _print_sign(self, expr):
        return f"_sign({self._print(expr.args[0])})"

    def _print_Max(self, expr):
        args = [self._print(a) for a in expr.args]
        out = args[0]
        for a in args[1:]:
            out = f"_max({out}, {a})"
        return out

    def _print_Min(self, expr):
        args = [self._print(a) for a in expr.args]
        out = args[0]
        for a in args[1:]:
            out = f"_min({out}, {a})"
        return out

    def _print_Heaviside(self, expr):
        return self._print(expr.rewrite(sp.Piecewise))

    def _print_Piecewise(self, expr):
        pieces = list(expr.args)
        last_value, last_cond = pieces[-1]
        if last_cond == sp.true:
            out = self._print(last_value)
            pieces = pieces[:-1]
        else:
            out = "math.nan"  # outside every piece: undefined, never silently a number
        for value, cond in reversed(pieces):
            out = self._conditional(self._print(cond), self._print(value), out)
        return out

    def _conditional(self, cond: str, value: str, otherwise: str) -> str:
        """``value`` where ``cond`` holds, else ``otherwise`` (scalars; the NumPy and
        PyTorch printers override it with their element-wise ``where``)."""
        return f"({value} if {cond} else {otherwise})"

    def _print_Relational(self, expr):
        ops = {"==": "==", "!=": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">="}
        op = ops[expr.rel_op]
        return f"({self._print(expr.lhs)} {op} {self._print(expr.rhs)})"

    def _print_And(self, expr):
        return "(" + " & ".join(self._print(a) for a in expr.args) + ")"

    def _print_Or(self, expr):
        return "(" + " | ".join(self._print(a) for a in expr.args) + ")"

    def _print_Not(self, expr):
        return f"(not {self._print(expr.args[0])})"

    # -------------------------------------------------------------- functions
    def _print_Function(self, expr):
        name = type(expr).__name__
        args = ", ".join(self._print(a) for a in expr.args)
        if name in ELEMENTARY_NAMES:
            return f"_el.{name}({args})"
        if name in _MATH_FUNCTIONS:
            return f"{_MATH_FUNCTIONS[name]}({args})"
        supported = sorted((*ELEMENTARY_NAMES, *_MATH_FUNCTIONS, *_NON_SMOOTH))
        raise CompileError(
            f"expression uses {name}(), which the simulator cannot compile "
            f"(supported: {', '.join(supported)})"
        )

    def _print_log1p(self, expr):
        return f"_el.log1p({self._print(expr.args[0])})"

    def _print_expm1(self, expr):
        return f"_el.expm1({self._print(expr.args[0])})"

    def _print_DiracDelta(self, expr):
        raise CompileError("expression contains DiracDelta; differentiate with theory.Landscape")

    def emptyPrinter(self, expr):
        raise CompileError(
            f"expression contains {type(expr).__name__} ({expr}), which cannot be compiled"
        )


# PythonCodePrinter prints the functions it knows (atan, erf, ...) through its own
# ``_print_<name>`` methods; route every one of them through the checks above
for _name in PythonCodePrinter._kf:
    if f"_print_{_name}" not in NumbaPrinter.__dict__:  # keep Abs, Max, Min, log1p, ...
        setattr(NumbaPrinter, f"_print_{_name}", NumbaPrinter._print_Function)
del _name


def print_expression(expr: sp.Expr, symbol_names: dict[sp.Symbol, str]) -> str:
    """``expr`` as Numba-compilable Python source (one expression)."""
    return NumbaPrinter(symbol_names).doprint(expr)


__all__ = ["NumbaPrinter", "print_expression"]
