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

Grid check: a metric that records the parameters at each evaluation shows where
loss-landscapes' ``random_plane`` evaluates: the step from column ``i`` to ``i + 1``
should be the same vector for every ``i`` on a regular grid; its largest deviation
(relative to the step) is reported.  Ours evaluates ``theta + a_i d1 + b_j d2`` with
``np.linspace`` values, regular by construction (tested in
``tests/empirical/test_surfaces.py``).

Writes ``benchmarks/results/surface.json`` and ``.md``::

    python benchmarks/bench_surface.py          # ~2 minutes on 2 busy cores
"""

from __future__ import annotations

import argparse
import copy
import json
import math
import os
import platform
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


def best_of_interleaved(fns, repeat: int) -> list[float]:
    """Best wall time of each function, the functions alternating (so a change of the
    machine's load hits both alike), after one warm-up each."""
    for fn in fns:
        fn()
    best = [math.inf] * len(fns)
    for _ in range(repeat):
        for i, fn in enumerate(fns):
            start = time.perf_counter()
            fn()
            best[i] = min(best[i], time.perf_counter() - start)
    return best


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
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    prob = build_problem(ProblemSpec())
    x = prob.data.x_train.float()
    t = nn.functional.one_hot(prob.data.y_train, 10).float()
    crit = nn.MSELoss()
    model, other = fresh_model(), fresh_model(1)
    s = args.steps
    ours = {
        "2-D": lambda: empirical.hessian(copy.deepcopy(model), crit, (x, t)).loss_surface(
            dims=2, n_points=s, seed=0),
        "1-D": lambda: empirical.hessian(copy.deepcopy(model), crit, (x, t)).loss_surface(
            dims=1, n_points=s, seed=0),
        "interpolation": lambda: empirical.interpolate(model, other, crit, (x, t),
                                                       n_points=s),
    }
    results = {"steps": s, "threads": args.threads, "repeat": args.repeat,
               "machine": platform.platform(), "torch": torch.__version__,
               "load_at_start": os.getloadavg()[0], "rows": [], "unavailable": None}
    peer = {}
    try:
        import loss_landscapes
        from loss_landscapes.metrics import Loss

        metric = Loss(crit, x, t)
        peer = {
            "2-D": lambda: loss_landscapes.random_plane(model, metric, steps=s,
                                                        normalization="filter",
                                                        deepcopy_model=True),
            "1-D": lambda: loss_landscapes.random_line(model, metric, steps=s,
                                                       normalization="filter",
                                                       deepcopy_model=True),
            "interpolation": lambda: loss_landscapes.linear_interpolation(
                model, other, metric, steps=s, deepcopy_model=True),
        }
        results["loss_landscapes_grid_deviation"] = grid_deviation_of_loss_landscapes(
            model, x, t, s)
    except ImportError as exc:
        results["unavailable"] = str(exc)
    for task, fn in ours.items():
        if task in peer:
            mine, theirs = best_of_interleaved([fn, peer[task]], args.repeat)
        else:
            mine, theirs = best_of_interleaved([fn], args.repeat)[0], math.nan
        row = {"task": task, "points": s * s if task == "2-D" else s, "ours_seconds": mine,
               "loss_landscapes_seconds": theirs, "ratio": mine / theirs,
               "load": os.getloadavg()[0]}
        results["rows"].append(row)
        print(f"{task}: ours {mine:.3f} s, loss-landscapes {theirs:.3f} s, "
              f"ratio {row['ratio']:.2f}", flush=True)
    write(results)


def write(results) -> None:
    out = ROOT / "results"
    out.mkdir(exist_ok=True)
    atomic_write_text(out / "surface.json", json.dumps(results, indent=2) + "\n")
    lines = ["# Loss surfaces: ours vs loss-landscapes 3.0.6", "",
             f"Digits MLP (8,970 parameters, float32, 1,000 examples), nn.MSELoss(); "
             f"{results['steps']} points per axis; {results['threads']} torch thread(s); best "
             f"of {results['repeat']} (ours and theirs alternating) after a warm-up, set-up "
             "included; load average "
             f"{results['load_at_start']:.1f} at the start; {results['machine']}; torch "
             f"{results['torch']}.", ""]
    if results["unavailable"]:
        lines.append(f"**loss-landscapes could not be imported** ({results['unavailable']}).")
    lines += ["| task | points | ours s | loss-landscapes s | ours / theirs |",
              "|---|---|---|---|---|"]
    for r in results["rows"]:
        lines.append(f"| {r['task']} | {r['points']} | {r['ours_seconds']:.3f} | "
                     f"{r['loss_landscapes_seconds']:.3f} | {r['ratio']:.2f} |")
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
