"""``SharpnessMonitor``: sharpness against the optimizer's stability threshold in the
user's own training loop (Section 2.1; Cohen et al. 2021, 2022).

>>> monitor = empirical.SharpnessMonitor(model, criterion, loader, optimizer, every=10)
>>> for step in range(steps):                                          # doctest: +SKIP
...     optimizer.zero_grad(); criterion(model(x), y).backward(); optimizer.step()
...     monitor.step()
>>> monitor.save("out/")   # monitor.csv, monitor.png                  # doctest: +SKIP

Every ``every`` calls of :meth:`SharpnessMonitor.step` it records the full-batch loss,
the sharpness ``lambda_max(H)`` (Lanczos warm-started from the previous top eigenvector,
:func:`~empirical._tracking.track_top_eigenpair`)
and the stability threshold of the optimizer in use:

* ``torch.optim.SGD`` without momentum: ``2 / eta - wd`` (``wd``: its weight decay), rule
  ``"gd"`` when the gradient the optimizer uses is the full-batch gradient of the
  monitored loss (checked at its first step) and ``"sgd"`` otherwise (mini-batches);
* SGD with heavy-ball momentum ``beta`` (dampening ``d``): ``(2 + 2 beta) / ((1 - d) eta)
  - wd``; with Nesterov momentum ``(2 + 2 beta) / ((1 + 2 beta) eta) - wd`` (Cohen et al.
  2021, App. B);
* ``Adam`` / ``AdamW``: the *preconditioned* sharpness ``lambda_max(P^-1 H)`` with
  ``P = diag(sqrt(v_hat) + eps)`` from the optimizer's state (``H + wd I`` for Adam's
  coupled decay), against ``(2 + 2 beta1) / ((1 - beta1) eta)`` (Cohen et al. 2022);
  decoupled decay (AdamW): ``(1 + beta1)(2 - eta wd) / ((1 - beta1) eta)``;
* ``RMSprop``: the preconditioned sharpness (``P = sqrt(square_avg) + eps``) against
  ``(2 + 2 momentum) / eta``;
* ``eta = 0`` (a schedule that ended), dampening 1: ``inf`` (no constraint);
* any other optimizer that has an ``lr``, or a subclass with its own ``step``: the
  sharpness with no threshold (NaN) and one warning that says why;
* refused: ``maximize=True``, and an optimizer whose param group lacks ``lr`` or a key its
  rule reads (:class:`empirical.errors.MissingHyperparameterError`).

The derivations are in :mod:`empirical._stability`.  The monitored parameters are the
ones the optimizer trains (its ``param_groups``), unless ``params=`` picks some of them.

:meth:`SharpnessMonitor.verdict` applies :func:`~empirical._eos.detect_eos` to the
sharpness measured in units of the threshold (so learning-rate schedules are allowed); it
claims the edge of stability only for full-batch training whose compared sharpness
reached the threshold (not merely its band, e.g. 0.92 of it).
"""

from __future__ import annotations

import csv
import io
import math
import warnings
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
import torch

from empirical._eigen import EigenEstimate
from empirical._eos import EosVerdict, detect_eos
from empirical._stability import PRECONDITIONED, preconditioner, stability
from empirical._tracking import parameter_value_and_operator, track_top_eigenpair
from empirical._user_objective import DEFAULT_MEMORY_BYTES, UserObjective
from empirical.errors import ExperimentError, ThresholdWarning
from theory import validation as val

COLUMNS = ("step", "loss", "sharpness", "preconditioned_sharpness", "threshold", "lr",
           "rule", "n_hvp")


@dataclass(frozen=True)
class MonitorRecord:
    """One measurement: ``sharpness`` is ``lambda_max(H)``; ``preconditioned_sharpness``
    is ``lambda_max(P^-1 (H + wd I))`` for Adam / RMSprop (NaN otherwise); ``threshold`` is
    what the relevant one is compared with (``inf``: no constraint, e.g. ``lr = 0``; NaN
    when the optimizer has no known rule)."""

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
        """The sharpness the threshold applies to (preconditioned for Adam, RMSprop)."""
        return (self.preconditioned_sharpness if self.rule in PRECONDITIONED
                else self.sharpness)


