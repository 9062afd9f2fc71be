"""Momentum sweep throughput against the GD sweep on f1 (issue 13: within 2x of GD).

Runs side by side in ONE process: ``theory.dynamics.simulate`` (GD, 4.1) and
``theory.dynamics.simulate_momentum`` (heavy ball and Nesterov, beta = 0.5) on f1 at
eta = 3 (above both thresholds' period-2 regime for GD; heavy ball's threshold is 3, Nesterov's
1.5), x0 = linspace(-5, 5, N), T steps, every point running every step (``early_exit=False``,
``transient=0``: Lyapunov sums over all steps) -- the like-for-like mode of
``bench_simulator.py``.  Throughput = points x steps / seconds, best of ``--repeats``; the
first (compiling) call is excluded.

Writes ``benchmarks/results/momentum.json`` and ``benchmarks/results/momentum.md``::

    python benchmarks/bench_momentum.py            # 2e5 points x 1000 steps
    python benchmarks/bench_momentum.py --quick    # 2e4 points x 200 steps
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
from theory.dynamics import SimulationOptions, simulate, simulate_momentum  # noqa: E402
from theory.files import atomic_write_text  # noqa: E402


def _best(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--points", type=int, default=None)
    parser.add_argument("--steps", type=int, default=None)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=Path, default=HERE / "results")
    args = parser.parse_args(argv)
    points = args.points or (20_000 if args.quick else 200_000)
    steps = args.steps or (200 if args.quick else 1000)
    x0 = np.linspace(-5, 5, points)
    options = SimulationOptions(steps=steps, early_exit=False, transient=0)
    runs = {
        "gd": lambda: simulate("f1", [3.0], x0, options=options, progress=False),
        "momentum": lambda: simulate_momentum("f1", [3.0], [0.5], x0, options=options),
        "nesterov": lambda: simulate_momentum("f1", [3.0], [0.5], x0, options=options,
                                              method="nesterov"),
    }
    rows = {}
    for name, fn in runs.items():
        fn()  # compile / load from the cache
        seconds = _best(fn, args.repeats)
        rows[name] = {"seconds": seconds, "steps_per_second": points * steps / seconds}
    for name in ("momentum", "nesterov"):
        rows[name]["gd_over_this"] = rows["gd"]["steps_per_second"] / rows[name][
            "steps_per_second"]
    report = {
        "workload": {"function": "f1", "eta": 3.0, "beta": 0.5, "points": points,
                     "steps": steps, "early_exit": False, "lyapunov": True},
        "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0],
                    "platform": platform.platform(),
                    "load_average": list(os.getloadavg())},
        "results": rows,
        "target": "momentum and nesterov within 2x of GD (gd_over_this <= 2)",
    }
    args.out.mkdir(parents=True, exist_ok=True)
    atomic_write_text(args.out / "momentum.json", json.dumps(report, indent=2))
    lines = ["# Momentum sweep vs GD sweep (f1, eta = 3, beta = 0.5)", "",
             f"{points} points x {steps} steps, every point every step, Lyapunov on; "
             f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs.", "",
             "| optimizer | seconds | point-steps/s | GD / this |", "|---|---|---|---|"]
    for name, row in rows.items():
        ratio = row.get("gd_over_this", 1.0)
        lines.append(f"| {name} | {row['seconds']:.3f} | {row['steps_per_second']:.3g} | "
                     f"{ratio:.2f} |")
    atomic_write_text(args.out / "momentum.md", "\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
