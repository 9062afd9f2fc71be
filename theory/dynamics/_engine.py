"""Which engine runs a sweep: the landscape's compiled Numba kernel or the NumPy engine.

Compiling a new function's kernel takes 15-45 s on 2 cores (nearly all of it Numba and
LLVM on the parallel driver ``run`` and the step functions:
benchmarks/results/first_compile_profile.md); once compiled (and cached on disk) it runs
~1e9 point-steps/s.  The NumPy engine (:mod:`theory.dynamics._numpy_kernel`) compiles
nothing per function and runs ~1e7-5e7 point-steps/s with the same classification code.

``SimulationOptions.engine``:

* ``"numba"`` -- always the compiled kernel (compiling it if needed);
* ``"numpy"`` -- always the NumPy engine;
* ``"auto"`` (default) -- the NumPy engine when the kernel is not compiled yet (neither in
  this process nor in Numba's on-disk cache) *and* the work is small: the sweep's points x
  steps, added to what ``auto`` already gave the NumPy engine for this function in this
  process, is at most :func:`numpy_max_work` (default :data:`NUMPY_MAX_WORK` = 2e8, a
  few seconds of NumPy work, less than a compile); the compiled kernel otherwise.  So a
  new function's first small sweeps answer in seconds; a large sweep, or the sweep that
  takes a loop of small ones past the limit, compiles the kernel, and every later sweep
  of the function runs compiled; a function whose kernel is cached always runs compiled.

The result's ``metadata["engine"]`` says which engine ran.  The engines classify alike and
agree to a few ulp per step (chaotic orbits' final states excepted); for results that must
not depend on the state of the kernel cache, ask for one engine explicitly.  The
environment variable ``MSL_NUMPY_MAX_WORK`` overrides the work limit of ``"auto"`` (``0``:
never the NumPy engine; the test suite sets it so that its sweeps test the kernels).
"""

from __future__ import annotations

import os
import threading

from theory.dynamics._compile import CompiledLandscape
from theory.dynamics._errors import CompileError
from theory.dynamics._options import ENGINES
from theory.errors import GridError

__all__ = ["ENGINES", "NUMPY_MAX_WORK", "choose_engine", "kernel_is_compiled",
           "numpy_max_work"]

_LOCK = threading.Lock()
#: kernel key -> point-steps that engine="auto" gave the NumPy engine in this process
_NUMPY_WORK: dict[str, int] = {}

#: most work (points x steps, summed over one function's sweeps in a process) that
#: ``engine="auto"`` runs on NumPy while the kernel is not compiled (3-20 s of NumPy work,
#: against 20-45 s of compilation: benchmarks/results/first_result.md)
NUMPY_MAX_WORK = 2 * 10**8


def numpy_max_work() -> int:
    """The work limit of ``engine="auto"``: ``$MSL_NUMPY_MAX_WORK`` or NUMPY_MAX_WORK."""
    text = os.environ.get("MSL_NUMPY_MAX_WORK")
    if text is None or not text.strip():
        return NUMPY_MAX_WORK
    try:
        value = int(float(text))
    except ValueError:
        raise GridError(f"MSL_NUMPY_MAX_WORK={text!r} must be a number of point-steps") from None
    return max(value, 0)


def kernel_is_compiled(compiled: CompiledLandscape) -> bool:
    """True when the kernel's ``run`` has machine code in this process or in Numba's
    on-disk cache (its index file), i.e. when running it costs no compilation."""
    if compiled.run.signatures:
        return True
    stem = compiled.path.stem
    return any(p.name.startswith(f"{stem}.run-") for p in compiled.cache_index_files())


def numpy_available(compiled: CompiledLandscape) -> bool:
    """Whether the NumPy engine can evaluate this landscape's derivatives."""
    try:
        from theory.dynamics._numpy_functions import numpy_functions

        landscape = compiled.landscape
        if landscape is None:
            return False
        numpy_functions(compiled.key, landscape.variables, landscape.expr,
                        landscape.gradient_exprs, landscape.hessian_exprs)
    except CompileError:
        return False
    return True


def choose_engine(requested: str, compiled: CompiledLandscape, n_points: int, steps: int,
                  *, max_work: int | None = None) -> str:
    """The engine (``"numba"`` or ``"numpy"``) that runs a sweep of ``n_points`` x ``steps``
    under ``engine=requested`` (the rule of the module docstring)."""
    if requested == "numba":
        return "numba"
    if requested == "numpy":
        if not numpy_available(compiled):
            raise CompileError(
                f"engine='numpy' cannot evaluate the derivatives of {compiled.name!r}; "
                "use engine='numba'")
        return "numpy"
    limit = numpy_max_work() if max_work is None else max_work
    work = n_points * steps
    with _LOCK:
        done = _NUMPY_WORK.get(compiled.key, 0)
    if done + work > limit or kernel_is_compiled(compiled) or not numpy_available(compiled):
        return "numba"
    with _LOCK:
        _NUMPY_WORK[compiled.key] = _NUMPY_WORK.get(compiled.key, 0) + work
    return "numpy"


def engine_run(compiled: CompiledLandscape, engine: str):
    """The ``run`` of ``engine`` for this landscape: the compiled kernel's, or the NumPy
    engine's with the landscape's NumPy derivatives bound (same arguments)."""
    if engine != "numpy":
        return compiled.run
    from functools import partial

    from theory.dynamics import _numpy_kernel
    from theory.dynamics._numpy_functions import numpy_functions

    landscape = compiled.landscape
    assert landscape is not None  # the NumPy engine is chosen only with one
    functions = numpy_functions(compiled.key, landscape.variables, landscape.expr,
                                landscape.gradient_exprs, landscape.hessian_exprs)
    from theory.dynamics._map_step import array_step

    return partial(_numpy_kernel.run, functions,
                   array_step(compiled.optimizer, compiled.dim, "numpy"))
