"""``msl reproduce``: a finished stage is skipped on a re-run (resume), --force redoes it,
and the report lists every claim with its verdict."""

from __future__ import annotations

import json

from msl.cli import main


def test_figures_stage_resumes_and_reports(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["reproduce", "--only", "figures", "--out", str(out)]) == 0
    first = capsys.readouterr().out
    summary = json.loads((out / "figures" / "summary.json").read_text())
    assert {c["source"] for c in summary["claims"]} >= {"Fig. 4.2", "Fig. 5.1 caption"}
    assert all(c["agrees"] for c in summary["claims"])
    report = (out / "report.md").read_text()
    assert report.count("| yes |") == len(summary["claims"])
    assert "finished" in first

    stamp = (out / "figures" / "summary.json").stat().st_mtime_ns
    assert main(["reproduce", "--only", "figures", "--out", str(out)]) == 0
    assert "skipped" in capsys.readouterr().out
    assert (out / "figures" / "summary.json").stat().st_mtime_ns == stamp

    assert main(["reproduce", "--only", "figures", "--out", str(out), "--force"]) == 0
    assert (out / "figures" / "summary.json").stat().st_mtime_ns > stamp


def test_unknown_stage_is_a_one_line_error(tmp_path, capsys):
    assert main(["reproduce", "--only", "nonsense", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "nonsense" in err and "figures" in err
