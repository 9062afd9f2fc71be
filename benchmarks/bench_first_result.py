"""First result on a new function, before and after the NumPy engine (issue 12), and the
compiled kernel's throughput on large grids, side by side in one run.

* **Cold first result.**  For three functions outside the catalog, each in a fresh process
  with the kernel cache (``MSL_CACHE_DIR``) in a new temporary directory (cold for the
  function; the shared helpers of ``theory.dynamics._support`` are in Numba's cache, as
  after a first use of the installation), the first sweep of 10^4 orbits (10 learning
  rates x 1,000 initial points) x 1,000 steps:

  - ``before``: ``engine="numba"``, the compiled kernel only, as before issue 12;
  - ``after``: the default ``engine="auto"``, which runs this sweep on the NumPy engine.

  Reported: ``import theory.dynamics``, the ``simulate`` call, and the process's wall time;
  the class counts of both (they must agree, apart from a few chaotic/drifting calls).
* **Large grids.**  f1 (eta = 3) and f2 (eta = 2, Fig. 4.1) on 10^6 points x 1,000 steps
  with the Lyapunov sum (the workloads of bench_simulator.py), in one process, interleaved:
  ``engine="numba"`` (the kernel, as before) against the default ``engine="auto"`` (which
  must choose the same kernel for a grid this large, at no cost).  Also the NumPy engine's
  throughput on 10^4 points (what ``auto`` uses for small sweeps).

Writes ``benchmarks/results/first_result.{json,md}``.  Usage::

    python benchmarks/bench_first_result.py           # ~3 minutes on 2 cores
    python benchmarks/bench_first_result.py --quick   # 10^5-point grids, 1 repeat
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(ROOT) not in sys.path:  # theory.files of this checkout
    sys.path.insert(0, str(ROOT))
from theory.files import atomic_write_text  # noqa: E402

RESULTS = HERE / "results"
FUNCTIONS = {
    "log_cosh": "log(cosh(x))",
    "pseudo_huber": "sqrt(1 + x**2) - 1",
    "saturating": "x**2/(1 + x**2) + 0.1*x**2",
}
N_ETA, N_X0, STEPS = 10, 1_000, 1_000
TARGET_SECONDS = 3.0
TARGET_RATIO = 0.9


def _load() -> list[float]:
    return [round(v, 2) for v in os.getloadavg()]


def _child(expr: str, engine: str) -> dict:
    """One cold first result (runs in a fresh process)."""
    t0 = time.perf_counter()
    import numpy as np

    from theory.dynamics import simulate

    t1 = time.perf_counter()
    eta = np.linspace(0.5, 3.0, N_ETA)
    x0 = np.linspace(-3.0, 3.0, N_X0)
    result = simulate(expr, eta, x0, STEPS, progress=False, engine=engine)
    t2 = time.perf_counter()
    return {"import_s": t1 - t0, "simulate_s": t2 - t1, "engine": result.metadata["engine"],
            "counts": result.counts()}


def _cold(expr: str, engine: str) -> dict:
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, MSL_CACHE_DIR=cache, PYTHONPATH=str(ROOT))
        env.pop("MSL_NUMPY_MAX_WORK", None)
        load = _load()
        t = time.perf_counter()
        out = subprocess.run([sys.executable, __file__, "--child", expr, "--engine", engine],
                             env=env, capture_output=True, text=True, check=True)
        row = json.loads(out.stdout.strip().splitlines()[-1])
        row["process_wall_s"] = time.perf_counter() - t
        row["load_before"] = load
        return row


def _helpers_cached() -> bool:
    """Whether Numba's cache holds the shared helpers (theory/dynamics/_support.py)."""
    places = [ROOT / "theory" / "dynamics" / "__pycache__"]
    if os.environ.get("NUMBA_CACHE_DIR"):
        places.append(Path(os.environ["NUMBA_CACHE_DIR"]))
    return any(any(p.rglob("_support.classify_block-*.nbi")) for p in places if p.exists())


