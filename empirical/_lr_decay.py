"""Experiment 4, learning-rate decay (Section 2.2, Fig. 2.1 right, Fig. 3.2 right).

One GD run at a large learning rate ``lr`` from a seeded initialisation; at two different
steps ``t1 < t2`` the run branches and continues at ``lr * factor`` until ``total_steps``.
Recorded for the undecayed run and both branches: training loss (every step) and test
accuracy (every ``eval_every`` steps).  The principal directions of the parameter path
(Fig. 3.2 right): the first principal component of (a) the large-``lr`` segment
``[t1, t2]``, (b) the branch decayed at ``t1`` and (c) the branch decayed at ``t2``,
orthonormalised in that order into a 3-D basis onto which all three paths are projected.
In a quadratic landscape every branch heads for the same minimum along the same
directions; on a multiscale landscape they turn into different directions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from empirical._checkpoint import checkpoint_path
from empirical._gd import GDTrace, run_gd
from empirical._problem import Problem, build_problem
from empirical._spec import ProblemSpec
from empirical.errors import ExperimentError
from theory import validation as v


@dataclass(frozen=True)
class PathPCA:
    """First principal components of path segments and the projections.

    ``components[i]`` is the unit PC1 of segment ``names[i]``; ``explained[i]`` the share
    of that segment's variance along it; ``cosines[i, j] = |<pc_i, pc_j>|``; ``basis``
    the Gram-Schmidt orthonormalisation of the components (in order); ``projections[i]``
    the path of segment ``i`` in that basis, relative to ``origin``.
    """

    names: tuple[str, ...]
    components: torch.Tensor
    explained: np.ndarray
    cosines: np.ndarray
    basis: torch.Tensor
    projections: tuple[np.ndarray, ...]


def first_component(points: torch.Tensor) -> tuple[torch.Tensor, float]:
    """PC1 of the rows of ``points`` (centred) and its explained-variance share."""
    if points.ndim != 2 or points.shape[0] < 2:
        raise ExperimentError(f"points: need >= 2 path points for a principal component, got "
                              f"{points.shape[0] if points.ndim == 2 else points.ndim}")
    x = (points - points.mean(dim=0)).double()
    _, s, vh = torch.linalg.svd(x, full_matrices=False)
    var = s**2
    share = float(var[0] / var.sum()) if float(var.sum()) > 0 else 0.0
    return vh[0], share


def path_pca(segments: dict[str, torch.Tensor], origin: torch.Tensor) -> PathPCA:
    """Principal directions of several path segments (see :class:`PathPCA`)."""
    names = tuple(segments)
    comps, shares = zip(*(first_component(p) for p in segments.values()), strict=True)
    comps_t = torch.stack(comps)
    cos = (comps_t @ comps_t.T).abs().numpy()
    basis: list[torch.Tensor] = []
    for c in comps_t:
        w = c.clone()
        for b in basis:
            w = w - (w @ b) * b
        if float(w.norm()) > 1e-8:
            basis.append(w / w.norm())
    basis_t = torch.stack(basis)
    origin = origin.double()
    proj = tuple(((p.double() - origin) @ basis_t.T).numpy() for p in segments.values())
    return PathPCA(names, comps_t, np.array(shares), cos, basis_t, proj)


@dataclass(frozen=True)
class LrDecayResult:
    """The undecayed run, the two decayed branches and the path PCA."""

    spec: ProblemSpec
    lr: float
    factor: float
    decay_steps: tuple[int, int]
    total_steps: int
    base: GDTrace
    branches: tuple[GDTrace, GDTrace]
    pca: PathPCA

    def summary(self) -> dict:
        def final(tr: GDTrace) -> dict:
            return {"final_loss": float(tr.losses[-1]),
                    "final_test_accuracy": float(tr.test_accuracy[-1])}

        return {
            "experiment": "lr_decay", "spec": self.spec.to_dict(), "lr": self.lr,
            "factor": self.factor, "decay_steps": list(self.decay_steps),
            "total_steps": self.total_steps,
            "no_decay": final(self.base),
            **{f"decay_at_{t}": final(b) for t, b in zip(self.decay_steps, self.branches,
                                                           strict=True)},
            "pca_segments": list(self.pca.names),
            "pca_explained": self.pca.explained.tolist(),
            "pca_abs_cosines": self.pca.cosines.tolist(),
        }


def _concat(traces: list[GDTrace]) -> GDTrace:
    """Join consecutive segments (each segment re-records its start step: kept once)."""
    fields = ("loss_steps", "losses", "lrs", "eval_steps", "test_accuracy", "snap_steps")
    out = {
        f: np.concatenate([np.asarray(getattr(traces[0], f))]
                          + [np.asarray(getattr(tr, f))[1:] for tr in traces[1:]])
        for f in fields
    }
    snaps = [tr.snapshots if i == 0 else tr.snapshots[1:]
             for i, tr in enumerate(traces) if tr.snapshots is not None]
    return GDTrace(**out, snapshots=torch.cat(snaps), final_theta=traces[-1].final_theta)


def run_lr_decay(
    spec: ProblemSpec | None = None,
    *,
    lr: float = 0.3,
    factor: float = 0.1,
    decay_steps: tuple[int, int] = (1000, 2000),
    total_steps: int = 3000,
    eval_every: int = 50,
    snapshot_every: int = 20,
    out_dir=None,
    progress: bool = True,
    problem: Problem | None = None,
) -> LrDecayResult:
    """Experiment 4: GD at ``lr`` with the decay to ``lr * factor`` at either of two steps.

    ``decay_steps`` must be multiples of ``snapshot_every`` with ``0 < t1 < t2 <
    total_steps``.  Each segment is checkpointed in ``out_dir`` (resumable).
    """
    spec = ProblemSpec() if spec is None else spec
    lr = v.positive_real("lr", lr, error=ExperimentError)
    factor = v.fraction("factor", factor, error=ExperimentError)
    total_steps = v.whole_number("total_steps", total_steps, minimum=1, error=ExperimentError)
    eval_every = v.whole_number("eval_every", eval_every, minimum=1, error=ExperimentError)
    snapshot_every = v.whole_number("snapshot_every", snapshot_every, minimum=1,
                                    error=ExperimentError)
    try:
        t1, t2 = (int(t) for t in decay_steps)
    except (TypeError, ValueError):
        raise ExperimentError(f"decay_steps={decay_steps!r}: must be two integers") from None
    if not 0 < t1 < t2 < total_steps:
        raise ExperimentError(f"decay_steps={decay_steps!r}: need 0 < t1 < t2 < "
                              f"total_steps={total_steps}")
    for t in (t1, t2, total_steps):
        if t % snapshot_every or t % eval_every:
            raise ExperimentError(f"decay_steps/total_steps={t}: must be multiples of "
                                  f"snapshot_every={snapshot_every} and eval_every={eval_every}")
    problem = build_problem(spec) if problem is None else problem
    if problem.data.n_test == 0:
        raise ExperimentError("n_test=0: the learning-rate decay experiment reports test "
                              "accuracy; take n_test >= 1")
    cfg = {"experiment": "lr_decay", "spec": spec.to_dict(), "lr": lr, "factor": factor,
           "eval_every": eval_every, "snapshot_every": snapshot_every}

    def segment(name, theta, start, steps, rate):
        return run_gd(problem.loss, theta, lr=rate, steps=steps, start_step=start,
                      snapshot_every=snapshot_every, eval_every=eval_every,
                      evaluate=problem.test_accuracy, checkpoint=checkpoint_path(out_dir, name),
                      config=dict(cfg, rate=rate), progress=progress, seed=spec.seed,
                      desc=name)

    def on_device(theta):
        return theta.to(device=problem.loss.device, dtype=problem.loss.dtype)

    seg1 = segment("lrd_base_1", problem.theta0, 0, t1, lr)
    seg2 = segment("lrd_base_2", on_device(seg1.final_theta), t1, t2 - t1, lr)
    seg3 = segment("lrd_base_3", on_device(seg2.final_theta), t2, total_steps - t2, lr)
    base = _concat([seg1, seg2, seg3])
    b1 = segment("lrd_decay_1", on_device(seg1.final_theta), t1, total_steps - t1, lr * factor)
    b2 = segment("lrd_decay_2", on_device(seg2.final_theta), t2, total_steps - t2, lr * factor)
    large = seg2.snapshots
    pca = path_pca({f"lr={lr:g}, steps {t1}-{t2}": large,
                    f"decayed at {t1}": b1.snapshots,
                    f"decayed at {t2}": b2.snapshots}, origin=seg1.final_theta)
    return LrDecayResult(spec, lr, factor, (t1, t2), total_steps, base, (b1, b2), pca)
