"""``msl check``: the catalog table matches the paper; exit codes 0 / 1 / 2."""

from __future__ import annotations

import json

import pytest

from msl.cli import main
from proofs_check import Status, check_catalog


@pytest.fixture(scope="module")
def report():
    return check_catalog()


def _row(report, claim, function):
    (result,) = [r for r in report.results if r.claim == claim and r.function == function]
    return result


def test_catalog_table_matches_the_paper(report):
    assert report.ok
    for name in ("f1", "log_cosh", "pseudo_huber"):  # Section 4.1's convex examples
        for claim in ("Lemma 4.1", "Theorem 4.1", "Theorem 4.3"):
            result = _row(report, claim, name)
            assert result.applies and result.confirmed and result.certified, (claim, name)
    f2 = _row(report, "Theorem 4.1", "f2")  # Fig. 4.1 middle: non-convex, chaotic GD
    assert f2.hypothesis("f'' non-increasing").status is Status.FAILS
    assert f2.conclusion.status is Status.FAILS
    assert _row(report, "Theorem 4.3", "f2").applies  # ... but it does not blow up
    assert _row(report, "Theorem 4.3", "f3").confirmed  # Fig. 4.1 right
    assert _row(report, "Quasistatic flow (4.8)", "fig4.2").confirmed  # Fig. 4.2
    assert not _row(report, "Theorem 4.3", "fig5.1").applies
    example = [r for r in report.results if r.claim == "Theorem 4.2" and r.applies]
    assert example and all(r.confirmed for r in example)
    table = report.table()
    assert "FAILS: f'' non-increasing" in table and "NOT OK" not in table


def test_cli_prints_the_table_and_exits_0(capsys):
    assert main(["check", "f1", "f2"]) == 0
    out = capsys.readouterr().out
    assert "Theorem 4.1" in out and "f2" in out and "FAILS" in out


def test_cli_json(capsys):
    assert main(["check", "pseudo_huber", "--claim", "lemma_4_1", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    (result,) = data["results"]
    assert result["claim"] == "Lemma 4.1" and result["ok"] and result["certified"]
    constant = next(c for c in result["constants"] if c["name"] == "x_eta(eta=3)")
    # pseudo-Huber: x_eta = sqrt(eta^2 - 4)/2 (catalog docstring / closed form)
    assert constant["lower"] <= 5**0.5 / 2 <= constant["upper"]


@pytest.mark.parametrize("argv", [
    ["check", "x+"],  # unparsable expression
    ["check", "f1", "--claim", "quasistatic_4_8"],  # the claim does not apply
    ["check", "f2(C=-1)"],  # a catalog parameter out of range
])
def test_bad_input_exits_2(argv, capsys):
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("msl: error:") and err.count("\n") == 1