def _throughput(n: int, repeats: int, log) -> dict:
    import numpy as np

    from theory.dynamics import simulate

    rows = {}
    x0 = np.linspace(-5.0, 5.0, n)
    for name, eta in (("f1", 3.0), ("f2", 2.0)):
        runs = {
            engine: (lambda e=engine, f=name, rate=eta: simulate(
                f, rate, x0, STEPS, early_exit=False, transient=0, progress=False, engine=e))
            for engine in ("numba", "auto")
        }
        simulate(name, eta, x0[:2048], 4, progress=False, engine="numba")  # compile/load
        times = {engine: [] for engine in runs}
        chosen = {}
        for _ in range(repeats):
            for engine, run in runs.items():
                t = time.perf_counter()
                result = run()
                times[engine].append(time.perf_counter() - t)
                chosen[engine] = result.metadata["engine"]
        rate = {engine: n * STEPS / min(ts) for engine, ts in times.items()}
        rows[name] = {"points": n, "steps": STEPS, "seconds": times, "engine_ran": chosen,
                      "steps_per_second": rate, "ratio_auto_vs_numba": rate["auto"] / rate["numba"],
                      "load_after": _load()}
        log(f"  {name}: numba {rate['numba']:.3e} steps/s, auto ({chosen['auto']}) "
            f"{rate['auto']:.3e} steps/s, ratio {rows[name]['ratio_auto_vs_numba']:.3f}")
        # the NumPy engine on a small grid (what auto runs for a new function)
        small = x0[:: max(1, n // 10_000)][:10_000]
        t = time.perf_counter()
        simulate(name, eta, small, STEPS, early_exit=False, transient=0, progress=False,
                 engine="numpy")
        dt = time.perf_counter() - t
        rows[name]["numpy_engine_steps_per_second"] = small.size * STEPS / dt
        log(f"  {name}: numpy engine {small.size * STEPS / dt:.3e} steps/s ({small.size} points)")
    return rows


def _markdown(data: dict) -> str:
    lines = [
        "# First result on a new function, and large-grid throughput (issue 12)",
        "",
        f"Generated by `benchmarks/bench_first_result.py` on {data['date']}. Machine: "
        f"{data['cpus']} cores shared with other jobs; `uptime` at start: "
        f"`{data['uptime_start']}`; at end: `{data['uptime_end']}`.",
        "",
        f"## Cold first result: {N_ETA * N_X0} orbits x {STEPS} steps",
        "",
        "Fresh process per run, kernel cache cold for the function (new `MSL_CACHE_DIR`), "
        "shared helpers in Numba's cache. `before`: `engine=\"numba\"` (the compiled kernel "
        "only, as before); `after`: the default `engine=\"auto\"`.",
        "",
        "| function | run | engine | import s | first simulate s | process wall s "
        "| load (1 min) before |",
        "| --- | --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for name, runs in data["cold"].items():
        for label, row in runs.items():
            if not isinstance(row, dict):
                continue
            lines.append(
                f"| `{FUNCTIONS[name]}` | {label} | {row['engine']} | {row['import_s']:.2f} | "
                f"{row['simulate_s']:.2f} | {row['process_wall_s']:.2f} "
                f"| {row['load_before'][0]} |")
    lines += ["", "Class counts (before / after):", ""]
    for name, runs in data["cold"].items():
        lines.append(f"- `{FUNCTIONS[name]}`: {runs['before']['counts']} / "
                     f"{runs['after #1']['counts']}")
    lines += ["", f"## Large grids: {data['throughput_points']} points x {STEPS} steps, "
              "Lyapunov sum, no early exit (best of "
              f"{data['repeats']}, interleaved)", "",
              "| workload | numba steps/s | auto steps/s (engine) | auto / numba | "
              "NumPy engine steps/s (10^4 points) |",
              "| --- | ---: | ---: | ---: | ---: |"]
    for name, row in data["throughput"].items():
        r = row["steps_per_second"]
        lines.append(f"| {name} | {r['numba']:.3e} | {r['auto']:.3e} ({row['engine_ran']['auto']}) "
                     f"| {row['ratio_auto_vs_numba']:.3f} | "
                     f"{row['numpy_engine_steps_per_second']:.3e} |")
    lines += ["", "Targets:"]
    for name, runs in data["cold"].items():
        s = runs["after_median_s"]
        ok = "met" if s < TARGET_SECONDS else "NOT met"
        lines.append(f"- `{FUNCTIONS[name]}`: first simulate {s:.2f} s after (median of 3; before "
                     f"{runs['before']['simulate_s']:.2f} s): < {TARGET_SECONDS} s {ok}")
    for name, row in data["throughput"].items():
        ok = "met" if row["ratio_auto_vs_numba"] >= TARGET_RATIO else "NOT met"
        lines.append(f"- {name} throughput: {row['ratio_auto_vs_numba']:.3f}x the kernel as "
                     f"before: >= {TARGET_RATIO} {ok}")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child")
    parser.add_argument("--engine", default="auto")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--out", default=str(RESULTS))
    args = parser.parse_args()
    if args.child:
        print(json.dumps(_child(args.child, args.engine)))
        return
    sys.path.insert(0, str(ROOT))
    uptime = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    if not _helpers_cached():  # as after a first use of the installation
        print("compiling the shared helpers once (a first kernel) ...", flush=True)
        _cold("x**2/2", "numba")
    cold = {}
    for name, expr in FUNCTIONS.items():
        # "after" three times (each cold): it is short, and the load of a shared machine
        # swings; the table shows every run, the targets use the median
        cold[name] = {"before": _cold(expr, "numba")}
        for k in range(3):
            cold[name][f"after #{k + 1}"] = _cold(expr, "auto")
        after = sorted(cold[name][f"after #{k + 1}"]["simulate_s"] for k in range(3))
        cold[name]["after_median_s"] = after[1]
        print(f"{name}: before {cold[name]['before']['simulate_s']:.2f} s, after (median of 3) "
              f"{after[1]:.2f} s ({cold[name]['after #1']['engine']})", flush=True)
    n = 10**5 if args.quick else 10**6
    repeats = 1 if args.quick else 3
    throughput = _throughput(n, repeats, lambda s: print(s, flush=True))
    data = {
        "date": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
        "cpus": os.cpu_count(),
        "uptime_start": uptime,
        "uptime_end": subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip(),
        "functions": FUNCTIONS,
        "cold": cold,
        "throughput_points": n,
        "repeats": repeats,
        "throughput": throughput,
    }
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out / "first_result.json", json.dumps(data, indent=2) + "\n")
    atomic_write_text(out / "first_result.md", _markdown(data))
    print((out / "first_result.md").read_text())


if __name__ == "__main__":
    main()
