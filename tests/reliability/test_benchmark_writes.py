"""The benchmark scripts write their results as msl does: through ``theory.files``' atomic
helpers (a temporary file renamed over the target, no symbolic link followed), never
directly (issue 20's "every write atomic", for ``benchmarks/*.py`` too).

An AST scan of every script: no ``open(..., "w"/"a"/"x")`` or ``Path.open("w")``, no
``write_text``/``write_bytes``, no ``savefig`` (figures go through
``theory.plotting.save_one``), no ``json.dump`` into a file handle and no ``numpy.save*``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
SCRIPTS = sorted(BENCHMARKS.glob("*.py"))
DIRECT = {"write_text", "write_bytes", "savefig", "dump", "save", "savez",
          "savez_compressed", "savetxt", "to_csv", "to_json", "to_netcdf"}


def _mode(call: ast.Call, position: int) -> str | None:
    """The mode argument of an ``open`` call (positional ``position`` or ``mode=``)."""
    for keyword in call.keywords:
        if keyword.arg == "mode" and isinstance(keyword.value, ast.Constant):
            return str(keyword.value.value)
    if len(call.args) > position and isinstance(call.args[position], ast.Constant):
        return str(call.args[position].value)
    return None


def direct_writes(source: str) -> list[str]:
    """``line: call`` for each write in ``source`` that bypasses the atomic helpers."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else (
            func.id if isinstance(func, ast.Name) else None)
        if name is None:
            continue
        if name == "open":  # open(path, mode) or path.open(mode)
            mode = _mode(node, 1 if isinstance(func, ast.Name) else 0)
            if mode is not None and any(c in mode for c in "wax+"):
                found.append(f"{node.lineno}: open(..., {mode!r})")
        elif name in DIRECT and isinstance(func, ast.Attribute):
            found.append(f"{node.lineno}: .{name}(...)")
    return found


def test_the_scan_finds_each_kind_of_direct_write():
    """The scan itself, on writes it must catch and on those it must let through."""
    caught = ["open(p, 'w')", "open(p, mode='a')", "p.open('wb')", "p.write_text('x')",
              "p.write_bytes(b'x')", "fig.savefig(p)", "json.dump(d, fh)", "np.save(p, a)",
              "np.savez(p, a=a)", "open(p, 'r+')"]
    for code in caught:
        assert direct_writes(code), code
    for code in ["open(p)", "open(p, 'rb')", "p.open()", "p.read_text()",
                 "atomic_write_text(p, 'x')", "json.dumps(d)", "json.load(fh)"]:
        assert not direct_writes(code), code


@pytest.mark.parametrize("script", SCRIPTS, ids=[s.name for s in SCRIPTS])
def test_benchmark_scripts_write_only_through_the_atomic_helpers(script):
    assert direct_writes(script.read_text(encoding="utf-8")) == []
