"""One validation module for every package (issue 10): the same rule everywhere."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from theory import validation
from theory.errors import GridError, LearningRateError, MslValueError


@pytest.mark.parametrize("value", [2, 2.0, np.int64(2), np.float64(2.0)])
def test_whole_numbers_accept_integral_values(value):
    assert validation.whole_number("n", value, minimum=1) == 2


@pytest.mark.parametrize("value", [True, 2.5, "2", None, float("nan"), float("inf"), 0, -3,
                                   1 + 0j])
def test_whole_numbers_reject_the_rest_naming_the_argument(value):
    with pytest.raises(MslValueError, match=r"^steps="):
        validation.whole_number("steps", value, minimum=1)


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -float("inf"), True, "1", 1j])
def test_reals_are_finite_real_numbers(value):
    with pytest.raises(MslValueError, match="x="):
        validation.real("x", value)


def test_infinite_reals_only_when_allowed():
    assert validation.real("bound", float("inf"), allow_inf=True) == math.inf
    with pytest.raises(MslValueError, match="bound"):
        validation.real("bound", float("nan"), allow_inf=True)


def test_fractions_and_choices_and_seeds():
    assert validation.fraction("band", 0.5) == 0.5
    assert validation.fraction("p", 1.0, closed=True) == 1.0
    for bad in (0.0, 1.0, -0.1, float("nan"), True):
        with pytest.raises(MslValueError, match=r"band=.*\(0, 1\)"):
            validation.fraction("band", bad)
    assert validation.choice("loss", "ce", ("mse", "ce")) == "ce"
    with pytest.raises(MslValueError, match="loss='l1'"):
        validation.choice("loss", "l1", ("mse", "ce"))
    assert validation.seed(2**63 - 1) == 2**63 - 1
    for bad in (-1, 2**63, 1.5, True):
        with pytest.raises(MslValueError, match="seed="):
            validation.seed(bad)


def test_learning_rate_grids():
    np.testing.assert_array_equal(validation.learning_rate_grid(3), [3.0])
    np.testing.assert_array_equal(validation.learning_rate_grid([1, 2.5]), [1.0, 2.5])
    with pytest.raises(GridError, match="empty"):
        validation.learning_rate_grid([])
    with pytest.raises(LearningRateError, match=r"eta=-1\.0"):
        validation.learning_rate_grid([1.0, -1.0])
    with pytest.raises(LearningRateError, match="1-D"):
        validation.learning_rate_grid([[1.0, 2.0]])
    assert validation.learning_rate_tuple([3, 1, 3], ()) == (1.0, 3.0)
    assert validation.learning_rate_tuple(None, (2.0,)) == (2.0,)
    with pytest.raises(LearningRateError, match="eta='3'"):
        validation.learning_rate_tuple("3", ())


def test_json_has_one_nan_rule():
    value = {"a": float("nan"), "b": [float("inf"), -float("inf")], 3: np.float64("nan"),
             "c": np.array([1.0, np.nan]), "d": (np.int32(4), True, None, "x")}
    safe = validation.json_safe(value)
    assert safe == {"a": None, "b": ["inf", "-inf"], "3": None, "c": [1.0, None],
                    "d": [4, True, None, "x"]}
    json.dumps(safe, allow_nan=False)  # strict JSON


# ------------------------------------------------- the packages agree (they disagreed before)
def _entry_points():
    from empirical import ProblemSpec
    from proofs_check._inputs import positive_integer
    from theory.dynamics import SimulationOptions

    return {
        "proofs_check starts": lambda v: positive_integer("starts", v),
        "empirical width": lambda v: ProblemSpec(width=v).width,
        "simulate steps": lambda v: SimulationOptions(steps=v).steps,
    }


@pytest.mark.parametrize("value", [True, 2.5, "2"])
def test_every_package_rejects_the_same_whole_numbers(value):
    for name, entry in _entry_points().items():
        with pytest.raises(MslValueError):
            entry(value)
            pytest.fail(f"{name} accepted {value!r}")


def test_every_package_accepts_the_same_whole_numbers():
    for entry in _entry_points().values():
        assert entry(2.0) == 2 and entry(np.int64(3)) == 3


def test_every_package_writes_nan_the_same_way():
    from proofs_check import Constant
    from theory.dynamics._result import _json_number
    from theory.figures import Claim, Verdict

    claim = Claim(source="Fig. 4.1", paper="p", measured="m", verdict=Verdict.CONFIRMED,
                  why="w", numbers={"x": float("nan"), "y": float("inf")})
    assert claim.as_dict()["numbers"] == {"x": None, "y": None}  # a deciding number
    assert _json_number(float("nan")) is None and _json_number(-math.inf) == "-inf"
    constant = Constant("r", float("nan"), certified=False)
    assert constant.to_dict()["value"] is None
