"""Throughput of the compiled GD simulator against a C reference and NumPy (issue 3).

Runs, side by side in ONE process on the same machine:

* ``c``          -- ``benchmarks/c_reference.c``, gcc -O3 -march=native -ffast-math -fopenmp
                    (OpenMP over blocks of points, log/log1p vectorised by glibc's libmvec);
* ``numpy``      -- whole-array in-place ufunc loop (``benchmarks/references.py``);
* ``simulator``  -- the package: ``theory.dynamics.simulate(..., early_exit=False,
                    transient=0)`` (every point runs every step; Lyapunov sum over all steps,
                    like the references), including its classification;
* ``prototype-log`` / ``prototype-prod`` -- hand-written Numba kernels
                    (``benchmarks/numba_prototypes.py``): what the generated kernels can reach,
                    with a log per step or a renormalised product for the Lyapunov sum.

Workloads (Section 4, Fig. 4.1): ``f1`` at eta = 3 (> 2/f1''(0) = 2: period-2 orbits) and the
chaotic ``f2`` of eq. (6.2) with C = 3 at eta = 2 (Fig. 4.1 middle), x0 = linspace(-5, 5, N),
N = 10**6 points, T = 1,000 steps, Lyapunov sum included in every implementation.  A third
workload, ``f1-plain`` (no Lyapunov sum), is reported for information.

Throughput = points x steps / seconds (best of ``--repeats``).  NumPy runs ``--numpy-steps``
steps (default 200): its cost per step is the same at every step (the same full-array ufunc
calls), so its throughput does not depend on T, and running 1,000 steps would take minutes.

Also measured, in fresh processes: the Numba first-compile time (empty caches) and the
cached-start time (kernels loaded from the on-disk cache) of the simulator.

Writes ``benchmarks/results/simulator.json`` and ``benchmarks/results/simulator.md``.
Usage::

    python benchmarks/bench_simulator.py            # full run (3-4 minutes on 2 cores)
    python benchmarks/bench_simulator.py --quick    # 10**5 points, 200 steps, 1 repeat
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
from benchmarks import numba_prototypes as proto  # noqa: E402
from benchmarks.references import (  # noqa: E402
    C_FLAGS,
    CReference,
    numpy_gd_f1,
    numpy_gd_f2,
)
from theory.files import atomic_write_text  # noqa: E402

RESULTS = HERE / "results"
C_F2 = 3.0
WORKLOADS = {
    # name: (catalog function, eta, lyapunov included)
    "f1": ("f1", 3.0, True),
    "f2": ("f2", 2.0, True),
    "f1-plain": ("f1", 3.0, False),
}
TARGETS = {"vs_c": 0.5, "vs_numpy": 5.0}


def _load() -> list[float]:
    return [round(v, 2) for v in os.getloadavg()]


def _gcc_version() -> str:
    try:
        out = subprocess.run(["gcc", "--version"], capture_output=True, text=True, check=True)
        return out.stdout.splitlines()[0]
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


# ------------------------------------------------------------------------------------------
# the implementations, all with the same call shape: run(x, lyap_or_None, steps)


def _runner(impl: str, function: str, eta: float, c_ref: CReference):
    if impl == "c":
        if function == "f1":
            return lambda x, lyap, steps: c_ref.gd_f1(x, eta, steps, lyap)
        return lambda x, lyap, steps: c_ref.gd_f2(x, eta, steps, C_F2, lyap)
    if impl == "numpy":
        if function == "f1":
            return lambda x, lyap, steps: numpy_gd_f1(x, eta, steps, lyap)
        return lambda x, lyap, steps: numpy_gd_f2(x, eta, steps, C_F2, lyap)
    if impl.startswith("prototype-"):
        mode = impl.split("-", 1)[1]
        if function == "f1":
            return lambda x, lyap, steps: proto.gd_f1(x, eta, steps, lyap, lyap_mode=mode)
        return lambda x, lyap, steps: proto.gd_f2(x, eta, steps, C_F2, lyap, lyap_mode=mode)
    if impl == "simulator":
        from theory.dynamics import simulate

        def run(x, lyap, steps):
            result = simulate(
                function,
                eta,
                x,
                steps,
                early_exit=False,
                transient=0,
                lyapunov=lyap is not None,
                progress=False,
            )
            x[:] = result.final_state[0, :, 0]
            if lyap is not None:
                lyap[:] = result.lyapunov[0] * steps  # exponent -> sum over the steps
            return result

        return run
    raise ValueError(impl)


def _run_once(run, x0, with_lyap, steps):
    """(wall seconds, CPU seconds of the whole process, final x, Lyapunov sums)."""
    x = x0.copy()
    lyap = np.zeros_like(x0) if with_lyap else None
    c0 = time.process_time()
    t0 = time.perf_counter()
    run(x, lyap, steps)
    return time.perf_counter() - t0, time.process_time() - c0, x, lyap


def measure_workload(name, impls, n, steps, numpy_steps, repeats, c_ref, log):
    """Time every implementation ``repeats`` times, interleaved (round robin), so that a
    change of machine load during the run hits all of them alike; keep the best time."""
    function, eta, with_lyap = WORKLOADS[name]
    x0 = np.linspace(-5.0, 5.0, n)
    runners = {impl: _runner(impl, function, eta, c_ref) for impl in impls}
    t_steps = {impl: (numpy_steps if impl == "numpy" else steps) for impl in impls}
    for run in runners.values():
        # warm-up on a small problem: compiles (or loads from cache) outside the timing
        xw = x0[:2048].copy()
        run(xw, np.zeros_like(xw) if with_lyap else None, 4)
    times = {impl: [] for impl in impls}
    cpu = {impl: [] for impl in impls}
    loads = {impl: [] for impl in impls}
    finals = {}
    for _ in range(repeats):
        for impl, run in runners.items():
            dt, dc, x, lyap = _run_once(run, x0, with_lyap, t_steps[impl])
            times[impl].append(dt)
            cpu[impl].append(dc)
            loads[impl].append(_load()[0])
            finals[impl] = (x, lyap, t_steps[impl])
    rows = {}
    for impl in impls:
        best = min(times[impl])
        rows[impl] = {
            "steps": t_steps[impl],
            "seconds_best": best,
            "seconds_all": times[impl],
            "steps_per_second": n * t_steps[impl] / best,
            "cpu_seconds_all": cpu[impl],
            # work efficiency, insensitive to other processes taking cores (but counts
            # OpenMP threads spinning at barriers): points x steps per CPU-second
            "steps_per_cpu_second": n * t_steps[impl] / min(cpu[impl]),
            "load_1min_after_each": loads[impl],
        }
        x, lyap, s = finals[impl]
        if with_lyap and lyap is not None:
            rows[impl]["lyapunov_median"] = float(np.median(lyap / s))
        log(
            f"  {name:9s} {impl:15s} {rows[impl]['steps_per_second']:.3e} steps/s "
            f"(best of {repeats}: {best:.3f} s; load {loads[impl]})"
        )
    c_rate = rows["c"]["steps_per_second"] if "c" in rows else None
    np_rate = rows["numpy"]["steps_per_second"] if "numpy" in rows else None
    for row in rows.values():
        if c_rate:
            row["vs_c"] = row["steps_per_second"] / c_rate
        if np_rate:
            row["vs_numpy"] = row["steps_per_second"] / np_rate
    # agreement of the final states with the C reference (f1 only: f2 is chaotic, so final
    # states after 1,000 steps depend on the last bit; there the Lyapunov medians are compared)
    agreement = {}
    if "c" in finals:
        xc, lc, sc = finals["c"]
        for impl, (x, lyap, s) in finals.items():
            if impl == "c" or s != sc:
                continue
            entry = {}
            if function == "f1":
                entry["max_abs_final_state_diff"] = float(np.max(np.abs(x - xc)))
            if lyap is not None and lc is not None:
                entry["lyapunov_median_diff"] = abs(
                    float(np.median(lyap / s)) - float(np.median(lc / sc))
                )
            agreement[impl] = entry
    return {
        "function": function,
        "eta": eta,
        "C": C_F2 if function == "f2" else None,
        "lyapunov": with_lyap,
        "points": n,
        "x0": "linspace(-5, 5, points)",
        "implementations": rows,
        "agreement_with_c": agreement,
    }


# ------------------------------------------------------------------------------------------
# compile / cached start, in fresh processes

_START_SNIPPET = """
import json, time
t0 = time.perf_counter()
import numpy as np
from theory.dynamics import simulate
t1 = time.perf_counter()
simulate({function!r}, {eta!r}, np.linspace(-5.0, 5.0, 1000), 100, early_exit=False,
         progress=False)
