"""No function of the package takes more than 12 parameters (issue 19: the kernels took 27;
their settings travel as one record, theory.dynamics._settings), nor does any function of
a generated kernel module."""

from __future__ import annotations

import ast
from pathlib import Path

import sympy as sp

ROOT = Path(__file__).resolve().parents[2]
LIMIT = 12


def _too_many(tree: ast.AST) -> list[str]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            a = node.args
            count = (len(a.posonlyargs) + len(a.args) + len(a.kwonlyargs)
                     + (a.vararg is not None) + (a.kwarg is not None))
            if a.args and a.args[0].arg in ("self", "cls"):
                count -= 1
            if count > LIMIT:
                found.append(f"{node.name} ({count})")
    return found


def test_theory_dynamics_functions_take_at_most_12_parameters():
    bad = {str(p.relative_to(ROOT)): _too_many(ast.parse(p.read_text()))
           for p in sorted((ROOT / "theory").rglob("*.py"))}
    assert {k: v for k, v in bad.items() if v} == {}


def test_generated_kernels_take_at_most_12_parameters():
    from theory.dynamics._codegen import module_source
    from theory.dynamics._momentum_template import MOMENTUM_SOURCE

    x, y = sp.symbols("x y")
    expr = sp.log(sp.cosh(x)) + y**2
    text = module_source(name="t", expr=expr, variables=(x, y),
                         gradient=[sp.diff(expr, v) for v in (x, y)],
                         hessian=[[sp.diff(expr, a, b) for b in (x, y)] for a in (x, y)])
    assert _too_many(ast.parse(text)) == []
    assert _too_many(ast.parse(MOMENTUM_SOURCE.replace("$GD_MODULE", "gd"))) == []


def test_the_check_can_fail():
    tree = ast.parse("def f(" + ", ".join(f"a{k}" for k in range(13)) + "): pass")
    assert _too_many(tree) == ["f (13)"]
