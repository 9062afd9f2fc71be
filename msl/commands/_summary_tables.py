"""One summary for ``msl simulate`` whatever the optimizer (issue 22): the same JSON keys
with the same meaning, and the same table.

Keys: ``counts`` (points per class), ``periods`` (period p >= 2 -> number of periodic
points), ``attractor`` (the distinct values *visited by* the periodic orbits, every point of
each cycle, rounded to 1e-8), ``lyapunov_median`` and ``undecided_reasons``.  Momentum and
Nesterov add ``optimizer`` and ``beta``.  SGD's outcomes are distributions over seeded
replicas, not orbits: its ``counts`` are replica runs (``diverged`` or ``bounded``), its
``periods``/``attractor`` are empty and ``lyapunov_median`` null, and it adds ``sigma``,
``replicas`` and per learning rate the median over x0 of the stationary spread
(``by_eta``); ``--json`` also keeps the per-point arrays (``per_point``).
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["momentum_summary", "print_table", "sgd_summary"]


def _cycle_values(values: list[float], decimals: int = 8) -> list[float]:
    """Distinct values, those closer than the rounding unit merged (as GD's attractor)."""
    finite = np.sort(np.asarray([v for v in values if math.isfinite(v)], dtype=float))
    if finite.size == 0:
        return []
    groups = np.split(finite, np.nonzero(np.diff(finite) > 10.0**-decimals)[0] + 1)
    return sorted({float(np.round(g.mean(), decimals)) + 0.0 for g in groups})


def momentum_cycles(sweep, gradient) -> list[float]:
    """Every point of every periodic orbit of a momentum sweep, regenerated from its final
    state (x_T, x_{T-1}) by the method's update (heavy ball or Nesterov)."""
    from theory.dynamics import CLASS_NAMES

    periodic = sweep.classes == CLASS_NAMES.index("periodic")
    if not periodic.any():
        return []
    i, j, _ = np.nonzero(periodic)
    eta, beta = sweep.eta[i], sweep.beta[j]
    x, prev = (sweep.final_state[periodic][:, k].astype(float) for k in (0, 1))
    periods = sweep.period[periodic].astype(int)
    nesterov = sweep.metadata.get("method") == "nesterov"
    values = [x.copy()]
    for step in range(1, int(periods.max())):
        with np.errstate(all="ignore"):
            y = x + beta * (x - prev) if nesterov else x
            new = y - eta * gradient(y) if nesterov else x - eta * gradient(x) + beta * (x - prev)
        prev, x = x, new
        values.append(np.where(step < periods, x, np.nan))
    return [float(v) for v in np.concatenate(values)]


def momentum_summary(sweep, beta: float, gradient) -> dict:
    from theory.dynamics import CLASS_NAMES

    periodic = sweep.classes == CLASS_NAMES.index("periodic")
    periods = {str(int(p)): int(c) for p, c in zip(*np.unique(sweep.period[periodic],
                                                               return_counts=True),
                                                    strict=True)}
    finite = sweep.lyapunov[np.isfinite(sweep.lyapunov)]
    reasons: dict[str, int] = {}
    if (sweep.classes == CLASS_NAMES.index("undecided")).any():
        from theory.dynamics import UNDECIDED_REASONS, undecided_reasons

        codes, counts = np.unique(undecided_reasons(sweep), return_counts=True)
        reasons = {UNDECIDED_REASONS[int(c)]: int(n)
                   for c, n in zip(codes, counts, strict=True) if c}
    return {"function": sweep.metadata["function"], "steps": sweep.metadata["steps"],
            "optimizer": sweep.metadata["method"], "beta": beta,
            "counts": sweep.class_counts(), "periods": periods,
            "attractor": _cycle_values(momentum_cycles(sweep, gradient)),
            "lyapunov_median": float(np.median(finite)) if finite.size else None,
            "undecided_reasons": reasons}


def sgd_summary(result, function: str, steps: int, replicas: int, sigma: float) -> dict:
    diverged = np.asarray(result.diverged_fraction, dtype=float)
    runs = diverged.size * replicas
    n_diverged = round(float(diverged.sum()) * replicas)
    by_eta = []
    for i, eta in enumerate(np.asarray(result.eta, dtype=float)):
        rms = np.asarray(result.rms[i], dtype=float)
        finite = rms[np.isfinite(rms)]
        by_eta.append({"eta": float(eta), "diverged_fraction": float(diverged[i].mean()),
                       "rms_median": float(np.median(finite)) if finite.size else None})
    return {"function": function, "steps": steps, "optimizer": "sgd", "sigma": sigma,
            "replicas": replicas,
            "counts": {"bounded": runs - n_diverged, "diverged": n_diverged},
            "periods": {}, "attractor": [], "lyapunov_median": None,
            "undecided_reasons": {}, "by_eta": by_eta, "per_point": result.to_dict()}


def print_table(summary: dict, *, function: str, steps: int, unit: str = "points") -> None:
    """The table ``msl simulate`` prints for GD, for any optimizer's summary."""
    n = sum(summary["counts"].values())
    head = f"function  {function}   steps {steps}   {unit} {n}"
    if summary.get("optimizer") == "sgd":
        head += f"   optimizer sgd (sigma {summary['sigma']:g}, {summary['replicas']} replicas)"
    elif summary.get("optimizer"):
        head += f"   optimizer {summary['optimizer']} (beta = {summary['beta']:g})"
    print(head)
    for name, count in summary["counts"].items():
        print(f"  {name:<10} {count:>9}  ({100.0 * count / max(n, 1):5.1f}%)")
    if summary["periods"]:
        periods = ", ".join(f"{p}: {c}" for p, c in summary["periods"].items())
        print(f"periods   {periods}")
    if summary["attractor"]:
        shown = summary["attractor"][:12]
        more = "" if len(summary["attractor"]) <= 12 else f" ... ({len(summary['attractor'])})"
        print(f"attractor {shown}{more}")
    for reason, count in summary["undecided_reasons"].items():
        print(f"  undecided ({count}): {reason}")
    for row in summary.get("by_eta", []):
        rms = "n/a" if row["rms_median"] is None else f"{row['rms_median']:.4g}"
        print(f"eta {row['eta']:<10.6g} diverged {100 * row['diverged_fraction']:5.1f}%   "
              f"median rms {rms}")
    if summary.get("optimizer") != "sgd":
        print(f"median Lyapunov exponent {summary['lyapunov_median']}")