def stability_rule(optimizer, params: list[torch.Tensor], *,
                   full_batch: bool | None = None) -> tuple[str, float, float]:
    """``(rule, lr, threshold)`` of ``optimizer`` for ``params`` (module docstring)."""
    rule = stability(optimizer, params, full_batch=full_batch)
    return rule.name, rule.lr, rule.threshold


def trained_parameters(model, optimizer, params) -> list[str]:
    """Names of the monitored parameters: those the optimizer trains (in its param groups,
    with ``requires_grad``), or the chosen ``params``, which must be among them."""
    trained = {id(p) for g in optimizer.param_groups for p in g["params"] if p.requires_grad}
    named = list(model.named_parameters())
    if params is None:
        names = [n for n, p in named if id(p) in trained]
        if not names:
            raise ExperimentError(f"optimizer={type(optimizer).__name__}: updates none of "
                                  "the model's parameters (none of them with requires_grad)")
        return names
    from empirical._user_objective import select_parameters

    names = select_parameters(model, params)
    untrained = [n for n, p in named if n in names and id(p) not in trained]
    if untrained:
        raise ExperimentError(f"params: {', '.join(untrained[:4])} are not trained by the "
                              "optimizer (not in its param_groups, or requires_grad=False), so "
                              "its stability threshold does not concern them")
    return names


