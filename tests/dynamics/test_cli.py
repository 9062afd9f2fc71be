"""``msl simulate`` and ``msl phase-diagram``: output, files, and one-line errors (exit 2)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from msl.cli import main
from theory import catalog
from theory.dynamics import SimulationResult


def _json(capsys, argv):
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


def test_simulate_json_for_f1_above_threshold(capsys):
    """Theorem 4.1: eta = 3 > 2, every x0 != 0 ends on {+-x_eta}; x0 = 0 stays (fixed)."""
    out = _json(capsys, ["simulate", "f1", "--eta", "3", "--x0", "-5:5:101", "--steps",
                         "1000", "--json"])
    assert set(out) == {"counts", "periods", "attractor", "lyapunov_median",
                        "undecided_reasons"}
    assert out["undecided_reasons"] == {}
    assert out["counts"] == {"converged": 1, "periodic": 100, "chaotic": 0, "diverged": 0,
                             "undecided": 0, "drifting": 0}
    assert out["periods"] == {"2": 100}
    x_eta = catalog.f1().periodic_point(3.0)
    assert out["attractor"] == [round(-x_eta, 8), round(x_eta, 8)]
    multiplier = catalog.f1().cycle_multiplier(3.0)
    assert out["lyapunov_median"] == pytest.approx(0.5 * math.log(multiplier), rel=1e-8)


def test_simulate_json_for_f2_is_chaotic(capsys):
    out = _json(capsys, ["simulate", "f2", "--eta", "1.0", "--x0", "-3:3:40", "--steps",
                         "2000", "--json"])
    assert out["counts"]["chaotic"] == 40 and out["attractor"] == []
    assert out["lyapunov_median"] > 0


def test_simulate_json_says_why_points_are_undecided(capsys):
    """Issue 12: a transient (GD at eta = 0.01 from far out, 100 steps) is undecided with
    its reason, and so is a chaotic orbit run for too few steps to test recurrence."""
    from theory.dynamics import UNDECIDED_REASONS

    out = _json(capsys, ["simulate", "f1", "--eta", "0.01", "--x0", "4:5:3", "--steps",
                         "100", "--json"])
    assert out["counts"]["undecided"] == 3
    assert out["undecided_reasons"] == {UNDECIDED_REASONS[2]: 3}
    out = _json(capsys, ["simulate", "f2", "--eta", "1.0", "--x0", "-3:3:4", "--steps",
                         "20", "--json"])
    assert out["undecided_reasons"] == {UNDECIDED_REASONS[3]: out["counts"]["undecided"]}
    assert out["counts"]["undecided"] > 0


def test_simulate_expression_and_two_dimensional_function(capsys):
    # GD on x^3/3 - x^2/2 with eta = 2.5 is the logistic map at r = 3.5: period 4
    out = _json(capsys, ["simulate", "x**3/3 - x**2/2", "--eta", "2.5", "--x0", "0.1:1.2:8",
                         "--steps", "3000", "--json"])
    assert out["periods"] == {"4": 8} and len(out["attractor"]) == 4
    out = _json(capsys, ["simulate", "f3", "--eta", "0.05", "--x0", "-3:3:6", "--direction",
                         "-1,1", "--steps", "3000", "--json"])
    assert out["counts"]["converged"] == 6


def test_simulate_text_output(capsys):
    assert main(["simulate", "f1", "--eta", "3", "--x0", "1", "--steps", "300"]) == 0
    text = capsys.readouterr().out
    assert "periodic" in text and "attractor" in text


@pytest.mark.parametrize(
    ("argv", "word"),
    [
        (["--eta", "0"], "eta"),
        (["--eta", "-1"], "eta"),
        (["--eta", "1:2:0"], "empty"),
        (["--x0", "1:2:0"], "empty"),
        (["--x0", "abc"], "--x0"),
        (["--x0", "1:2:x"], "count"),
        (["--x0", "1:2"], "--x0"),
        (["--steps", "0"], "steps"),
        (["--function", "nosuch(x)"], "nosuch"),
        (["--function", "foo"], "foo"),
        (["--function", "f3", "--direction", "1,2,3"], "direction"),
    ],
)
def test_bad_input_exits_2_with_one_line(capsys, argv, word):
    args = {"--function": "f1", "--eta": "3", "--x0": "-1:1:5", "--steps": "100"}
    for key, value in zip(argv[::2], argv[1::2], strict=True):
        args[key] = value
    cli = ["simulate", args.pop("--function")]
    for key, value in args.items():
        cli += [key, value]
    assert main(cli) == 2
    err = capsys.readouterr().err
    assert err.startswith("msl: error:") and err.count("\n") == 1 and word in err


def test_phase_diagram_writes_data_and_figures_and_resumes(tmp_path, capsys):
    out = tmp_path / "f1"
    argv = ["phase-diagram", "f1", "--eta", "0.5:6:30", "--x0", "-5:5:20", "--steps", "800",
            "--out", str(out), "--pdf"]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    for name in ("result.npz", "class_map.png", "bifurcation.png", "lyapunov_map.png",
                 "class_map.pdf", "bifurcation.pdf", "lyapunov_map.pdf"):
        assert (out / name).exists(), name
        assert str(out / name) in printed
    assert (out / "bifurcation.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    r = SimulationResult.load(out / "result.npz")
    assert r.eta.shape == (30,) and r.x0.shape == (20, 1) and r.tail.shape == (30, 20, 32, 1)
    below = r.eta < 2
    assert np.all(r.class_names[below] == "converged")
    assert np.all(r.class_names[r.eta > 2.2] == "periodic")
    # the same command again: loads the finished sweep, same data
    assert main(argv) == 0
    np.testing.assert_array_equal(SimulationResult.load(out / "result.npz").classes, r.classes)
    # another sweep into the same directory is refused, not mixed
    assert main([*argv[:4], "--x0", "-5:5:21", *argv[6:]]) == 2
    assert "different sweep" in capsys.readouterr().err
