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
import math
from collections.abc import Callable

import numpy as np

from theory import validation
from theory.dynamics._compile import CompiledLandscape, compile_landscape
from theory.dynamics._errors import InitialPointError
from theory.dynamics._result import SimulationResult
from theory.dynamics._store import ChunkStore
from theory.dynamics._support import MIN_WINDOW
from theory.errors import GridError
from theory.schedule import Schedule

__all__ = ["package_version", "simulate"]

#: steps between renormalisations of the tangent vector (must match the template)
_RENORM = 16
#: default number of points per block (points in the inner loop of a step)
DEFAULT_BLOCK = 512
#: default work per chunk, in point-steps (progress and resume granularity)
_CHUNK_WORK = 2**26


def package_version() -> str:
    """The installed version of multiscale-landscapes (theory.__version__ as a fallback)."""
    try:
        from importlib.metadata import PackageNotFoundError, version

        return version("multiscale-landscapes")
    except (ImportError, PackageNotFoundError):
        import theory

        return str(getattr(theory, "__version__", "unknown"))


# ------------------------------------------------------------------------ validation


def _whole(name: str, value, *, minimum: int) -> int:
    return validation.whole_number(name, value, minimum=minimum, error=GridError)


def _real(name: str, value, *, minimum: float = 0.0, allow_inf: bool = False) -> float:
    return validation.real(name, value, minimum=minimum, allow_inf=allow_inf, error=GridError)


def _x0_grid(x0, dim: int, name: str) -> np.ndarray:
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


