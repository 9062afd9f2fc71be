"""Large-grid speed of the Numba engine before and after the iterated-map core (issue 19).

Runs the workloads of ``bench_simulator.py`` (f1 at eta = 3, the chaotic f2 at eta = 2,
x0 = linspace(-5, 5, N), every point every step: ``early_exit=False, transient=0``) with two
source trees side by side: this one and an older checkout (``--old DIR``, e.g. made with
``git archive 783feb9 | tar -x -C /tmp/old``).  Each measurement is a fresh child process
(kernels compiled, or loaded from the tree's own cache, before the timed runs); the children
alternate old, new, old, new, ... so that both see the same machine load.  Throughput =
points x steps / best time.  Writes ``benchmarks/results/core19_speed.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(ROOT) not in sys.path:  # theory.files of this checkout
    sys.path.insert(0, str(ROOT))
from theory.files import atomic_write_text  # noqa: E402

_CHILD = """
import time, numpy as np
from theory.dynamics import simulate
fn, eta, n, steps, repeats = {fn!r}, {eta!r}, {n!r}, {steps!r}, {repeats!r}
x0 = np.linspace(-5, 5, n)
simulate(fn, [eta], x0[:4096], 64, early_exit=False, transient=0, progress=False,
         engine="numba")
best = float("inf")
for _ in range(repeats):
    t = time.perf_counter()
    simulate(fn, [eta], x0, steps, early_exit=False, transient=0, progress=False,
             engine="numba")
    best = min(best, time.perf_counter() - t)
print("BEST", best)
"""

WORKLOADS = {"f1": ("f1", 3.0), "f2": ("f2", 2.0)}


def _measure(tree: Path, cache: str, name: str, n: int, steps: int, repeats: int) -> float:
    fn, eta = WORKLOADS[name]
    env = {**os.environ, "PYTHONPATH": str(tree), "MSL_CACHE_DIR": cache}
    code = _CHILD.format(fn=fn, eta=eta, n=n, steps=steps, repeats=repeats)
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=tree, check=True,
                         capture_output=True, text=True).stdout
    return float(next(line for line in out.splitlines() if line.startswith("BEST")).split()[1])


def _uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--old", type=Path, required=True)
    parser.add_argument("--points", type=int, default=10**6)
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--out", type=Path, default=HERE / "results" / "core19_speed.json")
    args = parser.parse_args(argv)
    trees = {"old": (args.old.resolve(), "/tmp/msl-cache-core19-old"),
             "new": (ROOT, "/tmp/msl-cache-core19-new")}
    report: dict = {"uptime_start": _uptime(), "points": args.points, "steps": args.steps,
                    "repeats": args.repeats, "rounds": args.rounds, "workloads": {}}
    for name in WORKLOADS:
        best = {"old": float("inf"), "new": float("inf")}
        for _ in range(args.rounds):
            for label, (tree, cache) in trees.items():
                t = _measure(tree, cache, name, args.points, args.steps, args.repeats)
                best[label] = min(best[label], t)
                print(f"{name} {label} {t:.3f} s", flush=True)
        work = args.points * args.steps
        report["workloads"][name] = {
            label: {"seconds": s, "point_steps_per_s": work / s} for label, s in best.items()}
        report["workloads"][name]["new_over_old_time"] = best["new"] / best["old"]
    report["uptime_end"] = _uptime()
    atomic_write_text(args.out, json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
