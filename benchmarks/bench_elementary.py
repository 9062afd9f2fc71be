"""Throughput of the vectorisable elementary functions and of kernel-layout choices.

Backs the claims of docs/performance.md ("What made it fast") with one side-by-side run:

* ``functions``: evaluations per second of ``_el.f`` (theory.dynamics._elementary) and of
  ``math.f`` in the same Numba loop over a 1,024-element array (one thread, L1-resident),
  and of the NumPy ufunc with ``out=``;
* ``layout``: GD on f1 (x <- x - eta sign(x) log(1+|x|), 10**6 points, 200 steps) with
  ``prange`` over blocks of 512 points and the loop over points (a) in its own ``@njit``
  function, (b) written directly in the ``prange`` body, and (c) in its own function but
  calling ``math.log1p``.

Interleaved repeats, best of ``--repeats``; the load average is recorded.  Writes
``benchmarks/results/elementary.json`` and ``.md``.  Not a test.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from pathlib import Path

import numpy as np
from numba import njit, prange

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
from theory.dynamics import _elementary as _el  # noqa: E402
from theory.files import atomic_write_text  # noqa: E402

_JIT = {"error_model": "numpy", "fastmath": set(_el.SAFE_FASTMATH)}

_MATH = {
    "log": math.log,
    "log1p": math.log1p,
    "exp": math.exp,
    "expm1": math.expm1,
    "tanh": math.tanh,
    "sinh": math.sinh,
    "cosh": math.cosh,
    "sqrt": math.sqrt,
}
_NUMPY = {
    "log": np.log,
    "log1p": np.log1p,
    "exp": np.exp,
    "expm1": np.expm1,
    "tanh": np.tanh,
    "sinh": np.sinh,
    "cosh": np.cosh,
    "sqrt": np.sqrt,
}


def _loop(fn):
    @njit(**_JIT)
    def loop(xs, out, reps):
        for _ in range(reps):
            for i in range(xs.shape[0]):
                out[i] = fn(xs[i])

    return loop


def _arguments(name: str, n: int) -> np.ndarray:
    rng = np.random.default_rng(1)
    if name in ("log", "sqrt"):
        return 10.0 ** rng.uniform(-10, 10, n)
    if name == "log1p":
        return 10.0 ** rng.uniform(-10, 3, n)
    return rng.uniform(-20.0, 20.0, n)


# --- layout variants (f1 GD, 2 threads) ------------------------------------------------


@njit(**_JIT)
def _block_el(x, eta, steps):
    for _ in range(steps):
        for i in range(x.shape[0]):
            xi = x[i]
            x[i] = xi - eta * math.copysign(_el.log1p(abs(xi)), xi)


@njit(**_JIT)
def _block_libm(x, eta, steps):
    for _ in range(steps):
        for i in range(x.shape[0]):
            xi = x[i]
            x[i] = xi - eta * math.copysign(math.log1p(abs(xi)), xi)


@njit(parallel=True, **_JIT)
def _layout_function(x, eta, steps, block):
    nb = (x.shape[0] + block - 1) // block
    for b in prange(nb):
        lo = b * block
        _block_el(x[lo : min(lo + block, x.shape[0])], eta, steps)


@njit(parallel=True, **_JIT)
def _layout_libm(x, eta, steps, block):
    nb = (x.shape[0] + block - 1) // block
    for b in prange(nb):
        lo = b * block
        _block_libm(x[lo : min(lo + block, x.shape[0])], eta, steps)


@njit(parallel=True, **_JIT)
def _layout_inline_body(x, eta, steps, block):
    n = x.shape[0]
    nb = (n + block - 1) // block
    for b in prange(nb):
        lo = b * block
        hi = min(lo + block, n)
        for _ in range(steps):
            for i in range(lo, hi):
                xi = x[i]
                x[i] = xi - eta * math.copysign(_el.log1p(abs(xi)), xi)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--out", type=Path, default=HERE / "results" / "elementary.json")
    args = parser.parse_args(argv)

    report = {
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "cpus": os.cpu_count(),
        "load_start": [round(v, 2) for v in os.getloadavg()],
        "functions": {},
        "layout": {},
    }
    n, reps = 1024, 2000
    for name in _el.ELEMENTARY_NAMES:
        xs = _arguments(name, n)
        out = np.empty_like(xs)
        el_loop, math_loop = _loop(getattr(_el, name)), _loop(_MATH[name])
        el_loop(xs, out, 1)
        math_loop(xs, out, 1)
        best = {"el": np.inf, "math": np.inf, "numpy": np.inf}
        for _ in range(args.repeats):
            for label, call in (
                ("el", lambda: el_loop(xs, out, reps)),  # noqa: B023
                ("math", lambda: math_loop(xs, out, reps)),  # noqa: B023
                ("numpy", lambda: [_NUMPY[name](xs, out=out) for _ in range(reps)]),  # noqa: B023
            ):
                t0 = time.perf_counter()
                call()
                best[label] = min(best[label], time.perf_counter() - t0)
        rates = {k: n * reps / v for k, v in best.items()}
        report["functions"][name] = {
            "evaluations_per_second": rates,
            "el_vs_math": rates["el"] / rates["math"],
            "el_vs_numpy": rates["el"] / rates["numpy"],
        }
        print(f"{name:6s} el {rates['el']:.3g}/s  math {rates['math']:.3g}/s  "
              f"numpy {rates['numpy']:.3g}/s", flush=True)

    x0 = np.linspace(-5.0, 5.0, 10**6)
    variants = {
        "own function, _el.log1p": _layout_function,
        "loop in prange body, _el.log1p": _layout_inline_body,
        "own function, math.log1p": _layout_libm,
    }
    steps = 200
    for fn in variants.values():
        fn(x0[:4096].copy(), 3.0, 2, 512)
    best = dict.fromkeys(variants, np.inf)
    for _ in range(args.repeats):
        for label, fn in variants.items():
            x = x0.copy()
            t0 = time.perf_counter()
            fn(x, 3.0, steps, 512)
            best[label] = min(best[label], time.perf_counter() - t0)
    for label, b in best.items():
        report["layout"][label] = {"steps_per_second": x0.size * steps / b}
        print(f"{label:32s} {x0.size * steps / b:.3g} steps/s", flush=True)
    report["load_end"] = [round(v, 2) for v in os.getloadavg()]

    args.out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(args.out, json.dumps(report, indent=2))
    lines = [
        "# Elementary functions and kernel layout (benchmarks/bench_elementary.py)",
        "",
        f"{report['date']}, {report['cpus']} cores, load {report['load_start']} -> "
        f"{report['load_end']}.",
        "",
        "| function | _el (evals/s, 1 thread) | math in Numba | NumPy ufunc | _el / math |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for name, r in report["functions"].items():
        e = r["evaluations_per_second"]
        lines.append(
            f"| {name} | {e['el']:.3g} | {e['math']:.3g} | {e['numpy']:.3g} | "
            f"{r['el_vs_math']:.1f} |"
        )
    lines += ["", "| f1 GD layout (10^6 points, 2 threads) | steps/s |", "| --- | ---: |"]
    for label, r in report["layout"].items():
        lines.append(f"| {label} | {r['steps_per_second']:.3g} |")
    atomic_write_text(args.out.with_suffix(".md"), "\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
