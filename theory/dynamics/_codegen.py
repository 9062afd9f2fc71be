"""Generate the Numba source of a landscape's GD kernels from its sympy derivatives.

One Python module per landscape: the scalar functions ``loss``, ``grad`` and ``grad_hess``
printed from ``Landscape.expr``, ``.gradient_exprs`` and ``.hessian_exprs`` (common
subexpressions shared, ``log(1 + u)`` rewritten as ``log1p(u)``), and the kernels of
:mod:`theory.dynamics._template` specialised to the dimension ``d`` (loops over coordinates
written out, so that the inner loop over points has straight-line code).
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from string import Template

import sympy as sp
from sympy.codegen.rewriting import expm1_opt, log1p_opt, optimize

from theory._overflow_safe import log1p_form, overflow_safe
from theory.dynamics._event_loop import EVENT_LOOP_SOURCE
from theory.dynamics._printer import NumbaPrinter
from theory.dynamics._template import DRIVER, HEADER, STEP_FUNCTIONS
from theory.optimizers._maps import IteratedMap, get_map

__all__ = ["derivative_exprs", "module_source", "printed_function"]


def _rewrite(expr: sp.Expr) -> sp.Expr:
    """log(1 + u) -> log1p(u), exp(u) - 1 -> expm1(u) (accuracy near the minimum), then the
    overflow-safe forms of :mod:`theory._overflow_safe` (after: optimize folds them back)."""
    try:
        expr = optimize(log1p_form(expr), [log1p_opt, expm1_opt])
    except Exception:  # pragma: no cover - sympy's rewriting is best effort
        pass
    return overflow_safe(expr)


def derivative_exprs(expr: sp.Expr, gradient: Sequence[sp.Expr],
                     hessian: Sequence[Sequence[sp.Expr]]) -> dict[str, list[sp.Expr]]:
    """What the kernels' three scalar functions return, in order (the packing every backend
    shares: Numba, NumPy, PyTorch, CUDA): ``loss`` (f), ``grad`` (grad f) and ``grad_hess``
    (grad f, then the upper triangle of the Hessian row by row)."""
    d = len(gradient)
    upper = [hessian[j][k] for j in range(d) for k in range(d) if j <= k]
    return {"loss": [expr], "grad": list(gradient), "grad_hess": [*gradient, *upper]}


def printed_function(name: str, variables: Sequence[sp.Symbol], exprs: Sequence[sp.Expr],
                     printer_class=NumbaPrinter, *, decorators: Sequence[str] = (),
                     doc: str | None = None, wrap: str = "{}") -> str:
    """``def name(x_0, ..., x_{d-1}): ... return (e_0, e_1, ...)``: ``exprs`` after
    :func:`_rewrite`, common subexpressions shared (``t_k = ...``), printed by
    ``printer_class`` (the Numba kernels' :class:`NumbaPrinter`, or its NumPy / PyTorch
    variants); each returned value is ``wrap.format(value)``."""
    names = {v: f"x_{k}" for k, v in enumerate(variables)}
    rewritten = [_rewrite(sp.sympify(e)) for e in exprs]
    temps = sp.numbered_symbols("t_", real=True)
    replacements, reduced = sp.cse(rewritten, symbols=temps, order="none")
    for sym, _ in replacements:
        names[sym] = sym.name
    printer = printer_class(names)
    args = ", ".join(f"x_{k}" for k in range(len(variables)))
    lines = [*decorators, f"def {name}({args}):"]
    if doc is not None:
        lines.append(f'    """{doc}"""')
    for sym, value in replacements:
        lines.append(f"    {sym.name} = {printer.doprint(value)}")
    values = ", ".join(wrap.format(printer.doprint(r)) for r in reduced)
    lines.append(f"    return ({values},)")
    return "\n".join(lines)


def _scalar_function(
    name: str,
    variables: Sequence[sp.Symbol],
    exprs: Sequence[sp.Expr],
    doc: str,
) -> str:
    """The kernel's scalar function ``name`` (:func:`printed_function`), inlined by Numba."""
    # inline="always": Numba inlines the function into the step loops itself; left to LLVM,
    # a body with log1p inlined exceeds its inline threshold, the call stays in the loop and
    # the loop over points is not vectorised (f1: 3.6x slower, docs/performance.md)
    return printed_function(name, variables, exprs, decorators=['@njit(inline="always", **_JIT)'],
                            doc=doc)


