"""docs/bifurcation.md: every python block runs as copied and prints what the page says."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

PAGE = Path(__file__).resolve().parents[2] / "docs" / "bifurcation.md"


def test_python_blocks_run_and_print_the_numbers_quoted():
    blocks = re.findall(r"```python\n(.*?)\n```", PAGE.read_text(), re.DOTALL)
    assert len(blocks) == 3
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        for block in blocks:
            exec(compile(block, str(PAGE), "exec"), {})
    text = out.getvalue()
    assert "supercritical 27.0 2.0" in text and "True True" in text
    assert "4.75" in text and "4.668" in text and "2.56994" in text
    # heavy ball on f1: the fold and the crossing, as in tests/theory/...momentum_certify.py
    assert "(2.71916359524" in text and "(0.7579039409565" in text
    assert "True True True" in text
