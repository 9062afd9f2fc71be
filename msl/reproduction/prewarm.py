"""Compile the Numba kernels of the ``phase`` and ``momentum`` stages in a second process
while the stages before them run.

From a cold kernel cache most of those two stages' time is Numba compiling the GD and
momentum kernels of f1 and f2 (52 s of CPU measured on a 2-core machine; the quick preset
took 118 s from a cold cache before this helper, 68 s with it), while the other stages
keep only one core busy.  :func:`start` launches a second Python running :func:`warm`,
which runs the same simulations on tiny grids (3 learning rates x 2 initial points, 40
steps): Numba compiles the same kernels for the same argument types and writes them to
its on-disk cache, so the real stages load them.  The runner puts the kernel stages last
and calls :func:`wait` before each (two processes compiling the same kernel would only
waste a core); :func:`stop` ends the helper when the run ends or is interrupted.

It only moves work to the idle core: the numbers of every stage are the same with or
without it (the kernels are the same code).  It is best effort: if the helper fails, the
stage compiles the kernels itself, as it did before.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

#: the stages whose first run compiles Numba kernels
KERNEL_STAGES = ("phase", "momentum")
#: what the helper runs (``python -c``; ``-m`` would import this module twice)
_COMMAND = ("import json, sys; from msl.reproduction.prewarm import warm; "
            "warm(json.loads(sys.argv[1]))")
#: how long a kernel stage waits for the helper at most (then stops it and compiles itself)
WAIT_LIMIT_S = 600.0


def start(preset, stage_names: Iterable[str]) -> subprocess.Popen | None:
    """The helper process for the kernel stages among ``stage_names`` (``None`` if none
    of them will run, or if it cannot be started)."""
    names = set(stage_names)
    if not names & set(KERNEL_STAGES):
        return None
    spec = {"sweeps": [[s.name, list(s.eta[:2]), list(s.x0[:2])]
                       for s in preset.phase_sweeps] if "phase" in names else [],
            "momentum": "momentum" in names}
    # the helper imports this source tree, also when it is not installed
    root = str(Path(__file__).resolve().parents[2])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        p for p in (root, os.environ.get("PYTHONPATH")) if p)}
    try:
        return subprocess.Popen([sys.executable, "-c", _COMMAND, json.dumps(spec)], env=env,
                                stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    except OSError:
        return None


def wait(process: subprocess.Popen | None) -> None:
    """Let the helper finish (before a kernel stage starts)."""
    if process is not None and process.poll() is None:
        try:
            process.wait(timeout=WAIT_LIMIT_S)
        except subprocess.TimeoutExpired:
            stop(process)


def stop(process: subprocess.Popen | None) -> None:
    """End the helper if it still runs (the run is over or was interrupted)."""
    if process is not None and process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def warm(spec: dict) -> None:
    """Run the kernel stages' simulations on tiny grids (what the helper does)."""
    import numpy as np

    from theory import catalog
    from theory.dynamics import simulate, simulate_momentum

    for name, eta, x0 in spec["sweeps"]:  # the calls of theory.figures.phase_diagrams
        simulate(catalog.get(name), np.linspace(eta[0], eta[1], 3),
                 np.linspace(x0[0], x0[1], 2), 40,
                 keep_last=32, progress=False, engine="numba")
    if spec["momentum"]:  # the calls of theory.figures.momentum_phase
        for method in ("momentum", "nesterov"):
            simulate_momentum(catalog.get("f1"), np.linspace(0.5, 8.0, 3),
                              np.linspace(0.0, 0.9, 2), np.array([-1.0, 1.0]), 40,
                              method=method)

