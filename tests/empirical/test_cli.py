"""The msl experiment commands: output files, JSON, resuming and one-line errors."""

from __future__ import annotations

import json

import pytest

from msl.cli import main

from .conftest import CI_LR, CI_STEPS

CI_ARGS = ["--n-train", "100", "--n-test", "0", "--width", "16", "--lr", str(CI_LR),
           "--steps", str(CI_STEPS), "--sharpness-every", "10", "--no-progress"]


def _json(capsys):
    return json.loads(capsys.readouterr().out)


def test_msl_eos_writes_figure_and_json_and_resumes(tmp_path, capsys):
    out = tmp_path / "eos"
    assert main(["eos", *CI_ARGS, "--out", str(out), "--json"]) == 0
    first = _json(capsys)
    assert first["verdict"]["edge_of_stability"] is True
    assert (out / "eos.png").stat().st_size > 10_000
    assert json.loads((out / "eos.json").read_text())["verdict"] == first["verdict"]
    assert main(["eos", *CI_ARGS, "--out", str(out), "--json"]) == 0  # reuses the checkpoint
    assert _json(capsys)["verdict"] == first["verdict"]
    # the slice command reuses the same run
    assert main(["slice", *CI_ARGS, "--out", str(out), "--json"]) == 0
    sl = _json(capsys)
    assert sl["verdict"] == "subquadratic" and sl["eos"] is True
    assert (out / "slice.png").exists()


def test_msl_slice_linear_regression_is_quadratic(tmp_path, capsys):
    args = ["slice", "--model", "linear", "--n-train", "100", "--n-test", "0", "--lr", "0.1",
            "--steps", "20", "--sharpness-every", "10", "--no-progress", "--out",
            str(tmp_path)]
    assert main(args) == 0
    text = capsys.readouterr().out
    assert "verdict: quadratic" in text


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["eos", "--lr", "-1"], "lr=-1"),
        (["eos", "--n-train", "0"], "n_train=0"),
        (["eos", "--data", "cifar10"], "data_dir"),
        (["eos", "--data", "cifar10", "--data-dir", "/nonexistent/cifar"], "not a folder"),
        (["eos", "--threads", "0"], "threads=0"),
        (["slice", "--n-points", "20", "--steps", "40", "--n-train", "50"], "odd"),
        (["lr-decay", "--decay-steps", "20", "10"], "decay_steps"),
    ],
)
def test_bad_input_is_one_line_and_exit_code_2(tmp_path, capsys, args, needle):
    code = main([*args, "--no-progress", "--out", str(tmp_path / "x")])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("msl: error: ") and needle in err and err.count("\n") == 1


def test_cuda_request_without_gpu_is_rejected(tmp_path, capsys, monkeypatch):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)  # same on a GPU machine
    assert main(["eos", "--device", "cuda", "--out", str(tmp_path)]) == 2
    assert "no CUDA device" in capsys.readouterr().err


def test_registering_the_commands_does_not_import_torch():
    """`msl --help` stays fast: the experiment commands import torch only when run."""
    import subprocess
    import sys

    code = ("import sys, argparse\n"
            "from msl.commands import eos, slice, scales, lr_decay, homogeneity, geometry\n"
            "p = argparse.ArgumentParser(); sub = p.add_subparsers()\n"
            "for m in (eos, slice, scales, lr_decay, homogeneity, geometry): m.register(sub)\n"
            "print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=str(__import__("pathlib").Path(__file__).parents[2]))
    assert out.stdout.strip() == "False"
