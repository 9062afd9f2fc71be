"""Report rows (:class:`theory.figures.Claim`): validated on construction, verdicts follow
the stated criterion, and they serialise to plain JSON."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from theory.errors import MslValueError
from theory.figures import Claim, ClaimError, Verdict


def test_tested_claims_follow_the_criterion():
    yes = Claim.tested("Fig. X", "a holds", "a = 1", holds=True, criterion="a > 0")
    no = Claim.tested("Fig. X", "a holds", "a = -1", holds=False, criterion="a > 0")
    assert yes.verdict is Verdict.CONFIRMED and yes.confirmed and yes.why == "a > 0: holds"
    assert no.verdict is Verdict.NOT_CONFIRMED and not no.confirmed
    assert no.why == "a > 0: fails"
    na = Claim.not_applicable("Theorem", "no claim", "b", why="hypotheses fail")
    assert na.verdict is Verdict.NOT_APPLICABLE and not na.confirmed


def test_numbers_become_plain_json_and_non_finite_becomes_null():
    c = Claim.tested("s", "p", "m", holds=True, criterion="c",
                     numbers={"a": np.float64(1.5), "n": np.int64(3), "b": np.bool_(True),
                              "bad": math.inf, "nan": float("nan"), "s": "x", "none": None})
    text = json.dumps(c.as_dict(), allow_nan=False)
    back = json.loads(text)["numbers"]
    assert back == {"a": 1.5, "n": 3, "b": True, "bad": None, "nan": None, "s": "x",
                    "none": None}
    with pytest.raises(TypeError):
        c.numbers["a"] = 2  # read-only


@pytest.mark.parametrize("kwargs, name", [
    ({"source": "two\nlines"}, "source"),
    ({"why": ""}, "why"),
    ({"verdict": "confirmed"}, "verdict"),
    ({"numbers": {"v": [1, 2]}}, "numbers['v']"),
])
def test_bad_claims_are_refused_naming_the_field(kwargs, name):
    fields = {"source": "s", "paper": "p", "measured": "m", "verdict": Verdict.CONFIRMED,
              "why": "w", "numbers": {}} | kwargs
    with pytest.raises(ClaimError, match=name.replace("[", r"\[")) as info:
        Claim(**fields)
    assert isinstance(info.value, MslValueError)
