"""Bitwise equivalence of the sweep engines across a refactoring of the iterated-map core
(issue 19).

Runs fixed sweeps on the compiled Numba engine (f1, f2, f3 GD sweeps, one with a schedule
and the tail and loss recorded, f3 in 2-D, heavy-ball and Nesterov momentum sweeps)
and hashes every result array (sha256 of the raw bytes, in a fixed order).  The hashes
recorded before the refactoring live in ``benchmarks/results/core19_hashes.json``;
``tests/dynamics/test_core_equivalence.py`` recomputes them and compares.

Usage::

    python benchmarks/bench_core_equivalence.py            # print the hashes
    python benchmarks/bench_core_equivalence.py --record   # write the JSON file
    python benchmarks/bench_core_equivalence.py --check    # compare with the JSON file
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
from theory.files import atomic_write_text  # noqa: E402

RESULTS = HERE / "results" / "core19_hashes.json"


def _digest(arrays: dict[str, np.ndarray | None]) -> str:
    h = hashlib.sha256()
    for name in sorted(arrays):
        a = arrays[name]
        if a is None:
            continue
        a = np.ascontiguousarray(a)
        h.update(name.encode())
        h.update(str(a.dtype).encode())
        h.update(repr(a.shape).encode())
        h.update(a.tobytes())
    return h.hexdigest()


def _gd(function: str, eta: np.ndarray, x0: np.ndarray, steps: int, **settings) -> str:
    from theory.dynamics import simulate

    r = simulate(function, eta, x0, steps, progress=False, engine="numba", **settings)
    return _digest({"final_state": r.final_state, "classes": r.classes, "period": r.period,
                    "lyapunov": r.lyapunov, "decided_step": r.decided_step, "tail": r.tail,
                    "loss": r.loss})


def _momentum(method: str) -> str:
    from theory.dynamics import simulate_momentum

    r = simulate_momentum("f1", np.linspace(0.5, 3.0, 12), np.array([0.0, 0.3, 0.7]),
                          np.linspace(-3, 3, 20), 300, method=method)
    return _digest({"final_state": r.final_state, "classes": r.classes, "period": r.period,
                    "lyapunov": r.lyapunov, "decided_step": r.decided_step})


def cases() -> dict[str, Callable[[], str]]:
    """The fixed sweeps, by name (each returns its hash)."""
    from theory.schedule import Schedule

    eta = np.linspace(0.5, 3.2, 28)
    x0 = np.linspace(-3, 3, 24)
    grid2 = np.stack(np.meshgrid(np.linspace(-2, 2, 6), np.linspace(-1.5, 1.5, 5)),
                     -1).reshape(-1, 2)
    return {
        "f1": lambda: _gd("f1", eta, x0, 400),
        "f2": lambda: _gd("f2", np.linspace(1.0, 3.0, 16), x0, 600),
        "f3": lambda: _gd("f3", eta[::2], grid2, 400),
        "f1-no-early-exit": lambda: _gd("f1", eta[::3], x0[::3], 300, early_exit=False),
        "f2-schedule-tail-loss": lambda: _gd(
            "f2", np.linspace(1.0, 3.0, 8), x0[::2], 300,
            schedule=Schedule.step_decay(150, 0.5), keep_last=5, record_loss=True),
        "f3-tail": lambda: _gd("f3", eta[::4], grid2[::3], 200, keep_last=3),
        "momentum-f1": lambda: _momentum("momentum"),
        "nesterov-f1": lambda: _momentum("nesterov"),
    }


def compute(names: list[str] | None = None) -> dict[str, str]:
    table = cases()
    return {name: table[name]() for name in (names or list(table))}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--record", action="store_true")
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    hashes = compute()
    if args.record:
        atomic_write_text(RESULTS, json.dumps(hashes, indent=2, sort_keys=True) + "\n")
    if args.check:
        recorded = json.loads(RESULTS.read_text())
        bad = [k for k, v in hashes.items() if recorded.get(k) != v]
        print("differ:", bad or "none")
        return 1 if bad else 0
    print(json.dumps(hashes, indent=2, sort_keys=True))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
