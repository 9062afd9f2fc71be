"""Sharpness of the digits MLP: Lanczos against power iteration (issue 5).

Side by side in ONE process, on the default problem of ``msl eos`` (scikit-learn digits,
1,000 standardised examples, tanh MLP 2 x 64, MSE; 8,970 parameters), at two points:

* ``init``: the seeded initialisation;
* ``eos``:  the last iterate of the default edge-of-stability run (eta = 0.3, 3,000 steps;
            computed once and cached in ``benchmarks/_build/eos``), where the top
            eigenvalues are close together (lambda_1 ~ 2/eta) and power iteration is slow.

Reference: the top eigenvalue of the dense float64 Hessian (assembled column by column
from Hessian-vector products, then LAPACK's ``syevr`` via ``scipy.linalg.eigh``:
independent of both iterative solvers).

For each method, dtype (float32, float64) and start seed, the solver runs with a callback
that stops it as soon as its current estimate (top Ritz value / Rayleigh quotient) has
relative error <= 1e-4; the number of Hessian-vector products and the wall time up to
that moment are recorded (median over seeds).  The methods' own stopping rules are also
run (Lanczos: default tolerance; power iteration: PyHessian's tol=1e-3 and a tighter
1e-4) and their HVP counts and achieved errors reported.

Writes ``benchmarks/results/sharpness.json`` and ``benchmarks/results/sharpness.md``.
Usage::

    python benchmarks/bench_sharpness.py            # ~5 minutes on 2 cores
    python benchmarks/bench_sharpness.py --seeds 2  # quicker
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np
import scipy.linalg
import torch

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent))  # the checkout's packages, however they are installed
from empirical import ProblemSpec, build_problem, lanczos, power_iteration, run_eos  # noqa: E402
from theory.files import atomic_write_text  # noqa: E402

TARGET = 1e-4


def dense_top_eigenvalue(loss, theta) -> float:
    """Largest eigenvalue of the dense Hessian, assembled from HVPs with unit vectors."""
    dim = loss.dim
    hess = np.empty((dim, dim))
    eye = torch.zeros(dim, dtype=torch.float64)
    for j in range(dim):
        eye[j] = 1.0
        hess[:, j] = loss.hvp(theta, eye).numpy()
        eye[j] = 0.0
    hess = 0.5 * (hess + hess.T)
    top = scipy.linalg.eigh(hess, subset_by_index=[dim - 1, dim - 1], eigvals_only=True,
                            driver="evr", overwrite_a=True)
    return float(top[0])


def to_target(method, operator, dim, dtype, ref, seed):
    """HVPs and seconds until the estimate is within TARGET of ``ref``."""
    hit = {"n": None, "t": None}
    start = time.perf_counter()

    def callback(n_hvp, value):
        if abs(value - ref) / abs(ref) <= TARGET:
            hit["n"], hit["t"] = n_hvp, time.perf_counter() - start
            return True
        return False

    if method == "lanczos":
        lanczos(operator, dim, dtype=dtype, seed=seed, max_iter=1000, check_residual=False,
                callback=callback)
    else:
        power_iteration(operator, dim, dtype=dtype, seed=seed, tol=1e-300, max_iter=20000,
                        callback=callback)
    return hit["n"], hit["t"]


def own_rule(method, operator, dim, dtype, ref, seed, tol):
    start = time.perf_counter()
    if method == "lanczos":
        est = lanczos(operator, dim, dtype=dtype, seed=seed, tol=tol)
    else:
        est = power_iteration(operator, dim, dtype=dtype, seed=seed, tol=tol, max_iter=20000)
    return {"tol": tol, "n_hvp": est.n_hvp, "seconds": time.perf_counter() - start,
            "rel_error": abs(est.sharpness - ref) / abs(ref), "converged": est.converged}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    spec = ProblemSpec()
    run = run_eos(spec, out_dir=ROOT / "_build" / "eos", progress=True)
    points = {"init": build_problem(spec).theta0, "eos": run.trace.final_theta}
    results = {"problem": spec.to_dict(), "target_rel_error": TARGET, "seeds": args.seeds,
               "threads": args.threads, "machine": platform.platform(),
               "torch": torch.__version__, "points": {}}
    for name, theta in points.items():
        p64 = build_problem(spec.replace(dtype="float64"))
        t0 = time.perf_counter()
        ref = dense_top_eigenvalue(p64.loss, theta.double())
        dense_s = time.perf_counter() - t0
        entry = {"reference_lambda_max": ref, "dense_seconds": dense_s, "dim": p64.loss.dim}
        for dtype_name in ("float32", "float64"):
            prob = build_problem(spec.replace(dtype=dtype_name))
            dt = prob.loss.dtype
            th = theta.to(dt)
            op = prob.loss.operator(th)
            rows = {}
            for method in ("lanczos", "power"):
                hits = [to_target(method, op, prob.loss.dim, dt, ref, s) for s in range(args.seeds)]
                ns = [h[0] for h in hits]
                ts = [h[1] for h in hits]
                rows[method] = {
                    "hvp_to_target": ns,
                    "seconds_to_target": ts,
                    "median_hvp": None if None in ns else float(np.median(ns)),
                    "median_seconds": None if None in ts else float(np.median(ts)),
                }
            rows["lanczos"]["own_rule"] = own_rule("lanczos", op, prob.loss.dim, dt, ref, 0,
                                                   1e-4 if dt == torch.float32 else 1e-8)
            rows["power"]["own_rule_pyhessian"] = own_rule("power", op, prob.loss.dim, dt, ref,
                                                           0, 1e-3)
            rows["power"]["own_rule_1e-4"] = own_rule("power", op, prob.loss.dim, dt, ref, 0,
                                                      1e-4)
            ml, mp = rows["lanczos"]["median_hvp"], rows["power"]["median_hvp"]
            rows["hvp_ratio_power_over_lanczos"] = None if not (ml and mp) else mp / ml
            sl, sp = rows["lanczos"]["median_seconds"], rows["power"]["median_seconds"]
            rows["time_ratio_power_over_lanczos"] = None if not (sl and sp) else sp / sl
            entry[dtype_name] = rows
        results["points"][name] = entry
        print(json.dumps({name: {k: entry[k] for k in ("reference_lambda_max", "dim")}}))
    out = ROOT / "results"
    out.mkdir(exist_ok=True)
    atomic_write_text(out / "sharpness.json", json.dumps(results, indent=2) + "\n")
    dim = results["points"]["init"]["dim"]
    lines = [f"# Sharpness: Lanczos vs power iteration (digits MLP, {dim:,} parameters)", "",
             f"Target: relative error <= {TARGET:g} against the dense float64 Hessian. "
             f"Median over {args.seeds} random starts; {args.threads} torch thread(s); "
             f"{platform.platform()}; torch {torch.__version__}.", "",
             "| point | lambda_max | dtype | Lanczos HVPs | power HVPs | HVP ratio | "
             "Lanczos s | power s | time ratio |",
             "|---|---|---|---|---|---|---|---|---|"]
    for name, entry in results["points"].items():
        for dtype_name in ("float32", "float64"):
            r = entry[dtype_name]
            lines.append(
                f"| {name} | {entry['reference_lambda_max']:.6g} | {dtype_name} | "
                f"{r['lanczos']['median_hvp']} | {r['power']['median_hvp']} | "
                f"{r['hvp_ratio_power_over_lanczos']:.1f}x | "
                f"{r['lanczos']['median_seconds']:.3f} | {r['power']['median_seconds']:.3f} | "
                f"{r['time_ratio_power_over_lanczos']:.1f}x |")
    lines += ["", "Own stopping rules (seed 0): HVPs / achieved relative error", "",
              "| point | dtype | Lanczos (default tol) | power, PyHessian tol=1e-3 | "
              "power, tol=1e-4 |", "|---|---|---|---|---|"]
    for name, entry in results["points"].items():
        for dtype_name in ("float32", "float64"):
            r = entry[dtype_name]
            cells = [r["lanczos"]["own_rule"], r["power"]["own_rule_pyhessian"],
                     r["power"]["own_rule_1e-4"]]
            lines.append(f"| {name} | {dtype_name} | " + " | ".join(
                f"{c['n_hvp']} / {c['rel_error']:.1e}" for c in cells) + " |")
    atomic_write_text(out / "sharpness.md", "\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
