"""Cost of following the sharpness during training: SharpnessMonitor against the same loop
with a cold-start Lanczos per measurement (the monitor before issue 22), PyHessian and
hessian-eigenthings, in ONE process.

Problem: the default of ``msl eos`` (1,000 standardised digits, tanh MLP 2 x 64, 8,970
parameters, float32, half squared error to one-hot labels), full-batch gradient descent
with ``torch.optim.SGD(lr=0.3)`` for ``--steps`` steps, the sharpness measured every
``--every`` steps, from two starts: ``init`` (progressive sharpening) and ``eos`` (the last
iterate of the default edge-of-stability run, cached in ``benchmarks/_build/eos``: the
sharpness oscillates around 2/eta and the top eigenvector turns from step to step).

Each variant runs the same training loop; its overhead is (loop time with measurements) /
(loop time without), best of ``--repeat``, the plain loop and the variants alternating:

* ``monitor (warm tracking)``: ``empirical.SharpnessMonitor(..., every=10)`` as a user runs
  it (full-batch loss, sharpness by :func:`empirical.track_top_eigenpairs`);
* ``cold Lanczos (before)``: what the monitor did before: the loss, then
  ``empirical.lanczos`` (default tolerance, residual check) from the previous eigenvector
  plus 5% noise, with at least 5 iterations;
* ``pyhessian``: ``hessian(model, criterion, data).eigenvalues(top_n=1)`` (its defaults:
  tol 1e-3, 100 iterations), the way its README measures the top eigenvalue;
* ``hessian-eigenthings``: ``lanczos(HessianOperator(...), k=1, which="LA")`` (its
  default tolerance 1e-4).

Accuracy: every measured sharpness against a float64 Lanczos to 1e-10 at the same
parameters (computed after the timing).  Writes ``benchmarks/results/monitor.json`` and
``.md``::

    python benchmarks/bench_monitor.py        # ~3 minutes on 2 busy cores
"""

from __future__ import annotations

import argparse
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
from empirical import ProblemSpec, build_problem, run_eos  # noqa: E402
from theory.files import atomic_write_text  # noqa: E402

warnings.filterwarnings("ignore")
LR = 0.3  # the default learning rate of msl eos (empirical._spec.DEFAULT_LR)


def half_mse(out, t):
    return 0.5 * ((out - t) ** 2).sum(dim=1).mean()


def model_at(spec, theta):
    model = build_problem(spec).model
    # a copy: vector_to_parameters makes the parameters views of its argument, and the
    # training loop must not move the start point
    torch.nn.utils.vector_to_parameters(theta.detach().float().clone(), model.parameters())
    for p in model.parameters():
        p.requires_grad_(True)
    return model.eval()


def train(model, x, t, steps, every, measure, lr):
    """Full-batch GD; ``measure(model, step)`` after steps 0, every, 2 every, ...; returns
    the wall time and the list of (theta, value) measured."""
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    found = []
    start = time.perf_counter()
    for step in range(steps):
        opt.zero_grad()
        half_mse(model(x), t).backward()
        opt.step()
        if measure is not None and step % every == 0:
            value = measure(model, opt, step)
            found.append((torch.nn.utils.parameters_to_vector(model.parameters()).detach()
                          .clone(), value))
    return time.perf_counter() - start, found


def variants(x, t, y, every):
    def monitor_factory():
        holder = {}

        def measure(model, opt, step):
            if "m" not in holder:
                holder["m"] = empirical.SharpnessMonitor(model, "mse", (x, y), opt,
                                                         every=1, progress=False)
            return holder["m"].step().sharpness
        return measure

    def cold_factory():
        state = {"v0": None, "i": 0}

        def measure(model, opt, step):
            obj = empirical.hessian(model, "mse", (x, y)).objective
            theta = obj.theta0
            obj.value(theta)
            est = empirical.lanczos(obj.operator(theta), obj.dim, dtype=obj.dtype,
                                    v0=state["v0"], seed=state["i"])
            state["v0"], state["i"] = est.eigenvectors[0], state["i"] + 1
            return est.sharpness
        return measure

    def pyhessian_factory():
        import importlib

        ph = importlib.import_module("pyhessian.hessian")

        def measure(model, opt, step):
            values, _ = ph.hessian(model, half_mse, data=(x, t), cuda=False).eigenvalues(
                top_n=1)
            return float(values[0])
        return measure

    def eigenthings_factory():
        import hessian_eigenthings as he

        def measure(model, opt, step):
            op = he.HessianOperator(model, [(x, t)], he.supervised_loss(half_mse))
            return float(he.lanczos(op, k=1, which="LA", seed=step).eigenvalues[0])
        return measure

    return {"monitor (warm tracking)": monitor_factory, "cold Lanczos (before)": cold_factory,
            "pyhessian": pyhessian_factory, "hessian-eigenthings": eigenthings_factory}


