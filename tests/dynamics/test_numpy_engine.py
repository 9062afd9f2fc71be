"""The NumPy engine (issue 12, fast first result) against the compiled kernel, orbit by orbit,
and the rule that chooses between them (theory.dynamics._engine, docs/simulator.md).

The kernels compared with are those the other simulator tests compile anyway (f1, f2, f3 of
Fig. 4.1 and the logistic conjugate ``cubic`` of conftest.py, which is not in the catalog),
so these tests add no Numba compilation.  Both engines classify with the same compiled
code (theory.dynamics._support) and step with the same expressions, evaluated by different
implementations of the elementary functions (a few ulp apart).  Where the orbit is not
chaotic that difference stays at the ulp level: same class, period, decision step, final
state and exponent.  Where the dynamics is chaotic (f2, f3, the logistic map at r = 4, a
chaotic transient before the period-3 window) it grows to O(1), as for any two correct
implementations: there the tests compare what is reproducible -- the attractor (the final
state lies on the other engine's cycle), the class of settled and diverged orbits, and the
exponent within its statistical error and against its known value (ln 2 at r = 4).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import example, given, settings

from theory import Landscape
from theory.dynamics import Schedule, SimulationOptions, _compile, _engine, simulate
from theory.errors import GridError

from .conftest import logistic_eta
from .test_reference import (
    _assert_exponent,
    _cycle_exponent_reference,
    _landscape,
    cases,
    reference,
)

SETTLED = ("converged", "periodic")
STEPS = 1000


def _pair(function, eta, x0, **settings):
    kernel = simulate(function, eta, x0, STEPS, progress=False, engine="numba", **settings)
    fast = simulate(function, eta, x0, STEPS, progress=False, engine="numpy", **settings)
    return kernel, fast


@pytest.fixture(scope="module")
def f1_pair(f1):
    return _pair(f1, np.linspace(0.5, 6.0, 12), np.linspace(-6.0, 6.0, 41),
                 keep_last=3, record_loss=True)


@pytest.fixture(scope="module")
def cubic_pair(cubic):
    # the logistic map at r = 2.5 (converged), 3.3, 3.5 (periods 2, 4), 3.83 (period 3 after
    # a chaotic transient), 4.0 (chaos, ln 2); x0 outside [0, (1+eta)/eta] diverge.  The grid
    # avoids points mapped exactly onto an unstable cycle (x0 = 1.2 at r = 3.5 lands on the
    # repelling 2-cycle {6/7, 3/7}: whether rounding keeps it there is a coin toss)
    etas = [logistic_eta(r) for r in (2.5, 3.3, 3.5, 3.83, 4.0)]
    return _pair(cubic, etas, np.linspace(-0.3, 1.6, 40), keep_last=8,
                 schedule=Schedule.step_decay(100, 1.0))


def test_f1_agrees_to_the_last_digits(f1_pair):
    """f1 (Theorem 4.1): no chaos, so the engines agree to rounding in every output."""
    kernel, fast = f1_pair
    assert fast.metadata["engine"] == "numpy" and kernel.metadata["engine"] == "numba"
    assert set(kernel.class_names.ravel()) >= {"converged", "periodic"}
    np.testing.assert_array_equal(fast.classes, kernel.classes)
    np.testing.assert_array_equal(fast.period, kernel.period)
    np.testing.assert_array_equal(fast.decided_step, kernel.decided_step)
    np.testing.assert_allclose(fast.final_state, kernel.final_state, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(fast.tail, kernel.tail, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(fast.loss, kernel.loss, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(fast.lyapunov, kernel.lyapunov, rtol=1e-9, atol=1e-12)


def _on_cycle(state, tail, period, tol=1e-9):
    """Whether each ``state`` (n, d) is one of the last ``period`` points of ``tail``."""
    out = []
    for x, t, p in zip(state, tail, period, strict=True):
        cycle = t[-max(int(p), 1):]
        out.append(np.min(np.max(np.abs(cycle - x), axis=-1)) <= tol * (1 + np.max(np.abs(x))))
    return np.array(out)


def test_cubic_agrees_orbit_by_orbit(cubic_pair):
    """A function outside the catalog with every class: converged, periods 2, 4 and 3,
    chaotic and diverged orbits."""
    kernel, fast = cubic_pair
    names = kernel.class_names
    assert set(names.ravel()) == {"converged", "periodic", "chaotic", "diverged"}
    assert set(kernel.period[names == "periodic"]) == {2, 3, 4}
    np.testing.assert_array_equal(fast.classes, kernel.classes)
    np.testing.assert_array_equal(fast.period, kernel.period)
    settled = np.isin(names, SETTLED)
    # on the same cycle; a chaotic transient (r = 3.83) may end on it at another phase
    assert np.all(_on_cycle(fast.final_state[settled], kernel.tail[settled],
                            kernel.period[settled]))
    assert np.all(_on_cycle(kernel.final_state[settled], fast.tail[settled],
                            fast.period[settled]))
    np.testing.assert_allclose(fast.lyapunov[settled], kernel.lyapunov[settled], rtol=1e-9,
                               atol=1e-12)
    chaotic = names == "chaotic"
    # r = 4: the exponent is ln 2 (the logistic map's invariant density), for both engines
    for result in (kernel, fast):
        assert abs(np.median(result.lyapunov[chaotic]) - math.log(2.0)) < 0.02
    diverged = names == "diverged"
    assert not np.any(np.isfinite(fast.final_state[diverged]) & (
        np.abs(fast.final_state[diverged]) < 1e10))


@pytest.mark.parametrize("name", ["f2", "f3"])
def test_chaotic_landscapes_agree_in_distribution(name, f2, f3):
    """f2 (6.2) and f3 (2-D, with the removable singularity of f1(|x|) at the origin that
    both engines repair): settled and diverged orbits alike; chaotic orbits' exponents
    within their finite-time spread."""
    if name == "f2":
        kernel, fast = _pair(f2, [0.4, 1.5, 2.5], np.linspace(-5.0, 5.0, 31))
    else:
        x0 = np.vstack([[0.0, 0.0], np.stack([np.linspace(-4, 4, 24),
                                               np.linspace(3, -1, 24)], 1)])
        kernel, fast = _pair(f3, [0.05, 1.0, 2.0], x0)
    names, fast_names = kernel.class_names, fast.class_names
    plain = np.isin(names, (*SETTLED, "diverged")) | np.isin(fast_names, (*SETTLED, "diverged"))
    assert plain.any() and (names == "chaotic").sum() >= 10
    np.testing.assert_array_equal(fast.classes[plain], kernel.classes[plain])
    np.testing.assert_array_equal(fast.period[plain], kernel.period[plain])
    settled = np.isin(names, SETTLED)
    np.testing.assert_allclose(fast.final_state[settled], kernel.final_state[settled],
                               rtol=1e-9, atol=1e-12)
    # chaotic vs drifting/undecided is a statistical call on a finite orbit: it may flip
    # for a few orbits near the line, as between two seeds
    assert np.mean(fast.classes == kernel.classes) >= 0.9
    both = (names == "chaotic") & (fast_names == "chaotic")
    assert np.all(np.abs(fast.lyapunov[both] - kernel.lyapunov[both]) < 0.3)
    for row in range(len(kernel.eta)):
        mine = both[row]
        if mine.sum() >= 5:
            diff = np.mean(fast.lyapunov[row][mine]) - np.mean(kernel.lyapunov[row][mine])
            assert abs(diff) < 0.05


def test_quadratic_2d_against_the_formula():
    """f = x^2/2 + y^2 (d = 2, not compiled by any test): GD is linear, converged iff
    |1 - eta| < 1 and |1 - 2 eta| < 1, with exponent max_k log|1 - eta lambda_k|."""
    quadratic = Landscape("x**2/2 + y**2", name="quadratic_2d")
    etas = [0.3, 0.7, 1.2, 1.5]
    r = simulate(quadratic, etas, [[1.0, -0.5], [0.2, 0.3]], 400, progress=False,
                 engine="numpy")
    assert r.metadata["engine"] == "numpy"
    expected = ["converged", "converged", "diverged", "diverged"]
    assert [row[0] for row in r.class_names] == expected
    for k in range(2):
        lam = max(math.log(abs(1 - etas[k])), math.log(abs(1 - 2 * etas[k])))
        np.testing.assert_allclose(r.lyapunov[k], lam, rtol=1e-6)
        np.testing.assert_allclose(r.final_state[k], 0.0, atol=1e-10)


# ------------------------------------------------------------------------------ the rule


def test_auto_runs_small_sweeps_of_uncompiled_functions_on_numpy(f1, monkeypatch):
    compiled = _compile.compile_landscape(f1)
    monkeypatch.setattr(_engine, "kernel_is_compiled", lambda c: False)
    monkeypatch.setattr(_engine, "_NUMPY_WORK", {})
    assert _engine.choose_engine("auto", compiled, 10_000, 1_000, max_work=10**8) == "numpy"
    # too large: compile
    assert _engine.choose_engine("auto", compiled, 10**6, 1_000, max_work=10**8) == "numba"
    # explicit choices win
    assert _engine.choose_engine("numba", compiled, 10, 10, max_work=10**8) == "numba"
    assert _engine.choose_engine("numpy", compiled, 10**9, 10**3, max_work=0) == "numpy"
    monkeypatch.setattr(_engine, "kernel_is_compiled", lambda c: True)
    assert _engine.choose_engine("auto", compiled, 10, 10, max_work=10**8) == "numba"


def test_auto_compiles_once_small_sweeps_add_up(f1, monkeypatch):
    """A loop of small sweeps stays on NumPy only until their work passes the limit."""
    compiled = _compile.compile_landscape(f1)
    monkeypatch.setattr(_engine, "kernel_is_compiled", lambda c: False)
    monkeypatch.setattr(_engine, "_NUMPY_WORK", {})
    chosen = [_engine.choose_engine("auto", compiled, 1_000, 1_000, max_work=2_500_000)
              for _ in range(4)]
    assert chosen == ["numpy", "numpy", "numba", "numba"]
    assert _engine._NUMPY_WORK == {compiled.key: 2_000_000}


def test_auto_uses_a_compiled_kernel_and_the_environment_limit(f1, monkeypatch):
    simulate(f1, 1.0, [0.5], 10, progress=False, engine="numba")  # compiled (or loaded)
    assert _engine.kernel_is_compiled(_compile.compile_landscape(f1))
    monkeypatch.setenv("MSL_NUMPY_MAX_WORK", "1e9")
    monkeypatch.setattr(_engine, "_NUMPY_WORK", {})
    r = simulate(f1, 1.0, [0.5], 10, progress=False)  # engine="auto"
    assert r.metadata["engine"] == "numba"
    monkeypatch.setattr(_engine, "kernel_is_compiled", lambda c: False)
    r = simulate(f1, 1.0, [0.5], 10, progress=False)
    assert r.metadata["engine"] == "numpy"
    monkeypatch.setenv("MSL_NUMPY_MAX_WORK", "0")
    assert simulate(f1, 1.0, [0.5], 10, progress=False).metadata["engine"] == "numba"
    monkeypatch.setenv("MSL_NUMPY_MAX_WORK", "lots")
    with pytest.raises(GridError, match="MSL_NUMPY_MAX_WORK"):
        _engine.numpy_max_work()


def test_engine_option_is_validated():
    assert SimulationOptions(steps=10).engine == "auto"
    with pytest.raises(GridError, match="engine='gpu' must be one of auto, numba, numpy"):
        SimulationOptions(steps=10, engine="gpu")


def test_momentum_sweeps_run_on_the_numpy_engine(f1):
    """Heavy ball on f1 at eta = 1, beta = 0.5 (eta f1''(0) = 1 < 2 + 2 beta): converged; the
    NumPy momentum engine (the one event loop on 2-state array primitives; issue 19)."""
    from theory.dynamics import simulate_momentum

    r = simulate_momentum(f1, 1.0, 0.5, [0.3, -2.0], options=SimulationOptions(400,
                                                                               engine="numpy"))
    assert (r.classes == 0).all()
    np.testing.assert_allclose(r.final_state, 0.0, atol=1e-8)


def test_cli_engine_flag(capsys):
    """``msl simulate --engine numpy``: GD on x^3/3 - x^2/2 at eta = 2.5 is the logistic map
    at r = 3.5, period 4 (x0 = 1.2 is left out: it lands exactly on the repelling 2-cycle,
    where rounding decides)."""
    import json

    from msl.cli import main

    argv = ["simulate", "x**3/3 - x**2/2", "--eta", "2.5", "--x0", "0.1:1.1:8", "--steps",
            "3000", "--json", "--engine", "numpy"]
    assert main(argv) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["periods"] == {"4": 8} and len(out["attractor"]) == 4
    with pytest.raises(SystemExit) as exit_info:  # argparse: usage and one line, exit 2
        main([*argv[:-1], "gpu"])
    assert exit_info.value.code == 2
    assert "--engine" in capsys.readouterr().err


@settings(max_examples=12, deadline=None)
@given(case=cases())
@example(case=("f3", 0.5, None, np.array([[0.0, 0.0], [1e-3, -2e-3]]), 40))  # 0/0 at origin
@example(case=("cubic", logistic_eta(4.0), None, np.array([[0.3], [-0.1]]), 90))
def test_numpy_engine_every_step_matches_the_reference_map(case, f1, f2, f3, cubic):
    """The NumPy engine against the mpmath reference map of test_reference.py, one step at
    a time (so exact also for chaotic orbits): every iterate, the loss, and in 1-D the
    exponents (cycle exponent of settled orbits, running average of the others)."""
    name, eta, schedule, x0, steps = case
    landscape = _landscape(name, f1, f2, f3, cubic)
    ref = reference(landscape)
    r = simulate(landscape, eta, x0, steps, schedule=schedule, keep_last=steps + 1,
                 record_loss=True, early_exit=False, progress=False, engine="numpy")
    assert r.metadata["engine"] == "numpy"
    transient = r.metadata["transient"]
    for j in range(x0.shape[0]):
        path = r.tail[0, j]
        assert np.array_equal(path[0], x0[j])
        terms = []
        for t in range(steps):
            if not np.all(np.isfinite(path[t])):
                break
            e = eta * r.schedule.factor_at(t)
            g = ref.grad(path[t])
            expected = path[t] - e * g
            if np.all(np.isfinite(expected)):
                scale = np.abs(path[t]) + np.abs(e * g)
                assert np.all(np.abs(path[t + 1] - expected) <= 1e-13 * scale + 1e-300)
            with np.errstate(over="ignore"):
                slack = 1e-14 * (1.0 + np.max(np.abs(path[t]))) ** 2
            if np.isfinite(slack):
                assert r.loss[0, j, t] == pytest.approx(ref.f(path[t]), rel=1e-12, abs=slack)
            if landscape.dim == 1 and t >= transient:
                a = abs(1.0 - e * ref.hess(path[t])[0, 0])
                terms.append(math.log(a) if a > 0 else -math.inf)
        if r.class_names[0, j] in SETTLED and landscape.dim == 1:
            # in 1-D exactly (1/p) sum log|1 - eta f''| over the cycle.  (In 2-D the tangent
            # runs ~64 steps from the float state; on f3's repelling fixed point at the
            # origin that path leaves the point and the exponent is ill-conditioned at the
            # 1e-8 level -- compared with the kernel in test_chaotic_landscapes_... instead)
            expected = _cycle_exponent_reference(ref, r.final_state[0, j].copy(),
                                                 eta * r.schedule.factors[-1],
                                                 int(r.period[0, j]), 1)
            _assert_exponent(r.lyapunov[0, j], expected, rel=1e-8)
        elif landscape.dim == 1 and len(terms) == steps - transient and np.isfinite(
                r.lyapunov[0, j]):
            _assert_exponent(r.lyapunov[0, j], float(np.mean(terms)), rel=1e-9)


@pytest.mark.parametrize("text", [
    "Piecewise((x**2, x < 1), (2*x - 1, True)) + Abs(x)**3",
    "Max(x**2, x**4/4) + Min(x, 0)**2 + sign(x)*x**3",
    "erf(x)*x + atan(x)**2 + (1 + x**2)**(3/2)",
    "log(1 + x**2) + exp(x/3) - 1 + cosh(x/2) + x**2*cbrt(1 + x**2)",
    "x**2*y**2/2 + y**4/4 + sin(x)*cos(y) + tanh(x + y)",
])
def test_numpy_functions_against_the_landscape(text):
    """The printer's constructs (Piecewise, Abs, sign, Max/Min, erf, half and third powers,
    log1p/expm1 rewriting) evaluated on arrays, against theory.Landscape's own evaluation
    (sympy lambdify, independent of the printer)."""
    import sympy as sp

    from theory.dynamics._numpy_functions import numpy_functions

    landscape = Landscape(sp.sympify(text, locals={"x": sp.Symbol("x", real=True),
                                                   "y": sp.Symbol("y", real=True)}))
    d = landscape.dim
    fn = numpy_functions(f"test-{text}", landscape.variables, landscape.expr,
                         landscape.gradient_exprs, landscape.hessian_exprs)
    points = np.random.default_rng(7).uniform(-2.5, 2.5, (50, d))
    coords = tuple(points.T)
    np.testing.assert_allclose(fn.loss(*coords)[0], landscape.value(points), rtol=1e-12)
    values = fn.grad_hess(*coords)
    np.testing.assert_allclose(np.array(values[:d]).T, landscape.gradient(points), rtol=1e-11,
                               atol=1e-13)
    hessian = landscape.hessian(points)
    upper = [hessian[:, j, k] for j in range(d) for k in range(d) if j <= k]
    np.testing.assert_allclose(np.array(values[d:]), np.array(upper), rtol=1e-10, atol=1e-12)


def test_numpy_engine_is_a_cpu_engine(f1):
    pytest.importorskip("torch")
    with pytest.raises(GridError, match="engine='numpy' runs on the CPU; device='torch-cpu'"):
        simulate(f1, 1.0, [0.5], 10, progress=False, engine="numpy", device="torch-cpu")
