"""benchmarks/gpu_check.py runs on a machine without CUDA (the CPU stands in for the
device and the output says so) and writes its results folder (issue 11)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "gpu_check.py"


def test_gpu_check_runs_on_the_cpu(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    spec = importlib.util.spec_from_file_location("gpu_check", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    threads = torch.get_num_threads()
    try:
        code = module.main(["--out", str(tmp_path), "--quick"])
    finally:
        torch.set_num_threads(threads)
    printed = capsys.readouterr().out
    assert code == 0, printed
    assert "NO CUDA here -- the CPU stands in for the device" in printed
    result = json.loads((tmp_path / "results.json").read_text())
    assert result["cuda"] is False and result["all_passed"]
    names = [c["check"] for c in result["checks"]]
    for needle in ("sharpness float64", "sharpness float32", "trace exact", "monitor",
                   "msl eos", "sweep f1 agreement", "sweep f2 agreement", "sweep f1 throughput",
                   "sweep f2 throughput", "central flow (gd) predicted",
                   "central flow (rmsprop) predicted"):
        assert any(needle in n for n in names), (needle, names)
    assert (tmp_path / "results.md").exists()
    # the GPU sweep (issue 12): the CPU stand-in is the same PyTorch kernel, on the CPU
    sweep = next(c for c in result["checks"] if c["check"].startswith("sweep f1 agreement"))
    assert "torch-cpu" in sweep["check"] and sweep["class_mismatches"] == 0
    assert sweep["counts_cpu"]["periodic"] > 0 and sweep["counts_cpu"]["diverged"] > 0
