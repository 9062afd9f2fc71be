"""Sweeps on Dask (issue 12): 1 against 2 workers, and what a chunk costs as a Dask task.

Measured side by side in one run, on f2 (6.2) above its threshold (every orbit chaotic, all
steps run), interleaved, best and median of ``--repeats``:

* **scaling** -- one grid (default 10^5 orbits x 20,000 steps in 40 chunks) in this process
  (Numba's threads on every core), on a LocalCluster of 1 worker process and of 2 worker
  processes, each worker with one thread and one Numba thread; the speed-up is
  1 worker / 2 workers;
* **per-chunk overhead** -- many tiny chunks (2,000 orbits x 100 steps in chunks of 10) in
  this process, on the 2-worker cluster, and on it with a chunk store (one ``.npz`` written
  per chunk, or a Zarr store); the overhead is (cluster - in-process) / chunks;
* **start** -- starting the LocalCluster, and the first sweep on it (40 one-point chunks: the
  workers import the package and load the cached kernel).

Every cluster result is checked bitwise against the in-process one.  Writes
``benchmarks/results/dask.{json,md}`` with the load average before and after.  Not a test:
``PYTHONPATH=. python benchmarks/bench_dask.py [--repeats N] [--quick]``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # theory.files of this checkout
    sys.path.insert(0, str(ROOT))
from theory.files import atomic_write_text  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
ARRAYS = ("final_state", "classes", "period", "lyapunov", "decided_step")


def _uptime() -> str:
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    except OSError:
        return "load average: " + ", ".join(f"{x:.2f}" for x in os.getloadavg())


def _same(a, b) -> bool:
    return all(getattr(a, n).tobytes() == getattr(b, n).tobytes() for n in ARRAYS)


def _cluster(workers: int):
    import distributed

    start = time.perf_counter()
    cluster = distributed.LocalCluster(n_workers=workers, threads_per_worker=1,
                                       processes=True, dashboard_address=None,
                                       env={"NUMBA_NUM_THREADS": "1"})
    client = distributed.Client(cluster)
    return cluster, client, time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--quick", action="store_true", help="a 10x smaller scaling grid")
    args = parser.parse_args(argv)

    from theory import catalog
    from theory.dynamics import simulate

    f2 = catalog.f2()
    n_eta, n_x0, steps = (50, 2000, 20_000) if not args.quick else (50, 200, 20_000)
    big = {"eta": np.linspace(0.5, 2.5, n_eta), "x0": np.linspace(-4.0, 4.0, n_x0),
           "steps": steps, "chunk_size": n_eta * n_x0 // 40}
    tiny = {"eta": np.linspace(0.5, 2.5, 20), "x0": np.linspace(-4.0, 4.0, 100),
            "steps": 100, "chunk_size": 10}

    def cpu_seconds(client) -> float:
        """CPU seconds so far of this process and (with a client) of every worker."""
        own = time.process_time()
        return own if client is None else own + sum(client.run(time.process_time).values())

    cpu: dict[str, list[float]] = {}
    busy: dict[str, list[float]] = {}

    def sweep(grid, name=None, **kwargs):
        import distributed

        client = kwargs.get("scheduler")
        cpu_start = cpu_seconds(client)
        with (distributed.get_task_stream(client) if client is not None
              else contextlib.nullcontext()) as stream:
            start = time.perf_counter()
            # the compiled kernel everywhere ("auto" could pick NumPy for a tiny first sweep)
            result = simulate(f2, grid["eta"], grid["x0"], grid["steps"],
                              chunk_size=grid["chunk_size"], engine="numba", progress=False,
                              **kwargs)
            elapsed = time.perf_counter() - start
        if name is not None:
            cpu.setdefault(name, []).append(cpu_seconds(client) - cpu_start)
            # workers computing at once: summed task compute time / wall time
            computing = elapsed if stream is None else sum(
                s["stop"] - s["start"] for r in stream.data for s in r["startstops"]
                if s["action"] == "compute")
            busy.setdefault(name, []).append(computing / elapsed)
        return elapsed, result

    load_before = _uptime()
    sweep(tiny)  # compile (or load) f2's kernel here first: the workers then load it
    clusters = {}
    start_s = {}
    first_s = {}
    for workers in (1, 2):
        cluster, client, started = _cluster(workers)
        clusters[workers] = (cluster, client)
        start_s[workers] = started
        # one-point chunks: every worker gets some, and loads the kernel, before the timing
        first_s[workers], _ = sweep({**tiny, "x0": tiny["x0"][:20], "eta": tiny["eta"][:2],
                                     "chunk_size": 1}, scheduler=client)
    times: dict[str, list[float]] = {}
    reference = {}
    identical = True
    try:
        for _ in range(args.repeats):
            for name, grid, kwargs in (
                ("scaling: in-process", big, {}),
                ("scaling: 1 worker", big, {"scheduler": clusters[1][1]}),
                ("scaling: 2 workers", big, {"scheduler": clusters[2][1]}),
                ("tiny chunks: in-process", tiny, {}),
                ("tiny chunks: 2 workers", tiny, {"scheduler": clusters[2][1]}),
                ("tiny chunks: 2 workers + store", tiny, {"scheduler": clusters[2][1]}),
                ("tiny chunks: 2 workers + zarr store", tiny, {"scheduler": clusters[2][1]}),
            ):
                with tempfile.TemporaryDirectory() as store:
                    if name.endswith("zarr store"):
                        kwargs = {**kwargs, "store": Path(store) / "sweep.zarr"}
                    elif name.endswith("store"):
                        kwargs = {**kwargs, "store": Path(store) / "sweep"}
                    elapsed, result = sweep(grid, name, **kwargs)
                times.setdefault(name, []).append(elapsed)
                key = "big" if grid is big else "tiny"
                if key not in reference:
                    reference[key] = result
                identical &= _same(result, reference[key])
    finally:
        for cluster, client in clusters.values():
            client.close()
            cluster.close()
    load_after = _uptime()

    best = {name: min(t) for name, t in times.items()}
    points = {"big": n_eta * n_x0, "tiny": tiny["eta"].size * tiny["x0"].size}
    chunks = {"big": 40, "tiny": points["tiny"] // tiny["chunk_size"]}
    rows = {}
    for name, t in times.items():
        key = "big" if name.startswith("scaling") else "tiny"
        rows[name] = {"best_s": min(t), "median_s": statistics.median(t), "runs": len(t),
                      "cpu_s": min(cpu[name]), "chunks": chunks[key],
                      "workers_computing": max(busy[name]),
                      "orbit_steps_per_s": points[key] * (big if key == "big" else tiny)[
                          "steps"] / min(t)}
    speedup = best["scaling: 1 worker"] / best["scaling: 2 workers"]
    # what 2 free cores would give: both workers computing, each as fast as the one alone
    projected = rows["scaling: 2 workers"]["workers_computing"] * (
        rows["scaling: 1 worker"]["cpu_s"] / rows["scaling: 2 workers"]["cpu_s"])
    overhead_ms = 1e3 * (best["tiny chunks: 2 workers"] - best["tiny chunks: in-process"]) / chunks[
        "tiny"]
    store_ms = 1e3 * (best["tiny chunks: 2 workers + store"] - best["tiny chunks: 2 workers"]) / \
        chunks["tiny"]
    zarr_ms = 1e3 * (best["tiny chunks: 2 workers + zarr store"]
                     - best["tiny chunks: 2 workers"]) / chunks["tiny"]
    result = {
        "speedup_2_over_1_workers": speedup,
        "projected_speedup_on_free_cores": projected,
        "dask_overhead_ms_per_chunk": overhead_ms,
        "store_ms_per_chunk": store_ms,
        "zarr_store_ms_per_chunk": zarr_ms,
        "cluster_start_s": start_s,
        "first_sweep_on_new_cluster_s": first_s,
        "bitwise_identical_to_in_process": bool(identical),
        "rows": rows,
        "scaling_grid": {"orbits": points["big"], "steps": steps, "chunks": 40},
        "tiny_grid": {"orbits": points["tiny"], "steps": tiny["steps"],
                      "chunks": chunks["tiny"]},
        "uptime_before": load_before,
        "uptime_after": load_after,
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    atomic_write_text(RESULTS / "dask.json", json.dumps(result, indent=1) + "\n")
    lines = [
        "# Sweeps on Dask: 1 vs 2 workers, per-chunk overhead (generated by "
        "benchmarks/bench_dask.py)", "",
        f"{result['date']}, Python {result['python']}, {result['cpu_count']} cores; "
        f"{args.repeats} interleaved runs per row.", "",
        f"- before: `{load_before}`", f"- after: `{load_after}`", "",
        "| run | chunks | best (s) | median (s) | CPU s (client + workers) | workers computing "
        "| orbit-steps/s |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    lines += [f"| {name} | {r['chunks']} | {r['best_s']:.3f} | {r['median_s']:.3f} | "
              f"{r['cpu_s']:.3f} | {r['workers_computing']:.2f} | "
              f"{r['orbit_steps_per_s']:.3g} |" for name, r in rows.items()]
    lines += [
        "",
        f"- **speed-up 2 workers / 1 worker: {speedup:.2f}x** on "
        f"{points['big']:,} orbits x {steps:,} steps (40 chunks; one Numba thread per "
        "worker; 'in-process' uses Numba's threads on every core). 'Workers computing' is "
        "the tasks' summed time in compute over the wall time (2.00: no worker ever waits for "
        "work): it measures the scheduling, not the CPU the machine gives; the wall-time "
        "speed-up also needs free cores (compare the load average).",
        f"- On two free cores the speed-up would be about {projected:.2f}x: workers computing "
        f"x CPU seconds of 1 worker / CPU seconds of 2 workers (a projection from this run's "
        f"numbers, not a measurement; this machine's other load left about "
        f"{rows['scaling: in-process']['cpu_s'] / best['scaling: in-process']:.1f} of its "
        f"{os.cpu_count()} cores to the in-process run).",
        f"- **Dask overhead per chunk: {overhead_ms:.1f} ms** (tiny chunks, 2 workers, against "
        f"the same chunks in-process); writing each chunk into the store adds "
        f"{store_ms:.1f} ms (.npz files), {zarr_ms:.1f} ms (Zarr).",
        f"- LocalCluster start: {start_s[1]:.1f} s (1 worker), {start_s[2]:.1f} s (2 "
        f"workers); first sweep on a new cluster (40 one-point chunks; the workers import the "
        f"package and load the cached kernel): {first_s[1]:.1f} s, {first_s[2]:.1f} s.",
        f"- every cluster result bitwise equal to the in-process one: {identical}.", "",
    ]
    atomic_write_text(RESULTS / "dask.md", "\n".join(lines))
    print("\n".join(lines))
    return 0 if identical else 1


if __name__ == "__main__":
    sys.exit(main())
