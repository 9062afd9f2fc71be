"""One event-loop source for every engine (issue 19, theory/dynamics/_event_loop.py).

The Numba kernels (every single-state map and the momentum kernels) print the source of
``event_loop`` into their generated modules; the NumPy engine, the PyTorch engine and the
undecided-reasons replay bind the same source to their primitives.  The engines then agree
on every orbit's class: f1 (Theorem 4.1: converged below eta = 2/f1''(0) = 2, the period-2
orbit {+-x_eta} above, diverged beyond the bound) for every optimizer of the registry that
runs on them, in 1-D and, where the map allows, 2-D.
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

from theory.dynamics import simulate
from theory.dynamics._event_loop import EVENT_LOOP_SOURCE, PRIMITIVES
from theory.optimizers import MAPS

SINGLE = [name for name, m in MAPS.items() if m.single_state]
PARAMS = {"gd-wd": {"weight_decay": 0.25}}
ETA = [0.5, 1.5, 3.0, 6.0]
X0 = np.linspace(-3.0, 3.0, 7)


def _module_text(name: str, dim: int) -> str:
    from theory.dynamics._codegen import module_source

    xs = sp.symbols(f"x y:{dim - 1}") if dim > 1 else (sp.Symbol("x"),)
    expr = sp.log(sp.cosh(xs[0])) + sum(v**2 for v in xs[1:])
    grad = [sp.diff(expr, v) for v in xs]
    hess = [[sp.diff(expr, a, b) for b in xs] for a in xs]
    return module_source(name="t", expr=expr, variables=xs, gradient=grad, hessian=hess,
                         optimizer=name)


@pytest.mark.parametrize("name", SINGLE)
@pytest.mark.parametrize("dim", [1, 2])
def test_every_numba_module_prints_the_one_event_loop(name, dim):
    """The loop's text appears once, verbatim, and the module defines every primitive."""
    text = _module_text(name, dim)
    assert text.count(EVENT_LOOP_SOURCE) == 1
    assert text.count("while t < steps") == 1  # no second copy of the loop
    for primitive in PRIMITIVES:
        assert f"\ndef {primitive}(" in text
    compile(text, "<kernel>", "exec")


def test_momentum_module_prints_the_one_event_loop():
    from theory.dynamics._momentum_template import MOMENTUM_SOURCE

    assert "while t < steps" not in MOMENTUM_SOURCE
    for primitive in PRIMITIVES:
        assert f"\ndef {primitive}(" in MOMENTUM_SOURCE


def test_python_engines_and_the_replay_bind_the_same_code():
    pytest.importorskip("torch")
    from theory.dynamics import _gpu_kernel, _numpy_kernel, _reasons

    loops = [_numpy_kernel._EVENT_LOOP, _gpu_kernel._EVENT_LOOP, _reasons._replay]
    assert len({loop.__code__.co_code for loop in loops}) == 1
    assert {loop.__code__.co_filename for loop in loops} == {
        "<msl event loop: numpy>", "<msl event loop: torch>", "<msl event loop: replay>"}


def _engines(function, name, eta, x0, **kw):
    m = MAPS[name]
    kw = {"optimizer": name, "params": PARAMS.get(name, {}), "progress": False, **kw}
    runs = {"numpy": simulate(function, eta, x0, 300, engine="numpy", **kw)}
    if "torch" in m.capabilities:
        pytest.importorskip("torch")
        runs["torch-cpu"] = simulate(function, eta, x0, 300, device="torch-cpu", **kw)
    return runs


@pytest.mark.parametrize("name", SINGLE)
def test_engines_agree_on_f1_for_every_single_state_map(name):
    runs = _engines("f1", name, ETA, X0, bound=50.0)
    runs["numba"] = simulate("f1", ETA, X0, 300, engine="numba", optimizer=name,
                             params=PARAMS.get(name, {}), progress=False, bound=50.0)
    classes = runs["numba"].class_names
    if name == "gd":  # Theorem 4.1 (f1''(0) = 1): converged below 2, period 2 above
        assert (classes[0] == "converged").all() and (classes[1] == "converged").all()
        assert (classes[2][X0 != 0] == "periodic").all()
    for engine, r in runs.items():
        np.testing.assert_array_equal(r.class_names, classes, err_msg=f"{name} {engine}")
        np.testing.assert_array_equal(r.period, runs["numba"].period, err_msg=engine)


@pytest.mark.parametrize("name", [n for n in SINGLE if "dims" in MAPS[n].capabilities])
def test_python_engines_agree_in_two_dimensions(name):
    """f3 (2-D): the NumPy and the PyTorch engine, from the same loop, orbit by orbit where
    the orbit settles (chaotic orbits amplify the engines' few-ulp differences of the
    elementary functions: their chaotic/drifting verdicts may differ)."""
    x0 = [[a, b] for a in (-2.0, 0.5, 2.0) for b in (-1.0, 1.5)]
    runs = _engines("f3", name, [0.1, 0.3, 1.0, 2.5], x0)
    classes = runs.pop("numpy").class_names
    settled = np.isin(classes, ["converged", "periodic", "diverged"])
    assert settled.sum() >= 6
    for engine, r in runs.items():
        np.testing.assert_array_equal(r.class_names[settled], classes[settled],
                                      err_msg=f"{name} {engine}")


@pytest.mark.parametrize("method", ["momentum", "nesterov"])
def test_momentum_engines_agree(method):
    """Heavy ball / Nesterov on f1 (period 2 above (2 + 2 beta)/f1''(0), converged below) and
    on the overflowing bump (the float rules): the Numba and the NumPy momentum engines run
    the same loop; classes, periods, decision steps and reasons agree on every settled orbit
    and on f1 everywhere."""
    from theory.dynamics import SimulationOptions, simulate_momentum, undecided_reasons

    for function, x0 in (("f1", np.linspace(-4.0, 4.0, 9)),
                         ("log(cosh(x))+x**4*exp(-x**2)", [1e200, 1e52, 1.0, -2.0])):
        runs = [simulate_momentum(function, [0.5, 2.0, 3.5], [0.0, 0.3, 0.8], x0,
                                  method=method, options=SimulationOptions(600, engine=e))
                for e in ("numba", "numpy")]
        # converged, periodic, diverged in both (a slow transient may end either side of
        # the last check on engines a few ulp apart)
        settled = np.isin(runs[0].classes, [0, 1, 3]) & np.isin(runs[1].classes, [0, 1, 3])
        if function == "f1":  # no chaos, no slow transient: every orbit agrees
            settled[...] = True
            np.testing.assert_array_equal(undecided_reasons(runs[1]), undecided_reasons(runs[0]))
        else:  # the float rules: not representable from 1e200, stalled at 1e52
            for r in runs:
                assert (undecided_reasons(r)[..., 0] == 5).all()
                assert (undecided_reasons(r)[..., 1] == 6).all()
        for name in ("classes", "period", "decided_step"):
            np.testing.assert_array_equal(getattr(runs[1], name)[settled],
                                          getattr(runs[0], name)[settled], err_msg=name)
