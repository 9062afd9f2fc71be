"""Top Hessian eigenvalue: ours against PyHessian, curvlinops + eigsh and hessian-eigenthings.

Same loss, same parameters, same data, in ONE process (issue 11):

* problem: the default of ``msl eos`` -- 1,000 standardised digits, tanh MLP 2 x 64
  (8,970 parameters) -- with ``nn.MSELoss()`` on one-hot float targets (every tool
  accepts it; it is 1/5 of our ``"mse"``, so the Hessian is too);
* points: ``init`` (the seeded initialisation) and ``eos`` (the last iterate of the
  default edge-of-stability run, eta = 0.3, 3,000 steps; cached in
  ``benchmarks/_build/eos``), where the top eigenvalues crowd together;
* reference: the top eigenvalue of the dense float64 Hessian, assembled column by column
  with plain ``torch.autograd`` double backward (no code of ours or of a peer), then
  LAPACK ``syevr``;
* each tool runs through its own public API over a sweep of its accuracy setting, from a
  fresh object (set-up included in the wall time; one discarded warm-up run per tool
  and dtype first, so no tool pays torch's first-use costs in the table): ours
  ``empirical.hessian(...).eigenvalues(tol=...)``; PyHessian
  ``hessian(...).eigenvalues(tol=..., maxIter=10000)``;
  curvlinops ``HessianLinearOperator(...).to_scipy()`` with ``scipy.sparse.linalg.eigsh
  (k=1, which="LA", tol=...)``; hessian-eigenthings ``lanczos(HessianOperator(...), k=1,
  max_iter=m, which="LA")``.  Products are counted at each tool's operator.

For each target (relative error <= 1e-6 in float32, <= 1e-10 in float64) the cheapest run
of each tool that reaches it is reported.  Peers are optional (``pip install --no-deps``
of the ``bench`` extra); a peer that cannot be imported is reported as such.

A second section does the same for the top 5 eigenvalues (issue 22): ours
``eigenvalues(k=5)`` against one plain ``empirical.lanczos(k=5)`` run and the peers'
``k=5`` calls (PyHessian ``top_n=5``, ``eigsh(k=5)``, eigenthings ``lanczos(k=5)``).

Writes ``benchmarks/results/curvature.json`` and ``benchmarks/results/curvature.md``::

    python benchmarks/bench_curvature.py          # ~10 minutes on 2 busy cores
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
import scipy.linalg
import scipy.sparse.linalg
import torch
from torch import nn

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent))
import empirical  # noqa: E402
from empirical import ProblemSpec, build_problem, run_eos  # noqa: E402
from theory.files import atomic_write_text  # noqa: E402

warnings.filterwarnings("ignore")
TARGETS = {"float32": 1e-6, "float64": 1e-10}
TOP_K = 5  # the top-k section (issue 22)
SWEEPS = {
    "ours": {"float32": [1e-3, 3e-4, 1e-4, 1e-5, 1e-6],
             "float64": [1e-4, 1e-5, 1e-6, 1e-8, 1e-10]},
    "pyhessian": {"float32": [1e-3, 1e-4, 1e-6, 1e-8], "float64": [1e-3, 1e-6, 1e-8, 1e-10]},
    "curvlinops+eigsh": {"float32": [1e-3, 1e-6, 1e-8, 0.0], "float64": [1e-3, 1e-6, 1e-10, 0.0]},
    "hessian-eigenthings": {"float32": [10, 15, 20, 30, 40, 60],
                            "float64": [20, 30, 40, 50, 60, 80, 120]},
}


def model_at(spec: ProblemSpec, theta: torch.Tensor, dtype: torch.dtype) -> nn.Module:
    prob = build_problem(spec)
    model = prob.model.to(dtype)
    torch.nn.utils.vector_to_parameters(theta.to(dtype), model.parameters())
    for p in model.parameters():
        p.requires_grad_(True)
    return model.eval()


def dense_reference(model: nn.Module, x, t, k: int = 5) -> np.ndarray:
    """Top ``k`` eigenvalues (largest first) of the dense float64 Hessian by plain
    autograd, column by column."""
    params = list(model.parameters())
    loss = nn.functional.mse_loss(model(x), t)
    grads = torch.autograd.grad(loss, params, create_graph=True)
    flat = torch.cat([g.reshape(-1) for g in grads])
    dim = flat.numel()
    hess = np.empty((dim, dim))
    for j in range(dim):
        row = torch.autograd.grad(flat[j], params, retain_graph=True)
        hess[j] = torch.cat([r.reshape(-1) for r in row]).numpy()
    hess = 0.5 * (hess + hess.T)
    return scipy.linalg.eigh(hess, subset_by_index=[dim - k, dim - 1], eigvals_only=True,
                             driver="evr", overwrite_a=True)[::-1].copy()


def run_ours(model, x, t, tol):
    hess = empirical.hessian(model, nn.MSELoss(), (x, t))
    est = hess.eigenvalues(k=1, tol=tol, max_iter=1000)
    return est.sharpness, hess.n_hvp


def run_pyhessian(model, x, t, tol):
    import importlib

    ph = importlib.import_module("pyhessian.hessian")  # the module (the package exports
    # a class of the same name)

    count = [0]
    original = ph.hessian_vector_product

    def counting(*args, **kwargs):
        count[0] += 1
        return original(*args, **kwargs)

    ph.hessian_vector_product = counting
    try:
        h = ph.hessian(model, nn.MSELoss(), data=(x, t), cuda=False)
        values, _ = h.eigenvalues(maxIter=10000, tol=tol, top_n=1)
    finally:
        ph.hessian_vector_product = original
    return float(values[0]), count[0]


def run_curvlinops(model, x, t, tol):
    from curvlinops import HessianLinearOperator

    op = HessianLinearOperator(model, nn.MSELoss(), list(model.parameters()), [(x, t)],
                               check_deterministic=False).to_scipy()
    count = [0]

    def matvec(v):
        count[0] += 1
        return op @ v

    counted = scipy.sparse.linalg.LinearOperator(op.shape, matvec=matvec, dtype=op.dtype)
    value = scipy.sparse.linalg.eigsh(counted, k=1, which="LA", tol=tol,
                                      v0=np.random.default_rng(0).standard_normal(op.shape[0]),
                                      return_eigenvectors=False)[0]
    return float(value), count[0]


def run_eigenthings(model, x, t, max_iter):
    import hessian_eigenthings as he

    op = he.HessianOperator(model, [(x, t)], he.supervised_loss(nn.MSELoss()))
    count = [0]
    original = op.matvec

    def matvec(v):
        count[0] += 1
        return original(v)

    op.matvec = matvec
    res = he.lanczos(op, k=1, max_iter=max_iter, which="LA", seed=0)
    return float(res.eigenvalues[0]), count[0]


def run_ours_k(model, x, t, tol, k=TOP_K):
    hess = empirical.hessian(model, nn.MSELoss(), (x, t))
    est = hess.eigenvalues(k=k, tol=tol, max_iter=1000)
    return est.eigenvalues, hess.n_hvp


def run_lanczos_k(model, x, t, tol, k=TOP_K):
    """One plain ``empirical.lanczos`` run (its default residual check included)."""
    hess = empirical.hessian(model, nn.MSELoss(), (x, t))
    op = hess.objective.operator(hess.theta)
    count = [0]

    def matvec(v):
        count[0] += 1
        return op(v)

    est = empirical.lanczos(matvec, hess.dim, k=k, dtype=hess.dtype, tol=tol, max_iter=1000)
    return est.eigenvalues, count[0]


def run_pyhessian_k(model, x, t, tol, k=TOP_K):
    import importlib

    ph = importlib.import_module("pyhessian.hessian")
    count = [0]
    original = ph.hessian_vector_product

    def counting(*args, **kwargs):
        count[0] += 1
        return original(*args, **kwargs)

    ph.hessian_vector_product = counting
    try:
        h = ph.hessian(model, nn.MSELoss(), data=(x, t), cuda=False)
        values, _ = h.eigenvalues(maxIter=1000, tol=tol, top_n=k)
    finally:
        ph.hessian_vector_product = original
    return np.sort(np.array(values, dtype=float))[::-1], count[0]


def run_curvlinops_k(model, x, t, tol, k=TOP_K):
    from curvlinops import HessianLinearOperator

    op = HessianLinearOperator(model, nn.MSELoss(), list(model.parameters()), [(x, t)],
                               check_deterministic=False).to_scipy()
    count = [0]

    def matvec(v):
        count[0] += 1
        return op @ v

    counted = scipy.sparse.linalg.LinearOperator(op.shape, matvec=matvec, dtype=op.dtype)
    values = scipy.sparse.linalg.eigsh(counted, k=k, which="LA", tol=tol,
                                       v0=np.random.default_rng(0).standard_normal(op.shape[0]),
                                       return_eigenvectors=False)
    return np.sort(values)[::-1], count[0]


def run_eigenthings_k(model, x, t, max_iter, k=TOP_K):
    import hessian_eigenthings as he

    op = he.HessianOperator(model, [(x, t)], he.supervised_loss(nn.MSELoss()))
    count = [0]
    original = op.matvec

    def matvec(v):
        count[0] += 1
        return original(v)

    op.matvec = matvec
    res = he.lanczos(op, k=k, max_iter=max_iter, which="LA", seed=0)
    return np.sort(np.asarray(res.eigenvalues, dtype=float))[::-1], count[0]


TOOLS_K = {"ours": run_ours_k, "empirical.lanczos": run_lanczos_k,
           "pyhessian": run_pyhessian_k, "curvlinops+eigsh": run_curvlinops_k,
           "hessian-eigenthings": run_eigenthings_k}
SWEEPS_K = {
    "ours": {"float32": [1e-3, 3e-4, 1e-4, 1e-5], "float64": [1e-4, 1e-5, 1e-6, 1e-8, 1e-10]},
    "empirical.lanczos": {"float32": [1e-3, 3e-4, 1e-4, 1e-5],
                          "float64": [1e-4, 1e-5, 1e-6, 1e-8, 1e-10]},
    "pyhessian": {"float32": [1e-3, 1e-4], "float64": [1e-3, 1e-4]},
    "curvlinops+eigsh": {"float32": [1e-3, 1e-6, 0.0], "float64": [1e-3, 1e-6, 1e-10, 0.0]},
    "hessian-eigenthings": {"float32": [20, 30, 40, 60], "float64": [30, 40, 60, 80, 120]},
}

TOOLS = {"ours": run_ours, "pyhessian": run_pyhessian, "curvlinops+eigsh": run_curvlinops,
         "hessian-eigenthings": run_eigenthings}
MODULES = {"pyhessian": "pyhessian", "curvlinops+eigsh": "curvlinops",
           "hessian-eigenthings": "hessian_eigenthings"}


def available() -> dict[str, str | None]:
    out = {"ours": None}
    for tool, module in MODULES.items():
        try:
            __import__(module)
            out[tool] = None
        except Exception as exc:  # report whatever fails to import
            out[tool] = f"{type(exc).__name__}: {exc}"
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--points", nargs="+", default=["init", "eos"])
    ap.add_argument("--repeat", type=int, default=3,
                    help="time each run this many times and keep the fastest (default 3)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    spec = ProblemSpec()
    prob = build_problem(spec)
    x64, y = prob.data.x_train.double(), prob.data.y_train
    t64 = nn.functional.one_hot(y, 10).double()
    points = {"init": prob.theta0}
    if "eos" in args.points:
        points["eos"] = run_eos(spec, out_dir=ROOT / "_build" / "eos",
                                progress=True).trace.final_theta
    missing = available()
    results = {"problem": spec.to_dict(), "criterion": "nn.MSELoss() on one-hot targets",
               "targets": TARGETS, "threads": args.threads, "repeat": args.repeat,
               "machine": platform.platform(),
               "torch": torch.__version__, "unavailable": {k: v for k, v in missing.items() if v},
               "load_at_start": os.getloadavg()[0], "points": {}}
    for point in args.points:
        theta = points[point]
        t0 = time.perf_counter()
        refs = dense_reference(model_at(spec, theta, torch.float64), x64, t64, TOP_K)
        ref = float(refs[0])
        entry = {"reference": ref, "reference_top": refs.tolist(),
                 "dense_seconds": time.perf_counter() - t0, "runs": []}
        print(f"{point}: reference top eigenvalues = {refs}", flush=True)
        for dtype_name, dtype in (("float32", torch.float32), ("float64", torch.float64)):
            x, t = x64.to(dtype), t64.to(dtype)
            for tool, fn in TOOLS.items():
                if missing[tool]:
                    continue
                fn(model_at(spec, theta, dtype), x, t, SWEEPS[tool][dtype_name][0])  # warm-up
                for setting in SWEEPS[tool][dtype_name]:
                    wall = math.inf  # best of --repeat timings (each from a fresh model)
                    for _ in range(args.repeat):
                        model = model_at(spec, theta, dtype)
                        start = time.perf_counter()
                        value, products = fn(model, x, t, setting)
                        wall = min(wall, time.perf_counter() - start)
                    row = {"tool": tool, "dtype": dtype_name, "setting": setting,
                           "value": value, "rel_error": abs(value - ref) / abs(ref),
                           "products": products, "seconds": wall,
                           "ms_per_product": 1e3 * wall / max(products, 1),
                           "load": os.getloadavg()[0]}
                    entry["runs"].append(row)
                    print(f"  {dtype_name} {tool} {setting}: err {row['rel_error']:.1e}, "
                          f"{products} products, {wall:.2f} s", flush=True)
        entry["topk_runs"] = top_k_runs(spec, theta, x64, t64, refs, missing, args.repeat)
        results["points"][point] = entry
    write(results)


def top_k_runs(spec, theta, x64, t64, refs, missing, repeat) -> list[dict]:
    """Every tool's sweep for the top ``TOP_K`` eigenvalues; the error of a run is
    ``max_i |theta_i - lambda_i| / lambda_1``."""
    runs = []
    for dtype_name, dtype in (("float32", torch.float32), ("float64", torch.float64)):
        x, t = x64.to(dtype), t64.to(dtype)
        for tool, fn in TOOLS_K.items():
            if missing.get(tool):
                continue
            fn(model_at(spec, theta, dtype), x, t, SWEEPS_K[tool][dtype_name][0])  # warm-up
            for setting in SWEEPS_K[tool][dtype_name]:
                wall = math.inf
                for _ in range(repeat):
                    model = model_at(spec, theta, dtype)
                    start = time.perf_counter()
                    values, products = fn(model, x, t, setting)
                    wall = min(wall, time.perf_counter() - start)
                values = np.asarray(values, dtype=float)[:TOP_K]
                err = float(np.max(np.abs(values - refs[:len(values)])) / abs(refs[0])) \
                    if len(values) == TOP_K else math.inf
                runs.append({"tool": tool, "dtype": dtype_name, "setting": setting,
                             "values": values.tolist(), "rel_error": err,
                             "products": products, "seconds": wall,
                             "load": os.getloadavg()[0]})
                print(f"  top-{TOP_K} {dtype_name} {tool} {setting}: err {err:.1e}, "
                      f"{products} products, {wall:.2f} s", flush=True)
    return runs


def best_run(runs, tool, dtype, error, by="seconds"):
    """``tool``'s run in ``dtype`` with a relative error of at most ``error`` that is
    fastest (``by="seconds"``, then fewest products) or uses the fewest products
    (``by="products"``, then fastest); None when no run is that accurate."""
    other = "products" if by == "seconds" else "seconds"
    ok = [r for r in runs if r["tool"] == tool and r["dtype"] == dtype
          and r["rel_error"] <= error]
    return min(ok, key=lambda r: (r[by], r[other])) if ok else None


def write(results) -> None:
    out = ROOT / "results"
    out.mkdir(exist_ok=True)
    atomic_write_text(out / "curvature.json", json.dumps(results, indent=2) + "\n")
    lines = ["# Top Hessian eigenvalue: ours vs PyHessian, curvlinops+eigsh, "
             "hessian-eigenthings", "",
             f"Digits MLP (8,970 parameters), {results['criterion']}; {results['threads']} "
             f"torch thread(s); wall time: best of {results.get('repeat', 1)}; "
             f"load average {results['load_at_start']:.1f} at the start; "
             f"{results['machine']}; torch {results['torch']}.", ""]
    for tool, why in results["unavailable"].items():
        lines.append(f"**{tool} could not be imported** ({why}); it is left out.")
    lines += ["", "Cheapest run of each tool that reaches the target (relative error vs the "
              "dense float64 Hessian):", "",
              "| point | dtype | target | tool | setting | rel. error | products | wall s | "
              "ms/product |", "|---|---|---|---|---|---|---|---|---|"]
    tools = list(dict.fromkeys(r["tool"] for p in results["points"].values() for r in p["runs"]))
    for point, entry in results["points"].items():
        for dtype, target in results["targets"].items():
            for tool in tools:
                r = best_run(entry["runs"], tool, dtype, target)
                if r is None:
                    lines.append(f"| {point} | {dtype} | {target:g} | {tool} | not reached "
                                 "| | | | |")
                else:
                    lines.append(f"| {point} | {dtype} | {target:g} | {tool} | {r['setting']:g}"
                                 f" | {r['rel_error']:.1e} | {r['products']} | "
                                 f"{r['seconds']:.2f} | {r['ms_per_product']:.1f} |")
    lines += ["", "Ours against each peer at equal or better accuracy: the peer's "
              "fewest-product run that reaches the target, and our fewest-product run whose "
              "error is at most that run's (target of issue 11: fewer products and less "
              "wall time):", "",
              "| point | dtype | peer | peer error | peer products | peer wall s | our error "
              "| our products | our wall s | fewer products | less wall time |",
              "|---|---|---|---|---|---|---|---|---|---|---|"]
    for point, entry in results["points"].items():
        for dtype, target in results["targets"].items():
            for tool in tools:
                peer = best_run(entry["runs"], tool, dtype, target, by="products")
                if tool == "ours" or peer is None:
                    continue
                ours = best_run(entry["runs"], "ours", dtype, peer["rel_error"], by="products")
                if ours is None:
                    lines.append(f"| {point} | {dtype} | {tool} | {peer['rel_error']:.1e} | "
                                 f"{peer['products']} | {peer['seconds']:.2f} | not reached "
                                 "| | | no | no |")
                    continue
                lines.append(
                    f"| {point} | {dtype} | {tool} | {peer['rel_error']:.1e} | "
                    f"{peer['products']} | {peer['seconds']:.2f} | {ours['rel_error']:.1e} | "
                    f"{ours['products']} | {ours['seconds']:.2f} | "
                    f"{'yes' if ours['products'] < peer['products'] else 'no'} | "
                    f"{'yes' if ours['seconds'] < peer['seconds'] else 'no'} |")
    lines += top_k_lines(results)
    lines += ["", "Every run:", "", "| point | dtype | tool | setting | rel. error | products "
              "| wall s |", "|---|---|---|---|---|---|---|"]
    for point, entry in results["points"].items():
        for r in entry["runs"]:
            lines.append(f"| {point} | {r['dtype']} | {r['tool']} | {r['setting']:g} | "
                         f"{r['rel_error']:.1e} | {r['products']} | {r['seconds']:.2f} |")
    atomic_write_text(out / "curvature.md", "\n".join(lines) + "\n")
    print("\n".join(lines))


def top_k_lines(results) -> list[str]:
    """The top-``TOP_K`` section: each tool's cheapest run per target, and ours against one
    plain Lanczos run at equal or better error (issue 22: at most 1.2x its products)."""
    lines = ["", f"## Top {TOP_K} eigenvalues", "",
             f"Error of a run: max_i |theta_i - lambda_i| / lambda_1 over the top {TOP_K} "
             "(dense float64 reference). `ours` is `empirical.hessian(...).eigenvalues(k=5, "
             "tol=...)`; `empirical.lanczos` is one plain `lanczos(k=5, tol=...)` run "
             "(its residual check included). Fewest-product run of each tool that reaches "
             "the target:", "",
             "| point | dtype | target | tool | setting | error | products | wall s |",
             "|---|---|---|---|---|---|---|---|"]
    for point, entry in results["points"].items():
        runs = entry.get("topk_runs", [])
        tools = list(dict.fromkeys(r["tool"] for r in runs))
        for dtype, target in results["targets"].items():
            for tool in tools:
                r = best_run(runs, tool, dtype, target, by="products")
                if r is None:
                    lines.append(f"| {point} | {dtype} | {target:g} | {tool} | not reached "
                                 "| | | |")
                else:
                    lines.append(f"| {point} | {dtype} | {target:g} | {tool} | "
                                 f"{r['setting']:g} | {r['rel_error']:.1e} | {r['products']} "
                                 f"| {r['seconds']:.2f} |")
    lines += ["", "Ours against one Lanczos run: for each target, the Lanczos run with the "
              "fewest products that reaches it, and our fewest-product run whose error is at "
              "most that run's:", "",
              "| point | dtype | target | Lanczos error | Lanczos products | our error | "
              "our products | ratio |", "|---|---|---|---|---|---|---|---|"]
    for point, entry in results["points"].items():
        runs = entry.get("topk_runs", [])
        for dtype, target in results["targets"].items():
            base = best_run(runs, "empirical.lanczos", dtype, target, by="products")
            if base is None:
                continue
            ours = best_run(runs, "ours", dtype, base["rel_error"], by="products")
            if ours is None:
                lines.append(f"| {point} | {dtype} | {target:g} | {base['rel_error']:.1e} | "
                             f"{base['products']} | not reached | | |")
                continue
            lines.append(f"| {point} | {dtype} | {target:g} | {base['rel_error']:.1e} | "
                         f"{base['products']} | {ours['rel_error']:.1e} | {ours['products']} | "
                         f"{ours['products'] / base['products']:.2f} |")
    lines += ["", f"Every top-{TOP_K} run:", "",
              "| point | dtype | tool | setting | error | products | wall s |",
              "|---|---|---|---|---|---|---|"]
    for point, entry in results["points"].items():
        for r in entry.get("topk_runs", []):
            lines.append(f"| {point} | {r['dtype']} | {r['tool']} | {r['setting']:g} | "
                         f"{r['rel_error']:.1e} | {r['products']} | {r['seconds']:.2f} |")
    return lines


if __name__ == "__main__":
    main()
