"""Which exact Hessian-vector product is cheapest for many products at one point (issue 11).

Side by side in ONE process, interleaved round robin (best of ``--repeats`` blocks of
``--products`` products each), on

* ``mlp``: the default problem of ``msl eos`` (1,000 standardised digits, tanh MLP 2 x 64,
  MSE; 8,970 parameters), one batch;
* ``cnn``: a Conv2d(1,8,3)+ReLU+Conv2d(8,8,3)+ReLU+Linear model on the same digits as
  8 x 8 images with cross-entropy (the issue's "new user" model), in 4 batches of 250.

Products (all exact; agreement with the first is checked and reported):

* ``forward_over_reverse``: ``torch.func.jvp(torch.func.grad(f))`` per product (the
  old default);
* ``reverse_fresh``: ``torch.func.vjp(torch.func.grad(f))`` rebuilt per product
  (``Objective.hvp``);
* ``retained_vjp``: that vjp built once per batch, then one backward per product
  (``Objective.operator``, what ``empirical.hessian`` uses);
* ``autograd_retained``: PyHessian's ``autograd.grad(g, params, v, retain_graph=True)``
  on a gradient graph kept from ``create_graph=True``;
* ``linearize``: ``torch.func.linearize(torch.func.grad(f))`` once (``make_fx``
  tracing), then its jvp per product.

Writes ``benchmarks/results/hvp.json`` and ``benchmarks/results/hvp.md``.  Usage::

    python benchmarks/bench_hvp.py             # ~1 minute on 2 cores
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
import warnings
from pathlib import Path

import torch
from torch import nn
from torch.func import grad, linearize

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent))
import empirical  # noqa: E402
from empirical import ProblemSpec, build_problem  # noqa: E402
from theory.files import atomic_write_text  # noqa: E402

warnings.filterwarnings("ignore")


def digits_cnn(dtype):
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(1, 8, 3), nn.ReLU(), nn.Conv2d(8, 8, 3), nn.ReLU(),
                         nn.Flatten(), nn.Linear(8 * 4 * 4, 10)).to(dtype)


def objectives(dtype_name):
    """``{name: (objective, theta)}`` for the two workloads."""
    prob = build_problem(ProblemSpec(dtype=dtype_name))
    dtype = prob.loss.dtype
    x, y = prob.data.x_train, prob.data.y_train
    loader = [(x[i:i + 250].reshape(-1, 1, 8, 8), y[i:i + 250]) for i in range(0, len(y), 250)]
    cnn = empirical.hessian(digits_cnn(dtype), nn.CrossEntropyLoss(), loader).objective
    return {"mlp": (prob.loss, prob.theta0), "cnn": (cnn, cnn.theta0)}


def methods(objective, theta):
    """``{name: (setup_seconds, matvec)}``."""
    out = {}
    out["forward_over_reverse"] = (0.0, lambda v: objective.hvp_forward_over_reverse(theta, v))
    out["reverse_fresh"] = (0.0, lambda v: objective.hvp(theta, v))
    t0 = time.perf_counter()
    op = objective.operator(theta, retain=True)
    out["retained_vjp"] = (time.perf_counter() - t0, op)
    t0 = time.perf_counter()
    leaf = theta.detach().clone().requires_grad_(True)
    graphs = []
    for weight, fn in objective._pieces():
        g, = torch.autograd.grad(fn(leaf), leaf, create_graph=True)
        graphs.append((weight, g))

    def autograd_retained(v):
        total = torch.zeros_like(theta)
        for weight, g in graphs:
            total.add_(torch.autograd.grad(g, leaf, v, retain_graph=True)[0], alpha=weight)
        return total

    out["autograd_retained"] = (time.perf_counter() - t0, autograd_retained)
    t0 = time.perf_counter()
    try:
        lins = [(w, linearize(grad(fn), theta)[1]) for w, fn in objective._pieces()]
    except RuntimeError as exc:  # make_fx cannot trace some models
        print(f"linearize fails: {str(exc).splitlines()[0][:100]}")
        return out

    def linearized(v):
        total = torch.zeros_like(theta)
        for weight, lin in lins:
            total.add_(lin(v), alpha=weight)
        return total

    out["linearize"] = (time.perf_counter() - t0, linearized)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--products", type=int, default=20)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    results = {"products": args.products, "repeats": args.repeats, "threads": args.threads,
               "machine": platform.platform(), "torch": torch.__version__,
               "load_at_start": os.getloadavg()[0], "workloads": {}}
    methods_seen: dict = {}
    for dtype_name in ("float32", "float64"):
        for work, (objective, theta) in objectives(dtype_name).items():
            ms = methods(objective, theta)
            gen = torch.Generator().manual_seed(0)
            vs = torch.randn(args.products, objective.dim, generator=gen, dtype=objective.dtype)
            ref = ms["forward_over_reverse"][1](vs[0])
            best = dict.fromkeys(ms, float("inf"))
            agree = {}
            for name, (_, mv) in ms.items():
                mv(vs[0])  # warm up
                agree[name] = float((mv(vs[0]) - ref).norm() / ref.norm())
            for _ in range(args.repeats):
                for name, (_, mv) in ms.items():
                    t0 = time.perf_counter()
                    for v in vs:
                        mv(v)
                    best[name] = min(best[name], (time.perf_counter() - t0) / args.products)
            key = f"{work}/{dtype_name}"
            methods_seen.update(dict.fromkeys(ms))
            results["workloads"][key] = {
                "dim": objective.dim,
                "ms_per_product": {k: 1e3 * t for k, t in best.items()},
                "setup_ms": {k: 1e3 * s for k, (s, _) in ms.items()},
                "relative_difference_to_forward_over_reverse": agree,
                "load": os.getloadavg()[0],
            }
            print(key, {k: round(1e3 * t, 2) for k, t in best.items()}, flush=True)
    out = ROOT / "results"
    out.mkdir(exist_ok=True)
    atomic_write_text(out / "hvp.json", json.dumps(results, indent=2) + "\n")
    names = list(methods_seen)
    lines = ["# Hessian-vector products: cost per product at one point", "",
             f"Best of {args.repeats} blocks of {args.products} products, interleaved; "
             f"{args.threads} torch thread(s); load average {results['load_at_start']:.1f} at "
             f"the start; {platform.platform()}; torch {torch.__version__}.  Milliseconds per "
             "product (setup once per point in brackets).", "",
             "| workload | dim | " + " | ".join(names) + " |",
             "|---|---|" + "---|" * len(names)]
    for key, entry in results["workloads"].items():
        cells = [f"{entry['ms_per_product'][n]:.2f} ({entry['setup_ms'][n]:.0f})"
                 if n in entry["ms_per_product"] else "fails (make_fx)" for n in names]
        lines.append(f"| {key} | {entry['dim']:,} | " + " | ".join(cells) + " |")
    worst = max(d for e in results["workloads"].values()
                for d in e["relative_difference_to_forward_over_reverse"].values())
    lines += ["", f"Largest relative difference to forward-over-reverse: {worst:.1e}."]
    atomic_write_text(out / "hvp.md", "\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
