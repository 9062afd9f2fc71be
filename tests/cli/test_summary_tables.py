"""``msl simulate`` summaries share GD's keys and meaning for every optimizer (issue 22):
``attractor`` lists every point of the periodic cycles, not only the final states."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np

from msl.commands._summary_tables import momentum_summary, print_table, sgd_summary

GD_KEYS = {"counts", "periods", "attractor", "lyapunov_median", "undecided_reasons"}


def _f1_gradient(x):
    """f1(x) = (1+|x|) ln(1+|x|) - |x|: f1'(x) = sign(x) ln(1+|x|)."""
    return np.sign(x) * np.log1p(np.abs(x))


def _heavy_ball_orbit(eta, beta, x0, steps):
    xs = [x0, x0]
    for _ in range(steps):
        x, prev = xs[-1], xs[-2]
        xs.append(x - eta * _f1_gradient(np.array(x)) + beta * (x - prev))
    return [float(v) for v in xs]


def _sweep(final_states, periods, classes, eta, beta, method="momentum"):
    n = len(final_states)
    return SimpleNamespace(
        eta=np.array([eta]), beta=np.array([beta]), x0=np.zeros(n),
        final_state=np.array(final_states, dtype=float).reshape(1, 1, n, 2),
        classes=np.array(classes).reshape(1, 1, n), period=np.array(periods).reshape(1, 1, n),
        lyapunov=np.full((1, 1, n), -0.5), decided_step=np.zeros((1, 1, n)),
        metadata={"function": "f1", "steps": 4000, "method": method},
        class_counts=lambda: {"converged": 0, "periodic": n, "chaotic": 0, "diverged": 0,
                              "undecided": 0, "drifting": 0})


def test_momentum_attractor_lists_both_points_of_the_two_cycle():
    eta, beta = 3.0, 0.3
    orbit = _heavy_ball_orbit(eta, beta, 2.0, 4000)
    # the heavy-ball 2-cycle +-x solves eta f'(x) = 2 (1 + beta) x: f1's x_eta at eta/(1+beta)
    e = eta / (1 + beta)
    import mpmath

    w = mpmath.lambertw(-(2 / mpmath.mpf(e)) * mpmath.exp(-2 / mpmath.mpf(e)), -1)
    x_eta = float(-(e / 2) * w.real - 1)
    assert math.isclose(abs(orbit[-1]), x_eta, rel_tol=1e-8)
    sweep = _sweep([(orbit[-1], orbit[-2])], [2], [1], eta, beta)
    summary = momentum_summary(sweep, beta, _f1_gradient)
    assert GD_KEYS <= set(summary)
    assert summary["periods"] == {"2": 1}
    assert np.allclose(summary["attractor"], [-x_eta, x_eta], atol=2e-8)


def test_sgd_summary_has_gd_keys_and_counts_runs():
    result = SimpleNamespace(eta=np.array([1.0, 3.0]), x0=np.array([0.0, 1.0]),
                             diverged_fraction=np.array([[0.0, 0.0], [0.5, 0.25]]),
                             rms=np.array([[0.1, 0.3], [np.inf, 2.0]]),
                             mean_abs=np.zeros((2, 2)), mean_abs_stderr=np.zeros((2, 2)),
                             to_dict=lambda: {"eta": [1.0, 3.0]})
    summary = sgd_summary(result, "f1", 100, 8, 0.1)
    assert GD_KEYS <= set(summary)
    assert summary["counts"] == {"bounded": 26, "diverged": 6}  # 4 points x 8 replicas
    assert summary["by_eta"][1] == {"eta": 3.0, "diverged_fraction": 0.375, "rms_median": 2.0}


def test_every_optimizer_prints_the_gd_table(capsys):
    summary = {"counts": {"converged": 1, "periodic": 3}, "periods": {"2": 3},
               "attractor": [-1.0, 1.0], "lyapunov_median": -0.5, "undecided_reasons": {},
               "optimizer": "nesterov", "beta": 0.5}
    print_table(summary, function="f1", steps=10)
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("function  f1   steps 10   points 4   optimizer nesterov")
    assert out[1].split() == ["converged", "1", "(", "25.0%)"]
    assert "attractor [-1.0, 1.0]" in out and out[-1] == "median Lyapunov exponent -0.5"
