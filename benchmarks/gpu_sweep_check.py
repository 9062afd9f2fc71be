"""The ``sweep`` check of ``benchmarks/gpu_check.py`` (issue 12): GPU sweep vs Numba kernel.

On f1 and f2 (C = 3) of Fig. 4.1, the same grid is swept by the Numba CPU kernel
(``device="cpu"``) and by the PyTorch kernel on the device (``"cuda"``; without CUDA its
CPU stand-in ``"torch-cpu"``):

* **agreement**, orbit by orbit, on a phase-diagram grid (f1: eta 0.5..10 with bound 10, so
  that it has converged, undecided, periodic and diverged orbits; f2: eta 0.1..2.5, converged
  and chaotic): classes and periods equal except for a few orbits between the statistical
  classes (chaotic / drifting / undecided: a chaotic orbit amplifies the few-ulp differences
  of torch's log1p against the kernel's own); converged and periodic orbits' final states
  and cycle exponents equal to 1e-8; the mean exponent of the chaotic orbits equal within
  its sampling error;
* **throughput**: orbit-steps per second of each on one learning rate (f1 at eta = 3,
  f2 at eta = 2) with every orbit run to the end (``early_exit=False, transient=0``, as in
  ``benchmarks/bench_simulator.py``), best of two runs after a warm-up.
"""

from __future__ import annotations

import os
import time
import warnings

import numpy as np

#: (function, eta range of the agreement grid, x0 range, bound; eta of the throughput run)
CASES = (("f1", (0.5, 10.0), (-5.0, 5.0), 10.0, 3.0),
         ("f2", (0.1, 2.5), (-3.0, 3.0), None, 2.0))
#: classes a chaotic orbit may end in, depending on rounding (docs/gpu.md)
STATISTICAL = ("chaotic", "drifting", "undecided")
#: most orbits allowed to change between statistical classes (or one, on a small grid);
#: measured on CPU: 2 of 2,000 f2 orbits at 1,000 steps, none at 2,000
MAX_SOFT_FRACTION = 0.005


def _agreement(cpu, dev) -> dict:
    from theory.dynamics import CLASS_NAMES

    names = np.array(CLASS_NAMES)
    a, b = names[cpu.classes], names[dev.classes]
    differ = a != b
    soft = differ & (np.isin(a, STATISTICAL) & np.isin(b, STATISTICAL))
    cyclic = (cpu.classes <= 1) & (dev.classes <= 1)
    scale = np.maximum(1.0, np.abs(cpu.final_state[cyclic]))
    state = float(np.max(np.abs(dev.final_state[cyclic] - cpu.final_state[cyclic]) / scale,
                         initial=0.0))
    exponent = float(np.max(np.abs(dev.lyapunov[cyclic] - cpu.lyapunov[cyclic]), initial=0.0))
    chaotic = (a == "chaotic") & (b == "chaotic")
    n_chaotic = int(chaotic.sum())
    chaos_diff = (float(abs(dev.lyapunov[chaotic].mean() - cpu.lyapunov[chaotic].mean()))
                  if n_chaotic else 0.0)
    chaos_tol = 0.01 + 0.3 / np.sqrt(max(n_chaotic, 1))
    return {
        "orbits": int(a.size), "counts_cpu": cpu.counts(), "counts_device": dev.counts(),
        "class_mismatches": int(differ.sum()), "statistical_mismatches": int(soft.sum()),
        "periods_equal_where_cyclic": bool(np.all(cpu.period[cyclic] == dev.period[cyclic])),
        "cyclic_state_rel_diff": state, "cyclic_exponent_diff": exponent,
        "chaotic_orbits": n_chaotic, "chaotic_mean_exponent_diff": chaos_diff,
        "chaotic_mean_exponent_tol": chaos_tol,
        "passed": bool(not (differ & ~soft).any()
                       and soft.sum() <= max(1, MAX_SOFT_FRACTION * a.size)
                       and np.all(cpu.period[cyclic] == dev.period[cyclic])
                       and state <= 1e-8 and exponent <= 1e-8 and chaos_diff <= chaos_tol),
    }


def _best_time(run, repeats=2) -> float:
    best = np.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - t0)
    return best


def _with_step(mode: str, run):
    """run() with the GPU kernel's step ``mode`` ("fused": the numba-cuda step where it can
    be built, "torch": the PyTorch step), and the warnings it raised."""
    before = os.environ.get("MSL_GPU_FUSED")
    os.environ["MSL_GPU_FUSED"] = "1" if mode == "fused" else "0"
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            value = run()
    finally:
        if before is None:
            del os.environ["MSL_GPU_FUSED"]
        else:
            os.environ["MSL_GPU_FUSED"] = before
    return value, [str(w.message) for w in caught]


