"""``msl periodic-point``: JSON contract, text output, and bad input (exit 2, one line)."""

from __future__ import annotations

import json
import subprocess
import sys

import mpmath
import pytest

from msl.cli import main


def run_cli(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_json_keys_and_values_for_f1(capsys):
    code, out, err = run_cli(capsys, "periodic-point", "f1", "--eta", "3", "--json")
    assert code == 0 and err == ""
    record = json.loads(out)
    assert set(record) == {"function", "eta", "threshold", "x_eta", "closed_form",
                           "cycle_multiplier", "one_minus_multiplier", "stability", "stable"}
    with mpmath.workdps(40):
        x_ref = float(-1.5 * mpmath.lambertw(-2 / mpmath.mpf(3) * mpmath.exp(-2 / mpmath.mpf(3)),
                                             -1) - 1)
    assert record["function"] == "f1"
    assert record["eta"] == 3.0 and record["threshold"] == 2.0
    assert record["x_eta"] == pytest.approx(x_ref, rel=1e-14)
    assert record["cycle_multiplier"] == pytest.approx((1 - 3 / (1 + x_ref)) ** 2, rel=1e-12)
    assert record["stable"] is True
    assert "LambertW" in record["closed_form"]


def test_json_for_an_expression_without_closed_form(capsys):
    code, out, _ = run_cli(capsys, "periodic-point", "log(cosh(x))", "--eta", "4", "--json")
    record = json.loads(out)
    assert code == 0
    # tanh(x_eta) = 2 x_eta / eta, checked with mpmath's root finder
    ref = float(mpmath.findroot(lambda t: mpmath.tanh(t) - t / 2, 1.9))
    assert record["x_eta"] == pytest.approx(ref, rel=1e-13)
    assert record["closed_form"] is None or "x" not in record["closed_form"]


def test_f2_is_unstable_with_multiplier_25(capsys):
    code, out, _ = run_cli(capsys, "periodic-point", "f2(C=2)", "--eta", "1.5", "--json")
    record = json.loads(out)
    assert code == 0
    assert record["threshold"] == pytest.approx(0.75)
    assert record["x_eta"] == pytest.approx((1.5 / 6) ** (1 / 3), rel=1e-13)
    assert record["cycle_multiplier"] == pytest.approx(25) and record["stable"] is False


def test_text_output_names_everything(capsys):
    code, out, _ = run_cli(capsys, "periodic-point", "pseudo_huber", "--eta", "4")
    assert code == 0
    assert "x_eta" in out and "threshold" in out and "stable" in out
    assert f"{(16 - 4) ** 0.5 / 2:.12g}"[:12] in out  # x_eta = sqrt(eta^2 - 4)/2


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["f1", "--eta", "1.5"], "Theorem 4.1"),
        (["f1", "--eta", "-2"], "eta=-2"),
        (["f1", "--eta", "x"], "--eta"),
        (["x**2", "--eta", "3"], "no period-2 orbit"),
        (["x**3", "--eta", "3"], "not even"),
        (["f3", "--eta", "3"], "not a one-dimensional"),
        (["nosuchthing(x)", "--eta", "3"], "unknown function"),
        (["x**", "--eta", "3"], "could not be parsed"),
        (["f1"], "--eta"),
    ],
)
def test_bad_input_exits_2_with_one_line(argv, fragment):
    proc = subprocess.run([sys.executable, "-m", "msl", "periodic-point", *argv],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("msl")
    assert fragment in lines[0]
    assert "Traceback" not in proc.stderr


def test_importing_theory_does_not_import_torch():
    code = "import sys, theory, theory.catalog, theory.quasistatic; print('torch' in sys.modules)"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert proc.stdout.strip() == "False", proc.stderr
