"""Compiled momentum sweeps over learning rate x momentum x initial point (issue 13).

:func:`simulate_momentum` runs heavy-ball or Nesterov momentum (kernels:
:mod:`._momentum_template`) on a 1-D function from every x0 with every (eta, beta), and
classifies each orbit of the 2-state (x_t, x_{t-1}) with GD's rules (converged / period p /
chaotic / diverged / undecided / drifting; :mod:`._support`), with Lyapunov exponents of the 2-state
map.  Settings come from :class:`~theory.dynamics.SimulationOptions`, learning-rate
schedules included (tails and loss records are for the single-state maps only).  With
beta = 0 the classes, periods, decision steps and final states are GD's
(:func:`~theory.dynamics.simulate`) bit for bit.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from pathlib import Path
from string import Template

import numpy as np

from theory import validation
from theory.dynamics import _elementary, _float_rules, _settings, _support
from theory.dynamics._compile import (
    _source_hash,
    _write_once,
    compile_landscape,
    import_generated,
)
from theory.dynamics._errors import InitialPointError
from theory.dynamics._event_loop import EVENT_LOOP_SOURCE
from theory.dynamics._momentum_template import MOMENTUM_SOURCE
from theory.dynamics._options import SimulationOptions
from theory.dynamics._progress import chunk_progress
from theory.dynamics._result import class_counts
from theory.dynamics._settings import KernelOutputs, kernel_settings
from theory.dynamics._support import CLASS_NAMES
from theory.errors import GridError
from theory.validation import json_safe

__all__ = ["MOMENTUM_METHODS", "MomentumSweep", "momentum_kernel", "simulate_momentum"]

MOMENTUM_METHODS = ("momentum", "nesterov")
_LOCK = threading.Lock()
_LOADED: dict[str, object] = {}
#: the record's tail and loss (momentum sweeps record neither)
_NO_TAIL = np.empty((0, 0, 2))
_NO_LOSS = np.empty((0, 0))


def momentum_kernel(compiled):
    """The generated momentum module on top of a compiled 1-D GD module (cached on disk)."""
    gd_name = compiled.path.stem
    text = Template(MOMENTUM_SOURCE).substitute(GD_MODULE=gd_name) + (
        "\n\n# the event loop, printed from theory.dynamics._event_loop\n"
        '@njit(inline="always", **_JIT)\n'
        + EVENT_LOOP_SOURCE)
    key = _source_hash(text, Path(_support.__file__).read_text(),
                       Path(_elementary.__file__).read_text(),
                       Path(_settings.__file__).read_text(),
                       Path(_float_rules.__file__).read_text())
    with _LOCK:
        if key in _LOADED:
            return _LOADED[key]
        name = f"msl_momentum_{key}"
        path = compiled.path.parent / f"{name}.py"
        _write_once(path, text)
        module = import_generated(name, path)
        _LOADED[key] = module
        return module


def _numpy_run(compiled):
    """The NumPy momentum engine (:mod:`._momentum_numpy`) with the landscape's NumPy
    derivatives bound: the compiled kernel's arguments, nothing compiled."""
    from functools import partial

    from theory.dynamics import _momentum_numpy
    from theory.dynamics._numpy_functions import numpy_functions

    land = compiled.landscape
    fn = numpy_functions(compiled.key, land.variables, land.expr, land.gradient_exprs,
                         land.hessian_exprs)
    return partial(_momentum_numpy.run, fn)


def _beta_grid(beta) -> np.ndarray:
    try:
        grid = np.atleast_1d(np.asarray(beta, dtype=float))
    except (TypeError, ValueError):
        raise GridError(f"beta={beta!r} is not a number or a grid of numbers") from None
    if grid.ndim != 1 or grid.size == 0:
        raise GridError(f"beta must be a number or a non-empty 1-D grid; got shape {grid.shape}")
    bad = grid[~((grid >= 0) & (grid < 1))]
    if bad.size:
        raise GridError(f"beta={float(bad[0])!r} is outside [0, 1): momentum must satisfy "
                        "0 <= beta < 1")
    return np.ascontiguousarray(grid)


