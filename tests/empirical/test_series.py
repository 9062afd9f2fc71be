"""The experiments' raw series as CSV/JSON beside the checkpoint (issue 11): read back
with the csv/json modules only, they equal the in-memory results."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

import empirical
from empirical.errors import ExperimentError
from msl.cli import main

SMALL = dict(n_train=60, n_test=20, width=8)


def _read(path):
    with path.open() as fh:
        rows = list(csv.DictReader(fh))
    return {k: [r[k] for r in rows] for k in rows[0]}


def test_msl_eos_and_slice_write_their_series(tmp_path, capsys):
    args = ["--n-train", "60", "--n-test", "0", "--width", "8", "--lr", "0.3", "--steps", "40",
            "--sharpness-every", "10", "--no-progress", "--out", str(tmp_path)]
    assert main(["eos", *args]) == 0
    assert "series: " in capsys.readouterr().out
    result = empirical.run_eos(empirical.ProblemSpec(n_train=60, n_test=0, width=8), lr=0.3,
                               steps=40, sharpness_every=10, out_dir=tmp_path, progress=False)
    sharp = _read(tmp_path / "eos_sharpness.csv")
    assert [int(s) for s in sharp["step"]] == result.trace.sharp_steps.tolist()
    np.testing.assert_allclose([float(s) for s in sharp["sharpness"]], result.trace.sharpness,
                               rtol=1e-12)
    loss = json.loads((tmp_path / "eos_series.json").read_text())["loss"]
    np.testing.assert_allclose(loss["loss"], result.trace.losses, rtol=1e-12)
    assert main(["slice", *args, "--n-points", "11"]) == 0
    table = _read(tmp_path / "slice_slice.csv")
    assert len(table["t"]) == 11 and table["second_difference"][0] == ""


def test_scales_and_lr_decay_tables(tmp_path):
    spec = empirical.ProblemSpec(**SMALL)
    exp = empirical.run_scales(spec, lr=0.3, steps=20, sharpness_every=10, n_random=1,
                               n_radii=9, out_dir=tmp_path, progress=False)
    paths = empirical.write_series(tmp_path, "scales", exp)
    prof = _read(paths["profile_random_0"])
    np.testing.assert_allclose([float(c) for c in prof["curvature"]],
                               exp.scales.profiles[1].curvature, rtol=1e-12)
    res = empirical.run_lr_decay(spec, lr=0.3, decay_steps=(10, 20), total_steps=30,
                                 eval_every=10, snapshot_every=10, progress=False)
    tables = empirical.result_tables(res)
    assert {"loss", "test_accuracy", "decay_at_10_loss", "decay_at_20_test_accuracy"} <= set(
        tables)
    assert tables["decay_at_20_test_accuracy"]["test_accuracy"] == pytest.approx(
        res.branches[1].test_accuracy.tolist())
    with pytest.raises(ExperimentError, match="result=dict"):
        empirical.result_tables({})


def test_geometry_table(tmp_path):
    exp = empirical.run_geometry(empirical.ProblemSpec(**SMALL), lr=0.3, steps=20,
                                 sharpness_every=10, refine_steps=5, out_dir=tmp_path,
                                 progress=False)
    table = empirical.result_tables(exp)["geometry"]
    np.testing.assert_allclose(table["rsi"], exp.geometry.rsi, rtol=1e-12)
