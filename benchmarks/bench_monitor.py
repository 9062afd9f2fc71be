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
  it (full-batch loss, sharpness by :func:`empirical.track_top_eigenpairs` on the products
  of ``parameter_value_and_operator``: one graph leaf per parameter);
* ``monitor, tol=3e-4 (user's choice)``: the same with ``tol=3e-4`` instead of the float32
  default 1e-4 (a looser error bound that still meets ``ACCURACY``);
* ``monitor, flat-theta products (before)``: what the monitor did before this change:
  :func:`empirical.track_top_eigenpairs` (the general Lanczos loop) on the products of
  ``value_and_operator`` (one flat leaf split into views);
* ``cold Lanczos (before)``: what the monitor did before issue 22: the loss, then
  ``empirical.lanczos`` (default tolerance, residual check) from the previous eigenvector
  plus 5% noise, with at least 5 iterations;
* ``pyhessian``: ``hessian(model, criterion, data).eigenvalues(top_n=1)`` (its defaults:
  tol 1e-3, 100 iterations), the way its README measures the top eigenvalue;
* ``hessian-eigenthings``: ``lanczos(HessianOperator(...), k=1, which="LA")`` (its
  default tolerance 1e-4).

Accuracy: every measured sharpness against a float64 Lanczos to 1e-10 at the same
parameters (computed after the timing); the criterion a variant must meet to count as "the
same accuracy" as the monitor is ``ACCURACY``: median relative error <= 1e-4 and maximum
<= 1e-3 at each start.  Products: the Hessian-vector products the variant reports (the
peers do not report theirs).  Section "HVP variants": the cost of one training step, of
the gradient graph and of one product by double backward on one flat leaf, on one leaf
per parameter, and by ``torch.func`` forward-over-reverse (``jvp`` of ``grad``), at the
same parameters, interleaved, best of 5 x 20 calls.  The load (``uptime``) is recorded at
the start, after each variant and at the end.  Writes ``benchmarks/results/monitor.json``
and ``.md``::

    python benchmarks/bench_monitor.py        # ~3 minutes on 2 busy cores
"""

from __future__ import annotations

import argparse
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
from empirical import ProblemSpec, build_problem, run_eos  # noqa: E402

warnings.filterwarnings("ignore")
LR = 0.3  # the default learning rate of msl eos (empirical._spec.DEFAULT_LR)
#: "the same accuracy": (median, max) relative error of the measured sharpness
ACCURACY = (1e-4, 1e-3)


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


#: Hessian-vector products used by the last run of each variant (None: not reported)
PRODUCTS: dict[str, int | None] = {}


def variants(x, t, y, every):
    def monitor_factory(tol=None, name="monitor (warm tracking)"):
        holder = {}
        PRODUCTS[name] = 0

        def measure(model, opt, step):
            if "m" not in holder:
                holder["m"] = empirical.SharpnessMonitor(model, "mse", (x, y), opt,
                                                         every=1, progress=False, tol=tol)
            record = holder["m"].step()
            PRODUCTS[name] += record.n_hvp
            return record.sharpness
        return measure

    def loose_factory():
        return monitor_factory(3e-4, "monitor, tol=3e-4 (user's choice)")

    def flat_factory():
        from empirical._tracking import value_and_operator

        holder = {"est": None, "i": 0}
        name = "monitor, flat-theta products (before)"
        PRODUCTS[name] = 0

        def measure(model, opt, step):
            if "obj" not in holder:
                holder["obj"] = empirical.SharpnessMonitor(model, "mse", (x, y), opt,
                                                           progress=False).objective
            obj = holder["obj"]
            _, op = value_and_operator(obj, obj.theta0)
            est = empirical.track_top_eigenpairs(op, obj.dim, holder["est"], dtype=obj.dtype,
                                                 seed=holder["i"])
            holder["est"], holder["i"] = est, holder["i"] + 1
            PRODUCTS[name] += est.n_hvp
            return est.sharpness
        return measure

    def cold_factory():
        state = {"v0": None, "i": 0}
        PRODUCTS["cold Lanczos (before)"] = 0

        def measure(model, opt, step):
            obj = empirical.hessian(model, "mse", (x, y)).objective
            theta = obj.theta0
            obj.value(theta)
            est = empirical.lanczos(obj.operator(theta), obj.dim, dtype=obj.dtype,
                                    v0=state["v0"], seed=state["i"])
            state["v0"], state["i"] = est.eigenvectors[0], state["i"] + 1
            PRODUCTS["cold Lanczos (before)"] += est.n_hvp
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

    return {"monitor (warm tracking)": monitor_factory,
            "monitor, tol=3e-4 (user's choice)": loose_factory,
            "monitor, flat-theta products (before)": flat_factory,
            "cold Lanczos (before)": cold_factory,
            "pyhessian": pyhessian_factory, "hessian-eigenthings": eigenthings_factory}


def uptime() -> str:
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True,
                              check=False).stdout.strip()
    except OSError:
        return f"load average {os.getloadavg()}"


def breakdown(spec, theta, x, t, y, steps, every) -> dict:
    """One more monitored run with timers around the monitor's graph building and
    products (the rest of a measurement: the Lanczos loop, the loss, the threshold), and a
    plain run just before it: where the monitor's time goes, in seconds."""
    import empirical._monitor as monitor_module

    original = monitor_module.parameter_value_and_operator
    spent = {"graph": 0.0, "products": 0.0, "measure": 0.0, "n_products": 0}

    def timed(objective):
        start = time.perf_counter()
        loss, op = original(objective)
        spent["graph"] += time.perf_counter() - start

        def product(v):
            start = time.perf_counter()
            out = op(v)
            spent["products"] += time.perf_counter() - start
            spent["n_products"] += 1
            return out
        return loss, product

    holder = {}

    def measure(model, opt, step):
        if "m" not in holder:
            holder["m"] = empirical.SharpnessMonitor(model, "mse", (x, y), opt, every=1,
                                                     progress=False)
        start = time.perf_counter()
        value = holder["m"].step().sharpness
        spent["measure"] += time.perf_counter() - start
        return value

    plain = train(model_at(spec, theta), x, t, steps, every, None, LR)[0]
    monitor_module.parameter_value_and_operator = timed
    try:
        total = train(model_at(spec, theta), x, t, steps, every, measure, LR)[0]
    finally:
        monitor_module.parameter_value_and_operator = original
    rest = spent["measure"] - spent["graph"] - spent["products"]
    return {"train_seconds": plain, "monitored_seconds": total,
            "measure_seconds": spent["measure"], "graph_seconds": spent["graph"],
            "product_seconds": spent["products"], "n_products": spent["n_products"],
            "rest_seconds": rest}


def hvp_variants(spec, theta, x, t, y) -> dict:
    """Milliseconds per call (best of 5 x 20, the kinds interleaved) of one training step,
    the gradient graph and one product, flat leaf vs one leaf per parameter vs
    forward-over-reverse; the products' largest relative difference to the flat one."""
    from torch.func import grad, jvp

    from empirical._tracking import parameter_value_and_operator, value_and_operator

    model = model_at(spec, theta)
    opt = torch.optim.SGD(model.parameters(), lr=0.0)  # lr 0: the point stays put
    obj = empirical.SharpnessMonitor(model, "mse", (x, y), opt, progress=False).objective
    theta0 = obj.theta0
    _, flat = value_and_operator(obj, theta0)
    _, leaves = parameter_value_and_operator(obj)
    (fn,) = [f for _, f in obj._pieces()]
    gradient = grad(fn)
    v = torch.randn(obj.dim, generator=torch.Generator().manual_seed(0))

    def step():
        opt.zero_grad()
        half_mse(model(x), t).backward()
        opt.step()

    calls = {"training step": step,
             "graph, flat leaf": lambda: value_and_operator(obj, obj.theta0),
             "graph, leaf per parameter": lambda: parameter_value_and_operator(obj),
             "product, flat leaf (double backward)": lambda: flat(v),
             "product, leaf per parameter (double backward)": lambda: leaves(v),
             "product, forward-over-reverse (torch.func jvp of grad)":
                 lambda: jvp(gradient, (theta0,), (v,))[1]}
    best = dict.fromkeys(calls, math.inf)
    for _ in range(5):
        for name, call in calls.items():
            start = time.perf_counter()
            for _ in range(20):
                call()
            best[name] = min(best[name], (time.perf_counter() - start) / 20 * 1e3)
    ref = flat(v)
    diff = {"leaf per parameter": float((leaves(v) - ref).abs().max() / ref.abs().max()),
            "forward-over-reverse": float((jvp(gradient, (theta0,), (v,))[1] - ref).abs().max()
                                          / ref.abs().max())}
    return {"ms": best, "max_rel_difference_to_flat": diff}


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
               "load_at_start": os.getloadavg()[0], "uptime_at_start": uptime(),
               "accuracy_criterion": {"median_rel_error_max": ACCURACY[0],
                                      "max_rel_error_max": ACCURACY[1]},
               "points": {}, "unavailable": {}}
    results["hvp_variants"] = hvp_variants(spec, starts[args.points[0]], x, t, y)
    print(json.dumps(results["hvp_variants"], indent=1), flush=True)
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
        loads: dict[str, list[float]] = {name: [] for name in usable}
        for _ in range(args.repeat):
            plain = min(plain, train(model_at(spec, theta), x, t, args.steps, args.every,
                                     None, LR)[0])
            for name, factory in usable.items():
                w, f = train(model_at(spec, theta), x, t, args.steps, args.every, factory(),
                             LR)
                walls[name], found[name] = min(walls[name], w), f
                loads[name].append(os.getloadavg()[0])
        entry = {"train_seconds": plain, "variants": {},
                 "breakdown": breakdown(spec, theta, x, t, y, args.steps, args.every)}
        print(f"{point}: training alone {plain:.3f} s", flush=True)
        for name in usable:
            refs = [reference(spec, th, x, y) for th, _ in found[name]]
            errors = [abs(v - r) / r for (_, v), r in zip(found[name], refs, strict=True)]
            wall = walls[name]
            median, worst = float(np.median(errors)), float(np.max(errors))
            entry["variants"][name] = {
                "seconds": wall, "overhead": wall / plain,
                "median_rel_error": median, "max_rel_error": worst,
                "meets_accuracy": median <= ACCURACY[0] and worst <= ACCURACY[1],
                "products": PRODUCTS.get(name), "n_measurements": len(found[name]),
                "load": loads[name]}
            print(f"  {name}: {wall:.3f} s = {wall / plain:.2f}x training, rel. error "
                  f"median {median:.1e} max {worst:.1e}, products {PRODUCTS.get(name)}",
                  flush=True)
        results["points"][point] = entry
    results["uptime_at_end"] = uptime()
    write(results)


