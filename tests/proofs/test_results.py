"""The result objects refuse inconsistent states (equinox-style validation)."""

from __future__ import annotations

import dataclasses

import pytest

from proofs_check import Check, ClaimResult, Constant, Status


def _check(**overrides) -> Check:
    fields = dict(name="h", statement="s", status=Status.HOLDS, method="interval",
                  certified=True, evidence="e")
    fields.update(overrides)
    return Check(**fields)


def test_numeric_evidence_cannot_be_certified():
    with pytest.raises(ValueError, match="certified"):
        _check(method="numeric", certified=True)


def test_unknown_cannot_be_certified():
    with pytest.raises(ValueError, match="certified"):
        _check(status=Status.UNKNOWN, certified=True)


def test_certified_constant_needs_an_enclosure():
    with pytest.raises(ValueError, match="enclosure"):
        Constant("x_eta", 1.0, certified=True)
    with pytest.raises(ValueError, match="enclosure"):
        Constant("x_eta", 1.0, lower=2.0, upper=1.0)


def test_results_are_frozen_and_their_data_read_only():
    check = _check(data={"values": [1.0, float("inf")]})
    with pytest.raises(dataclasses.FrozenInstanceError):
        check.status = Status.FAILS
    with pytest.raises(TypeError):
        check.data["values"] = ()
    assert check.data["values"] == (1.0, "inf")  # JSON-ready: no bare inf


def test_applies_and_ok_follow_the_hypotheses_the_proof_uses():
    unused_failure = _check(name="C^2", status=Status.FAILS, used_by_proof=False)
    holds = _check()
    failed_conclusion = _check(name="c", status=Status.FAILS, method="simulation",
                               certified=False)
    result = ClaimResult("Lemma 4.1", "f", (1.0,), (holds, unused_failure), (), (),
                         failed_conclusion)
    assert result.applies and not result.confirmed and not result.ok
    used_failure = _check(name="f''", status=Status.FAILS)
    result = ClaimResult("Lemma 4.1", "f", (1.0,), (holds, used_failure), (), (),
                         failed_conclusion)
    assert not result.applies and result.ok  # hypotheses fail: nothing is claimed
