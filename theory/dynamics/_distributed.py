"""Sweeps on a Dask cluster: every chunk of the flat (eta x x0) grid is one task.

:func:`theory.dynamics.simulate` with ``scheduler=`` hands the chunks that its store does not
hold yet to :func:`run_on_cluster`, which submits one task per chunk and saves each chunk
into the store the moment its result arrives (one atomically written ``.npz`` per chunk, or a
Zarr store: :func:`~theory.dynamics._store.open_store`), so a killed worker (Dask reruns its tasks
elsewhere), a killed client or a re-run loses no finished chunk and computes only the
missing ones.

A worker gets the kernel as :class:`KernelSource`: the generated module's text, its key and
the path where the client keeps it.  It imports that file when it holds the same code (a
worker on the client's machine, or any worker on a shared file system, so Numba's on-disk
cache beside it is reused), and otherwise writes the text into its own cache directory
first; either way once per worker process.  The chunks run the same machine code on the same
inputs, so the result is bitwise the in-process one (docs/distributed.md says what a
cluster of other machines needs for that).

``scheduler`` is a ``distributed.Client`` (used as is), a Dask cluster object (anything with
``scheduler_address``: LocalCluster, dask-jobqueue's SLURMCluster, ...), an address
``"tcp://host:8786"`` (or ``host:port``), or ``"local:N"``: a LocalCluster of N worker
processes, one thread each and ``cpu_count // N`` Numba threads, closed afterwards.  dask
and distributed are imported only here, only when a scheduler is given.
"""

from __future__ import annotations

import contextlib
import os
import platform
import re
import sys
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from theory.dynamics._compile import (
    CompiledLandscape,
    _code_lines,
    import_generated,
    write_kernel_source,
)
from theory.dynamics._errors import SchedulerError
from theory.dynamics._options import SimulationOptions
from theory.dynamics._simulate import _saved_chunk, call_kernel, chunk_outputs, package_version

__all__ = ["CONNECT_TIMEOUT_S", "KernelSource", "check_scheduler", "connected", "run_on_cluster"]

#: seconds to wait for a scheduler address to answer
CONNECT_TIMEOUT_S = 10.0
#: what to install for a scheduler
_EXTRA = "pip install 'multiscale-landscapes[cluster]'"
_LOCAL = re.compile(r"^local:(.*)$")
_MAX_LOCAL = 4096
#: ``scheme://host:port`` or ``host:port`` (IPv6 hosts in brackets)
_ADDRESS = re.compile(r"^(?:[a-z][a-z0-9+.-]*://)?(?:\[[0-9a-fA-F:.]+\]|[^\s/:\[\]]+):\d{1,5}$")
_FORMS = ("a distributed.Client, a Dask cluster object, an address 'tcp://host:port', or "
          "'local:N' (N worker processes on this machine)")


def _import_distributed(scheduler):
    try:
        import distributed
    except ImportError:
        raise SchedulerError(
            f"scheduler={scheduler!r} needs dask.distributed, which is not installed: "
            f"{_EXTRA}") from None
    return distributed


def check_scheduler(scheduler, *, device: str = "cpu", engine: str = "auto"
                    ) -> tuple[str, object]:
    """``(kind, value)`` for a valid ``scheduler``: ``("client", Client)``,
    ``("cluster", cluster)``, ``("local", N)`` or ``("address", text)``; raises
    :class:`SchedulerError` (naming ``scheduler``) for anything else, when dask is not
    installed, and with a ``device`` other than the CPU or ``engine="numpy"`` (the workers
    run the compiled Numba kernel).  Connects to nothing."""
    if device != "cpu":
        raise SchedulerError(
            f"scheduler={scheduler!r} with device={device!r}: the workers run the Numba CPU "
            "kernel; give device='cpu' (the default) or no scheduler")
    if engine == "numpy":
        raise SchedulerError(
            f"scheduler={scheduler!r} with engine='numpy': the workers run the compiled "
            "kernel; give engine='auto' or 'numba', or no scheduler")
    if isinstance(scheduler, str):
        text = scheduler.strip()
        local = _LOCAL.match(text)
        if local:
            n = local.group(1).strip()
            if not (n.isdigit() and 1 <= int(n) <= _MAX_LOCAL):
                raise SchedulerError(
                    f"scheduler={scheduler!r}: in 'local:N', N must be a whole number of "
                    f"worker processes from 1 to {_MAX_LOCAL}")
            from theory.limits import check_bound

            check_bound("--scheduler local:N", int(n), name=f"scheduler={scheduler!r}: N")
            _import_distributed(scheduler)
            return "local", int(n)
        if not _ADDRESS.match(text):
            raise SchedulerError(f"scheduler={scheduler!r} is not a scheduler: give {_FORMS}")
        _import_distributed(scheduler)
        return "address", text
    if isinstance(scheduler, bool) or scheduler is None:
        raise SchedulerError(f"scheduler={scheduler!r} is not a scheduler: give {_FORMS}")
    distributed = _import_distributed(scheduler)
    if isinstance(scheduler, distributed.Client):
        return "client", scheduler
    if isinstance(getattr(scheduler, "scheduler_address", None), str):
        return "cluster", scheduler
    raise SchedulerError(f"scheduler={scheduler!r} is not a scheduler: give {_FORMS}")


