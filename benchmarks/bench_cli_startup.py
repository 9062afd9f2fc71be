"""How long ``msl --help`` takes, and what ``import msl.cli`` loads (issue 10).

Target: ``msl --help`` under 0.5 s on a 2-core machine with a warm disk cache.  Measured
side by side in one run, interleaved, best and median of N fresh interpreters each:

* ``msl --help`` (the console script's work: ``python -m msl --help``);
* ``python -c pass`` (the interpreter's own start, the floor);
* ``import sympy``, ``import numba``, ``import torch`` (what the CLI used to pay for).

Writes ``benchmarks/results/cli_startup.{json,md}``.  Not a test; run it with
``python benchmarks/bench_cli_startup.py [--repeats N]``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # theory.files of this checkout
    sys.path.insert(0, str(ROOT))
from theory.files import atomic_write_text  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"

ROWS = {
    "msl --help": [sys.executable, "-m", "msl", "--help"],
    "python -c pass": [sys.executable, "-c", "pass"],
    "import sympy": [sys.executable, "-c", "import sympy"],
    "import numba": [sys.executable, "-c", "import numba"],
    "import torch": [sys.executable, "-c", "import torch"],
}
HEAVY = ("sympy", "numba", "torch", "flint", "matplotlib")


def _time(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   check=True)
    return time.perf_counter() - start


def _loaded_by_cli() -> list[str]:
    code = ("import sys, msl.cli\nmsl.cli.build_parser()\n"
            f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout.strip()
    return [m for m in out.split(",") if m]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args(argv)
    for command in ROWS.values():  # warm the disk cache and the .pyc files
        _time(command)
    times: dict[str, list[float]] = {name: [] for name in ROWS}
    for _ in range(args.repeats):
        for name, command in ROWS.items():
            times[name].append(_time(command))
    rows = {name: {"best_s": min(t), "median_s": statistics.median(t), "runs": len(t)}
            for name, t in times.items()}
    result = {
        "target": "msl --help < 0.5 s (best of N, warm disk cache, 2 cores)",
        "met": rows["msl --help"]["median_s"] < 0.5,
        "rows": rows,
        "heavy_modules_after_import_msl_cli": _loaded_by_cli(),
        "load_average": os.getloadavg(),
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "date": time.strftime("%Y-%m-%d"),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    atomic_write_text(RESULTS / "cli_startup.json", json.dumps(result, indent=1) + "\n")
    lines = ["# `msl --help` start-up time", "",
             f"{result['date']}, Python {result['python']}, {result['cpu_count']} cores, "
             f"load average {', '.join(f'{x:.2f}' for x in result['load_average'])} "
             f"(after the run); {args.repeats} interleaved runs per row.", "",
             "| command | best (s) | median (s) |", "| --- | --- | --- |"]
    lines += [f"| `{name}` | {r['best_s']:.3f} | {r['median_s']:.3f} |"
              for name, r in rows.items()]
    lines += ["", f"Target: {result['target']} -- {'met' if result['met'] else 'NOT met'} "
              "(median).", "",
              "Heavy modules loaded by `import msl.cli` and building the parser: "
              f"{', '.join(result['heavy_modules_after_import_msl_cli']) or 'none'}.", ""]
    atomic_write_text(RESULTS / "cli_startup.md", "\n".join(lines))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
