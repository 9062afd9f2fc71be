"""``msl eos --optimizer {nesterov,sgd}`` (issue 13): thresholds, files, seeding and the
one-line errors for bad optimizer values (tiny digits problems)."""

from __future__ import annotations

import json

import pytest

from msl.cli import main
from theory.files import LOCK_NAME, MARKER_NAME

TINY = ("--n-train", "64", "--n-test", "10", "--width", "6", "--dtype", "float64",
        "--steps", "40", "--sharpness-every", "20", "--lr", "0.4", "--no-progress")


def run_eos(capsys, tmp_path, *argv):
    code = main(["eos", *TINY, *argv, "--out", str(tmp_path), "--json"])
    out, err = capsys.readouterr()
    return code, (json.loads(out) if code == 0 else None), err


def test_nesterov_reports_its_threshold(capsys, tmp_path):
    pytest.importorskip("torch")
    code, record, _ = run_eos(capsys, tmp_path, "--optimizer", "nesterov", "--beta", "0.5")
    limit = 2 * 1.5 / (2 * 0.4)  # 2(1 + beta)/((1 + 2 beta) eta)
    assert code == 0 and record["optimizer"] == "nesterov"
    assert record["threshold"] == pytest.approx(limit, rel=1e-14)
    assert record["verdict"]["threshold"] == pytest.approx(limit, rel=1e-14)
    assert record["gd_threshold"] == pytest.approx(5.0)
    assert (tmp_path / "eos_nesterov.png").exists()
    assert json.loads((tmp_path / "eos_nesterov.json").read_text()) == record
    loss_rows = (tmp_path / "eos_nesterov_loss.csv").read_text().splitlines()
    sharp_rows = (tmp_path / "eos_nesterov_sharpness.csv").read_text().splitlines()
    assert loss_rows[0] == "step,loss" and len(loss_rows) == 1 + 41
    assert float(loss_rows[-1].split(",")[1]) == record["final_loss"]
    assert [r.split(",")[0] for r in sharp_rows] == ["step", "0", "20", "40"]
    assert float(sharp_rows[-1].split(",")[1]) == record["final_sharpness"]


def test_nesterov_with_beta_zero_is_gd(capsys, tmp_path):
    pytest.importorskip("torch")
    _, nesterov, _ = run_eos(capsys, tmp_path / "n", "--optimizer", "nesterov", "--beta", "0")
    _, momentum, _ = run_eos(capsys, tmp_path / "m", "--optimizer", "momentum", "--beta", "0")
    assert nesterov["threshold"] == 2 / 0.4
    assert nesterov["final_loss"] == momentum["final_loss"]
    assert nesterov["final_sharpness"] == momentum["final_sharpness"]


def test_sgd_same_seed_same_numbers(capsys, tmp_path):
    pytest.importorskip("torch")
    argv = ("--optimizer", "sgd", "--sigma", "0.05", "--seed", "1")
    _, first, _ = run_eos(capsys, tmp_path / "a", *argv)
    _, second, _ = run_eos(capsys, tmp_path / "b", *argv)
    _, other, _ = run_eos(capsys, tmp_path / "c", "--optimizer", "sgd", "--sigma", "0.05",
                          "--seed", "2")
    for key in ("figure", "loss_csv", "sharpness_csv"):  # paths in different folders
        assert first.pop(key) != second.pop(key)
    assert first == second
    assert (tmp_path / "a" / "eos_sgd_loss.csv").read_text() == (
        tmp_path / "b" / "eos_sgd_loss.csv").read_text()
    assert first["threshold"] == 2 / 0.4
    assert (first["sigma"], first["seed"], first["noise"]) == (0.05, 1, "additive")
    assert other["final_loss"] != first["final_loss"]
    assert (tmp_path / "a" / "eos_sgd.png").exists()


@pytest.mark.parametrize(("argv", "match"), [
    (["--optimizer", "nesterov", "--beta", "1.0"], "beta=1.0 is outside [0, 1)"),
    (["--optimizer", "momentum", "--beta", "-0.1"], "beta=-0.1 is outside [0, 1)"),
    (["--optimizer", "nesterov"], "needs a momentum beta"),
    (["--optimizer", "sgd", "--sigma", "-1"], "sigma=-1.0"),
    (["--optimizer", "sgd"], "needs a noise scale sigma"),
    (["--optimizer", "gd", "--sigma", "0.1"], "sigma=0.1 was given with the deterministic"),
    (["--optimizer", "momentum", "--beta", "0.5", "--sigma", "0.1"], "deterministic"),
    (["--optimizer", "nesterov", "--beta", "0.5", "--sigma", "0.1"], "deterministic"),
    (["--optimizer", "sgd", "--sigma", "0.1", "--beta", "0.5"],
     "beta=0.5 was given with optimizer 'sgd'"),
    (["--beta", "0.5"], "beta=0.5 was given with optimizer 'gd'"),
])
def test_bad_optimizer_values_are_one_line_and_exit_2(capsys, tmp_path, argv, match):
    code = main(["eos", *TINY, *argv, "--out", str(tmp_path)])
    out, err = capsys.readouterr()
    assert code == 2 and out == "" and match in err and err.count("\n") == 1
    # rejected before any work: only msl's marker and (released) lock of the folder
    assert {p.name for p in tmp_path.iterdir()} <= {MARKER_NAME, LOCK_NAME}