def _safe_function(name: str, d: int, n_values: int) -> str:
    """``name_safe``: each entry of ``name`` that is not finite at a finite x is replaced by
    its mean at x -+ offset, offset = 1e-7 (1 + max_k |x_k|) / sqrt(d) along (1, ..., 1): the
    rule of :class:`theory.Landscape` for removable singularities (0/0 such as log(1 + r)/r
    at r = 0), extended to +-inf from underflow (x^2 log(1 + r)/r^3 in f3's Hessian when
    r^3 underflows at |x| ~ 1e-108).  Entries that are finite (the gradient where only the
    Hessian is singular) are kept exactly."""
    xs = ", ".join(f"x_{k}" for k in range(d))
    any_nan = " or ".join(f"not_finite(r[{j}])" for j in range(n_values))
    fill = ", ".join(
        f"(0.5 * (a[{j}] + b[{j}]) if not_finite(r[{j}]) else r[{j}])" for j in range(n_values)
    )
    finite = " and ".join(f"math.isfinite(x_{k})" for k in range(d))
    scale = "max(" + ", ".join(["0.0", *(f"abs(x_{k})" for k in range(d))]) + ")"
    plus = ", ".join(f"x_{k} + h" for k in range(d))
    minus = ", ".join(f"x_{k} - h" for k in range(d))
    return "\n".join(
        [
            "@njit(**_JIT)",
            f"def {name}_safe({xs}):",
            f'    """{name}, non-finite entries at a finite x filled in (mean at x -+ offset)."""',
            f"    r = {name}({xs})",
            f"    if ({any_nan}) and {finite}:",
            f"        h = 1e-7 * (1.0 + {scale}) / math.sqrt({float(d)!r})",
            f"        a = {name}({plus})",
            f"        b = {name}({minus})",
            f"        return ({fill},)",
            "    return r",
        ]
    )


def _indent(lines: Sequence[str], spaces: int) -> str:
    pad = " " * spaces
    return "\n".join(pad + line for line in lines)


def _lines(lines: Sequence[str], spaces: int) -> str:
    """Each line on a new line after ``spaces`` blanks (appended to a template line: empty
    when there are none, so a map without a prelude leaves the text as it was)."""
    return "".join("\n" + " " * spaces + line for line in lines)


