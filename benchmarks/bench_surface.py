"""Loss surfaces: ours against loss-landscapes 3.0.6 in ONE process (issue 22).

Problem: the digits MLP of ``msl eos`` (8,970 parameters, float32, 1,000 examples) with
``nn.MSELoss()`` on one-hot targets, at its seeded initialisation.  Timed, from a fresh
object each time (set-up included), best of ``--repeat`` after one warm-up, ours and the
peer alternating:

* 2-D, ``steps`` x ``steps`` points: ours ``empirical.hessian(...).loss_surface(dims=2,
  n_points=steps)`` against ``loss_landscapes.random_plane(model, Loss(...), steps=steps,
  normalization="filter", deepcopy_model=True)``;
* 1-D: ``loss_surface(dims=1)`` against ``random_line``;
* interpolation between two models: ``empirical.interpolate`` against
  ``linear_interpolation``.

The 1-D and interpolation rows run at ``steps`` (21) points, where a fixed set-up cost
weighs most, and at ``--long`` (51) points.  A fast row (< 0.1 s) is repeated
``--repeat-fast`` times.  Each row records the best wall time, the median over the
rounds of the back-to-back ratio ours / theirs, and the best CPU time of this thread
(``time.thread_time``; torch runs on one thread): on a shared machine the wall time
includes waiting for a core, the CPU time much less so.  ``uptime`` is recorded
before and after, and the load average with each row.

Grid check: a metric that records the parameters at each evaluation shows where
loss-landscapes' ``random_plane`` evaluates: the step from column ``i`` to ``i + 1``
should be the same vector for every ``i`` on a regular grid; its largest deviation
(relative to the step) is reported.  Ours evaluates ``theta + a_i d1 + b_j d2`` with
``np.linspace`` values, regular by construction (tested in
``tests/empirical/test_surfaces.py``).

Writes ``benchmarks/results/surface.json`` and ``.md``::

    python benchmarks/bench_surface.py          # ~1 minute on 2 busy cores
"""

from __future__ import annotations

import argparse
import copy
import json
import math
import os
import platform
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import torch
from torch import nn

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent))
import empirical  # noqa: E402
from empirical import ProblemSpec, build_problem  # noqa: E402
from theory.files import atomic_write_text  # noqa: E402

warnings.filterwarnings("ignore")


def fresh_model(seed_shift: int = 0) -> nn.Module:
    spec = ProblemSpec(seed=ProblemSpec().seed + seed_shift)
    model = build_problem(spec).model
    for p in model.parameters():
        p.requires_grad_(True)
    return model.eval()


def best_of_interleaved(fns, repeat: int) -> tuple[list[tuple[float, float]], list[list[float]]]:
    """Best ``(wall, CPU)`` seconds of each function, the functions alternating (so a
    change of the machine's load hits both alike), after one warm-up each; and every
    round's wall times (``rounds[i][j]``: function ``i``, round ``j``)."""
    for fn in fns:
        fn()
    best = [(math.inf, math.inf)] * len(fns)
    rounds: list[list[float]] = [[] for _ in fns]
    for _ in range(repeat):
        for i, fn in enumerate(fns):
            start, cpu = time.perf_counter(), time.thread_time()
            fn()
            wall, cpu = time.perf_counter() - start, time.thread_time() - cpu
            best[i] = (min(best[i][0], wall), min(best[i][1], cpu))
            rounds[i].append(wall)
    return best, rounds


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def grid_deviation_of_loss_landscapes(model, x, t, steps: int) -> float:
    import loss_landscapes
    from loss_landscapes.metrics.metric import Metric

    class Where(Metric):
        def __init__(self):
            super().__init__()
            self.points = []

        def __call__(self, wrapper):
            self.points.append(torch.cat([p.detach().reshape(-1).clone()
                                          for p in wrapper.get_module_parameters()]))
            return len(self.points) - 1

    where = Where()
    order = loss_landscapes.random_plane(model, where, steps=steps, normalization="filter",
                                         deepcopy_model=True)
    pts = torch.stack(where.points)[torch.as_tensor(np.asarray(order, dtype=np.int64))]
    steps_between_columns = pts[1:, 0] - pts[:-1, 0]  # (steps - 1, dim)
    first = steps_between_columns[0]
    return float((steps_between_columns - first).norm(dim=1).max() / first.norm())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--steps", type=int, default=21)
    ap.add_argument("--long", type=int, default=51, help="points of the longer 1-D rows")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--repeat-fast", type=int, default=60)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    prob = build_problem(ProblemSpec())
    x = prob.data.x_train.float()
    t = nn.functional.one_hot(prob.data.y_train, 10).float()
    crit = nn.MSELoss()
    model, other = fresh_model(), fresh_model(1)
    s, n_long = args.steps, args.long

    def ours(task: str, n: int):
        if task == "interpolation":
            return lambda: empirical.interpolate(model, other, crit, (x, t), n_points=n)
        return lambda: empirical.hessian(copy.deepcopy(model), crit, (x, t)).loss_surface(
            dims=2 if task == "2-D" else 1, n_points=n, seed=0)

    rows = [("2-D", s), ("1-D", s), ("interpolation", s), ("1-D", n_long),
            ("interpolation", n_long)]
    results = {"steps": s, "long": n_long, "threads": args.threads, "repeat": args.repeat,
               "repeat_fast": args.repeat_fast, "machine": platform.platform(),
               "torch": torch.__version__, "cpus": os.cpu_count(),
               "load_at_start": os.getloadavg()[0], "uptime_before": uptime(), "rows": [],
               "unavailable": None}
    try:
        import loss_landscapes
        from loss_landscapes.metrics import Loss

        metric = Loss(crit, x, t)

        def peer(task: str, n: int):
            if task == "2-D":
                return lambda: loss_landscapes.random_plane(model, metric, steps=n,
                                                            normalization="filter",
                                                            deepcopy_model=True)
            if task == "1-D":
                return lambda: loss_landscapes.random_line(model, metric, steps=n,
                                                           normalization="filter",
                                                           deepcopy_model=True)
            return lambda: loss_landscapes.linear_interpolation(model, other, metric, steps=n,
                                                                deepcopy_model=True)

        results["loss_landscapes_grid_deviation"] = grid_deviation_of_loss_landscapes(
            model, x, t, s)
    except ImportError as exc:
        results["unavailable"] = str(exc)
        peer = None
    for task, n in rows:
        repeat = args.repeat if task == "2-D" else args.repeat_fast
        fns = [ours(task, n)] + ([] if peer is None else [peer(task, n)])
        timed, rounds = best_of_interleaved(fns, repeat)
        mine, theirs = timed[0], timed[1] if len(timed) > 1 else (math.nan, math.nan)
        paired = (float(np.median(np.array(rounds[0]) / np.array(rounds[1])))
                  if len(rounds) > 1 else math.nan)
        row = {"task": task, "points": n * n if task == "2-D" else n, "repeat": repeat,
               "ours_seconds": mine[0], "loss_landscapes_seconds": theirs[0],
               "ratio": mine[0] / theirs[0], "paired_median_ratio": paired,
               "ours_cpu_seconds": mine[1], "loss_landscapes_cpu_seconds": theirs[1],
               "cpu_ratio": mine[1] / theirs[1], "load": os.getloadavg()[0]}
        results["rows"].append(row)
        print(f"{task} ({row['points']} points): ours {mine[0]:.4f} s, loss-landscapes "
              f"{theirs[0]:.4f} s, ratio {row['ratio']:.2f} (paired median {paired:.2f}, "
              f"CPU {row['cpu_ratio']:.2f}), load {row['load']:.1f}", flush=True)
    results["uptime_after"] = uptime()
    write(results)


