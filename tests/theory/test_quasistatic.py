"""The quasistatic flow (4.8) on the Fig. 4.2 valley F = f1(x2/(1+0.01 x1)), eta = 3."""

from __future__ import annotations

import numpy as np
import pytest

from theory import catalog, quasistatic
from theory.errors import GridError, LearningRateError

ETA = 3.0
#: eta h(x1)^2 f1''(0) = 2 with h = 1/(1 + 0.01 x1): x1* = 100 (sqrt(3/2) - 1)
X1_STOP = 100 * (np.sqrt(ETA / 2) - 1)


def gd(landscape, start, eta, steps):
    path = [np.asarray(start, dtype=float)]
    for _ in range(steps):
        path.append(path[-1] - eta * landscape.gradient(path[-1]))
    return np.array(path)


@pytest.fixture(scope="module")
def valley():
    return catalog.fig_4_2()


def test_amplitude_solves_4_7(valley):
    """-y = y - eta f'(h y) h (4.7) at every manifold point where the orbit exists."""
    x1 = np.linspace(-50, 20, 71)[:, None]
    y = quasistatic.amplitude(valley, x1, ETA)
    h = 1 / (1 + 0.01 * x1[:, 0])
    f1 = valley.f
    np.testing.assert_allclose(y - ETA * f1.df(h * y) * h, -y, rtol=1e-10, atol=1e-12)
    assert np.all(y > 0)


def test_amplitude_vanishes_where_the_flow_halts(valley):
    x1 = np.array([[X1_STOP + 1e-6], [30.0], [200.0]])
    assert np.all(quasistatic.is_halted(valley, x1, ETA))
    np.testing.assert_array_equal(quasistatic.amplitude(valley, x1, ETA), 0.0)
    assert not quasistatic.is_halted(valley, [[X1_STOP - 1e-6]], ETA)[0]
    assert quasistatic.halting_level(valley, ETA) == pytest.approx(1 / (1 + 0.01 * X1_STOP))


def test_flow_tracks_gd_as_in_fig_4_2(valley):
    """Fig. 4.2: x1 and |x2| of GD follow (4.8); within 1% over 3,000 steps here."""
    steps = 3000
    path = gd(valley.landscape, (1.0, 1.0), ETA, steps)
    flow = quasistatic.quasistatic_flow(valley, [1.0], ETA, steps)
    np.testing.assert_allclose(flow.x[:, 0], path[:, 0], rtol=1e-2)
    late = slice(200, None)  # after the transient onto the period-2 orbit
    np.testing.assert_allclose(flow.y[late], np.abs(path[late, 1]), rtol=1e-2)
    # the drift is towards flatter minima (h decreasing), and slows down
    assert np.all(np.diff(flow.x[:, 0]) > 0)
    speed = np.diff(flow.x[:, 0])
    assert speed[-1] < 0.1 * speed[0]


def test_flow_stops_before_the_halting_point(valley):
    flow = quasistatic.quasistatic_flow(valley, [X1_STOP - 0.5], ETA, 2000)
    assert np.all(flow.x[:, 0] < X1_STOP)
    assert flow.x[-1, 0] > X1_STOP - 0.5
    assert flow.y[-1] < flow.y[0]


def test_beyond_the_halting_point_gd_converges_to_the_valley(valley):
    """eta h^2 f''(0) < 2 there: 0 is stable across the valley (Theorem 4.1) and x1 stays."""
    start = (X1_STOP + 8.0, 0.5)
    flow = quasistatic.quasistatic_flow(valley, [start[0]], ETA, 10)
    assert flow.halted_at == 0
    np.testing.assert_array_equal(flow.x[:, 0], start[0])
    path = gd(valley.landscape, start, ETA, 400)
    assert abs(path[-1, 1]) < 1e-8
    assert path[-1, 0] == pytest.approx(start[0], abs=0.05)


@pytest.mark.parametrize(("kwargs", "error"), [
    ({"x0": [1.0], "eta": -1.0, "steps": 5}, LearningRateError),
    ({"x0": [1.0], "eta": 3.0, "steps": 0}, GridError),
    ({"x0": [1.0, 2.0], "eta": 3.0, "steps": 5}, GridError),
    ({"x0": [float("nan")], "eta": 3.0, "steps": 5}, GridError),
])
def test_flow_rejects_bad_input(valley, kwargs, error):
    with pytest.raises(error):
        quasistatic.quasistatic_flow(valley, **kwargs)
