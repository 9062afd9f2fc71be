"""``SharpnessMonitor``: sharpness against the optimizer's stability threshold in the
user's own training loop (Section 2.1; Cohen et al. 2021, 2022).

>>> monitor = empirical.SharpnessMonitor(model, criterion, loader, optimizer, every=10)
>>> for step in range(steps):                                          # doctest: +SKIP
...     optimizer.zero_grad(); criterion(model(x), y).backward(); optimizer.step()
...     monitor.step()
>>> monitor.save("out/")   # monitor.csv, monitor.png                  # doctest: +SKIP

Every ``every`` calls of :meth:`SharpnessMonitor.step` it records the full-batch loss,
the sharpness ``lambda_max(H)`` (Lanczos warm-started from the previous top eigenvector)
and the stability threshold of the optimizer in use:

* ``torch.optim.SGD`` without momentum (gradient descent): ``2 / eta``;
* SGD with heavy-ball momentum ``beta`` (dampening ``d``): ``(2 + 2 beta) / ((1 - d) eta)``;
  with Nesterov momentum ``(2 + 2 beta) / ((1 + 2 beta) eta)`` (Cohen et al. 2021, App. B);
* ``Adam`` / ``AdamW``: the *preconditioned* sharpness ``lambda_max(P^-1 H)`` with
  ``P = diag(sqrt(v_hat) + eps)`` from the optimizer's state, against
  ``(2 + 2 beta1) / ((1 - beta1) eta)`` (Cohen et al. 2022);
* any other optimizer: the sharpness with no threshold (NaN).

:meth:`SharpnessMonitor.verdict` applies :func:`~empirical._eos.detect_eos` to the
sharpness measured in units of the threshold (so learning-rate schedules are allowed).
"""

from __future__ import annotations

import csv
import math
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

from empirical._eos import EosVerdict, detect_eos
from empirical._tracking import track_top_eigenpairs, value_and_operator
from empirical._user_objective import DEFAULT_MEMORY_BYTES, UserObjective
from empirical.errors import ExperimentError
from theory import validation as val

COLUMNS = ("step", "loss", "sharpness", "preconditioned_sharpness", "threshold", "lr",
           "rule", "n_hvp")


@dataclass(frozen=True)
class MonitorRecord:
    """One measurement: ``sharpness`` is ``lambda_max(H)``; ``preconditioned_sharpness``
    is ``lambda_max(P^-1 H)`` for Adam (NaN otherwise); ``threshold`` is what the
    relevant one is compared with (NaN when the optimizer has no known rule)."""

    step: int
    loss: float
    sharpness: float
    preconditioned_sharpness: float
    threshold: float
    lr: float
    rule: str
    n_hvp: int

    @property
    def compared(self) -> float:
        """The sharpness the threshold applies to (preconditioned for Adam)."""
        return self.preconditioned_sharpness if self.rule == "adam" else self.sharpness


def _group_of(optimizer, params: list[torch.Tensor]) -> dict:
    ids = {id(p) for p in params}
    groups = [g for g in optimizer.param_groups if ids & {id(p) for p in g["params"]}]
    if not groups:
        raise ExperimentError("optimizer: updates none of the monitored parameters")
    keys = ("lr", "momentum", "betas", "dampening", "nesterov", "eps")
    first = {k: groups[0].get(k) for k in keys}
    if any({k: g.get(k) for k in keys} != first for g in groups[1:]):
        raise ExperimentError("optimizer: the monitored parameters are in param groups with "
                              "different settings; monitor one group (params=...)")
    return groups[0]


