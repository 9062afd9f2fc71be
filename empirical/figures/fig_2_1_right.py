"""Fig. 2.1 (right): learning-rate decay at two different times (Section 2.2).

The edge-of-stability run of :mod:`~empirical.figures.fig_2_1` (GD at ``lr``) is the
undecayed run; at two of its steps ``t1 < t2`` (the fractions ``decay_at`` of its length)
it branches and continues at ``lr * factor`` until its last step
(:func:`empirical.run_eos_decay`).  The paper (Section 2.2): "doing LRD later gives better
generalization performance, even though in both experiments the learning rate is decayed
after the test accuracy is nearly stable and increasing very slowly", and "LRD not only
helps find parameters with lower training loss, but also benefits generalization".

The paper's run decays 0.1 -> 0.01 at epochs 250 and 500 (a three-layer network on a
subset of CIFAR-10); ours decays 0.3 -> 0.03 on the digits MLP at a third and two thirds
of the run (the paper's 1:2 ratio), and compares the runs at the same last step, as the
paper's curves do.  The effect is small on this setting: at the quick size the later
decay ends 2 test examples (of 500) ahead; with the decays at a half and three quarters
instead, the two runs tie (0.982 each), so the claim is not confirmed there (measured
while choosing the decay times, reported in docs/empirical.md).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from empirical._decay_branches import run_eos_decay
from empirical._eos import DEFAULT_LR, DEFAULT_STEPS
from empirical._lr_decay import LrDecayResult
from empirical._series import write_series
from empirical._spec import ProblemSpec
from theory.figures import Claim
from theory.plotting import pyplot, save_figure

NAME = "fig_2_1_right"
SOURCE = "Section 2.2, Fig. 2.1 right"
#: "nearly stable": before each decay, the undecayed test accuracy varies by at most this
#: much over the last STABLE_WINDOW of the steps up to the decay
STABLE_TOLERANCE = 0.01
STABLE_WINDOW = 0.2
COLOURS = ("tab:blue", "tab:orange", "tab:red")


def compute(spec: ProblemSpec | None = None, *, lr: float = DEFAULT_LR,
            steps: int = DEFAULT_STEPS, run_dir=None, progress: bool = True,
            sharpness_every: int = 20, decay_at=(1 / 3, 2 / 3), factor: float = 0.1
            ) -> LrDecayResult:
    """Reuse (or run) the edge-of-stability run and add the two decayed branches."""
    return run_eos_decay(spec, lr=lr, steps=steps, sharpness_every=sharpness_every,
                         decay_at=decay_at, factor=factor, run_dir=run_dir,
                         progress=progress)


def _runs(data: LrDecayResult):
    return [("no decay", data.base)] + [
        (f"decayed at step {t}", b) for t, b in zip(data.decay_steps, data.branches,
                                                     strict=True)]


def plot(data: LrDecayResult, out_dir: str | Path, *, pdf: bool = False) -> list[Path]:
    """Training loss (left) and test accuracy (right) of the three runs against the step,
    with the decay steps dotted."""
    fig, (a, b) = pyplot().subplots(1, 2, figsize=(11, 3.8))
    for (name, tr), colour in zip(_runs(data), COLOURS, strict=True):
        a.plot(tr.loss_steps, tr.losses, lw=1, color=colour, label=name)
        b.plot(tr.eval_steps, tr.test_accuracy, lw=1.2, color=colour, label=name)
    for n, t in enumerate(data.decay_steps):
        for ax in (a, b):
            ax.axvline(t, color="gray", ls=":", lw=1,
                       label="learning-rate decay" if n == 0 else None)
    a.set_yscale("log")
    a.set_ylabel("training loss")
    b.set_ylabel("test accuracy")
    tail = [float(np.min(tr.test_accuracy[len(tr.test_accuracy) // 3:]))
            for _, tr in _runs(data)]
    b.set_ylim(min(tail) - 0.01, min(1.0, float(np.max(data.base.test_accuracy)) + 0.01))
    for ax in (a, b):
        ax.set_xlabel("GD step")
        ax.legend(fontsize=8)
    fig.suptitle(f"Fig. 2.1 (right): η = {data.lr:g} decayed to {data.lr * data.factor:g} "
                 f"at step {data.decay_steps[0]} or {data.decay_steps[1]}", fontsize=10,
                 y=1.02)
    fig.tight_layout()
    return save_figure(fig, Path(out_dir) / NAME, pdf=pdf)


def series(data: LrDecayResult, out_dir: str | Path) -> list[Path]:
    """The raw series (loss every step, test accuracy, per run) as CSV tables and JSON."""
    return list(write_series(out_dir, NAME, data).values())


def _spread_before(tr, t: int) -> float:
    """max - min of the test accuracy over ``[(1 - STABLE_WINDOW) t, t]``."""
    steps = np.asarray(tr.eval_steps)
    inside = (steps >= (1 - STABLE_WINDOW) * t) & (steps <= t)
    acc = np.asarray(tr.test_accuracy)[inside]
    return float(acc.max() - acc.min())


def claims(data: LrDecayResult) -> list[Claim]:
    """(a) the later decay ends with the higher test accuracy; (b) both decays come after
    the test accuracy is nearly stable; (c) each decayed run ends with a lower training
    loss than the undecayed one.  All at the same last step."""
    t1, t2 = data.decay_steps
    early, late = data.branches
    acc_early, acc_late = float(early.test_accuracy[-1]), float(late.test_accuracy[-1])
    acc_none = float(data.base.test_accuracy[-1])
    n_test = int(data.spec.n_test)
    gain = round((acc_late - acc_early) * n_test)
    end = data.total_steps
    out = [Claim.tested(
        SOURCE, "decaying the learning rate later gives better generalisation (test "
        "accuracy)",
        f"test accuracy at step {end}: {acc_early:.3f} decayed at {t1}, {acc_late:.3f} "
        f"decayed at {t2} ({gain:+d} of {n_test} test examples); {acc_none:.3f} without decay",
        holds=acc_late > acc_early,
        criterion=f"test accuracy at the last step: decayed at t2 > decayed at t1 (at least "
                  f"one more of the {n_test} test examples right)",
        numbers={"t1": t1, "t2": t2, "last_step": end, "lr": data.lr,
                 "decayed_lr": data.lr * data.factor, "accuracy_decay_t1": acc_early,
                 "accuracy_decay_t2": acc_late, "accuracy_no_decay": acc_none,
                 "n_test": n_test, "examples_gained_by_later_decay": gain})]
    spreads = [_spread_before(data.base, t) for t in (t1, t2)]
    out.append(Claim.tested(
        "Section 2.2", "in both runs the learning rate is decayed after the test accuracy "
        "is nearly stable and increasing very slowly",
        f"undecayed test accuracy varies by {spreads[0]:.3f} over steps "
        f"{int((1 - STABLE_WINDOW) * t1)}-{t1} and by {spreads[1]:.3f} over "
        f"{int((1 - STABLE_WINDOW) * t2)}-{t2}",
        holds=max(spreads) <= STABLE_TOLERANCE,
        criterion=f"max - min of the undecayed test accuracy over the last "
                  f"{STABLE_WINDOW:.0%} of the steps before each decay <= {STABLE_TOLERANCE:g}",
        numbers={"t1": t1, "t2": t2, "spread_before_t1": spreads[0],
                 "spread_before_t2": spreads[1], "tolerance": STABLE_TOLERANCE,
                 "accuracy_at_t1": _at(data.base, t1), "accuracy_at_t2": _at(data.base, t2)}))
    loss_none = float(data.base.losses[-1])
    losses = [float(early.losses[-1]), float(late.losses[-1])]
    out.append(Claim.tested(
        "Section 2.2", "learning-rate decay helps find parameters with lower training loss",
        f"training loss at step {end}: {losses[0]:.4g} decayed at {t1}, {losses[1]:.4g} "
        f"decayed at {t2}, {loss_none:.4g} without decay",
        holds=max(losses) < loss_none,
        criterion="training loss at the last step of each decayed run < that of the "
                  "undecayed run",
        numbers={"loss_decay_t1": losses[0], "loss_decay_t2": losses[1],
                 "loss_no_decay": loss_none, "loss_at_t1": _loss_at(data.base, t1),
                 "loss_at_t2": _loss_at(data.base, t2)}))
    return out


def _at(tr, step: int) -> float:
    return float(np.asarray(tr.test_accuracy)[np.asarray(tr.eval_steps) == step][0])


def _loss_at(tr, step: int) -> float:
    return float(np.asarray(tr.losses)[np.asarray(tr.loss_steps) == step][0])
