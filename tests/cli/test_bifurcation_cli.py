"""``msl bifurcation``: JSON contract, files written, bad input (exit 2, one line)."""

from __future__ import annotations

import json

import pytest

from msl.cli import main


def run_cli(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_json_and_files_for_the_logistic_like_cubic(capsys, tmp_path):
    code, out, err = run_cli(capsys, "bifurcation", "x**2/2 + x**3/2", "--eta", "1.5:2.56",
                             "--doublings", "2", "--json", "--out", str(tmp_path))
    assert code == 0 and err == ""
    record = json.loads(out)
    assert record["criterion"]["quantity"] == 27.0  # 3 * 3^2 - 1 * 0
    assert record["criterion"]["verdict"] == "supercritical"
    flips = record["cascade"]["flips"]
    assert [p["period"] for p in flips] == [1, 2]
    lo, hi = flips[1]["eta_enclosure"]
    assert lo <= 6**0.5 <= hi  # logistic r = 1 + sqrt 6, r = 1 + eta
    assert (tmp_path / "bifurcation.png").is_file()
    assert json.loads((tmp_path / "bifurcation.json").read_text())["function"]


@pytest.mark.parametrize(("argv", "needle"), [
    (("f1", "--eta", "1:3"), "four times differentiable"),
    (("x**2", "--eta", "3:1"), "--eta='3:1'"),
    (("x**2", "--eta", "a:b"), "--eta='a:b'"),
])
def test_bad_input_is_one_line_exit_2(capsys, argv, needle):
    code, out, err = run_cli(capsys, "bifurcation", *argv)
    assert code == 2 and out == "" and needle in err and err.count("\n") == 1


def test_reproduce_stage_confirms_its_nine_claims_from_numbers(tmp_path):
    out = tmp_path / "run"
    assert main(["reproduce", "--only", "bifurcation", "--out", str(out), "--no-progress"]) == 0
    report = json.loads((out / "report.json").read_text())
    (stage,) = report["stages"]
    assert stage["name"] == "bifurcation" and len(stage["figures"]) == 2
    claims = stage["claims"]
    assert [c["verdict"] for c in claims] == ["confirmed"] * 9
    # heavy ball on f1: direct iteration finds the 4-cycle born between eta 2.71 and 2.72
    # at beta 0.85 (tests/theory/test_bifurcation_momentum.py), below 2(1 + 0.85) = 3.7
    fold = claims[4]["numbers"]
    assert 2.71 < fold["fold_eta_lo"] <= fold["fold_eta_hi"] < 2.72
    assert claims[7]["numbers"]["mismatches"] == 0
    feigenbaum = claims[2]["numbers"]
    assert abs(feigenbaum["last_ratio"] / 4.669201609 - 1) < 0.05  # Feigenbaum (1978)
    onset = claims[3]["numbers"]
    assert abs(onset["accumulation"] / 2.5699456718 - 1) < 1e-5  # logistic r_inf - 1


def test_heavy_ball_four_cycle_fold_on_f1(capsys):
    code, out, err = run_cli(capsys, "bifurcation", "f1", "--eta", "2:8", "--optimizer",
                             "momentum", "--beta", "0.85", "--json")
    assert code == 0 and err == ""
    folds = json.loads(out)["period_4"]["folds"]
    # direct iteration (tests/theory/test_bifurcation_momentum.py): born between 2.71 and 2.72
    assert len(folds) == 1 and 2.71 < folds[0] < 2.72
    (box,) = json.loads(out)["period_4"]["fold_enclosures"]
    assert 2.71 < box[0] <= box[1] < 2.72 and box[1] - box[0] < 1e-12
    code, _, err = run_cli(capsys, "bifurcation", "f1", "--eta", "2:8", "--beta", "0.5")
    assert code == 2 and "--beta" in err


def test_phase_diagram_draws_continued_momentum_branches(capsys, tmp_path, monkeypatch):
    """--branches with --optimizer momentum continues the 2- and 4-cycles at each drawn beta
    (the 4-cycle pair of beta 0.9 is born in its fold at eta 2.4232, certified in
    tests/theory/test_bifurcation_momentum_certify.py's neighbour betas)."""
    import theory.bifurcation as bif

    calls = []
    real = bif.momentum_branches

    def spy(*args, **kwargs):
        out = real(*args, **kwargs)
        calls.append((args[2], [(b.period, b.folds) for b in out]))
        return out

    monkeypatch.setattr(bif, "momentum_branches", spy)
    code, _, _ = run_cli(capsys, "phase-diagram", "f1", "--eta", "2:5:4", "--x0", "-1:1:3",
                         "--steps", "300", "--optimizer", "momentum", "--beta", "0.5:0.9:2",
                         "--out", str(tmp_path), "--branches")
    assert code == 0 and (tmp_path / "bifurcation.png").exists()
    drawn = dict(calls)
    assert [p for p, _ in drawn[0.5]] == [2]  # no 4-cycle at beta 0.5 below eta 5
    (four,) = [folds for p, folds in drawn[0.9] if p == 4]
    assert len(four) == 1 and abs(four[0] - 2.4232) < 2e-3


def test_momentum_bifurcation_writes_its_plot_and_json(capsys, tmp_path):
    code, _, err = run_cli(capsys, "bifurcation", "f1", "--eta", "2:5", "--optimizer",
                           "nesterov", "--beta", "0.5", "--out", str(tmp_path))
    assert code == 0 and err == ""
    record = json.loads((tmp_path / "bifurcation.json").read_text())
    assert record["plots"] == [str(tmp_path / "bifurcation.png")]
    assert (tmp_path / "bifurcation.png").stat().st_size > 10_000
    assert record["period_4"] is None  # Nesterov on f1: no 4-cycle (docs/bifurcation.md)