def _hot_loop_pieces(d: int, step: IteratedMap) -> dict[str, str]:
    """Text pieces of the inner loops, written out for dimension ``d``; the map's step
    (``step.update``) and tangent step (``step.tangent``) printed in the kernels' names."""
    ks = range(d)
    xs = ", ".join(f"x_{k}" for k in ks)
    gs = "".join(f"g_{k}, " for k in ks)
    hs = "".join(f"h_{j}_{k}, " for j in ks for k in ks if j <= k)

    def h(j: int, k: int) -> str:
        return f"h_{min(j, k)}_{max(j, k)}"

    def hv(k: int) -> str:
        return " + ".join(f"{h(k, j)} * v_{j}" for j in ks)

    assert step.update is not None and step.tangent is not None
    new = [step.update(k, d) for k in ks]
    jv = [step.tangent(k, d, hv) for k in ks]
    prelude = step.prelude(d)
    tprelude = step.tangent_prelude(d, hv)
    hyper = [f"{name} = P[{j}]" for j, name in enumerate(step.hyper_names)]
    tangent = [f"w_{k} = {jv[k]}" for k in ks] + [f"VY_{k}[i] = w_{k}" for k in ks]
    tangent_local = [f"w_{k} = {jv[k]}" for k in ks]
    # in place: every coordinate of the new state from the old one, then stored
    in_place = [f"y_{k} = {new[k]}" for k in ks] + [f"x_{k} = y_{k}" for k in ks]
    # a new state (tangent) that is not finite although the old state is: redo the step with
    # the *_safe derivatives (abs(u) < inf is False exactly for nan and +-inf)
    x_fin = " & ".join(f"(abs(x_{k}) < math.inf)" for k in ks)
    y_bad = " | ".join(f"(not_finite(y_{k}))" for k in ks)
    w_bad = " | ".join(f"(not_finite(w_{k}))" for k in ks)
    nan_y = f"({y_bad}) & {x_fin}"
    nan_w = f"({y_bad} | {w_bad}) & {x_fin}"
    def h_row(k: int) -> str:
        return " + ".join(f"abs({h(k, j)})" for j in ks)

    x_ok = " and ".join(f"(abs(x_{k}) < math.inf and abs(x_{k}) <= bound)" for k in ks)
    return {
        "D": str(d),
        "STALL": repr(step.stalls),
        "X_OK": x_ok,
        "X_NAN": " or ".join(f"x_{k} != x_{k}" for k in ks),
        "S_LOAD": _indent([f"x_{k} = HIST[r1, {k}, i]" for k in ks], 8),
        "S_GMAX": "max(" + ", ".join(["0.0", *(f"abs(g_{k})" for k in ks)]) + ")",
        "S_HNORM": "max(" + ", ".join(["0.0", *(h_row(k) for k in ks)]) + ")",
        "XS": xs,
        "GS": gs,
        "GHS": gs + hs,
        "HYPER4": _lines(hyper, 4),
        **{f"PRE{n}": _lines(prelude, n) for n in (8, 12, 16)},
        **{f"TPRE{n}": _lines(tprelude, n) for n in (8, 12, 16)},
        "XY_VIEWS": _indent(
            [*(f"X_{k} = X[{k}]" for k in ks), *(f"Y_{k} = Y[{k}]" for k in ks)], 8
        ),
        "V_VIEWS": _indent(
            [*(f"VX_{k} = VX[{k}]" for k in ks), *(f"VY_{k} = VY[{k}]" for k in ks)], 8
        ),
        "ROW_VIEWS": _indent([f"R_{k} = HIST[row, {k}]" for k in ks], 8),
        "LOAD_X": _indent([f"x_{k} = X_{k}[i]" for k in ks], 12),
        "LOAD_V": _indent([f"v_{k} = VX_{k}[i]" for k in ks], 12),
        "TANGENT": _indent(tangent, 12),
        "UPDATE": _indent(in_place, 12),
        "UPDATE_Y": _indent([f"y_{k} = {new[k]}" for k in ks], 12),
        "STORE_Y": _indent([f"Y_{k}[i] = y_{k}" for k in ks], 12),
        "STORE_ROW": _indent([f"R_{k}[i] = y_{k}" for k in ks], 12),
        "NAN_Y": f"({nan_y})",
        "NAN_YW": f"({nan_w})",
        # repair of a removable singularity (2-D indexing, rare)
        "P_LOAD_X": _indent([f"x_{k} = X[{k}, i]" for k in ks], 8),
        "P_LOAD_V": _indent([f"v_{k} = VX[{k}, i]" for k in ks], 8),
        "P_TANGENT": _indent([f"VY[{k}, i] = {jv[k]}" for k in ks], 8),
        "P_UPDATE": _indent([f"Y[{k}, i] = {new[k]}" for k in ks], 8),
        # record variant (2-D indexing, not the hot path)
        "R_LOAD_X": _indent([f"x_{k} = X[{k}, i]" for k in ks], 12),
        "R_LOAD_V": _indent([f"v_{k} = V[{k}, i]" for k in ks], 16),
        "R_TANGENT": _indent([f"V[{k}, i] = {jv[k]}" for k in ks], 16),
        "R_STORE": _indent([f"X[{k}, i] = x_{k}" for k in ks], 12)
        + "\n"
        + _indent([f"HIST[row, {k}, i] = x_{k}" for k in ks], 12),
        "R_TAIL": _indent([f"TAIL[gi, s + 1 - tail_from, {k}] = x_{k}" for k in ks], 16),
        # cycle exponent (scalar)
        "C_LOAD": _indent([f"x_{k} = x[{k}]" for k in ks], 4)
        + "\n"
        + _indent([f"v_{k} = vinit[{k}]" for k in ks], 4),
        "C_TANGENT": _indent(tangent_local, 8),
        "C_UPDATE": _indent(in_place, 8),
        "C_NORM": " + ".join(f"w_{k} * w_{k}" for k in ks),
        "C_RESCALE": _indent([f"v_{k} = w_{k} * inv" for k in ks], 12),
        "C_RESTART": _indent([f"v_{k} = vinit[{k}]" for k in ks], 12),
        "LOSS_ARGS": ", ".join(f"X[{k}, i]" for k in ks),
    }


def module_source(
    *,
    name: str,
    expr: sp.Expr,
    variables: Sequence[sp.Symbol],
    gradient: Sequence[sp.Expr],
    hessian: Sequence[Sequence[sp.Expr]],
    optimizer: str = "gd",
) -> str:
    """The complete source of the kernel module of one landscape and one single-state map
    (``optimizer``, a name of :data:`theory.optimizers.MAPS`; deterministic text)."""
    d = len(variables)
    exprs = derivative_exprs(expr, gradient, hessian)
    docs = {"loss": "f(x).", "grad": "grad f(x), almost everywhere.",
            "grad_hess": "(grad f(x), upper triangle of the Hessian, row by row)."}
    functions = [_scalar_function(name, variables, exprs[name], docs[name]) for name in exprs]
    functions += [_safe_function(name, d, len(exprs[name])) for name in exprs]
    what = f"landscape {name!r}: f = {sp.sstr(expr)}"
    if optimizer != "gd":
        what = f"optimizer {optimizer!r}, {what}"
    comment = textwrap.indent(textwrap.fill(what, 96), "# ")
    pieces = _hot_loop_pieces(d, get_map(optimizer))
    text = "\n".join(
        [
            Template(HEADER).substitute(COMMENT=comment, **pieces),
            "\n\n".join(functions),
            Template(STEP_FUNCTIONS).substitute(pieces),
            Template(DRIVER).substitute(pieces),
            "\n\n# the event loop, printed from theory.dynamics._event_loop (inlined into run:\n"
            "# ~4% faster than a call per block, benchmarks/results/core19_speed.json)\n"
            '@njit(inline="always", **_JIT)\n'
            + EVENT_LOOP_SOURCE,
        ]
    )
    return text.rstrip() + "\n"
