"""SGD sweeps: distribution outcomes against the linear (Ornstein-Uhlenbeck) formula."""

from __future__ import annotations

import numpy as np
import pytest

from theory.dynamics import simulate_sgd
from theory.errors import MslValueError


@pytest.mark.parametrize("eta", [0.3, 1.2])
def test_stationary_spread_on_a_quadratic_matches_the_ar1_formula(eta):
    """x' = (1 - eta) x - eta sigma xi on f = x^2/2: Var = eta sigma^2 / (2 - eta)."""
    sigma = 0.5
    sweep = simulate_sgd("x**2/2", [eta], [1.0], 1500, sigma=sigma, replicas=128, seed=4)
    expected = np.sqrt(eta * sigma**2 / (2 - eta))
    assert sweep.rms[0, 0] == pytest.approx(expected, rel=0.03)
    assert sweep.diverged_fraction[0, 0] == 0.0


def test_above_two_over_curvature_every_replica_diverges_on_a_quadratic():
    sweep = simulate_sgd("x**2/2", [2.5], [0.1], 400, sigma=0.1, replicas=64, seed=0)
    assert sweep.diverged_fraction[0, 0] == 1.0 and np.isnan(sweep.rms[0, 0])


def test_interpolation_noise_dies_out_at_the_minimum():
    sweep = simulate_sgd("f1", [1.0], [1.0], 600, sigma=0.5, replicas=64, seed=2,
                         noise="interpolation")
    assert sweep.rms[0, 0] < 1e-12


def test_same_seed_same_numbers_whatever_the_chunking():
    args = ("f1", [0.5, 3.0], [0.5], 300)
    a = simulate_sgd(*args, sigma=0.3, replicas=192, seed=9)
    b = simulate_sgd(*args, sigma=0.3, replicas=192, seed=9, chunk_replicas=64)
    c = simulate_sgd(*args, sigma=0.3, replicas=192, seed=10)
    np.testing.assert_array_equal(a.rms, b.rms)
    np.testing.assert_array_equal(a.mean_abs_stderr, b.mean_abs_stderr)
    assert not np.array_equal(a.rms, c.rms)


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"sigma": -0.1}, "sigma="), ({"replicas": 1}, "replicas="),
    ({"noise": "pink"}, "noise="), ({"chunk_replicas": 10}, "chunk_replicas="),
])
def test_bad_arguments_are_named(kwargs, match):
    with pytest.raises(MslValueError, match=match):
        simulate_sgd("f1", [1.0], [1.0], 10, **{"sigma": 0.1, **kwargs})


def test_label_noise_scale_matches_monte_carlo_on_the_network():
    """Var of d/dw (1/n) sum (f(x_i, w) - eps_i)^2 - L'(w) over eps, with df/dw from sympy's
    derivative of the network (6.1), against the closed-form scale."""
    import sympy as sp

    from theory.catalog import neuron
    from theory.optimizers.label_noise import label_noise_scale

    data, sigma = (1.0, 10.0, 100.0), 0.3
    w = sp.Symbol("w", real=True)
    slopes = [sp.lambdify(w, sp.diff(neuron(sp.Float(x), w), w)) for x in data]
    rng = np.random.default_rng(0)
    for point in (0.003, 0.05, 0.5, 2.0):
        eps = sigma * rng.standard_normal((200_000, len(data)))
        noise = -(2 / len(data)) * eps @ np.array([float(s(point)) for s in slopes])
        assert noise.std() == pytest.approx(label_noise_scale(data, point, sigma), rel=0.01)
    assert label_noise_scale(data, 2.0, sigma) == 0.0  # every neuron saturated


def test_label_noise_sgd_on_the_section_6_loss_keeps_spreading_at_the_minimum():
    from theory.catalog import empirical_loss

    data = (1.0, 10.0, 100.0)
    f = empirical_loss(data)
    label = simulate_sgd(f, [1e-4], [0.001], 400, sigma=0.1, replicas=64, seed=1,
                         noise="label", data=data)
    interpolation = simulate_sgd(f, [1e-4], [0.001], 400, sigma=0.1, replicas=64, seed=1,
                                 noise="interpolation")
    assert label.rms[0, 0] > 100 * interpolation.rms[0, 0]
    with pytest.raises(MslValueError, match="label noise needs"):
        simulate_sgd(f, [1e-4], [0.001], 10, sigma=0.1, noise="label")