def sweep_rows(device: str, sizes: dict) -> list[dict]:
    """The rows of the sweep check (``device``: "cuda", or "cpu" when there is no CUDA).

    On CUDA both steps of the GPU kernel are checked and timed: the fused numba-cuda step
    (the default) and the PyTorch step (``MSL_GPU_FUSED=0``); on the CPU stand-in only the
    PyTorch step (the fused one runs there only in numba's slow CUDA simulator: the tests).
    """

    from theory.dynamics import simulate

    sweep_device = "cuda" if device.startswith("cuda") else "torch-cpu"
    modes = ("fused", "torch") if sweep_device == "cuda" else ("torch",)
    n_eta, n_x0 = sizes["sweep_grid"]
    points, bench_steps = sizes["sweep_points"], sizes["sweep_bench_steps"]
    if sweep_device == "torch-cpu":  # the CPU stand-in is slow: smaller grids
        points = min(points, 2**14)
        n_eta, n_x0 = min(n_eta, 40), min(n_x0, 50)
    rows = []
    for name, (e0, e1), (a0, a1), bound, bench_eta in CASES:
        eta, x0 = np.linspace(e0, e1, n_eta), np.linspace(a0, a1, n_x0)
        kw = {"progress": False, "bound": bound}
        t0 = time.perf_counter()
        cpu = simulate(name, eta, x0, sizes["sweep_steps"], **kw)
        t_cpu_grid = time.perf_counter() - t0  # includes a first compilation, if any
        xs = np.linspace(a0, a1, points)
        bench = {"progress": False, "early_exit": False, "transient": 0}
        t0 = time.perf_counter()
        cpu_bench = simulate(name, bench_eta, xs, bench_steps, **bench)
        t_cpu = min(time.perf_counter() - t0,
                    _best_time(lambda xs=xs, name=name, bench_eta=bench_eta, bench=bench:
                               simulate(name, bench_eta, xs, bench_steps, **bench), 1))
        for mode in modes:
            try:
                rows += _mode_rows(name, mode, sweep_device, cpu, cpu_bench, t_cpu_grid, t_cpu,
                                   eta, x0, xs, kw, bench, bench_eta, sizes)
            except Exception as exc:  # record it and go on with the other checks
                rows.append({"check": f"sweep {name} ({sweep_device}, {mode} step)",
                             "passed": False, "error": f"{type(exc).__name__}: {exc}"[:2000]})
    return rows


def _mode_rows(name, mode, sweep_device, cpu, cpu_bench, t_cpu_grid, t_cpu, eta, x0, xs, kw,
               bench, bench_eta, sizes) -> list[dict]:
    """Agreement and throughput rows of one step mode of the GPU kernel."""
    import numba

    from theory.dynamics import simulate

    points, bench_steps = xs.size, sizes["sweep_bench_steps"]
    n_eta, n_x0 = eta.size, x0.size
    work = float(points) * bench_steps
    rows = []
    t0 = time.perf_counter()
    dev, warned = _with_step(mode, lambda name=name, eta=eta, x0=x0, kw=kw: simulate(
        name, eta, x0, sizes["sweep_steps"], device=sweep_device, **kw))
    t_dev = time.perf_counter() - t0  # includes building the kernel
    kernel = dev.metadata["kernel"]
    label = f"{sweep_device}, {mode} step" + (
        "" if mode == "torch" or kernel.startswith("torch-fused-") else
        " UNAVAILABLE: PyTorch step ran")
    agree = _agreement(cpu, dev)
    rows.append({"check": f"sweep {name} agreement ({label} vs Numba CPU kernel)",
                 "rel_diff": agree["statistical_mismatches"] / agree["orbits"],
                 "tol": MAX_SOFT_FRACTION, "cpu_s": t_cpu_grid, "device_s": t_dev,
                 "grid": [n_eta, n_x0, sizes["sweep_steps"]], "kernel": kernel,
                 "warnings": warned, **agree})
    got = {}

    def run(xs=xs, name=name, bench_eta=bench_eta, bench=bench, got=got, mode=mode):
        got["r"], _ = _with_step(mode, lambda: simulate(
            name, bench_eta, xs, bench_steps, device=sweep_device, **bench))

    t_dev = _best_time(run)
    mismatch = float(np.mean(cpu_bench.classes != got["r"].classes))
    rows.append({
        "check": f"sweep {name} throughput ({label}; eta={bench_eta}, {points} "
                 f"orbits x {bench_steps} steps)",
        "rel_diff": mismatch, "tol": MAX_SOFT_FRACTION,
        "passed": bool(mismatch <= MAX_SOFT_FRACTION),
        "cpu_steps_per_s": work / t_cpu, "device_steps_per_s": work / t_dev,
        "device_over_cpu": t_cpu / t_dev, "cpu_s": t_cpu, "device_s": t_dev,
        "numba_threads": numba.get_num_threads(), "cpu_count": os.cpu_count(),
        "kernel": got["r"].metadata["kernel"],
        "note": f"steps/s: {sweep_device} ({mode} step) {work / t_dev:.3g}, Numba CPU "
                f"({numba.get_num_threads()} threads) {work / t_cpu:.3g}, "
                f"ratio {t_cpu / t_dev:.2f}"})
    return rows