@contextlib.contextmanager
def connected(scheduler) -> Iterator:
    """A ``distributed.Client`` for ``scheduler`` (see :func:`check_scheduler`); what this
    opens (a client, a LocalCluster) it closes on exit, a Client given is left open."""
    kind, value = check_scheduler(scheduler)
    distributed = _import_distributed(scheduler)
    if kind == "client":
        yield value
        return
    if kind == "local":
        cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
        assert isinstance(value, int)
        yield from _local_cluster(distributed, scheduler, value, cpus)
        return
    try:
        client = distributed.Client(value, timeout=CONNECT_TIMEOUT_S)
    except (OSError, TimeoutError) as exc:
        where = value if kind == "address" else getattr(value, "scheduler_address", value)
        raise SchedulerError(
            f"scheduler={scheduler!r}: no Dask scheduler answered at {where} within "
            f"{CONNECT_TIMEOUT_S:g} s ({type(exc).__name__}: {exc}); is it running and "
            "reachable from here?") from None
    try:
        yield client
    finally:
        client.close()


def restore_environment(saved: dict) -> None:
    """Put ``os.environ`` back to ``saved``.  distributed's nannies write their workers'
    start-up environment (``OMP_NUM_THREADS=1``, ``MKL_NUM_THREADS=1``, ...) into this
    process's ``os.environ`` each time they spawn a worker; left there, every OpenMP runtime
    first started later in the user's process (Numba's, a C library's) would get 1 thread."""
    if dict(os.environ) != saved:
        os.environ.clear()
        os.environ.update(saved)


