"""A finished stage's log line counts every verdict (issue 22: "check: 14/23" read as
nine failures when nine claims were not applicable)."""

from __future__ import annotations

from msl.reproduction.report import stage_line


def test_not_applicable_claims_are_counted_as_such():
    verdicts = ["confirmed"] * 14 + ["not applicable"] * 9
    assert stage_line(verdicts) == "14 confirmed, 9 not applicable (of 23 claims)"


def test_every_verdict_is_named():
    line = stage_line(["confirmed", "not confirmed", "not applicable", "not confirmed"])
    assert line == "1 confirmed, 2 not confirmed, 1 not applicable (of 4 claims)"
    assert stage_line([]) == "no claims (of 0 claims)"
