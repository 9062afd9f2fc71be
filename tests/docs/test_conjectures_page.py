"""docs/conjectures.md runs: its true conjecture survives the search, its false one is
falsified, and the shrunk counterexample shown in the page is what the run prints."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

PAGE = Path(__file__).resolve().parents[2] / "docs" / "conjectures.md"


def _block(marker: str, language: str) -> str:
    """The fenced code block that follows ``<!-- marker -->`` in the page."""
    text = PAGE.read_text()
    match = re.search(rf"<!-- {re.escape(marker)} -->\n```{language}\n(.*?)\n```", text,
                      re.DOTALL)
    assert match, f"docs/conjectures.md has no ```{language} block after <!-- {marker} -->"
    return match.group(1)


def _module(code: str, tmp_path: Path, name: str):
    path = tmp_path / f"{name}.py"
    path.write_text(code + "\n")
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_true_conjecture_survives(tmp_path):
    module = _module(_block("conjecture: true", "python"), tmp_path, "true_conjecture")
    module.test_two_cycle_is_stable()


def test_the_false_conjecture_is_falsified_with_the_counterexample_shown(tmp_path):
    module = _module(_block("conjecture: false", "python"), tmp_path, "false_conjecture")
    with pytest.raises(AssertionError) as info:
        module.test_x_eta_is_concave_in_eta()
    notes = "\n".join(getattr(info.value, "__notes__", ())).splitlines()
    # the reproduce_failure blob (printed under the ci profile) is version-specific
    printed = "\n".join(n for n in notes if not n.startswith("You can reproduce")).strip()
    shown = _block("counterexample", "text").strip()
    assert printed == shown, (
        "docs/conjectures.md shows a counterexample that the run no longer prints; paste "
        f"the run's output into its ```text block:\n{printed}")
