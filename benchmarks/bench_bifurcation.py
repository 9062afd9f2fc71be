"""Continuation of one branch through five doublings (issue 21): time and accuracy.

For f = x^2/2 + x^3/2 (GD map conjugate to the logistic map, r = 1 + eta) and for
f = log cosh x + x^3/5 (not quadratic), :func:`theory.bifurcation.continue_cascade` follows
the fixed point, then each cycle born by a flip, through five doublings (periods 1 ... 16),
certifying every flip point by Krawczyk.  Best of ``--repeats`` wall times (the first run
also pays for sympy's derivatives and lambdify); the load average is recorded.  Target:
under 5 s on the 2-core CPU.  Then heavy ball on f1 (2-state map): the Krawczyk
certificates of the fold at beta = 0.85 with and without the symmetry reduction (timed
interleaved, side by side), of the stable 4-cycle at (0.7, 8), of the fold/threshold
crossing, and one small ``basin_agreement``.  Writes ``benchmarks/results/bifurcation.json``
and ``.md``.  Not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from theory.bifurcation import (  # noqa: E402
    BasinOptions,
    basin_agreement,
    continue_cascade,
    enclose_fold_threshold_crossing,
    enclose_momentum_cycle,
    enclose_momentum_fold,
    gd_map,
)
from theory.files import atomic_write_text  # noqa: E402

CASES = (("x**2/2 + x**3/2", (1.5, 2.6)), ("log(cosh(x)) + x**3/5", (1.5, 2.6)))


def run(repeats: int) -> dict:
    rows = []
    for function, window in CASES:
        times, cascade = [], None
        for _ in range(repeats):
            start = time.perf_counter()
            cascade = continue_cascade(function, window, doublings=5)
            times.append(time.perf_counter() - start)
        assert cascade is not None
        flips = cascade.flips
        rows.append({
            "function": function, "eta": list(window), "seconds_first": times[0],
            "seconds_best": min(times), "flips": [p.eta for p in flips],
            "certified": [p.certified for p in flips],
            "widths": [p.eta_enclosure[1] - p.eta_enclosure[0] if p.certified else None
                       for p in flips],
            "feigenbaum_ratios": list(cascade.feigenbaum_ratios),
            "accumulation": cascade.accumulation,
            "steps": int(sum(len(b.eta) for b in cascade.branches)),
        })
    return {"load_average": list(os.getloadavg()), "cpus": os.cpu_count(), "cases": rows,
            "momentum": momentum(repeats)}


def _best(fn, repeats: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return min(times), out


def momentum(repeats: int) -> list[dict]:
    guess = (-0.44, -1.18, 2.72)
    f1 = gd_map("f1")  # resolved once: the times are the certificates' own
    jobs = {
        "fold, beta 0.85, symmetric (H^2(z) = -z)":
            lambda: enclose_momentum_fold(f1, "momentum", 0.85, guess, 4, symmetric=True),
        "fold, beta 0.85, generic (H^4(z) = z)":
            lambda: enclose_momentum_fold(f1, "momentum", 0.85, guess, 4),
        "stable 4-cycle at (0.7, 8), symmetric":
            lambda: enclose_momentum_cycle(f1, "momentum", 0.7, 8.0, (-5.0, -12.0), 4,
                                           symmetric=True),
        "stable 4-cycle at (0.7, 8), generic":
            lambda: enclose_momentum_cycle(f1, "momentum", 0.7, 8.0, (-5.0, -12.0), 4),
        "fold/threshold crossing (beta unknown)":
            lambda: enclose_fold_threshold_crossing(f1, 0.758, (-0.92, -2.79), 4,
                                                    symmetric=True),
    }
    for job in jobs.values():  # warm-up: sympy derivatives, ball functions
        job()
    best: dict[str, float] = {name: float("inf") for name in jobs}
    for _ in range(repeats):  # interleaved: each round runs every job once
        for name, job in jobs.items():
            start = time.perf_counter()
            job()
            best[name] = min(best[name], time.perf_counter() - start)
    rows = [{"case": name, "seconds_best": t} for name, t in best.items()]
    seconds, res = _best(lambda: basin_agreement(
        "f1", (1.5, 10.0, 12), (0.6, 0.9, 4), BasinOptions(points=9, steps=1500)), 1)
    rows.append({"case": "basin_agreement 12 x 4 grid, 9 x 9 starts, 1500 steps",
                 "seconds_best": seconds, "summary": res.summary()})  # type: ignore[union-attr]
    return rows


def markdown(data: dict) -> str:
    lines = ["# Continuation through five doublings (issue 21)", "",
             f"Load average {data['load_average']}, {data['cpus']} CPUs.", "",
             "| function | first run (s) | best (s) | flips certified | last Feigenbaum ratio "
             "| eta_inf |", "|---|---|---|---|---|---|"]
    for r in data["cases"]:
        lines.append(f"| `{r['function']}` | {r['seconds_first']:.3f} | {r['seconds_best']:.3f} "
                     f"| {sum(r['certified'])}/{len(r['certified'])} | "
                     f"{r['feigenbaum_ratios'][-1]:.4f} | {r['accumulation']:.8f} |")
    lines += ["", "## Heavy ball on f1: certificates in the 2-state map", "",
              "Best of the repeats, the jobs interleaved (one round runs each once).", "",
              "| case | best (s) |", "|---|---|"]
    for r in data.get("momentum", []):
        lines.append(f"| {r['case']} | {r['seconds_best']:.3f} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=Path, default=HERE / "results")
    args = parser.parse_args(argv)
    data = run(args.repeats)
    args.out.mkdir(parents=True, exist_ok=True)
    atomic_write_text(args.out / "bifurcation.json", json.dumps(data, indent=2) + "\n")
    atomic_write_text(args.out / "bifurcation.md", markdown(data))
    print(markdown(data))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
