"""Run compiled GD over a grid of learning rates x initial points and classify every orbit.

The iteration is (4.1), ``x_{t+1} = x_t - eta_t grad f(x_t)``, with ``eta_t = eta * factor``
from a piecewise-constant :class:`Schedule`.  Theorem 4.1 predicts, for a strictly
subquadratic f (e.g. f1 of Fig. 4.1): convergence to 0 for ``eta < 2/f''(0)`` and, above the
threshold, convergence to the period-2 orbit ``{+-x_eta}`` for almost every x0; Fig. 4.1
shows chaotic but bounded GD for the non-convex f2 (6.2) and f3.  The simulator measures
which of these happens, point by point (classification rules: :mod:`._support` and
docs/simulator.md).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable

import numpy as np

from theory import validation
from theory.dynamics._compile import CompiledLandscape, compile_landscape
from theory.dynamics._engine import choose_engine, engine_run
from theory.dynamics._errors import InitialPointError
from theory.dynamics._gpu import device_chunk_size, device_kernels, validate_device
from theory.dynamics._memory import check_simulation_memory
from theory.dynamics._options import CYCLE_STEPS, SimulationOptions, history_length
from theory.dynamics._progress import chunk_progress
from theory.dynamics._result import SimulationResult
from theory.dynamics._settings import kernel_outputs, kernel_settings
from theory.dynamics._store import open_store, released_on_error
from theory.dynamics._support import MIN_WINDOW
from theory.errors import GridError

__all__ = ["SimulationOptions", "package_version", "simulate"]


def package_version() -> str:
    """The installed version of multiscale-landscapes (theory.__version__ as a fallback)."""
    try:
        from importlib.metadata import PackageNotFoundError, version

        return version("multiscale-landscapes")
    except (ImportError, PackageNotFoundError):
        import theory

        return str(getattr(theory, "__version__", "unknown"))


def _x0_grid(x0, dim: int, name: str) -> np.ndarray:
    if np.iscomplexobj(x0):
        raise InitialPointError("x0 has complex values; initial points must be real")
    try:
        grid = np.asarray(x0, dtype=float)
    except (TypeError, ValueError):
        raise InitialPointError(f"x0={x0!r} is not an array of numbers") from None
    if dim == 1:
        if grid.ndim == 0:
            grid = grid.reshape(1, 1)
        elif grid.ndim == 1:
            grid = grid[:, None]
        elif not (grid.ndim == 2 and grid.shape[1] == 1):
            raise InitialPointError(
                f"x0 has shape {grid.shape}; {name!r} is 1-D: give shape (N,) or (N, 1)"
            )
    else:
        if grid.ndim == 1 and grid.shape[0] == dim:
            grid = grid[None, :]
        if not (grid.ndim == 2 and grid.shape[1] == dim):
            raise InitialPointError(
                f"x0 has shape {grid.shape}; {name!r} has {dim} variables: give shape "
                f"(N, {dim}) or ({dim},)"
            )
    if grid.shape[0] == 0:
        raise InitialPointError("x0 is an empty grid; give at least one initial point")
    if not np.all(np.isfinite(grid)):
        raise InitialPointError("x0 contains nan or inf; initial points must be finite")
    return np.ascontiguousarray(grid)


def _load_finished(path, metadata: dict, eta: np.ndarray, x0: np.ndarray
                   ) -> SimulationResult | None:
    """The stored result if it is readable and of this sweep; None (recompute) otherwise."""
    try:
        result = SimulationResult.load(path)
    except Exception:  # truncated, emptied or foreign: assemble it again from the chunks
        return None
    wanted = json.loads(json.dumps(metadata))
    same = all(result.metadata.get(k) == v for k, v in wanted.items() if k != "version")
    grids = (result.eta.shape == eta.shape and np.array_equal(result.eta, eta)
             and result.x0.shape == x0.shape and np.array_equal(result.x0, x0))
    return result if same and grids else None


def _saved_chunk(store, index: int, out: dict, size: int) -> dict | None:
    """Chunk ``index`` from the store if it is there, readable and of the right shape."""
    if store is None or not store.has(index):
        return None
    saved = store.load(index)
    if saved is None or set(saved) != set(out):
        return None
    for name, array in out.items():
        if saved[name].shape != (size, *array.shape[1:]):
            return None
    return saved


def _fingerprint(description: dict, eta: np.ndarray, x0: np.ndarray) -> str:
    digest = hashlib.sha256(json.dumps(description, sort_keys=True).encode())
    digest.update(eta.tobytes())
    digest.update(x0.tobytes())
    return digest.hexdigest()


# ---------------------------------------------------------------------------- simulate


def _options(steps, options: SimulationOptions | None, settings: dict) -> SimulationOptions:
    unknown = sorted(set(settings) - set(SimulationOptions.field_names()))
    if unknown:
        raise GridError(
            f"simulate() got unknown setting(s) {', '.join(unknown)}; the settings are "
            f"{', '.join(SimulationOptions.field_names())}")
    if options is None:
        if steps is None:
            raise GridError("steps is missing: give steps=T (or options=SimulationOptions(T))")
        return SimulationOptions(steps=steps, **settings)
    if not isinstance(options, SimulationOptions):
        raise GridError(f"options={options!r} must be a theory.dynamics.SimulationOptions")
    if steps is not None:
        settings = {"steps": steps, **settings}
    return options.replace(**settings) if settings else options


def simulate(
    function,
    eta,
    x0,
    steps: int | None = None,
    *,
    options: SimulationOptions | None = None,
    store=None,
    scheduler=None,
    progress: bool | Callable[[int, int], None] = True,
    device: str = "cpu",
    **settings,
) -> SimulationResult:
    """Run GD (4.1) from every initial point in ``x0`` with every learning rate in ``eta``.

    Parameters
    ----------
    function : catalog name, expression in x, sympy expression, Subquadratic, Landscape, or
        an object with ``.landscape`` (compiled once per machine, cached on disk).
    eta : learning rate(s) > 0, a number or 1-D grid (the initial rates of ``schedule``).
    x0 : initial point(s): shape (N,) for a 1-D function, (N, d) (or (d,)) in d dimensions.
    steps : number of GD steps T >= 1 (iterates x_0, ..., x_T); may instead be given in
        ``options``.
    options : a :class:`SimulationOptions` (steps, schedule, tolerances, classification and
        work layout); ``settings`` given as keywords (``schedule=``, ``period_max=``,
        ``rtol=``, ``atol=``, ``bound=``, ``chaos_threshold=``, ``transient=``,
        ``lyapunov=``, ``keep_last=``, ``record_loss=``, ``early_exit=``, ``chunk_size=``,
        ``block=``, ``engine=``) build one or override its fields; see
        :class:`SimulationOptions`.
    store : directory for chunk files: an interrupted sweep re-run with the same store and
        arguments resumes from the chunks saved and gives the same result (a path ending in
        ``.zarr``: a Zarr store, readable while the sweep runs; needs zarr).
    scheduler : where the chunks run: None (this process, the default), a
        ``distributed.Client``, a scheduler address ``"tcp://host:8786"``, or ``"local:N"``
        (a LocalCluster of N worker processes, closed afterwards); each chunk is one task, the
        results are bitwise those of the in-process run (docs/distributed.md; needs the
        ``cluster`` extra).
    progress : show a tqdm bar (True), nothing (False), or call ``progress(done, total)``
        after every chunk.
    device : "cpu" (the Numba kernel, default), "cuda" / "cuda:N" (a PyTorch kernel generated
        from the same derivatives, its hot loop a numba-cuda kernel where numba's CUDA target
        works, on a GPU; same classification, results equal to rounding, docs/gpu.md) or
        "torch-cpu" (that kernel on the CPU, for testing it).  A
        :class:`DeviceError` names ``device`` when CUDA or PyTorch is missing.

    The resolved options are stored in the result's metadata (``result.metadata``), with
    the engine that ran (``metadata["engine"]``: ``"numba"``, the compiled kernel, or
    ``"numpy"``, chosen by ``engine=``; see :mod:`theory.dynamics._engine`).
    """
    # copies: the result freezes its arrays, and must neither freeze nor alias the caller's
    # (a read-only array is another Numba type: reusing it would compile the kernel again)
    eta_grid = np.array(validation.learning_rate_grid(eta), dtype=float, copy=True)
    opts = _options(steps, options, settings)
    if not (isinstance(progress, bool) or callable(progress)):
        raise GridError(f"progress={progress!r} must be True, False or a callable(done, total)")
    if store is not None and not isinstance(store, (str, os.PathLike)):
        raise GridError(f"store={store!r} must be a directory path (str or pathlib.Path)")
    device = validate_device(device)  # before any work: no GPU, no torch -> DeviceError
    if device != "cpu" and opts.engine == "numpy":
        raise GridError(f"engine='numpy' runs on the CPU; device={device!r} runs its own "
                        "kernel (give engine='auto' or 'numba', or device='cpu')")
    if scheduler is not None:  # before compiling: bad text, or dask missing, fails at once
        from theory.dynamics._distributed import check_scheduler

        check_scheduler(scheduler, device=device, engine=opts.engine)
    check_simulation_memory(  # before compiling: the learning rates and period_max alone
        eta_grid.size, 1, 1, steps=opts.steps, keep_last=0, record_loss=opts.record_loss,
        block=1, history=history_length(opts.period_max),
    )
    compiled = compile_landscape(function, opts.optimizer)
    if device != "cpu":  # the PyTorch kernel, in larger chunks (unless chunk_size is given)
        compiled = device_kernels(function, compiled, device)
        if opts.chunk_size is None:
            opts = opts.replace(chunk_size=device_chunk_size(opts, compiled.dim))
    dim = compiled.dim
    x0_grid = np.array(_x0_grid(x0, dim, compiled.name), dtype=float, copy=True)
    n_points = eta_grid.size * x0_grid.shape[0]
    opts = opts.resolved(n_points, x0_grid)
    # "auto" -> "numba" or "numpy" (theory.dynamics._engine); the chunks run on that one.
    # On a device its kernel runs ("numba" here: the compiled kernel of `compiled`)
    # With a scheduler the workers run the compiled kernel ("numba": a cluster is for large
    # sweeps, and "auto" must not depend on this machine's kernel cache)
    if device == "cpu" and scheduler is None:
        opts = opts.replace(engine=choose_engine(opts.engine, compiled, n_points, opts.steps))
    else:
        opts = opts.replace(engine="numba")
    check_simulation_memory(
        eta_grid.size, x0_grid.shape[0], dim, steps=opts.steps, keep_last=opts.keep_last,
        record_loss=opts.record_loss, block=min(opts.block, n_points), history=opts.history,
    )
    steps, keep_last, record_loss = opts.steps, opts.keep_last, opts.record_loss

    description = {
        "function": compiled.name,
        "expression": str(compiled.expr),
        "variables": [v.name for v in compiled.variables],
        **opts.to_dict(),
        # which kernel ran: the device's, or on the CPU the engine (absent: before issue 12)
        **({"device": device} if device != "cpu" else {"engine": opts.engine}),
    }
    metadata = {
        **description,
        "history": opts.history,
        "min_window": MIN_WINDOW,
        "block": opts.block,
        "version": package_version(),
        "kernel": compiled.key,
    }

    n_eta, n_x0 = eta_grid.size, x0_grid.shape[0]
    out = chunk_outputs(n_points, dim, opts)

    fingerprint = _fingerprint(description, eta_grid, x0_grid)
    chunk_store = None
    assert opts.chunk_size is not None  # resolved above
    if store is not None:
        chunk_store = open_store(store, fingerprint, description, out, opts.chunk_size,
                                 {"eta": eta_grid, "x0": x0_grid})
        if chunk_store.result_path.exists():
            finished = _load_finished(chunk_store.result_path, metadata, eta_grid, x0_grid)
            if finished is not None:
                chunk_store.close()
                return finished

    chunk_size: int = opts.chunk_size
    n_chunks = -(-n_points // chunk_size)
    with chunk_progress(progress, n_points, n_chunks, f"GD {compiled.name}") as done, \
            released_on_error(chunk_store):
        if scheduler is not None:
            from theory.dynamics._distributed import run_on_cluster

            run_on_cluster(scheduler, compiled, x0_grid, eta_grid, opts, out,
                           store=chunk_store, fingerprint=fingerprint, done=done)
        else:
            for c in range(n_chunks):
                start = c * chunk_size
                stop = min(n_points, start + chunk_size)
                saved = _saved_chunk(chunk_store, c, out, stop - start)
                if saved is not None:
                    for name, array in out.items():
                        array[start:stop] = saved[name]
                else:
                    _run_chunk(compiled, x0_grid, eta_grid, start, stop, opts, out)
                    if chunk_store is not None:
                        chunk_store.save(c, {name: a[start:stop] for name, a in out.items()})
                done(c, stop - start)

    result = SimulationResult(
        eta=eta_grid,
        x0=x0_grid,
        final_state=out["final_state"].reshape(n_eta, n_x0, dim),
        classes=out["classes"].reshape(n_eta, n_x0),
        period=out["period"].reshape(n_eta, n_x0),
        lyapunov=out["lyapunov"].reshape(n_eta, n_x0),
        decided_step=out["decided_step"].reshape(n_eta, n_x0),
        tail=out["tail"].reshape(n_eta, n_x0, keep_last, dim) if keep_last else None,
        loss=out["loss"].reshape(n_eta, n_x0, steps + 1) if record_loss else None,
        metadata=metadata,
    )
    if chunk_store is not None:
        result.save(chunk_store.result_path)
        chunk_store.remove_chunks()
    return result


def chunk_outputs(n_points: int, dim: int, options: SimulationOptions) -> dict:
    """Empty output arrays for ``n_points`` points (the kernel fills them)."""
    return {
        "final_state": np.empty((n_points, dim)),
        "classes": np.empty(n_points, np.int8),
        "period": np.empty(n_points, np.int32),
        "lyapunov": np.empty(n_points),
        "decided_step": np.empty(n_points, np.int32),
        "tail": np.empty((n_points, options.keep_last, dim)),
        "loss": np.empty((n_points, options.steps + 1 if options.record_loss else 0)),
    }


def _run_chunk(compiled: CompiledLandscape, x0_grid: np.ndarray, eta_grid: np.ndarray,
               start: int, stop: int, options: SimulationOptions, out: dict) -> None:
    """One call of the parallel kernel on the flat points [start, stop) with the resolved
    ``options`` (:meth:`SimulationOptions.resolved`; ``options.engine`` "numba" or "numpy":
    the compiled kernel or the NumPy engine, same arguments), into ``out[name][start:stop]``."""
    call_kernel(engine_run(compiled, options.engine), compiled.dim, x0_grid, eta_grid, start,
                stop, options, {name: array[start:stop] for name, array in out.items()})


def call_kernel(run, dim: int, x0_grid: np.ndarray, eta_grid: np.ndarray, start: int,
                stop: int, options: SimulationOptions, chunk_out: dict) -> None:
    """``run`` (a generated module's parallel kernel, or the NumPy or PyTorch engine's) on
    the flat points [start, stop), writing into the chunk's own arrays ``chunk_out``
    (``stop - start`` points each): ``run(X0, ETA, S, OUT)`` with the settings record ``S``
    and the output record ``OUT`` of :mod:`theory.dynamics._settings`."""
    run(x0_grid, eta_grid, kernel_settings(options, dim, start, stop, CYCLE_STEPS),
        kernel_outputs(chunk_out))
