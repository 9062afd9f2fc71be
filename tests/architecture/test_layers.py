"""The package layers (docs/architecture.md): imports run one way and only through public
names.

* ``theory`` imports none of ``proofs_check``, ``empirical``, ``msl``;
* ``proofs_check`` and ``empirical`` import ``theory`` but not each other (nor ``msl``);
* an import that crosses packages names public modules only: no ``theory._x``,
  ``theory.dynamics._x``, ``empirical._x`` ... from another package;
* argument parsing (argparse) lives only in ``msl``.

Imports are read from the source with :mod:`ast`, including those inside functions.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("theory", "proofs_check", "empirical", "msl")
#: what each package may import from the others
ALLOWED = {
    "theory": set(),
    "proofs_check": {"theory"},
    "empirical": {"theory"},
    "msl": {"theory", "proofs_check", "empirical"},
}


def _imports(path: Path) -> list[tuple[int, str, tuple[str, ...]]]:
    """(line, module, imported names) for every import statement in ``path``."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name, ()) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module, tuple(a.name for a in node.names)))
    return found


def _sources(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def _violations(package: str) -> list[str]:
    bad = []
    for path in _sources(package):
        where = path.relative_to(ROOT)
        for line, module, names in _imports(path):
            top = module.split(".")[0]
            if top == "argparse" and package != "msl":
                bad.append(f"{where}:{line}: argparse outside msl/")
            if top not in PACKAGES or top == package:
                continue
            if top not in ALLOWED[package]:
                bad.append(f"{where}:{line}: {package} -> {module} runs against the layers")
            private = [part for part in module.split(".")[1:] if part.startswith("_")]
            private += [n for n in names if n.startswith("_")]
            if private:
                bad.append(f"{where}:{line}: {module} {names or ''} is private to {top}")
    return bad


@pytest.mark.parametrize("package", PACKAGES)
def test_imports_follow_the_layers_and_use_public_names(package):
    assert _violations(package) == []


def test_the_checker_sees_a_violation(tmp_path, monkeypatch):
    """The walk itself can fail: a planted up-layer, private import is reported."""
    fake = tmp_path / "theory"
    fake.mkdir()
    (fake / "bad.py").write_text("def f():\n    from empirical._eos import run_eos\n"
                                 "import argparse\n")
    monkeypatch.setattr(__import__(__name__, fromlist=["ROOT"]), "ROOT", tmp_path)
    found = _violations("theory")
    assert any("runs against the layers" in v for v in found)
    assert any("private to empirical" in v for v in found)
    assert any("argparse outside msl" in v for v in found)
