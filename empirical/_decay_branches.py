"""Learning-rate decay branched off an edge-of-stability run (Fig. 2.1 right, Fig. 3.2 right).

:func:`run_lr_decay` trains its own large-learning-rate run; :func:`decay_from_run` reuses
the run of :func:`run_eos` (the one behind Figs. 2.1 left, 3.1 and 3.2) as the undecayed
run and only adds the two decayed branches: at steps ``t1 < t2`` (snapshot steps of that
run) GD continues at ``lr * factor`` until the run's last step.  The result is an
:class:`LrDecayResult`, so :func:`plot_lr_decay` and :func:`write_series` take it as they
take one of :func:`run_lr_decay`:

* the undecayed run's test accuracy is measured at its parameter snapshots;
* the path PCA (Fig. 3.2 right) takes the first principal components of the undecayed
  segment ``[t1, t2]`` (its snapshots), the branch decayed at ``t1`` and the branch decayed
  at ``t2``, in that order, relative to the parameters at ``t1``.

Each branch is checkpointed in ``out_dir`` (``decay_at_<t>.ckpt.pt``): a second call with
the same settings reuses it, an interrupted one resumes.
"""

from __future__ import annotations

import numpy as np

from empirical._checkpoint import checkpoint_path
from empirical._eos import EosResult, run_eos
from empirical._gd import GDTrace, run_gd
from empirical._lr_decay import LrDecayResult, path_pca
from empirical._problem import Problem, build_problem
from empirical._spec import ProblemSpec
from empirical.errors import ExperimentError
from theory import validation as v


def decay_steps_of(steps: int, snapshot_every: int, fractions) -> tuple[int, int]:
    """The decay steps ``t1 < t2`` at the given fractions of a run of ``steps`` steps,
    rounded to its snapshot steps (multiples of ``snapshot_every``)."""
    try:
        f1, f2 = (float(f) for f in fractions)
    except (TypeError, ValueError):
        raise ExperimentError(f"decay_at={fractions!r}: must be two fractions of the run, "
                              "e.g. (0.5, 0.75)") from None
    if not 0 < f1 < f2 < 1:
        raise ExperimentError(f"decay_at={fractions!r}: need 0 < first < second < 1")
    t1, t2 = (round(f * steps / snapshot_every) * snapshot_every for f in (f1, f2))
    if not 0 < t1 < t2 < steps:
        raise ExperimentError(f"decay_at={fractions!r}: at steps={steps} (snapshots every "
                              f"{snapshot_every}) the decay steps {t1}, {t2} are not "
                              "0 < t1 < t2 < steps; take a longer run")
    return t1, t2


def _with_test_accuracy(trace: GDTrace, problem: Problem) -> GDTrace:
    """The run's trace with the test accuracy at each parameter snapshot."""
    accuracy = np.array([problem.test_accuracy(s.to(device=problem.loss.device,
                                                    dtype=problem.loss.dtype))
                         for s in ([] if trace.snapshots is None else trace.snapshots)])
    accuracy.setflags(write=False)
    fields = {f: getattr(trace, f) for f in trace.__dataclass_fields__}
    return GDTrace(**{**fields, "eval_steps": trace.snap_steps, "test_accuracy": accuracy})


def decay_from_run(run: EosResult, *, decay_steps: tuple[int, int], factor: float = 0.1,
                   out_dir=None, progress: bool = True, problem: Problem | None = None
                   ) -> LrDecayResult:
    """The two decayed branches of ``run`` (module docstring).

    ``decay_steps`` must be snapshot steps of ``run`` with ``0 < t1 < t2 < run.steps``;
    the branches record their loss every step and their parameters and test accuracy at
    the run's snapshot spacing.
    """
    factor = v.fraction("factor", factor, error=ExperimentError)
    trace = run.trace
    if trace.snapshots is None or len(trace.snap_steps) < 2:
        raise ExperimentError("run: has no parameter snapshots to branch from")
    every = int(trace.snap_steps[1] - trace.snap_steps[0])
    try:
        t1, t2 = (int(t) for t in decay_steps)
    except (TypeError, ValueError):
        raise ExperimentError(f"decay_steps={decay_steps!r}: must be two integers") from None
    if not 0 < t1 < t2 < run.steps:
        raise ExperimentError(f"decay_steps={decay_steps!r}: need 0 < t1 < t2 < "
                              f"steps={run.steps}")
    problem = build_problem(run.spec) if problem is None else problem
    if problem.data.n_test == 0:
        raise ExperimentError("n_test=0: the learning-rate decay figures report test "
                              "accuracy; take n_test >= 1")
    rate = run.lr * factor
    branches = []
    for t in (t1, t2):
        theta = trace.snapshot_at(t).to(device=problem.loss.device, dtype=problem.loss.dtype)
        cfg = {"experiment": "eos_decay", "spec": run.spec.to_dict(), "base_lr": run.lr,
               "factor": factor, "decay_step": t}
        branches.append(run_gd(
            problem.loss, theta, lr=rate, steps=run.steps - t, start_step=t,
            snapshot_every=every, eval_every=every, evaluate=problem.test_accuracy,
            checkpoint=checkpoint_path(out_dir, f"decay_at_{t}"), config=cfg,
            progress=progress, seed=run.spec.seed, desc=f"decay at {t}"))
    base = _with_test_accuracy(trace, problem)
    inside = (trace.snap_steps >= t1) & (trace.snap_steps <= t2)
    assert trace.snapshots is not None  # snapshot_every was set above
    assert branches[0].snapshots is not None and branches[1].snapshots is not None
    pca = path_pca({f"lr={run.lr:g}, steps {t1}-{t2}": trace.snapshots[inside],
                    f"decayed at {t1}": branches[0].snapshots,
                    f"decayed at {t2}": branches[1].snapshots},
                   origin=trace.snapshot_at(t1))
    return LrDecayResult(run.spec, run.lr, factor, (t1, t2), run.steps, base,
                         (branches[0], branches[1]), pca)


def run_eos_decay(spec: ProblemSpec | None = None, *, lr: float, steps: int,
                  sharpness_every: int, decay_at=(1 / 3, 2 / 3), factor: float = 0.1,
                  run_dir=None, progress: bool = True) -> LrDecayResult:
    """Run (or reuse from ``run_dir``) the edge-of-stability run of :func:`run_eos` and
    branch off it with the learning rate decayed at the fractions ``decay_at`` of its
    steps (rounded to snapshot steps)."""
    spec = ProblemSpec() if spec is None else spec
    steps = v.whole_number("steps", steps, minimum=1, error=ExperimentError)
    t1, t2 = decay_steps_of(steps, max(1, steps // 100), decay_at)  # before any training
    v.fraction("factor", factor, error=ExperimentError)
    problem = build_problem(spec)
    run = run_eos(spec, lr=lr, steps=steps, sharpness_every=sharpness_every, out_dir=run_dir,
                  progress=progress, problem=problem)
    return decay_from_run(run, decay_steps=(t1, t2), factor=factor, out_dir=run_dir,
                          progress=progress, problem=problem)