def write(results) -> None:
    out = ROOT / "results"
    out.mkdir(exist_ok=True)
    atomic_write_text(out / "surface.json", json.dumps(results, indent=2) + "\n")
    lines = ["# Loss surfaces: ours vs loss-landscapes 3.0.6", "",
             f"Digits MLP (8,970 parameters, float32, 1,000 examples), nn.MSELoss(); "
             f"{results['threads']} torch thread(s); best of {results['repeat']} (2-D) or "
             f"{results['repeat_fast']} (the fast rows) calls, ours and theirs alternating, "
             "after a warm-up, set-up included (a fresh object each call); "
             f"{results['machine']}; torch {results['torch']}; {results['cpus']} CPUs, "
             "shared with other jobs while measured (five other sessions ran tests and "
             "benchmarks on the same 2 cores).", "",
             f"- before: `{results['uptime_before']}`",
             f"- after: `{results['uptime_after']}`", ""]
    if results["unavailable"]:
        lines.append(f"**loss-landscapes could not be imported** ({results['unavailable']}).")
    lines += ["| task | points | ours s | loss-landscapes s | ours / theirs (best wall) | "
              "paired median | ours / theirs (best CPU) | load |",
              "|---|---|---|---|---|---|---|---|"]
    for r in results["rows"]:
        lines.append(f"| {r['task']} | {r['points']} | {r['ours_seconds']:.4f} | "
                     f"{r['loss_landscapes_seconds']:.4f} | {r['ratio']:.2f} | "
                     f"{r['paired_median_ratio']:.2f} | {r['cpu_ratio']:.2f} | "
                     f"{r['load']:.1f} |")
    lines += ["", "Best wall: ratio of the best elapsed times; paired median: the median over "
              "the rounds of ours / theirs measured back to back (one round's load hits "
              "both); best CPU: ratio of the best CPU times of the benchmark's thread (least "
              "sensitive to the other jobs). Interpolation: ours evaluates "
              "`n_points` points from model A to model B inclusive, loss-landscapes `steps` "
              "points from A (inclusive) towards B (exclusive); both evaluate `n` points."]
    if "loss_landscapes_grid_deviation" in results:
        lines += ["", "Grid check: in loss-landscapes' `random_plane`, the step between "
                  "consecutive columns (first row) deviates from the first such step by up "
                  f"to {results['loss_landscapes_grid_deviation']:.2f} times its length "
                  "(every other column is shifted by one step along the second direction); "
                  "ours: 0 by construction."]
    atomic_write_text(out / "surface.md", "\n".join(lines) + "\n")
    print("\n".join(lines))

if __name__ == "__main__":
    main()