def stability_rule(optimizer, params: list[torch.Tensor]) -> tuple[str, float, float]:
    """``(rule, lr, threshold)`` of ``optimizer`` for ``params`` (module docstring)."""
    group = _group_of(optimizer, params)
    lr = float(group["lr"])
    if isinstance(optimizer, torch.optim.SGD):
        beta = float(group.get("momentum", 0.0) or 0.0)
        if beta == 0.0:
            return "gd", lr, 2.0 / lr
        if group.get("nesterov"):
            return "nesterov", lr, (2 + 2 * beta) / ((1 + 2 * beta) * lr)
        damp = float(group.get("dampening", 0.0) or 0.0)
        return "heavy_ball", lr, (2 + 2 * beta) / ((1 - damp) * lr)
    if isinstance(optimizer, torch.optim.Adam | torch.optim.AdamW):
        beta1 = float(group["betas"][0])
        return "adam", lr, (2 + 2 * beta1) / ((1 - beta1) * lr)
    return "unknown", lr, float("nan")


class SharpnessMonitor:
    """Records loss, sharpness and the optimizer's stability threshold every ``every``
    steps of the user's training loop (module docstring).

    Args:
        model, criterion, data: as for :func:`empirical.hessian` (data read once; the
            loss is the exact full-batch one, at the model's parameters at each record).
        optimizer: the ``torch.optim`` optimizer that trains ``model``.
        every: record at steps ``0, every, 2 every, ...`` of :meth:`step`'s counter.
        params, dtype, eval_mode: as for :func:`empirical.hessian`.
        tol: Lanczos tolerance (default per dtype); seed: its random start.
        progress: a tqdm bar over the calls of :meth:`step` (``total`` if known).
    """

    def __init__(self, model, criterion, data, optimizer, *, every: int = 10, params=None,
                 dtype=None, eval_mode: bool = False, tol: float | None = None, seed: int = 0,
                 progress: bool = True, total: int | None = None,
                 memory_bytes: int = DEFAULT_MEMORY_BYTES):
        if not isinstance(optimizer, torch.optim.Optimizer):
            raise ExperimentError(f"optimizer={type(optimizer).__name__}: must be a "
                                  "torch.optim.Optimizer")
        self.every = val.whole_number("every", every, minimum=1, error=ExperimentError)
        self.objective = UserObjective(model, criterion, data, params=params, dtype=dtype,
                                       eval_mode=eval_mode, memory_bytes=memory_bytes)
        named = dict(model.named_parameters())
        self.params = [named[n] for n in self.objective.layout.names]
        self.optimizer, self.tol, self.seed = optimizer, tol, val.seed(seed, error=ExperimentError)
        stability_rule(optimizer, self.params)  # refuse a bad optimizer now
        self.records: list[MonitorRecord] = []
        self.calls = 0
        self._v0 = None
        self._v0_pre = None
        self._bar = None
        if progress:
            from tqdm.auto import tqdm

            self._bar = tqdm(total=total, desc="monitor", unit="step", leave=False)

    # -- measuring -------------------------------------------------------------------------
    def _preconditioner(self) -> torch.Tensor | None:
        """``diag(P)^-1/2`` of Adam at the current state (``None`` before its first step)."""
        group = _group_of(self.optimizer, self.params)
        beta2, eps = float(group["betas"][1]), float(group["eps"])
        parts = []
        for p in self.params:
            state = self.optimizer.state.get(p, {})
            if "exp_avg_sq" not in state:
                return None
            sq = state.get("max_exp_avg_sq", state["exp_avg_sq"]) if group.get("amsgrad") \
                else state["exp_avg_sq"]
            t = float(state["step"])
            v_hat = sq.detach().reshape(-1).to(self.objective.dtype) / (1 - beta2**t)
            parts.append(v_hat.sqrt() + eps)
        return torch.cat(parts).rsqrt()

    def measure(self) -> MonitorRecord:
        """Record one measurement now (whatever the counter)."""
        obj = self.objective
        theta = obj.theta0
        loss, op = value_and_operator(obj, theta)
        est = track_top_eigenpairs(op, obj.dim, self._v0, dtype=obj.dtype, device=obj.device,
                                   tol=self.tol, seed=self.seed + len(self.records))
        self._v0 = est
        n_hvp = est.n_hvp
        rule, lr, threshold = stability_rule(self.optimizer, self.params)
        pre = float("nan")
        if rule == "adam":
            scale = self._preconditioner()
            if scale is not None:
                est_p = track_top_eigenpairs(lambda v: scale * op(scale * v), obj.dim,
                                             self._v0_pre, dtype=obj.dtype, device=obj.device,
                                             tol=self.tol,
                                             seed=self.seed + 7919 + len(self.records))
                self._v0_pre = est_p
                pre, n_hvp = est_p.sharpness, n_hvp + est_p.n_hvp
        record = MonitorRecord(self.calls, loss, est.sharpness, pre, threshold, lr, rule, n_hvp)
        self.records.append(record)
        if self._bar is not None:
            self._bar.set_postfix(loss=f"{loss:.3g}", sharp=f"{record.compared:.3g}",
                                  thr=f"{threshold:.3g}")
        return record

    def step(self) -> MonitorRecord | None:
        """Call once per optimizer step (after ``optimizer.step()``); measures when the
        counter is a multiple of ``every`` and returns the record (else ``None``)."""
        record = self.measure() if self.calls % self.every == 0 else None
        self.calls += 1
        if self._bar is not None:
            self._bar.update(1)
        return record

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    # -- results ---------------------------------------------------------------------------
    def series(self) -> dict[str, np.ndarray]:
        """Every column of the records as an array."""
        return {c: np.array([getattr(r, c) for r in self.records]) for c in COLUMNS}

    def verdict(self, **kwargs) -> EosVerdict:
        """Edge-of-stability metrics (:func:`detect_eos`) of the compared sharpness in units
        of the threshold (``threshold`` reads 2 in the verdict: ``lr`` = 1)."""
        usable = [r for r in self.records if math.isfinite(r.compared * r.threshold)]
        if len(usable) < 2:
            raise ExperimentError(f"records: need >= 2 measurements with a known threshold, "
                                  f"have {len(usable)} (optimizer rule "
                                  f"{self.records[-1].rule if self.records else 'none'})")
        steps = [r.step for r in usable]
        ratio = [2.0 * r.compared / r.threshold for r in usable]
        return detect_eos(steps, ratio, steps, [r.loss for r in usable], 1.0, **kwargs)

    def save(self, out_dir, *, name: str = "monitor") -> dict[str, Path]:
        """Write ``<name>.csv`` (one row per record) and ``<name>.png`` (loss, and the
        compared sharpness with its threshold) into ``out_dir``; returns their paths."""
        if not self.records:
            raise ExperimentError("records: nothing measured yet (call step() first)")
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        paths = {"csv": out / f"{name}.csv", "png": out / f"{name}.png"}
        with paths["csv"].open("w", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=COLUMNS)
            writer.writeheader()
            for r in self.records:
                writer.writerow(asdict(r))
        from empirical._plots import _plt

        plt = _plt()
        s = self.series()
        compared = np.array([r.compared for r in self.records])
        fig, ax = plt.subplots(figsize=(6.4, 3.8))
        ax.plot(s["step"], s["loss"], color="tab:blue", lw=1, label="loss")
        ax.set_yscale("log")
        ax.set_xlabel("step")
        ax.set_ylabel("full-batch loss", color="tab:blue")
        ax2 = ax.twinx()
        label = ("preconditioned sharpness" if self.records[-1].rule == "adam"
                 else "sharpness")
        ax2.plot(s["step"], compared, color="tab:orange", lw=1.5, label=label)
        ax2.plot(s["step"], s["threshold"], color="tab:orange", ls="--", lw=1,
                 label=f"threshold ({self.records[-1].rule})")
        ax2.set_ylabel(label, color="tab:orange")
        handles = ax.get_legend_handles_labels()
        handles2 = ax2.get_legend_handles_labels()
        ax.legend(handles[0] + handles2[0], handles[1] + handles2[1], fontsize=8,
                  loc="center right")
        fig.tight_layout()
        fig.savefig(paths["png"], dpi=120)
        plt.close(fig)
        return paths