def _local_cluster(distributed, scheduler, n_workers: int, cpus) -> Iterator:
    """A client of a new LocalCluster of ``n_workers`` processes, closed afterwards."""
    saved = dict(os.environ)
    try:
        cluster = distributed.LocalCluster(
            n_workers=n_workers, threads_per_worker=1, processes=True, dashboard_address=None,
            env={"NUMBA_NUM_THREADS": str(max(1, (cpus or 1) // n_workers))})
    except RuntimeError as exc:  # e.g. a script without a __main__ guard
        raise SchedulerError(
            f"scheduler={scheduler!r}: the LocalCluster's worker processes did not start "
            f"({exc}); in a script, call simulate under `if __name__ == \"__main__\":` "
            "(the workers are new processes that import the script)") from None
    finally:
        restore_environment(saved)
    try:
        with distributed.Client(cluster) as client:
            yield client
    finally:
        cluster.close()
        restore_environment(saved)  # again: a worker restarted mid-sweep sets it anew


# ---------------------------------------------------------------------------- the worker


def _environment() -> tuple[str, str, str]:
    import numba

    return package_version(), numba.__version__, platform.python_version()


#: kernel key -> the generated module, loaded once per worker process
_KERNELS: dict = {}
_KERNELS_LOCK = threading.Lock()
#: one kernel call at a time per process (the kernel is itself parallel over Numba threads)
_KERNEL_CALLS = threading.Lock()


@dataclass(frozen=True)
class KernelSource:
    """What a worker needs to run a compiled landscape's kernel (picklable, a few kB)."""

    key: str
    source: str
    path: str
    dim: int
    environment: tuple[str, str, str]

    @classmethod
    def of(cls, compiled: CompiledLandscape) -> KernelSource:
        return cls(key=compiled.key, source=Path(compiled.path).read_text(),
                   path=str(compiled.path), dim=compiled.dim, environment=_environment())

    def load(self):
        """The generated module, imported once per process: from the client's file when it
        is here with the same code, else from a copy written into this machine's cache."""
        with _KERNELS_LOCK:
            module = _KERNELS.get(self.key)
            if module is not None:
                return module
            here = _environment()
            if here != self.environment:
                (version, numba, python), mine = here, self.environment
                raise SchedulerError(
                    f"scheduler: a worker runs multiscale-landscapes {version}, numba {numba}, "
                    f"Python {python}, the client {mine[0]}, {mine[1]}, {mine[2]}; install the "
                    "same versions on both (the results would not be bitwise the client's)")
            name = f"msl_gd_{self.key}"
            module = sys.modules.get(name)
            if module is None:
                path = Path(self.path)
                try:
                    same = _code_lines(path.read_text()) == _code_lines(self.source)
                except (OSError, UnicodeDecodeError):
                    same = False
                if not same:
                    path = write_kernel_source(name, self.source)
                module = import_generated(name, path)
            _KERNELS[self.key] = module
            return module


def _run_task(kernel: KernelSource, x0_grid: np.ndarray, eta_grid: np.ndarray, start: int,
              stop: int, options: SimulationOptions) -> dict:
    """One chunk on a worker: the output arrays of the flat points [start, stop)."""
    module = kernel.load()
    # arrays arrive read-only from the network: another Numba type, another compile
    x0 = np.require(x0_grid, dtype=np.float64, requirements=["C", "W"])
    eta = np.require(eta_grid, dtype=np.float64, requirements=["C", "W"])
    chunk_out = chunk_outputs(stop - start, kernel.dim, options)
    with _KERNEL_CALLS:
        call_kernel(module.run, kernel.dim, x0, eta, start, stop, options, chunk_out)
    return chunk_out


# ---------------------------------------------------------------------------- the client


def task_key(fingerprint: str, run: str, chunk: int) -> str:
    """The Dask key of chunk ``chunk`` of the sweep ``fingerprint`` in the run ``run``.

    New keys on every run: a key that the same client released a moment ago and submits
    again can be cancelled by the release still on its way ("lost dependencies")."""
    return f"msl-chunk-{fingerprint[:16]}-{run}-{chunk:06d}"


def run_on_cluster(scheduler, compiled: CompiledLandscape, x0_grid: np.ndarray,
                   eta_grid: np.ndarray, options: SimulationOptions, out: dict, *,
                   store, fingerprint: str,
                   done: Callable[[int, int], None]) -> None:
    """Fill ``out`` (the flat output arrays) chunk by chunk: chunks in ``store`` (a chunk
    store of :func:`~theory.dynamics._store.open_store`, or None) are read,
    the others run as tasks on ``scheduler`` and are saved into ``store`` as they arrive.
    ``done(k, points)`` is called after the k-th (0-based) chunk finished, in that order."""
    n_points = out["classes"].shape[0]
    size = options.chunk_size
    assert size is not None  # resolved by simulate
    bounds = [(c, c * size, min(n_points, (c + 1) * size)) for c in range(-(-n_points // size))]
    finished = 0
    missing = []
    for c, start, stop in bounds:
        saved = _saved_chunk(store, c, out, stop - start)
        if saved is None:
            missing.append((c, start, stop))
            continue
        for name, array in out.items():
            array[start:stop] = saved[name]
        done(finished, stop - start)
        finished += 1
    if not missing:
        return
    distributed = _import_distributed(scheduler)
    with connected(scheduler) as client:
        # random keys (hash=False), for the reason given in task_key; on every worker, so
        # that a killed worker takes no input with it
        kernel, x0_future, eta_future = client.scatter(
            [KernelSource.of(compiled), x0_grid, eta_grid], hash=False, broadcast=True)
        run = uuid.uuid4().hex[:8]
        futures = {}
        for c, start, stop in missing:
            future = client.submit(_run_task, kernel, x0_future, eta_future, start, stop,
                                   options, key=task_key(fingerprint, run, c))
            futures[future] = (c, start, stop)
        pending = set(futures)
        try:
            for future in distributed.as_completed(list(futures)):
                c, start, stop = futures[future]
                chunk = future.result()
                for name, array in out.items():
                    array[start:stop] = chunk[name]
                if store is not None:
                    store.save(c, chunk)
                pending.discard(future)
                future.release()
                done(finished, stop - start)
                finished += 1
        finally:
            if pending:  # interrupted or failed: stop the rest (finished chunks are saved)
                with contextlib.suppress(Exception):
                    client.cancel(list(pending))