def history_length(period_max: int) -> int:
    """Length H of the history ring buffer (a multiple of the renormalisation interval).

    Periods up to ``period_max`` need ``m - p >= max(2p, MIN_WINDOW)`` iterates (see
    :func:`theory.dynamics._support.find_period`), so H >= 3 * period_max.
    """
    need = max(3 * period_max, MIN_WINDOW + 1)
    return -(-need // _RENORM) * _RENORM


def _fingerprint(description: dict, eta: np.ndarray, x0: np.ndarray) -> str:
    digest = hashlib.sha256(json.dumps(description, sort_keys=True).encode())
    digest.update(eta.tobytes())
    digest.update(x0.tobytes())
    return digest.hexdigest()


# ---------------------------------------------------------------------------- simulate


def simulate(
    function,
    eta,
    x0,
    steps: int,
    *,
    schedule: Schedule | None = None,
    period_max: int = 64,
    rtol: float = 1e-10,
    atol: float = 1e-12,
    bound: float | None = None,
    chaos_threshold: float = 1e-3,
    transient: int | None = None,
    lyapunov: bool = True,
    keep_last: int = 0,
    record_loss: bool = False,
    early_exit: bool = True,
    chunk_size: int | None = None,
    block: int = DEFAULT_BLOCK,
    store=None,
    progress: bool | Callable[[int, int], None] = True,
) -> SimulationResult:
    """Run GD (4.1) from every initial point in ``x0`` with every learning rate in ``eta``.

    Parameters
    ----------
    function : catalog name, expression in x, sympy expression, Subquadratic, Landscape, or
        an object with ``.landscape`` (compiled once per machine, cached on disk).
    eta : learning rate(s) > 0, a number or 1-D grid (the initial rates of ``schedule``).
    x0 : initial point(s): shape (N,) for a 1-D function, (N, d) (or (d,)) in d dimensions.
    steps : number of GD steps T >= 1 (iterates x_0, ..., x_T).
    schedule : piecewise-constant learning-rate factors (default: constant).
    period_max : longest period looked for (p = 1 is convergence).
    rtol, atol : recurrence tolerance ``|x_t - x_{t-p}|_inf <= atol + rtol * scale``.
    bound : an orbit with ``max_k |x_k| > bound`` is diverged (default
        ``1e10 * max(1, max|x0|)``; ``inf`` leaves only non-finite values).
    chaos_threshold : a non-periodic orbit whose Lyapunov exponent exceeds this is chaotic.
    transient : steps excluded from the running Lyapunov average (default: half of the steps
        after the last schedule change).
    lyapunov : estimate Lyapunov exponents of non-periodic orbits (off: they are undecided).
    keep_last : record the last K iterates (for bifurcation diagrams).
    record_loss : record f(x_t) for t = 0..T.
    early_exit : stop a point once its fate is known (off: every point runs all T steps,
        the like-for-like mode of the benchmark; classification is then done on the last
        iterates).
    chunk_size, block : points per kernel call (progress/resume unit) and per block (points
        in the inner loop).
    store : directory for chunk files: an interrupted sweep re-run with the same store and
        arguments resumes from the chunks saved and gives the same result.
    progress : show a tqdm bar (True), nothing (False), or call ``progress(done, total)``
        after every chunk.
    """
    eta_grid = validation.learning_rate_grid(eta)
    steps = _whole("steps", steps, minimum=1)
    if steps > 2**31 - 2:
        raise GridError(f"steps={steps} is too large (at most {2**31 - 2})")
    schedule = Schedule() if schedule is None else schedule
    if not isinstance(schedule, Schedule):
        raise GridError(f"schedule={schedule!r} must be a theory.dynamics.Schedule")
    schedule.validate_for(steps)
    period_max = _whole("period_max", period_max, minimum=1)
    rtol = _real("rtol", rtol)
    atol = _real("atol", atol)
    if rtol == 0 and atol == 0:
        raise GridError("rtol=0 and atol=0: at least one recurrence tolerance must be positive")
    compiled = compile_landscape(function)
    dim = compiled.dim
    x0_grid = _x0_grid(x0, dim, compiled.name)
    if bound is None:
        bound = 1e10 * max(1.0, float(np.max(np.abs(x0_grid))))
    bound = _real("bound", bound, allow_inf=True)
    if bound <= 0:
        raise GridError(f"bound={bound!r} must be positive")
    chaos_threshold = _real("chaos_threshold", chaos_threshold)
    last_b = schedule.last_boundary
    if transient is None:
        transient = last_b + (steps - last_b) // 2
    transient = _whole("transient", transient, minimum=0)
    if transient >= steps:
        raise GridError(f"transient={transient} must be smaller than steps={steps}")
    keep_last = _whole("keep_last", keep_last, minimum=0)
    if keep_last > steps + 1:
        raise GridError(f"keep_last={keep_last} exceeds the {steps + 1} iterates x_0..x_{steps}")
    block = _whole("block", block, minimum=1)
    n_points = eta_grid.size * x0_grid.shape[0]
    if chunk_size is None:
        chunk_size = max(4 * block, _CHUNK_WORK // steps)
    chunk_size = min(_whole("chunk_size", chunk_size, minimum=1), n_points)
    if not (isinstance(progress, bool) or callable(progress)):
        raise GridError(f"progress={progress!r} must be True, False or a callable(done, total)")

    H = history_length(period_max)
    cycle_steps = 64  # tangent steps along a cycle for its exponent (d > 1; d = 1 is exact)
    vinit = 1.0 + 0.6180339887498949 * np.arange(dim, dtype=float)
    vinit /= np.linalg.norm(vinit)
    tail_from = steps - keep_last + 1 if keep_last else steps + 1

    description = {
        "function": compiled.name,
        "expression": str(compiled.expr),
        "variables": [v.name for v in compiled.variables],
        "steps": steps,
        "schedule": schedule.to_dict(),
        "period_max": period_max,
        "rtol": rtol,
        "atol": atol,
        "bound": bound if math.isfinite(bound) else "inf",
        "chaos_threshold": chaos_threshold,
        "transient": transient,
        "lyapunov": bool(lyapunov),
        "keep_last": keep_last,
        "record_loss": bool(record_loss),
        "early_exit": bool(early_exit),
        "chunk_size": chunk_size,
        "classes": ["converged", "periodic", "chaotic", "diverged", "undecided"],
    }
    metadata = {
        **description,
        "history": H,
        "min_window": MIN_WINDOW,
        "block": block,
        "version": package_version(),
        "kernel": compiled.key,
    }

    n_eta, n_x0 = eta_grid.size, x0_grid.shape[0]
    out = {
        "final_state": np.empty((n_points, dim)),
        "classes": np.empty(n_points, np.int8),
        "period": np.empty(n_points, np.int32),
        "lyapunov": np.empty(n_points),
        "decided_step": np.empty(n_points, np.int32),
        "tail": np.empty((n_points, keep_last, dim)),
        "loss": np.empty((n_points, steps + 1 if record_loss else 0)),
    }

    chunk_store = None
    if store is not None:
        chunk_store = ChunkStore(store, _fingerprint(description, eta_grid, x0_grid), description)
        if chunk_store.result_path.exists():
            return SimulationResult.load(chunk_store.result_path)

    n_chunks = -(-n_points // chunk_size)
    bar = None
    if progress is True:
        from tqdm.auto import tqdm

        bar = tqdm(total=n_points, unit="pt", desc=f"GD {compiled.name}", smoothing=0.1)
    try:
        for c in range(n_chunks):
            start = c * chunk_size
            stop = min(n_points, start + chunk_size)
            if chunk_store is not None and chunk_store.has(c):
                saved = chunk_store.load(c)
                for name, array in out.items():
                    array[start:stop] = saved[name]
            else:
                _run_chunk(
                    compiled,
                    x0_grid,
                    eta_grid,
                    start,
                    stop,
                    steps,
                    schedule,
                    block,
                    H,
                    period_max,
                    rtol,
                    atol,
                    bound,
                    bool(lyapunov),
                    transient,
                    bool(early_exit),
                    chaos_threshold,
                    cycle_steps,
                    vinit,
                    tail_from,
                    out,
                )
                if chunk_store is not None:
                    chunk_store.save(c, {name: a[start:stop] for name, a in out.items()})
            if bar is not None:
                bar.update(stop - start)
            elif callable(progress):
                progress(c + 1, n_chunks)
    finally:
        if bar is not None:
            bar.close()

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


def _run_chunk(
    compiled: CompiledLandscape,
    x0_grid,
    eta_grid,
    start,
    stop,
    steps,
    schedule,
    block,
    H,
    period_max,
    rtol,
    atol,
    bound,
    lyap,
    transient,
    early_exit,
    chaos_threshold,
    cycle_steps,
    vinit,
    tail_from,
    out,
) -> None:
    """One call of the parallel kernel on the flat points [start, stop)."""
    compiled.run(
        x0_grid,
        eta_grid,
        np.int64(start),
        np.int64(stop),
        np.int64(steps),
        np.asarray(schedule.boundaries, dtype=np.int64),
        np.asarray(schedule.factors, dtype=np.float64),
        np.int64(block),
        np.int64(H),
        np.int64(period_max),
        float(rtol),
        float(atol),
        float(bound),
        bool(lyap),
        np.int64(transient),
        bool(early_exit),
        float(chaos_threshold),
        np.int64(cycle_steps),
        vinit,
        np.int64(tail_from),
        out["final_state"][start:stop],
        out["classes"][start:stop],
        out["period"][start:stop],
        out["lyapunov"][start:stop],
        out["decided_step"][start:stop],
        out["tail"][start:stop],
        out["loss"][start:stop],
    )