@dataclass(frozen=True, eq=False)
class MomentumSweep:
    """Fates of a momentum method on a grid eta x beta x x0 (1-D function).

    ``final_state`` (n_eta, n_beta, n_x0, 2) holds (x_T, x_{T-1}); ``classes``, ``period``,
    ``lyapunov``, ``decided_step`` are (n_eta, n_beta, n_x0), as in
    :class:`~theory.dynamics.SimulationResult`.
    """

    eta: np.ndarray
    beta: np.ndarray
    x0: np.ndarray
    final_state: np.ndarray
    classes: np.ndarray
    period: np.ndarray
    lyapunov: np.ndarray
    decided_step: np.ndarray
    metadata: dict = field(default_factory=dict)

    def class_counts(self) -> dict[str, int]:
        return class_counts(self.classes)

    def fraction(self, name: str, period: int | None = None) -> np.ndarray:
        """Fraction of x0 per (eta, beta) in class ``name`` (and with ``period``)."""
        hit = self.classes == CLASS_NAMES.index(name)
        if period is not None:
            hit &= self.period == period
        return hit.mean(axis=2)

    def save(self, path) -> Path:
        """``.npz`` arrays plus the metadata as JSON inside (readable with numpy alone)."""
        from theory.files import atomic_savez

        path = Path(path)
        atomic_savez(path, eta=self.eta, beta=self.beta, x0=self.x0, final_state=self.final_state,
                 classes=self.classes, period=self.period, lyapunov=self.lyapunov,
                 decided_step=self.decided_step,
                 metadata=np.array(json.dumps(json_safe(self.metadata))))
        return path


def simulate_momentum(function, eta, beta, x0, steps: int | None = None, *,
                      method: str = "momentum", options: SimulationOptions | None = None,
                      progress=False) -> MomentumSweep:
    """Heavy-ball (``method="momentum"``) or Nesterov momentum from every x0 (x_{-1} = x_0)
    with every (eta, beta); see the module docstring.  ``function`` must be 1-D."""
    if method == "gd":  # not "must be one of momentum, nesterov": say where GD is
        raise GridError("method='gd' is plain gradient descent, which this momentum sweep does "
                        "not run: use theory.dynamics.simulate (or beta=0 with 'momentum')")
    validation.choice("method", method, MOMENTUM_METHODS, error=GridError)
    eta_grid = validation.learning_rate_grid(eta)
    beta_grid = _beta_grid(beta)
    if options is None:
        if steps is None:
            raise GridError("steps is missing: give steps=T (or options=SimulationOptions(T))")
        options = SimulationOptions(steps=steps)
    elif not isinstance(options, SimulationOptions):
        raise GridError(f"options={options!r} must be a theory.dynamics.SimulationOptions")
    elif steps is not None:
        options = options.replace(steps=steps)
    if options.keep_last or options.record_loss:
        raise GridError("momentum sweeps take no keep_last or record_loss (single-state maps "
                        "only)")
    compiled = compile_landscape(function)
    if compiled.dim != 1:
        raise GridError(f"function={compiled.name!r} has {compiled.dim} variables; momentum "
                        "sweeps are for 1-D functions")
    x0_grid = np.atleast_1d(np.asarray(x0, dtype=float)).ravel()
    if x0_grid.size == 0 or not np.all(np.isfinite(x0_grid)):
        raise InitialPointError("x0 must be a non-empty grid of finite numbers")
    n_eta, n_beta, n_x0 = eta_grid.size, beta_grid.size, x0_grid.size
    n_points = n_eta * n_beta * n_x0
    opts = options.resolved(n_points, x0_grid[:, None])
    kernel_run = _numpy_run(compiled) if opts.engine == "numpy" else momentum_kernel(
        compiled).run
    out_x = np.empty((n_points, 2))
    out_class = np.empty(n_points, np.int8)
    out_period = np.empty(n_points, np.int32)
    out_lyap = np.empty(n_points)
    out_step = np.empty(n_points, np.int32)
    chunk = opts.chunk_size
    assert chunk is not None  # resolved above
    n_chunks = -(-n_points // chunk)
    with chunk_progress(progress, n_points, n_chunks, f"{method} {compiled.name}") as done:
        for c in range(n_chunks):
            start, stop = c * chunk, min(n_points, (c + 1) * chunk)
            settings = kernel_settings(opts, 1, start, stop, 0)
            outputs = KernelOutputs(out_x[start:stop], out_class[start:stop],
                                    out_period[start:stop], out_lyap[start:stop],
                                    out_step[start:stop], _NO_TAIL, _NO_LOSS)
            kernel_run(x0_grid, eta_grid, beta_grid, method == "nesterov", settings, outputs)
            done(c, stop - start)
    shape = (n_eta, n_beta, n_x0)
    metadata = {"function": compiled.name, "expression": str(compiled.expr), "method": method,
                **opts.to_dict(), "history": opts.history, "block": opts.block}
    return MomentumSweep(eta_grid, beta_grid, x0_grid, out_x.reshape(*shape, 2),
                         out_class.reshape(shape), out_period.reshape(shape),
                         out_lyap.reshape(shape), out_step.reshape(shape), metadata)