def reference(spec, theta, x, y) -> float:
    model = model_at(spec, theta).double()
    hess = empirical.hessian(model, "mse", (x.double(), y))
    return float(hess.eigenvalues(k=1, tol=1e-10).sharpness)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--every", type=int, default=10)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--points", nargs="+", default=["init", "eos"])
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    spec = ProblemSpec()
    prob = build_problem(spec)
    x, y = prob.data.x_train.float(), prob.data.y_train
    t = nn.functional.one_hot(y, 10).float()
    starts = {"init": prob.theta0}
    if "eos" in args.points:
        starts["eos"] = run_eos(spec, out_dir=ROOT / "_build" / "eos",
                                progress=False).trace.final_theta
    results = {"problem": spec.to_dict(), "steps": args.steps, "every": args.every,
               "lr": LR, "threads": args.threads, "repeat": args.repeat,
               "machine": platform.platform(), "torch": torch.__version__,
               "load_at_start": os.getloadavg()[0], "points": {}, "unavailable": {}}
    for point in args.points:
        theta = starts[point]
        factories = variants(x, t, y, args.every)
        usable = {}
        for name, factory in factories.items():
            try:
                factory()
                usable[name] = factory
            except ImportError as exc:
                results["unavailable"][name] = str(exc)
        # interleaved: each repetition times the plain loop and every variant in turn, so
        # a change of the machine's load hits them alike; best of --repeat for each
        plain, walls, found = math.inf, dict.fromkeys(usable, math.inf), {}
        for _ in range(args.repeat):
            plain = min(plain, train(model_at(spec, theta), x, t, args.steps, args.every,
                                     None, LR)[0])
            for name, factory in usable.items():
                w, f = train(model_at(spec, theta), x, t, args.steps, args.every, factory(),
                             LR)
                walls[name], found[name] = min(walls[name], w), f
        entry = {"train_seconds": plain, "variants": {}}
        print(f"{point}: training alone {plain:.3f} s", flush=True)
        for name in usable:
            refs = [reference(spec, th, x, y) for th, _ in found[name]]
            errors = [abs(v - r) / r for (_, v), r in zip(found[name], refs, strict=True)]
            wall = walls[name]
            entry["variants"][name] = {
                "seconds": wall, "overhead": wall / plain,
                "median_rel_error": float(np.median(errors)),
                "max_rel_error": float(np.max(errors)), "n_measurements": len(found[name]),
                "load": os.getloadavg()[0]}
            print(f"  {name}: {wall:.3f} s = {wall / plain:.2f}x training, rel. error "
                  f"median {np.median(errors):.1e} max {np.max(errors):.1e}", flush=True)
        results["points"][point] = entry
    write(results)


def write(results) -> None:
    out = ROOT / "results"
    out.mkdir(exist_ok=True)
    atomic_write_text(out / "monitor.json", json.dumps(results, indent=2) + "\n")
    lines = ["# Sharpness during training: SharpnessMonitor vs cold Lanczos, PyHessian, "
             "hessian-eigenthings", "",
             f"Digits MLP (8,970 parameters, float32), full-batch GD at lr {results['lr']}, "
             f"{results['steps']} steps, the sharpness every {results['every']} steps; "
             f"{results['threads']} torch thread(s); best of {results['repeat']}; load "
             f"average {results['load_at_start']:.1f} at the start; {results['machine']}; "
             f"torch {results['torch']}.", ""]
    for name, why in results["unavailable"].items():
        lines.append(f"**{name} could not be imported** ({why}); it is left out.")
    lines += ["", "| start | variant | wall s | x training time | median rel. error | max rel. "
              "error |", "|---|---|---|---|---|---|"]
    for point, entry in results["points"].items():
        lines.append(f"| {point} | training alone | {entry['train_seconds']:.3f} | 1.00 | | |")
        for name, v in entry["variants"].items():
            lines.append(f"| {point} | {name} | {v['seconds']:.3f} | {v['overhead']:.2f} | "
                         f"{v['median_rel_error']:.1e} | {v['max_rel_error']:.1e} |")
    atomic_write_text(out / "monitor.md", "\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
