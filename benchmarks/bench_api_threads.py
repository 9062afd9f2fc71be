"""``empirical.run_eos`` from Python against ``msl eos`` on the same settings, under load
(issue 22: 466 s against 15 s before the library chose torch's thread count itself).

Target: the Python call within 1.3x of the command.  Each row is a fresh interpreter (so
torch starts with its default thread count, one per core, as in a user's script), timed
wall-clock, the rows interleaved; ``--burners N`` busy processes keep the cores loaded during
the whole measurement (the machine's own load adds to it; ``uptime`` is recorded before and
after).  ``--old`` adds the behaviour before issue 22 (``MSL_TORCH_THREADS=keep``: torch's
default threads) at ``--old-steps`` steps, which is slow under load.

Writes ``benchmarks/results/api_threads.{json,md}``.  Not a test; run it with
``python benchmarks/bench_api_threads.py [--steps 1000] [--repeats 2] [--burners 2] [--old]``.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
sys.path.insert(0, str(ROOT))

from theory.files import atomic_write_text  # noqa: E402


def _burn() -> None:  # pragma: no cover - a load generator
    while True:
        pass


def _python(steps: int, out: str) -> list[str]:
    code = ("from empirical import ProblemSpec, run_eos\n"
            f"run_eos(ProblemSpec(), lr=0.3, steps={steps}, sharpness_every=20, "
            f"checkpoint_every=250, out_dir={out!r}, progress=False)\n")
    return [sys.executable, "-c", code]


def _cli(steps: int, out: str) -> list[str]:
    return [sys.executable, "-m", "msl", "eos", "--lr", "0.3", "--steps", str(steps),
            "--sharpness-every", "20", "--checkpoint-every", "250", "--out", out,
            "--no-progress"]


def _time(command: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, env=env, cwd=ROOT, capture_output=True)
    return time.perf_counter() - start


def _uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--burners", type=int, default=2)
    parser.add_argument("--old", action="store_true")
    parser.add_argument("--old-steps", type=int, default=200)
    args = parser.parse_args()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("MSL_TORCH_THREADS", None)
    burners = [multiprocessing.Process(target=_burn, daemon=True) for _ in range(args.burners)]
    for b in burners:
        b.start()
    times: dict[str, list[float]] = {"msl eos": [], "run_eos from Python": []}
    old: list[float] = []
    load_before = _uptime()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for i in range(args.repeats):
                times["msl eos"].append(_time(_cli(args.steps, f"{tmp}/cli{i}"), env))
                times["run_eos from Python"].append(
                    _time(_python(args.steps, f"{tmp}/api{i}"), env))
            if args.old:
                old.append(_time(_python(args.old_steps, f"{tmp}/old"),
                                 {**env, "MSL_TORCH_THREADS": "keep"}))
                new_short = _time(_python(args.old_steps, f"{tmp}/new"), env)
    finally:
        for b in burners:
            b.kill()
    load_after = _uptime()
    median = {k: statistics.median(v) for k, v in times.items()}
    ratio = median["run_eos from Python"] / median["msl eos"]
    result = {"steps": args.steps, "repeats": args.repeats, "burners": args.burners,
              "cpus": os.cpu_count(), "uptime_before": load_before, "uptime_after": load_after,
              "seconds": times, "median": median, "ratio_api_over_cli": ratio,
              "target": 1.3, "met": ratio <= 1.3}
    lines = [
        "# run_eos from Python vs msl eos (issue 22)", "",
        f"Digits MLP (the default ProblemSpec), lr 0.3, {args.steps} steps, sharpness every "
        f"20; fresh interpreter per run, {args.repeats} interleaved runs each, "
        f"{args.burners} busy processes on the {os.cpu_count()} cores during the whole "
        "measurement.", "",
        f"Load: `{load_before}` before, `{load_after}` after.", "",
        "| run | seconds (each) | median |", "| --- | --- | --- |",
        *(f"| {k} | {', '.join(f'{t:.1f}' for t in v)} | {median[k]:.1f} |"
          for k, v in times.items()), "",
        f"Ratio Python / CLI: **{ratio:.2f}** (target <= 1.3: "
        f"{'met' if ratio <= 1.3 else 'NOT met'}).",
    ]
    if old:
        result["old_steps"] = args.old_steps
        result["old_keep_threads_seconds"] = old[0]
        result["new_seconds_same_steps"] = new_short
        lines += ["", f"Before issue 22 (torch's default threads, `MSL_TORCH_THREADS=keep`), "
                  f"{args.old_steps} steps: {old[0]:.1f} s; with the library's default "
                  f"(1 thread): {new_short:.1f} s."]
    RESULTS.mkdir(parents=True, exist_ok=True)
    atomic_write_text(RESULTS / "api_threads.json", json.dumps(result, indent=1) + "\n")
    atomic_write_text(RESULTS / "api_threads.md", "\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
