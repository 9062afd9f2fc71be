"""docs/curvature.md: every Python block runs as copied (issue 22), and what it prints
holds up (the exact Fisher equals the GGN for cross-entropy; the tracker's warm starts
need fewer products than its cold start)."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

PAGE = Path(__file__).resolve().parents[2] / "docs" / "curvature.md"


def run_blocks(tmp_path, monkeypatch):
    blocks = re.findall(r"```python\n(.*?)```", PAGE.read_text(), flags=re.S)
    monkeypatch.chdir(tmp_path)
    spaces = []
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        for block in blocks:
            namespace: dict = {}
            with contextlib.redirect_stdout(io.StringIO()):
                exec(compile(block, str(PAGE), "exec"), namespace)
            spaces.append(namespace)
    finally:
        torch.set_num_threads(threads)
    return spaces


def test_every_block_runs_and_its_numbers_hold(tmp_path, monkeypatch):
    spaces = run_blocks(tmp_path, monkeypatch)
    assert len(spaces) == 4
    first = spaces[0]
    np.testing.assert_allclose(first["F"].eigenvalues(k=3).eigenvalues,
                               first["G"].eigenvalues(k=3).eigenvalues, rtol=1e-8)
    assert list(first["per_layer"]) == ["0", "2"]
    history = spaces[1]["history"]
    assert len(history) == 3 and all(n < history[0][2] for _, _, n in history[1:])
    assert spaces[3]["H"].dtype == torch.float32