t2 = time.perf_counter()
print(json.dumps({{"import_s": t1 - t0, "first_call_s": t2 - t1}}))
"""


def measure_start_times(function: str, eta: float) -> dict:
    """First-compile time (empty Numba and kernel caches) and cached start, fresh processes."""
    with tempfile.TemporaryDirectory(prefix="msl-bench-cache-") as tmp:
        env = dict(os.environ)
        env["NUMBA_CACHE_DIR"] = str(Path(tmp) / "numba")
        env["MSL_CACHE_DIR"] = str(Path(tmp) / "msl")
        env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
        code = _START_SNIPPET.format(function=function, eta=eta)
        out = {}
        for label in ("first_compile", "cached_start"):
            t0 = time.perf_counter()
            proc = subprocess.run(
                [sys.executable, "-c", code], env=env, capture_output=True, text=True,
                check=True, cwd=str(ROOT),
            )
            wall = time.perf_counter() - t0
            inner = json.loads(proc.stdout.strip().splitlines()[-1])
            out[label] = {"process_wall_s": wall, **inner, "load": _load()}
        return out


# ------------------------------------------------------------------------------------------


def _markdown(report: dict) -> str:
    lines = [
        "# GD simulator throughput (generated by benchmarks/bench_simulator.py)",
        "",
        f"Machine: {report['machine']['cpu']}, {report['machine']['cpus']} cores; "
        f"load average at start {report['machine']['load_start']}, "
        f"at end {report['machine']['load_end']}.  "
        f"Date: {report['date']}.",
        "",
        "| workload | implementation | steps/s | vs C | vs NumPy | steps/CPU-s |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for wname, w in report["workloads"].items():
        for impl, row in w["implementations"].items():
            lines.append(
                f"| {wname} | {impl} | {row['steps_per_second']:.3g} | "
                f"{row.get('vs_c', float('nan')):.2f} | {row.get('vs_numpy', float('nan')):.1f} | "
                f"{row['steps_per_cpu_second']:.3g} |"
            )
    lines.append("")
    if report.get("start_times"):
        lines.append("| simulator start (fresh process) | import s | first simulate s | wall s |")
        lines.append("| --- | ---: | ---: | ---: |")
        for fname, st in report["start_times"].items():
            for label, v in st.items():
                lines.append(
                    f"| {fname} {label.replace('_', ' ')} | {v['import_s']:.2f} | "
                    f"{v['first_call_s']:.2f} | {v['process_wall_s']:.2f} |"
                )
        lines.append("")
    t = report.get("targets")
    if t:
        lines.append("Targets (simulator, Lyapunov sum included): "
                     f">= {TARGETS['vs_c']}x C and >= {TARGETS['vs_numpy']}x NumPy.")
        for wname, v in t.items():
            lines.append(
                f"- {wname}: {v['vs_c']:.2f}x C, {v['vs_numpy']:.1f}x NumPy: "
                f"{'met' if v['met'] else 'NOT met'}"
            )
        lines.append("")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--points", type=int, default=10**6)
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--numpy-steps", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="10**5 points, 200 steps, 1 repeat")
    parser.add_argument(
        "--impls", default="c,numpy,simulator,prototype-libm,prototype-log,prototype-prod",
        help="comma-separated subset of c,numpy,simulator,prototype-{libm,log,prod}",
    )
    parser.add_argument("--workloads", default="f1,f2,f1-plain")
    parser.add_argument("--no-start-times", action="store_true")
    parser.add_argument("--out", type=Path, default=RESULTS / "simulator.json")
    args = parser.parse_args(argv)
    if args.quick:
        args.points, args.steps, args.numpy_steps, args.repeats = 10**5, 200, 50, 1
    impls = [s for s in args.impls.split(",") if s]
    if "c" not in impls:
        impls.insert(0, "c")

    import llvmlite
    import numba

    c_ref = CReference()
    report = {
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "machine": {
            "cpu": _cpu_model(),
            "cpus": os.cpu_count(),
            "load_start": _load(),
            "python": platform.python_version(),
            "numpy": np.__version__,
            "numba": numba.__version__,
            "llvmlite": llvmlite.__version__,
            "numba_threads": numba.config.NUMBA_NUM_THREADS,
            "svml": bool(getattr(numba.config, "USING_SVML", False)),
            "gcc": _gcc_version(),
            "c_flags": " ".join(C_FLAGS),
            "openmp_threads": c_ref.threads,
        },
        "settings": {
            "points": args.points,
            "steps": args.steps,
            "numpy_steps": args.numpy_steps,
            "repeats": args.repeats,
        },
        "workloads": {},
    }

    def log(msg):
        print(msg, flush=True)

    log(f"load average {report['machine']['load_start']}; {args.points} points, "
        f"{args.steps} steps (NumPy {args.numpy_steps}), best of {args.repeats}")
    for wname in [w for w in args.workloads.split(",") if w]:
        report["workloads"][wname] = measure_workload(
            wname, impls, args.points, args.steps, args.numpy_steps, args.repeats, c_ref, log
        )
    if not args.no_start_times and "simulator" in impls:
        report["start_times"] = {}
        for fname, eta in (("f1", 3.0), ("f2", 2.0)):
            report["start_times"][fname] = measure_start_times(fname, eta)
            log(f"  start {fname}: {report['start_times'][fname]}")
    targets = {}
    for wname, w in report["workloads"].items():
        row = w["implementations"].get("simulator")
        if row and w["lyapunov"] and "vs_numpy" in row:
            targets[wname] = {
                "vs_c": row["vs_c"],
                "vs_numpy": row["vs_numpy"],
                "met": row["vs_c"] >= TARGETS["vs_c"] and row["vs_numpy"] >= TARGETS["vs_numpy"],
            }
    report["targets"] = targets
    report["machine"]["load_end"] = _load()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(args.out, json.dumps(report, indent=2))
    atomic_write_text(args.out.with_suffix(".md"), _markdown(report))
    log(_markdown(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
