"""The optimizer registry (issue 19): one vocabulary, thresholds against sympy's derivation
from each map's own step, every engine's source for every map, new maps against plain
Python iterations, and the extension point's file count."""

from __future__ import annotations

import ast
import math
import re
from pathlib import Path

import numpy as np
import pytest
import sympy as sp

from theory.optimizers import (
    MAPS,
    OPTIMIZER_NAMES,
    HeavyBall,
    Nesterov,
    OptimizerError,
    derive,
    get_map,
    hyper_values,
    learning_rate_threshold,
)

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("theory", "empirical", "proofs_check", "msl")
SINGLE = [name for name, m in MAPS.items() if m.single_state]
#: the optimizers added through the extension point: at most 3 package files each
EXTENSIONS = ("normalized-gd", "gd-wd")


def test_registry_is_the_vocabulary():
    from msl._optimizer_args import OPTIMIZER_CHOICES
    from proofs_check.strategies import OPTIMIZERS

    assert OPTIMIZER_NAMES == tuple(MAPS) == OPTIMIZERS
    assert set(OPTIMIZER_NAMES) <= set(OPTIMIZER_CHOICES)
    assert {"gd", "momentum", "nesterov", "sgd", "normalized-gd", "gd-wd"} <= set(MAPS)
    assert get_map("heavy-ball") is MAPS["momentum"]
    with pytest.raises(OptimizerError, match="adam"):
        get_map("adam")


def test_hyperparameters_are_validated_and_named():
    assert hyper_values("gd-wd", {"weight_decay": 0.5}) == (("weight_decay", 0.5),)
    with pytest.raises(OptimizerError, match="weight_decay"):
        hyper_values("gd-wd", {})
    with pytest.raises(OptimizerError, match="weight_decay=-1"):
        hyper_values("gd-wd", {"weight_decay": -1})
    with pytest.raises(OptimizerError, match=r"weight_decay=0\.5"):
        hyper_values("gd", {"weight_decay": 0.5})


@pytest.mark.parametrize("beta", [0.0, 0.3, 0.8])
@pytest.mark.parametrize("kind", ["momentum", "nesterov"])
def test_momentum_thresholds_match_sympys_derivation(kind, beta):
    """The registry's text equals the flip threshold sympy derives from the map's step
    (theory.optimizers.derive: chi(-1) = 0 of the linearised 2-state map)."""
    optimizer = HeavyBall(beta) if kind == "momentum" else Nesterov(beta)
    c = 1.7
    derived = derive(optimizer).threshold.subs({sp.Symbol("beta", nonnegative=True): beta,
                                                 sp.Symbol("c", positive=True): c})
    assert learning_rate_threshold(kind, c, {"beta": beta}) == pytest.approx(float(derived))


def test_single_state_thresholds_from_the_jacobian_at_the_minimum():
    """eta* where the step's derivative at the minimum of f = c x^2/2 reaches -1: GD 2/c,
    gd-wd 2/(c + wd) (the map's own text, differentiated by sympy)."""
    c, wd = 1.3, 0.5
    x, e = sp.symbols("x_0 e")
    for name, params in (("gd", {}), ("gd-wd", {"weight_decay": wd})):
        m = MAPS[name]
        step = sp.sympify(m.update(0, 1), locals={"x_0": x, "g_0": c * x, "e": e,
                                                   **{k: sp.Float(v) for k, v in params.items()}})
        slope = sp.diff(step.subs("g_0", c * x), x)
        root = float(sp.solve(sp.Eq(slope, -1), e)[0])
        assert learning_rate_threshold(name, c, params) == pytest.approx(root, rel=1e-12)
    assert learning_rate_threshold("normalized-gd", c) is None


@pytest.mark.parametrize("name", SINGLE)
@pytest.mark.parametrize("dim", [1, 2])
def test_every_engine_source_compiles_for_every_map(name, dim):
    """The Numba module text, the NumPy/PyTorch step text and the tangent text of every
    single-state map parse and compile (Python bytecode; no JIT)."""
    from theory.dynamics._codegen import module_source
    from theory.dynamics._map_step import array_step, array_step_source

    xs = sp.symbols(f"x y:{dim - 1}") if dim > 1 else (sp.Symbol("x"),)
    expr = sp.log(sp.cosh(xs[0])) + sum(v**2 for v in xs[1:])
    grad = [sp.diff(expr, v) for v in xs]
    hess = [[sp.diff(expr, a, b) for b in xs] for a in xs]
    text = module_source(name="t", expr=expr, variables=xs, gradient=grad, hessian=hess,
                         optimizer=name)
    compile(text, "<kernel>", "exec")
    compile(array_step_source(name, dim), "<step>", "exec")
    for backend in ("numpy", "torch"):
        assert array_step(name, dim, backend).dim == dim


def _reference_orbit(update, x0: float, eta: float, steps: int) -> list[float]:
    """A plain Python loop with f1'(x) written out: f1 = sqrt(1 + x^2) - 1 ... (the
    catalog's f1 is checked against this derivative below)."""
    xs = [x0]
    for _ in range(steps):
        xs.append(update(xs[-1], eta))
    return xs


def _f1_prime():
    from theory.resolver import as_landscape

    land = as_landscape("f1")
    return sp.lambdify(land.variables[0], land.gradient_exprs[0], "mpmath")


