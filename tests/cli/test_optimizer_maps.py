"""``--optimizer gd-wd | normalized-gd`` on the command line (issue 19): simulate on the
NumPy engine and the PyTorch CPU engine, periodic-point's derived thresholds against the
formula 2/(f''(0) + wd), phase diagrams, and named errors."""

from __future__ import annotations

import json

import pytest

from msl.cli import main

GRID = ["--eta", "0.1:2:40", "--x0=-3:3:50", "--steps", "200"]


def _json(capsys, argv: list[str]) -> dict:
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize(("engine", "points"), [
    (["--engine", "numpy"], 2000),
    (["--device", "torch-cpu", "--eta", "0.1:2:10", "--x0=-3:3:10"], 100),
])
def test_simulate_new_maps(capsys, engine, points):
    wd = _json(capsys, ["simulate", "f1", "--optimizer", "gd-wd", "--weight-decay", "0.5",
                        *GRID, "--json", *engine])
    assert sum(wd["counts"].values()) == points
    # f1''(0) = 1: converged below eta = 2/(1 + 0.5), period 2 above
    assert wd["counts"]["converged"] > 0 and wd["periods"].get("2", 0) > 0
    ngd = _json(capsys, ["simulate", "f1", "--optimizer", "normalized-gd", *GRID, "--json",
                         *engine])
    # normalized GD moves by eta every step: no orbit converges to the minimum
    assert ngd["counts"]["converged"] == 0


def test_periodic_point_derives_the_thresholds(capsys):
    record = _json(capsys, ["periodic-point", "f1", "--eta", "1.5", "--optimizer", "gd-wd",
                            "--weight-decay", "0.5", "--json"])
    assert record["threshold"] == pytest.approx(2 / (1 + 0.5), rel=1e-12)
    assert record["stable_minimum"] is False
    record = _json(capsys, ["periodic-point", "f1", "--eta", "1.5", "--optimizer",
                            "normalized-gd", "--json"])
    assert record["threshold"] is None


@pytest.mark.parametrize("argv", [
    ["simulate", "f1", "--optimizer", "gd", "--weight-decay", "0.5", *GRID],
    ["simulate", "f1", "--optimizer", "gd-wd", *GRID],
    ["simulate", "f1", "--optimizer", "gd-wd", "--weight-decay", "-1", *GRID],
    ["periodic-point", "f1", "--eta", "3", "--weight-decay", "0.5"],
])
def test_bad_hyperparameters_are_named(capsys, argv):
    assert main(argv) == 2
    assert "weight_decay" in capsys.readouterr().err


def test_phase_diagram_new_map(tmp_path, capsys):
    out = tmp_path / "pd"
    assert main(["phase-diagram", "f1", "--optimizer", "gd-wd", "--weight-decay", "0.5",
                 "--eta", "0.5:2:8", "--x0=-2:2:6", "--steps", "100", "--engine", "numpy",
                 "--out", str(out)]) == 0
    assert {"result.npz", "class_map.png", "bifurcation.png"} <= {p.name for p in out.iterdir()}
