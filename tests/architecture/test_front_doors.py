"""The lazy front doors show type checkers the real names (issue 19, point 4).

``theory``, ``proofs_check`` and ``empirical`` export their names lazily
(:func:`theory.lazy.lazy_exports`, PEP 562) so that ``msl --help`` stays light; an
``if TYPE_CHECKING:`` block in each ``__init__.py`` imports the same names from the same
modules, so mypy and IDEs see real types instead of ``Any``.  This test keeps the two lists
equal: a name added to ``_EXPORTS`` without its typed import (or the reverse) fails here.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("theory", "theory.bifurcation", "theory.optimizers", "proofs_check", "empirical")


def _module_assignment(tree: ast.Module, name: str) -> object:
    for node in tree.body:
        if (isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name)
                and node.targets[0].id == name):
            return ast.literal_eval(node.value)
    return None


def _lazy_names(package: str) -> set[tuple[str, str]]:
    """(defining module, name) pairs of ``_EXPORTS`` plus ``(package, submodule)``."""
    tree = ast.parse((ROOT / package.replace(".", "/") / "__init__.py").read_text())
    exports = _module_assignment(tree, "_EXPORTS")
    assert isinstance(exports, dict)
    pairs = {(module if "." in module else f"{package}.{module}", name)
             for module, names in exports.items() for name in names}
    submodules = _module_assignment(tree, "_SUBMODULES") or ()
    pairs |= {(package, name) for name in submodules}  # type: ignore[union-attr]
    return pairs


def _typed_names(package: str) -> set[tuple[str, str]]:
    """(module, name) pairs imported under ``if TYPE_CHECKING:``."""
    tree = ast.parse((ROOT / package.replace(".", "/") / "__init__.py").read_text())
    pairs: set[tuple[str, str]] = set()
    for node in tree.body:
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            for stmt in node.body:
                assert isinstance(stmt, ast.ImportFrom) and stmt.module, ast.dump(stmt)
                pairs |= {(stmt.module, alias.name) for alias in stmt.names}
    return pairs


@pytest.mark.parametrize("package", PACKAGES)
def test_type_checking_block_matches_lazy_exports(package: str) -> None:
    lazy, typed = _lazy_names(package), _typed_names(package)
    assert typed, f"{package}/__init__.py has no TYPE_CHECKING block"
    assert lazy - typed == set(), f"exported lazily but hidden from type checkers: {lazy - typed}"
    assert typed - lazy == set(), f"typed but not exported: {typed - lazy}"


@pytest.mark.parametrize("package", PACKAGES)
def test_every_lazy_name_resolves_to_its_typed_import(package: str) -> None:
    """The runtime value behind each lazy name is the object the typed import names."""
    front = importlib.import_module(package)
    for module, name in sorted(_typed_names(package)):
        if module == package:
            continue
        if package.startswith("empirical"):
            pytest.importorskip("torch")
        assert getattr(front, name) is getattr(importlib.import_module(module), name), name


def test_msl_check_uses_the_claims_vocabulary() -> None:
    """``msl check --claim`` offers exactly the claims of the table, in its order (the CLI
    imports proofs_check.claim_names instead of copying the list)."""
    from msl.cli import build_parser
    from proofs_check import CLAIMS

    assert tuple(CLAIMS) == tuple(_choices(build_parser(), "check", "--claim"))


def _subparser(parser, name: str):
    import argparse

    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action.choices[name]
    raise AssertionError("no subcommands")


def _choices(parser, command: str, flag: str) -> tuple[str, ...]:
    for action in _subparser(parser, command)._actions:
        if flag in action.option_strings:
            return tuple(action.choices)
    raise AssertionError(f"msl {command} has no {flag}")