@pytest.mark.parametrize("engine", ["numpy", "torch-cpu"])
@pytest.mark.parametrize("name", EXTENSIONS)
def test_new_maps_follow_their_update_rule(name, engine):
    """The last iterates of a sweep equal the update rule iterated in plain Python
    (mpmath derivative; wd = 0.5)."""
    from theory.dynamics import simulate

    fprime = _f1_prime()
    wd = 0.5
    if name == "gd-wd":
        def update(x, eta):
            return float(x - eta * (float(fprime(x)) + wd * x))
        params = {"weight_decay": wd}
    else:
        def update(x, eta):
            g = float(fprime(x))
            return float(x - eta * g / abs(g)) if g != 0 else x
        params = {}
    eta, x0 = np.array([0.3, 1.7]), np.array([-2.5, 0.7, 2.9])
    kw = {"device": "torch-cpu"} if engine == "torch-cpu" else {"engine": engine}
    r = simulate("f1", eta, x0, 40, keep_last=41, early_exit=False, lyapunov=False,
                 optimizer=name, params=params, progress=False, **kw)
    for i, e in enumerate(eta):
        for j, x in enumerate(x0):
            ref = _reference_orbit(update, float(x), float(e), 40)
            np.testing.assert_allclose(r.tail[i, j, :, 0], ref, rtol=1e-12, atol=1e-12)
    assert r.metadata["optimizer"] == name


def test_gd_wd_stability_boundary_in_a_sweep():
    """gd-wd on f1 (f''(0) = 1) converges to 0 below eta = 2/(1 + wd) and not above."""
    from theory.dynamics import CLASS_NAMES, simulate

    wd = 0.5
    star = 2 / (1 + wd)
    r = simulate("f1", [0.9 * star, 1.1 * star], [0.3, -0.4], 3000, optimizer="gd-wd",
                 params={"weight_decay": wd}, engine="numpy", progress=False)
    conv = CLASS_NAMES.index("converged")
    assert (r.classes[0] == conv).all() and np.abs(r.final_state[0]).max() < 1e-8
    assert not (r.classes[1] == conv).any()


def _package_files() -> list[Path]:
    return [p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py")]


@pytest.mark.parametrize("name", EXTENSIONS)
def test_extension_touches_at_most_three_package_files(name):
    """Every package file that names the optimizer is in its registry entry's file list,
    and there are at most 3 (the extension point: the registry entry is enough)."""
    pattern = re.compile(rf"[\"']{re.escape(name)}[\"']")
    naming = sorted(str(p.relative_to(ROOT)) for p in _package_files()
                    if pattern.search(p.read_text()))
    files = MAPS[name].files
    assert len(files) <= 3
    assert set(naming) <= set(files), naming
    for f in files:
        assert (ROOT / f).is_file()


@pytest.mark.parametrize("name", list(MAPS))
def test_registry_files_exist(name):
    for f in MAPS[name].files:
        assert (ROOT / f).is_file(), f


def test_step_text_is_what_the_numpy_engine_computes_for_gd():
    """GD's printed step is x - e g and its tangent v - e (H v) (the kernels' arithmetic)."""
    from theory.dynamics._map_step import array_step

    step = array_step("gd", 1, "numpy")
    x, g, e = np.array([1.5]), np.array([0.25]), np.array([2.0])
    assert step.step((x,), (g,), e, ())[0][0] == 1.5 - 2.0 * 0.25
    assert step.tangent((x,), (g,), (np.array([1.0]),), [np.array([3.0])], e, ())[0][0] == \
        1.0 - 2.0 * 3.0
    assert math.isfinite(float(step.step((x,), (g,), e, ())[0][0]))


def test_numba_kernel_text_has_the_maps_step():
    from theory.dynamics._codegen import module_source

    x = sp.Symbol("x")
    expr = sp.log(sp.cosh(x))
    text = module_source(name="t", expr=expr, variables=(x,), gradient=[sp.diff(expr, x)],
                         hessian=[[sp.diff(expr, x, 2)]], optimizer="gd-wd")
    assert "y_0 = x_0 - e * (g_0 + weight_decay * x_0)" in text
    assert "weight_decay = P[0]" in text
    tree = ast.parse(text)
    run = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "run")
    assert [a.arg for a in run.args.args] == ["X0", "ETA", "S", "OUT"]


def test_momentum_takes_a_schedule():
    """Heavy ball on f1 (f''(0) = 1, beta = 0.2: threshold (2 + 2 beta) = 2.4) at eta = 3
    does not converge; halving the rate at step 200 (eta 1.5 < 2.4) makes it converge, and
    the final states follow the heavy-ball rule iterated in plain Python with the schedule."""
    from theory.dynamics import CLASS_NAMES, SimulationOptions, simulate_momentum
    from theory.schedule import Schedule

    fprime = _f1_prime()
    x0 = np.array([-1.3, 0.4, 2.2])
    steps = 600
    for factor, converges in ((0.5, True), (0.95, False)):
        options = SimulationOptions(steps, schedule=Schedule.step_decay(200, factor))
        r = simulate_momentum("f1", [3.0], [0.2], x0, options=options)
        conv = r.classes[0, 0] == CLASS_NAMES.index("converged")
        assert conv.all() if converges else not conv.any()
        for j, x in enumerate(x0):
            x, prev = float(x), float(x)
            for t in range(steps):
                e = 3.0 * (1.0 if t < 200 else factor)
                x, prev = x - e * float(fprime(x)) + 0.2 * (x - prev), x
            np.testing.assert_allclose(r.final_state[0, 0, j, 0], x, rtol=1e-8, atol=1e-9)
