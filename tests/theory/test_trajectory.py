"""Single GD paths (4.1) with piecewise-constant schedules, against closed forms."""

from __future__ import annotations

import numpy as np
import pytest

from theory import Landscape, Subquadratic
from theory.errors import GridError, LearningRateError
from theory.schedule import Schedule
from theory.trajectory import gd_path


def test_schedule_rates_are_piecewise_constant():
    rates = Schedule.from_rates((5, 3, 1), (100, 150)).rates(5.0, 200)
    np.testing.assert_array_equal(rates[:100], 5.0)
    np.testing.assert_array_equal(rates[100:150], 3.0)
    np.testing.assert_array_equal(rates[150:], 1.0)
    with pytest.raises(GridError, match="boundary 150"):
        Schedule.from_rates((5, 3, 1), (100, 150)).rates(5.0, 150)


def test_gd_on_a_quadratic_is_geometric():
    """f = a x^2/2: x_t = prod_s (1 - eta_s a) x_0 exactly (up to rounding)."""
    a = 0.7
    f = Subquadratic(f"{a}*x**2/2")
    schedule = Schedule.from_rates((2.5, 0.5), (7,))
    path = gd_path(f, [3.0], 2.5, 20, schedule)
    factors = np.concatenate([[1.0], np.cumprod(1 - a * path.eta)])
    np.testing.assert_allclose(path.x[:, 0], 3.0 * factors, rtol=1e-13)
    np.testing.assert_allclose(path.loss, a * path.x[:, 0] ** 2 / 2, rtol=1e-13)
    np.testing.assert_array_equal(path.eta, np.r_[np.full(7, 2.5), np.full(13, 0.5)])


def test_gd_path_in_two_dimensions_and_divergence_is_kept():
    land = Landscape("x1**2 + 10*x2**2")
    path = gd_path(land, (1.0, 1.0), 0.15, 40)  # eta * 20 = 3 > 2: x2 blows up
    np.testing.assert_allclose(path.x[:, 0], 0.7 ** np.arange(41), rtol=1e-12)
    np.testing.assert_allclose(np.abs(path.x[:, 1]), 2.0 ** np.arange(41), rtol=1e-12)


@pytest.mark.parametrize(("kwargs", "error"), [
    ({"x0": [1.0], "eta": 0.0, "steps": 3}, LearningRateError),
    ({"x0": [1.0], "eta": 1.0, "steps": 0}, GridError),
    ({"x0": [1.0, 2.0], "eta": 1.0, "steps": 3}, GridError),
    ({"x0": [np.inf], "eta": 1.0, "steps": 3}, GridError),
])
def test_gd_path_rejects_bad_input(kwargs, error):
    with pytest.raises(error):
        gd_path(Subquadratic("x**2"), **kwargs)
