"""Experiment: the simulator with block-wise end-of-run classification patched in.

Patches the generated kernel source (in this process only) so that the final classification
loop of ``run`` uses ``diverged_block`` and ``find_period_rows`` from
``benchmarks/classify_prototype.py`` instead of ``_support.is_diverged`` / ``find_period``
point by point, then times ``simulate`` (10**6 points, 1,000 steps, early exit off,
Lyapunov sum over all steps) with and without the patch, and checks that final states,
classes and periods are identical.  Tied to the template text of ``theory.dynamics`` at the
time of writing: it stops with a clear message if that text has changed.

Run: ``python benchmarks/experiment_block_classification.py`` (about 2 minutes).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent

OLD = """        for i in range(n_active):
            cls = UNDECIDED
            p = 0
            lam = np.nan
            if is_diverged(HIST, steps, m_div, i, bound):
                cls = DIVERGED
            else:
                p = find_period(HIST, steps, m, i, period_max, rtol, atol)"""
NEW = """        BADF = np.empty(n_active, np.uint8)
        diverged_block(HIST, steps, m_div, n_active, bound, BADF)
        ROWS = np.empty(m + period_max + 1, np.int64)
        for a in range(m + period_max + 1):
            ROWS[a] = (steps - a) % (HIST.shape[0] - 1)
        for i in range(n_active):
            cls = UNDECIDED
            p = 0
            lam = np.nan
            if BADF[i]:
                cls = DIVERGED
            else:
                p = find_period_rows(HIST, ROWS, m, i, period_max, rtol, atol)"""
IMPORT = "from benchmarks.classify_prototype import diverged_block, find_period_rows\n"


def _child(function: str, eta: float, patch: bool, out: str) -> None:
    sys.path.insert(0, str(ROOT))
    import theory.dynamics._compile as compile_module

    original = compile_module.module_source

    def patched(**kwargs):
        text = original(**kwargs)
        if patch:
            if OLD not in text:
                raise SystemExit("the simulator's template changed: update OLD/NEW here")
            text = text.replace(OLD, NEW).replace("import numpy as np\n",
                                                  "import numpy as np\n" + IMPORT, 1)
        return text

    compile_module.module_source = patched
    from theory.dynamics import simulate

    x0 = np.linspace(-5.0, 5.0, 10**6)
    simulate(function, eta, x0[:5000], 300, early_exit=False, transient=0, progress=False)
    best = np.inf
    for _ in range(4):
        t0 = time.perf_counter()
        r = simulate(function, eta, x0, 1000, early_exit=False, transient=0, progress=False)
        best = min(best, time.perf_counter() - t0)
    np.save(out, np.stack([r.final_state[0, :, 0], r.classes[0], r.period[0]]).astype(float))
    print(f"{function} {'patched' if patch else 'package'}: {1e9 / best:.3e} steps/s "
          f"(load {os.getloadavg()[0]:.2f})", flush=True)


def main() -> int:
    if len(sys.argv) == 5 and sys.argv[1] == "--child":
        _child(sys.argv[2], float(sys.argv[3]), sys.argv[4] == "1", os.environ["EXPERIMENT_OUT"])
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        for function, eta in (("f1", 3.0), ("f2", 2.0)):
            results = []
            for patch in ("0", "1"):
                env = dict(os.environ, MSL_CACHE_DIR=str(Path(tmp) / f"cache{patch}"),
                           EXPERIMENT_OUT=str(Path(tmp) / f"{function}{patch}.npy"))
                subprocess.run([sys.executable, __file__, "--child", function, str(eta), patch],
                               env=env, check=True)
                results.append(np.load(Path(tmp) / f"{function}{patch}.npy"))
            same = np.array_equal(results[0], results[1])
            print(f"{function}: identical final states, classes and periods: {same}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
