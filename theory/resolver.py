"""One resolver from what a user passes as a function to a theory object.

A *function-like* value is one of

* a catalog name (``"f1"``, ``"f2(C=5)"``, ``"fig4.2"``) or an expression string in x;
* a sympy expression;
* any object that follows the :class:`FunctionLike` protocol: it has a ``landscape``
  attribute holding a :class:`~theory.landscape.Landscape` (the multi-dimensional loss GD
  runs on).  :class:`~theory.subquadratic.Subquadratic`, ``Landscape`` itself and every
  catalog object (``Valley``, ``TwoValley``, ``Separable``) follow it, and so does any new
  kind of landscape: give it a ``landscape`` property and every entry point accepts it.

:func:`resolve` turns strings and expressions into objects (and passes protocol objects
through); :func:`as_landscape` and :func:`as_subquadratic` are the two views the packages
need.  Everything else is rejected with :class:`~theory.errors.ParameterError` naming the
argument.
"""

from __future__ import annotations

import re
from typing import Protocol, runtime_checkable

import sympy as sp

from theory._sympy_utils import parse, realify
from theory.catalog import closest_names, get, is_catalog_name
from theory.errors import (
    CurvatureAtZeroError,
    NoMinimumAtZeroError,
    NotEvenError,
    ParameterError,
)
from theory.landscape import Landscape
from theory.subquadratic import Subquadratic

__all__ = ["FunctionLike", "as_landscape", "as_subquadratic", "resolve", "resolve_function"]


#: a whole FUNCTION that is one name, or one name called with key=value parameters
_BARE_NAME = re.compile(r"^\s*([A-Za-z_][\w.]*)\s*(?:\((?:\s*\w+\s*=[^()]*)?\))?\s*$")
#: names that read as a variable (x, y, w2, x_1, t, ...): a bare one is a linear function
#: (f9, logcosh or fig4.3 are misspelled catalog names instead)
_VARIABLE = re.compile(r"^[tuvwxyz](?:_?\d+)?$")


@runtime_checkable
class FunctionLike(Protocol):
    """Anything GD can run on: it exposes the :class:`Landscape` of its loss."""

    @property
    def landscape(self) -> Landscape: ...


def resolve_function(text: str, *, require_subquadratic: bool = False):
    """A catalog entry (``"f1"``, ``"f2(C=5)"``, ``"fig4.2"``, ...) or an expression.

    A one-variable expression becomes a :class:`Subquadratic` when it is one; otherwise a
    :class:`Landscape` (which GD can still be run on), unless ``require_subquadratic``.
    Valleys and two-valley objects from the catalog are returned as they are (use
    ``.landscape``).
    """
    if not isinstance(text, str):  # an object: the general resolver takes it (or says why)
        return resolve(text, require_subquadratic=require_subquadratic)
    bare = _BARE_NAME.match(text)
    if bare and not is_catalog_name(text) and not _VARIABLE.match(bare.group(1)):
        raise ParameterError(
            f"function={text[:60]!r} is neither a catalog name nor an expression (a bare name "
            f"is not a loss function); closest catalog names: {', '.join(closest_names(text))}"
        )
    if is_catalog_name(text):
        obj = get(text)
        if require_subquadratic and not isinstance(obj, Subquadratic):
            raise ParameterError(
                f"function={text!r} is a {type(obj).__name__}, not a one-dimensional "
                "subquadratic function"
            )
        return obj
    return _from_expression(realify(parse(text)), text, require_subquadratic)


def _from_expression(expr: sp.Expr, name: str | None, require_subquadratic: bool):
    if len(expr.free_symbols) == 1:
        try:
            return Subquadratic(expr, name=name)
        except (NotEvenError, NoMinimumAtZeroError, CurvatureAtZeroError):
            if require_subquadratic:
                raise
    elif require_subquadratic:
        return Subquadratic(expr, name=name)  # raises NotOneVariableError
    return Landscape(expr, name=name)


def _rejected(function, argument: str, what: str) -> ParameterError:
    return ParameterError(
        f"{argument}={function!r} (type {type(function).__name__}) is not {what}: give a "
        "catalog name, an expression in x, a sympy expression, a Subquadratic, a Landscape "
        "or an object with a .landscape"
    )


def resolve(function, *, require_subquadratic: bool = False, argument: str = "function"):
    """The theory object for ``function`` (see the module docstring).

    Strings go through :func:`resolve_function`; a sympy expression becomes a
    :class:`Subquadratic` when it is one (else a :class:`Landscape`); a
    :class:`FunctionLike` object is returned as it is.
    """
    if isinstance(function, str):
        return resolve_function(function, require_subquadratic=require_subquadratic)
    if isinstance(function, sp.Expr):
        return _from_expression(realify(function), None, require_subquadratic)
    if isinstance(function, FunctionLike) and isinstance(function.landscape, Landscape):
        if require_subquadratic and not isinstance(function, Subquadratic):
            raise _rejected(function, argument, "a one-dimensional subquadratic function")
        return function
    raise _rejected(function, argument, "a landscape")


def as_landscape(function, *, argument: str = "function") -> Landscape:
    """The :class:`Landscape` GD runs on for any function-like value.

    A sympy expression is taken as a landscape as it is (no subquadratic check).
    """
    if isinstance(function, sp.Expr):
        return Landscape(function)
    return resolve(function, argument=argument).landscape


def as_subquadratic(function, *, argument: str = "function") -> Subquadratic:
    """A :class:`Subquadratic` from itself, a catalog name, an expression string or a sympy
    expression (which must then be an even function with a minimum at 0)."""
    return resolve(function, require_subquadratic=True, argument=argument)
