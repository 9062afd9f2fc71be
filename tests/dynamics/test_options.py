"""simulate's settings as one frozen, validated value object (issue 10)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from theory.dynamics import Schedule, SimulationOptions, simulate
from theory.errors import GridError


@pytest.mark.parametrize(("settings", "argument"), [
    ({"steps": 0}, "steps"),
    ({"steps": True}, "steps"),
    ({"steps": 10, "period_max": 0}, "period_max"),
    ({"steps": 10, "rtol": 0, "atol": 0}, "rtol"),
    ({"steps": 10, "rtol": float("nan")}, "rtol"),
    ({"steps": 10, "bound": -1.0}, "bound"),
    ({"steps": 10, "transient": 10}, "transient"),
    ({"steps": 10, "keep_last": 12}, "keep_last"),
    ({"steps": 10, "block": 0}, "block"),
    ({"steps": 10, "schedule": "constant"}, "schedule"),
])
def test_bad_options_are_refused_on_construction(settings, argument):
    with pytest.raises(GridError, match=argument):
        SimulationOptions(**settings)


def test_options_are_frozen():
    options = SimulationOptions(steps=10)
    with pytest.raises(dataclasses.FrozenInstanceError):
        options.steps = 20  # type: ignore[misc]


def test_unknown_setting_is_named():
    with pytest.raises(GridError, match="periodmax"):
        simulate("f1", 3.0, [1.0], 10, periodmax=4, progress=False)


def test_options_object_and_keywords_give_the_same_sweep_and_metadata(f1):
    schedule = Schedule.step_decay(at=50, factor=0.5)
    options = SimulationOptions(steps=120, schedule=schedule, keep_last=2, period_max=8)
    eta, x0 = np.array([1.0, 3.0, 5.0]), np.linspace(-2, 2, 7)
    a = simulate(f1, eta, x0, options=options, progress=False)
    b = simulate(f1, eta, x0, 120, schedule=schedule, keep_last=2, period_max=8,
                 progress=False)
    np.testing.assert_array_equal(a.classes, b.classes)
    np.testing.assert_array_equal(a.final_state, b.final_state)
    assert a.metadata == b.metadata
    # the metadata holds the resolved options: the defaults that depend on the grid, too
    assert a.metadata["transient"] == 50 + (120 - 50) // 2
    assert a.metadata["bound"] == 1e10 * 2.0
    assert a.metadata["chunk_size"] == eta.size * x0.size
    rebuilt = SimulationOptions(
        steps=a.metadata["steps"], schedule=schedule, period_max=a.metadata["period_max"],
        keep_last=a.metadata["keep_last"], transient=a.metadata["transient"])
    assert rebuilt.to_dict()["transient"] == a.metadata["transient"]


def test_keywords_override_an_options_object(f1):
    options = SimulationOptions(steps=50, period_max=8)
    result = simulate(f1, 3.0, [1.0], options=options, steps=60, progress=False)
    assert result.metadata["steps"] == 60
    assert result.metadata["period_max"] == 8
