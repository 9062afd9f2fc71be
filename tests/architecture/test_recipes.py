"""docs/architecture.md's recipes name real files, and the optimizer recipe names every file
that the optimizer registry says implements an optimizer (issue 19)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "architecture.md"
PATH = re.compile(r"`([A-Za-z_][\w./-]*\.py)`")


def _section(title: str) -> str:
    text = DOC.read_text()
    start = text.index(title)
    end = text.find("\n### ", start + len(title))
    return text[start:end if end >= 0 else None]


def _paths(text: str) -> list[str]:
    return [p for p in PATH.findall(text) if "/" in p]


@pytest.mark.parametrize("title", ["### (d) An optimizer",
                                   "### (e) A change to the kernels' event loop",
                                   "### (f) Beyond the paper"])
def test_recipe_files_exist(title):
    paths = _paths(_section(title))
    assert paths
    missing = [p for p in paths if not (ROOT / p).is_file()]
    assert missing == []


def test_optimizer_recipe_names_every_registry_file():
    from theory.optimizers import MAPS

    named = set(_paths(_section("### (d) An optimizer")))
    files = {f for m in MAPS.values() for f in m.files}
    assert files - named == set()


def test_the_check_can_fail():
    assert _paths("see `theory/nowhere.py` and `x.py`") == ["theory/nowhere.py"]
