"""Recognise separable landscapes f(x) = sum_i f_i(p_i^T x) (4.4)."""

from __future__ import annotations

import numpy as np
import sympy as sp

from theory import Landscape, Subquadratic, X
from theory.catalog import Separable
from theory.errors import MslValueError


def coordinate_components(land: Landscape) -> tuple[Subquadratic, ...] | None:
    """The 1-D functions f_i when f(x) = sum_i f_i(x_i) exactly (each term of the sum
    depends on one coordinate) and each f_i is a Subquadratic; None otherwise."""
    groups: dict[sp.Symbol, list[sp.Expr]] = {v: [] for v in land.variables}
    for term in sp.Add.make_args(sp.expand(land.expr, deep=False, mul=False, multinomial=False,
                                           power_exp=False, power_base=False, log=False)):
        symbols = term.free_symbols
        if not symbols:
            continue
        if len(symbols) > 1:
            return None
        (v,) = symbols
        groups[v].append(term)
    components = []
    for v in land.variables:
        if not groups[v]:
            return None
        try:
            components.append(Subquadratic(sp.Add(*groups[v]).xreplace({v: X}),
                                           name=f"{land.name}[{v.name}]"))
        except MslValueError:
            return None
    return tuple(components)


def decomposition(obj) -> tuple[tuple[Subquadratic, ...], np.ndarray, Landscape, bool] | None:
    """(components, basis with rows p_i, landscape, basis exact) for a Separable or a
    coordinate-separable Landscape; None when the object is not of the form (4.4)."""
    if isinstance(obj, Separable):
        basis = np.asarray(obj.basis, dtype=float)
        exact = bool(np.all(np.isin(basis, (-1.0, 0.0, 1.0))))
        return obj.functions, basis, obj.landscape, exact
    if isinstance(obj, Landscape):
        components = coordinate_components(obj)
        if components is None:
            return None
        return components, np.eye(obj.dim), obj, True
    return None
