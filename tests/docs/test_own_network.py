"""docs/own_network.md: the example runs as written (issue 11) and its numbers hold up."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

PAGE = Path(__file__).resolve().parents[2] / "docs" / "own_network.md"


def test_own_network_example_runs(tmp_path, monkeypatch):
    blocks = re.findall(r"```python\n(.*?)```", PAGE.read_text(), flags=re.S)
    assert len(blocks) == 2 and len(blocks[0].strip().splitlines()) <= 25
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    out = io.StringIO()
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with contextlib.redirect_stdout(out):
            for block in blocks:
                exec(compile(block, str(PAGE), "exec"), namespace)
    finally:
        torch.set_num_threads(threads)
    printed = out.getvalue()
    assert "top eigenvalues" in printed and "trace" in printed
    top = namespace["top"]
    assert top.eigenvalues[0] >= top.eigenvalues[1] > 0
    assert max(top.relative_residuals) < 1e-3  # float32, default tolerance 1e-4
    hess = namespace["H"]
    v = top.eigenvectors[0]
    assert float(v @ hess.hvp(v)) == pytest.approx(top.eigenvalues[0], rel=1e-4)
    records = namespace["monitor"].records
    assert [r.step for r in records] == [0, 5]
    assert records[0].threshold == pytest.approx((2 + 2 * 0.9) / 0.05)
    assert (tmp_path / "monitor-out" / "monitor.csv").exists()
    assert (tmp_path / "monitor-out" / "monitor.png").exists()
