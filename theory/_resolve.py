"""Turn a user's FUNCTION argument (catalog name or expression) into a theory object."""

from __future__ import annotations

import sympy as sp

from theory._sympy_utils import parse, realify
from theory.catalog import get, is_catalog_name
from theory.errors import (
    CurvatureAtZeroError,
    NoMinimumAtZeroError,
    NotEvenError,
    ParameterError,
)
from theory.landscape import Landscape
from theory.subquadratic import Subquadratic


def resolve_function(text: str, *, require_subquadratic: bool = False):
    """A catalog entry (``"f1"``, ``"f2(C=5)"``, ``"fig4.2"``, ...) or an expression.

    A one-variable expression becomes a :class:`Subquadratic` when it is one; otherwise a
    :class:`Landscape` (which GD can still be run on), unless ``require_subquadratic``.
    Valleys and two-valley objects from the catalog are returned as they are (use
    ``.landscape``).
    """
    if not isinstance(text, str):
        raise ParameterError(f"function={text!r} must be a string")
    if is_catalog_name(text):
        obj = get(text)
        if require_subquadratic and not isinstance(obj, Subquadratic):
            raise ParameterError(
                f"function={text!r} is a {type(obj).__name__}, not a one-dimensional "
                "subquadratic function"
            )
        return obj
    expr = realify(parse(text))
    if len(expr.free_symbols) == 1:
        try:
            return Subquadratic(expr, name=text)
        except (NotEvenError, NoMinimumAtZeroError, CurvatureAtZeroError):
            if require_subquadratic:
                raise
    elif require_subquadratic:
        return Subquadratic(expr, name=text)  # raises NotOneVariableError
    return Landscape(expr, name=text)


def as_landscape(function) -> Landscape:
    """A :class:`Landscape` for ``function``.

    Accepts a Landscape, a Subquadratic (its ``.landscape``), a catalog object with a
    ``.landscape`` (Valley, TwoValley, Separable), a catalog name or an expression string
    (:func:`resolve_function`), or a sympy expression.
    """
    if isinstance(function, Landscape):
        return function
    if isinstance(function, str):
        function = resolve_function(function)
    elif isinstance(function, sp.Expr):
        return Landscape(function)
    landscape = getattr(function, "landscape", None)
    if isinstance(landscape, Landscape):
        return landscape
    if isinstance(function, Landscape):
        return function
    raise ParameterError(
        f"function={function!r} (type {type(function).__name__}) is not a landscape: give a "
        "catalog name, an expression in x, a sympy expression, a Subquadratic or a Landscape"
    )
