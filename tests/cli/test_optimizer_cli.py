"""``--optimizer/--beta/--sigma`` on msl periodic-point, simulate and phase-diagram."""

from __future__ import annotations

import json

import pytest

from msl.cli import main


def run_cli(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_periodic_point_json_keys_match_gd(capsys):
    _, gd_out, _ = run_cli(capsys, "periodic-point", "f1", "--eta", "4", "--json")
    code, out, err = run_cli(capsys, "periodic-point", "f1", "--eta", "4", "--optimizer",
                             "momentum", "--beta", "0.5", "--json")
    assert code == 0 and err == ""
    gd, record = json.loads(gd_out), json.loads(out)
    assert set(gd) <= set(record)
    assert record["threshold"] == 3.0  # 2(1 + beta)/f1''(0)
    assert record["stable"] is True
    assert record["cycle_multiplier"] == pytest.approx(0.5)  # |complex eigenvalue|^2 = beta
    assert "LambertW" in record["closed_form"]


def test_beta_zero_momentum_prints_gd_numbers(capsys):
    _, gd_out, _ = run_cli(capsys, "periodic-point", "f1", "--eta", "3.3", "--json")
    _, out, _ = run_cli(capsys, "periodic-point", "f1", "--eta", "3.3", "--optimizer",
                        "nesterov", "--beta", "0", "--json")
    gd, record = json.loads(gd_out), json.loads(out)
    for key in ("threshold", "x_eta", "cycle_multiplier", "stable"):
        assert record[key] == gd[key]


@pytest.mark.parametrize(("argv", "match"), [
    (["--optimizer", "momentum", "--beta", "1.0"], "beta=1.0 is outside [0, 1)"),
    (["--optimizer", "nesterov", "--beta", "-0.2"], "beta=-0.2 is outside"),
])
def test_bad_optimizer_values_are_one_line_and_exit_2(capsys, argv, match):
    code, out, err = run_cli(capsys, "periodic-point", "f1", "--eta", "4", *argv)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and match in err


def test_periodic_point_does_not_offer_sgd(capsys):
    """sgd has no periodic orbit, so periodic-point's choices leave it out (issue 22)."""
    with pytest.raises(SystemExit) as info:
        main(["periodic-point", "f1", "--eta", "4", "--optimizer", "sgd"])
    err = capsys.readouterr().err
    assert info.value.code == 2 and err.count("\n") == 1 and "invalid choice: 'sgd'" in err


@pytest.mark.parametrize(("argv", "match"), [
    (["--optimizer", "sgd", "--sigma", "-1"], "sigma=-1.0 must be a finite number >= 0"),
    (["--optimizer", "momentum", "--beta", "0.5", "--sigma", "0.1"], "sigma=0.1 was given"),
    (["--sigma", "0.1"], "sigma=0.1 was given with the deterministic optimizer 'gd'"),
])
def test_bad_noise_values_are_one_line_and_exit_2(capsys, argv, match):
    code, out, err = run_cli(capsys, "simulate", "f1", "--eta", "4", "--x0", "1", "--steps",
                             "10", *argv)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and match in err


def test_simulate_momentum_json(capsys):
    code, out, _ = run_cli(capsys, "simulate", "f1", "--eta", "4", "--x0", "0.1:0.5:3",
                           "--steps", "2000", "--optimizer", "momentum", "--beta", "0.5",
                           "--json")
    record = json.loads(out)
    assert code == 0 and record["periods"] == {"2": 3}
    assert max(record["attractor"]) == pytest.approx(0.7336009888787579, rel=1e-7)


def test_simulate_sgd_json(capsys):
    code, out, _ = run_cli(capsys, "simulate", "x**2/2", "--eta", "0.5", "--x0", "1",
                           "--steps", "400", "--optimizer", "sgd", "--sigma", "0.2",
                           "--replicas", "64", "--json")
    record = json.loads(out)
    assert code == 0 and record["counts"] == {"bounded": 64, "diverged": 0}
    per_point = record["per_point"]  # GD's keys first, the per-point arrays under per_point
    assert per_point["diverged_fraction"] == [[0.0]]
    assert per_point["rms"][0][0] == pytest.approx((0.5 * 0.04 / 1.5) ** 0.5, rel=0.1)


def test_phase_diagram_over_eta_and_beta(capsys, tmp_path):
    code, _, _ = run_cli(capsys, "phase-diagram", "f1", "--eta", "1:5:5", "--x0", "-1:1:3",
                           "--steps", "600", "--optimizer", "momentum", "--beta", "0:0.5:2",
                           "--out", str(tmp_path))
    assert code == 0
    for name in ("sweep.npz", "phase_diagram.png", "bifurcation.png", "summary.csv"):
        assert (tmp_path / name).exists()
    rows = (tmp_path / "summary.csv").read_text().splitlines()
    assert rows[0] == "eta,beta,converged,period2,other" and len(rows) == 1 + 5 * 2


def test_eos_with_heavy_ball_reports_the_momentum_threshold(capsys, tmp_path):
    pytest.importorskip("torch")
    code, out, _ = run_cli(capsys, "eos", "--optimizer", "momentum", "--beta", "0.5", "--lr",
                           "0.4", "--steps", "20", "--sharpness-every", "10", "--n-train", "40",
                           "--n-test", "10", "--width", "6", "--dtype", "float64",
                           "--out", str(tmp_path), "--json", "--no-progress")
    record = json.loads(out)
    assert code == 0 and record["threshold"] == pytest.approx(7.5)  # (2 + 2 beta)/eta
    assert record["verdict"]["threshold"] == pytest.approx(7.5)
    assert (tmp_path / "eos_momentum.png").exists()


@pytest.mark.parametrize(("argv", "match"), [
    (["--optimizer", "momentum", "--beta", "1.5"], "beta=1.5 is outside"),
    (["--beta", "0.5"], "beta=0.5 was given with optimizer 'gd'"),
])
def test_eos_optimizer_errors(capsys, tmp_path, argv, match):
    code, out, err = run_cli(capsys, "eos", *argv, "--steps", "10", "--out", str(tmp_path))
    assert code == 2 and out == "" and match in err and err.count("\n") == 1


def test_simulate_sgd_with_label_noise_on_section_6_data(capsys):
    code, out, _ = run_cli(capsys, "simulate", "f2", "--eta", "0.01", "--x0", "0.01",
                           "--steps", "200", "--optimizer", "sgd", "--sigma", "0.1",
                           "--noise", "label", "--data", "1,2,3", "--replicas", "64", "--json")
    record = json.loads(out)
    per_point = record["per_point"]
    assert code == 0 and per_point["metadata"]["noise"] == "label"
    assert per_point["metadata"]["data"] == [1.0, 2.0, 3.0] and per_point["rms"][0][0] > 0
    code, _, err = run_cli(capsys, "simulate", "f2", "--eta", "0.01", "--x0", "0.01",
                           "--steps", "10", "--optimizer", "sgd", "--sigma", "0.1",
                           "--noise", "label")
    assert code == 2 and "label noise needs" in err
