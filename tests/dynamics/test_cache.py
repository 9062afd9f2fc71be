"""Compiled kernels are cached on disk: a second process does not compile again."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from theory import catalog
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