def write(results) -> None:
    from theory.files import atomic_write_bytes

    out = ROOT / "results"
    out.mkdir(exist_ok=True)
    atomic_write_bytes(out / "monitor.json", (json.dumps(results, indent=2) + "\n").encode())
    med, worst = ACCURACY
    lines = ["# Sharpness during training: SharpnessMonitor vs cold Lanczos, PyHessian, "
             "hessian-eigenthings", "",
             f"Digits MLP (8,970 parameters, float32), full-batch GD at lr {results['lr']}, "
             f"{results['steps']} steps, the sharpness every {results['every']} steps; "
             f"{results['threads']} torch thread(s); best of {results['repeat']}, the plain "
             "loop and the variants interleaved (each repetition runs them in turn, so a "
             "change of load hits them alike); "
             f"{results['machine']}; torch {results['torch']}.  Shared 2-core machine: "
             f"`uptime` at the start: `{results['uptime_at_start']}`; at the end: "
             f"`{results['uptime_at_end']}`.", "",
             f"Accuracy criterion (\"the same accuracy\"): median relative error <= {med:g} "
             f"and max <= {worst:g} at each start, against a float64 Lanczos to 1e-10 at the "
             "same parameters.  The monitor's own stopping rule asks for an eigenvalue error "
             "bound <= 1e-4 (float32 default), so its errors sit well inside.", ""]
    for name, why in results["unavailable"].items():
        lines.append(f"**{name} could not be imported** ({why}); it is left out.")
    lines += ["", "| start | variant | wall s | x training time | products | median rel. "
              "error | max rel. error | meets criterion | load (1 min) |",
              "|---|---|---|---|---|---|---|---|---|"]
    for point, entry in results["points"].items():
        lines.append(f"| {point} | training alone | {entry['train_seconds']:.3f} | 1.00 "
                     "| | | | | |")
        for name, v in entry["variants"].items():
            products = "" if v["products"] is None else str(v["products"])
            load = "-".join(f"{a:.1f}" for a in (min(v["load"]), max(v["load"])))
            lines.append(f"| {point} | {name} | {v['seconds']:.3f} | {v['overhead']:.2f} | "
                         f"{products} | {v['median_rel_error']:.1e} | "
                         f"{v['max_rel_error']:.1e} | {'yes' if v['meets_accuracy'] else 'no'}"
                         f" | {load} |")
    hv = results["hvp_variants"]
    lines += ["", "## HVP variants (ms per call, same parameters, interleaved)", "",
              "| call | ms | x training step |", "|---|---|---|"]
    step_ms = hv["ms"]["training step"]
    for name, ms in hv["ms"].items():
        lines.append(f"| {name} | {ms:.2f} | {ms / step_ms:.2f} |")
    lines += ["", "Largest relative difference of the products to the flat-leaf one: "
              + ", ".join(f"{k} {d:.1e}" for k, d in hv["max_rel_difference_to_flat"].items())
              + "."]
    lines += ["", "## What the monitor's time is made of", "",
              "One more monitored run per start with timers around the graph building and "
              "the products (\"rest\": the Lanczos loop, the first-step full-batch check, "
              "the threshold), beside a plain run just before it:", "",
              "| start | training alone s | monitored s | ratio | products | products s | "
              "graphs s | rest s | products in training steps |",
              "|---|---|---|---|---|---|---|---|---|"]
    for point, entry in results["points"].items():
        b = entry["breakdown"]
        per_step = b["train_seconds"] / results["steps"]
        lines.append(f"| {point} | {b['train_seconds']:.3f} | {b['monitored_seconds']:.3f} | "
                     f"{b['monitored_seconds'] / b['train_seconds']:.2f} | {b['n_products']} | "
                     f"{b['product_seconds']:.3f} | {b['graph_seconds']:.3f} | "
                     f"{b['rest_seconds']:.3f} | {b['product_seconds'] / per_step:.0f} |")
    text = "\n".join(lines) + "\n"
    atomic_write_bytes(out / "monitor.md", text.encode())
    print(text)


if __name__ == "__main__":
    main()
