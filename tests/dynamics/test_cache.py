"""Compiled kernels are cached on disk (a second process does not compile again) and in the
process (a second simulation of the same function does not generate the kernels again)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from theory import Landscape, catalog
from theory.dynamics import cache_directory, compile_landscape

_SCRIPT = """
import json, time
from theory import catalog
from theory.dynamics import compile_landscape, simulate
compiled = compile_landscape(catalog.f2())
start = time.perf_counter()
simulate(catalog.f2(), 1.0, [0.5, 1.5], 50, progress=False)
stats = compiled.run.stats
print(json.dumps({
    "hits": sum(stats.cache_hits.values()),
    "misses": sum(stats.cache_misses.values()),
    "seconds": time.perf_counter() - start,
    "path": str(compiled.path),
}))
"""


def _run_in_fresh_process() -> dict:
    root = Path(__file__).resolve().parents[2]
    env = dict(os.environ, PYTHONPATH=str(root))
    out = subprocess.run([sys.executable, "-c", _SCRIPT], capture_output=True, text=True,
                         env=env, cwd=root, check=True, timeout=300)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_second_process_loads_the_kernel_from_the_disk_cache():
    first = _run_in_fresh_process()  # compiles unless an earlier run already did
    second = _run_in_fresh_process()
    assert first["path"] == second["path"]
    assert second["misses"] == 0 and second["hits"] >= 1
    compiled = compile_landscape(catalog.f2())
    assert Path(second["path"]) == compiled.path
    assert compiled.path.parent == cache_directory()
    assert compiled.cache_index_files(), "no Numba index (*.nbi) next to the generated module"


def test_generated_module_name_is_a_hash_of_the_derivatives():
    a = compile_landscape(catalog.f2())
    b = compile_landscape(catalog.f2(C=3))  # the same function: the same module
    c = compile_landscape(catalog.f2(C=5))
    assert a.key == b.key and a.key != c.key
    assert a.key in a.path.name and a.path.read_text().startswith("# Generated")


@pytest.fixture
def fresh_memo(monkeypatch):
    """An empty per-process memo of compile_landscape and a counter of code generations."""
    from theory.dynamics import _compile

    monkeypatch.setattr(_compile, "_BY_FUNCTION", {})
    calls = []
    original = _compile.module_source

    def counting(**kwargs):
        calls.append(kwargs["name"])
        return original(**kwargs)

    monkeypatch.setattr(_compile, "module_source", counting)
    return calls


def test_repeated_simulations_of_a_function_skip_the_sympy_work(fresh_memo, monkeypatch):
    """simulate(...) twice on the same catalog name, expression or object: the kernels are
    generated once (the second call neither resolves nor differentiates the function)."""
    from theory.dynamics import _compile, simulate

    first = simulate("f1", 3.0, [0.5, 2.0], 40, progress=False)
    assert fresh_memo == ["f1"]
    resolved = []
    monkeypatch.setattr(_compile, "as_landscape", lambda f: resolved.append(f))
    second = simulate("f1", 3.0, [0.5, 2.0], 40, progress=False)
    assert fresh_memo == ["f1"] and resolved == []
    assert np.array_equal(first.final_state, second.final_state)
    assert compile_landscape("f1") is compile_landscape("f1")


def test_memo_tells_landscapes_apart(fresh_memo):
    """Objects of the same function share the memo; another function, another name or other
    supplied derivatives do not (the name is kept, the machine code is shared)."""
    f2 = compile_landscape(catalog.f2())
    assert compile_landscape(catalog.f2()) is f2  # a new object of the same function
    assert len(fresh_memo) == 1
    assert compile_landscape(catalog.f2(C=5)).key != f2.key
    expr = catalog.f1().landscape.expr
    mine = compile_landscape(Landscape(expr, name="mine"))
    f1 = compile_landscape("f1")
    assert mine.name == "mine" and f1.name == "f1" and mine.module is f1.module
    # the same derivative written another way (a wrong one is refused: issue 15)
    other = compile_landscape(Landscape("x**2", name="q", gradient=["2*Abs(x)*sign(x)"],
                                        hessian=[["2"]]))
    plain = compile_landscape(Landscape("x**2", name="q"))
    assert other.key != plain.key and other.module is not plain.module
    assert other.module.grad(3.0)[0] == 6.0 and plain.module.grad(3.0)[0] == 6.0