class SharpnessMonitor:
    """Records loss, sharpness and the optimizer's stability threshold every ``every``
    steps of the user's training loop (module docstring).

    Args:
        model, criterion, data: as for :func:`empirical.hessian` (data read once; the
            loss is the exact full-batch one, at the model's parameters at each record).
        optimizer: the ``torch.optim`` optimizer that trains ``model``.
        every: record at steps ``0, every, 2 every, ...`` of :meth:`step`'s counter.
        params: which of the parameters the optimizer trains to monitor (default: all of
            them; its ``param_groups`` are the truth, frozen ones excluded).
        dtype, eval_mode: as for :func:`empirical.hessian`.
        full_batch: whether the training loop steps on the full-batch gradient of
            ``criterion`` over ``data`` (plain SGD is then ``"gd"``, else ``"sgd"``);
            ``None`` checks it at the optimizer's first step (the gradients in ``.grad``
            against the full-batch gradient, relative difference <= 1e-4).
        tol: Lanczos tolerance (default per dtype); seed: its random start.
        progress: a tqdm bar over the calls of :meth:`step` (``total`` if known).
    """

    def __init__(self, model, criterion, data, optimizer, *, every: int = 10, params=None,
                 dtype=None, eval_mode: bool = False, tol: float | None = None, seed: int = 0,
                 progress: bool = True, total: int | None = None,
                 memory_bytes: int = DEFAULT_MEMORY_BYTES, full_batch: bool | None = None):
        if not isinstance(optimizer, torch.optim.Optimizer):
            raise ExperimentError(f"optimizer={type(optimizer).__name__}: must be a "
                                  "torch.optim.Optimizer")
        self.every = val.whole_number("every", every, minimum=1, error=ExperimentError)
        if full_batch is not None and not isinstance(full_batch, bool):
            raise ExperimentError(f"full_batch={full_batch!r}: must be None, True or False")
        if not isinstance(model, torch.nn.Module):
            raise ExperimentError(f"model={type(model).__name__}: must be a torch.nn.Module")
        names = trained_parameters(model, optimizer, params)
        self.objective = UserObjective(model, criterion, data, params=names, dtype=dtype,
                                       eval_mode=eval_mode, memory_bytes=memory_bytes)
        named = dict(model.named_parameters())
        self.params = [named[n] for n in self.objective.layout.names]
        self.optimizer, self.tol, self.seed = optimizer, tol, val.seed(seed, error=ExperimentError)
        self.full_batch = full_batch
        self._warned: set[str] = set()
        self._rule()  # refuse a bad optimizer now
        self._hook = (optimizer.register_step_pre_hook(self._check_batch)
                      if full_batch is None else None)
        self.records: list[MonitorRecord] = []
        self.calls = 0
        #: the last estimates: the warm starts of the next measurement
        self._v0: EigenEstimate | None = None
        self._v0_pre: EigenEstimate | None = None
        self._bar = None
        if progress:
            from tqdm.auto import tqdm

            self._bar = tqdm(total=total, desc="monitor", unit="step", leave=False)

    # -- measuring -------------------------------------------------------------------------
    def _check_batch(self, _optimizer, _args, _kwargs) -> None:
        """Step pre-hook, once: is the gradient about to be used the full-batch one?"""
        if self._hook is not None:
            self._hook.remove()
        grads = [p.grad for p in self.params if p.grad is not None]
        if len(grads) < len(self.params):
            self.full_batch = False
            return
        used = torch.cat([g.detach().reshape(-1).to(self.objective.dtype) for g in grads])
        full = self.objective.grad(self.objective.theta0).to(used.device)
        scale = max(float(full.norm()), float(used.norm()), 1e-30)
        self.full_batch = float((used - full).norm()) <= 1e-4 * scale

    def _rule(self):
        rule = stability(self.optimizer, self.params, full_batch=self.full_batch)
        if rule.reason is not None and rule.reason not in self._warned:
            self._warned.add(rule.reason)
            warnings.warn(rule.reason, ThresholdWarning, stacklevel=3)
        return rule

    def measure(self) -> MonitorRecord:
        """Record one measurement now (whatever the counter)."""
        obj = self.objective
        loss, op = parameter_value_and_operator(obj)
        est = track_top_eigenpair(op, obj.dim, self._v0, dtype=obj.dtype, device=obj.device,
                                  tol=self.tol, seed=self.seed + len(self.records))
        self._v0 = est
        n_hvp = est.n_hvp
        found = self._rule()
        rule, lr, threshold = found.name, found.lr, found.threshold
        pre = float("nan")
        if rule in PRECONDITIONED:
            scale = preconditioner(self.optimizer, self.params, rule, obj.dtype)
            if scale is not None:
                scale = scale.to(obj.device)

                def pre_op(v, scale=scale, wd=found.decay):
                    u = scale * v
                    return scale * (op(u) + wd * u)

                est_p = track_top_eigenpair(pre_op, obj.dim, self._v0_pre, dtype=obj.dtype,
                                            device=obj.device, tol=self.tol,
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
        of the threshold (``threshold`` reads 2 in the verdict: ``lr`` = 1).

        ``edge_of_stability`` is claimed only when the compared sharpness reached the
        threshold itself (``first_cross_step``; a plateau inside the band below it, e.g. at
        0.92, is not the edge) and the training was full-batch (``full_batch``: the
        thresholds are those of the full-batch dynamics; mini-batch SGD typically levels
        off below them).  Records with an infinite or unknown threshold are left out."""
        usable = [r for r in self.records if math.isfinite(r.compared * r.threshold)]
        if len(usable) < 2:
            raise ExperimentError(f"records: need >= 2 measurements with a known threshold, "
                                  f"have {len(usable)} (optimizer rule "
                                  f"{self.records[-1].rule if self.records else 'none'})")
        steps = [r.step for r in usable]
        ratio = [2.0 * r.compared / r.threshold for r in usable]
        found = detect_eos(steps, ratio, steps, [r.loss for r in usable], 1.0, **kwargs)
        claim = (found.edge_of_stability and found.first_cross_step is not None
                 and self.full_batch is True)
        return replace(found, edge_of_stability=claim)

    def save(self, out_dir, *, name: str = "monitor") -> dict[str, Path]:
        """Write ``<name>.csv`` (one row per record) and ``<name>.png`` (loss, and the
        compared sharpness with its threshold) into ``out_dir``; returns their paths."""
        if not self.records:
            raise ExperimentError("records: nothing measured yet (call step() first)")
        from theory.files import atomic_write_bytes, folder_lock, output_directory

        out = output_directory(out_dir, "out_dir", shared=True)  # a file there: OutputError
        paths = {"csv": out / f"{name}.csv", "png": out / f"{name}.png"}
        table = io.StringIO(newline="")
        writer = csv.DictWriter(table, fieldnames=COLUMNS)
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
        label = ("preconditioned sharpness" if self.records[-1].rule in PRECONDITIONED
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
        from theory.plotting import readable_log_ticks

        readable_log_ticks(fig)  # as every figure saved through theory.plotting
        image = io.BytesIO()
        fig.savefig(image, format="png", dpi=120)
        plt.close(fig)
        with folder_lock(out, "out_dir", scan=False):  # a shared folder: links of its own
            atomic_write_bytes(paths["csv"], table.getvalue().encode("utf-8"))
            atomic_write_bytes(paths["png"], image.getvalue())
        return paths
