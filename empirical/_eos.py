"""Experiment 1, edge of stability (Section 2.1, Fig. 2.1 left; Cohen et al. 2021).

Full-batch GD at a constant learning rate ``eta`` with the sharpness (top Hessian
eigenvalue) measured every ``sharpness_every`` steps.  On a quadratic loss GD is stable
only while ``sharpness < 2/eta``; at the edge of stability the sharpness rises
("progressive sharpening"), reaches ``2/eta`` and then hovers near it while the loss
keeps decreasing (non-monotonically).  :func:`detect_eos` turns the recorded series into
the numbers that say so; :func:`run_eos` runs the experiment (resumable).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from empirical._checkpoint import checkpoint_path
from empirical._gd import GDTrace, run_gd
from empirical._problem import Problem, build_problem
from empirical._spec import DEFAULT_LR, DEFAULT_STEPS, ProblemSpec
from empirical._threads import with_library_threads
from empirical.errors import ExperimentError
from theory import validation as v


@dataclass(frozen=True)
class EosVerdict:
    """Edge-of-stability metrics of one run.

    Attributes:
        threshold: ``2 / eta``.
        band: relative half-width of the band around ``2 / eta``.
        first_reach_step: first measurement with ``sharpness >= (1 - band) * 2/eta``
            (``None``: never).
        first_cross_step: first measurement with ``sharpness >= 2/eta`` (``None``: never).
        n_after: measurements after (and including) ``first_reach_step``.
        fraction_in_band: of those, the fraction with ``|sharpness - 2/eta| <= band *
            2/eta`` (``None`` without a reach).
        max_ratio_after: largest ``sharpness / (2/eta)`` after the reach.
        sharpening_slope: least-squares slope of sharpness per step up to the reach
            (progressive sharpening when > 0; over all measurements without a reach).
        initial_sharpness: the first measurement.
        loss_at_reach, final_loss: mean loss over the first / last tenth of the steps
            after the reach (``None`` without a reach).
        loss_ratio_after: ``final_loss / loss_at_reach``.
        loss_keeps_decreasing: ``loss_ratio_after <= 1 - min_loss_drop``.
        loss_up_fraction: fraction of steps after the reach at which the loss went up
            (non-monotone decrease, typical of the edge of stability).
        edge_of_stability: reached, at least ``min_after`` later measurements, at least
            ``min_fraction`` of them in the band, and the loss kept decreasing.
    """

    threshold: float
    band: float
    first_reach_step: int | None
    first_cross_step: int | None
    n_after: int
    fraction_in_band: float | None
    max_ratio_after: float | None
    sharpening_slope: float
    initial_sharpness: float
    loss_at_reach: float | None
    final_loss: float | None
    loss_ratio_after: float | None
    loss_keeps_decreasing: bool
    loss_up_fraction: float | None
    edge_of_stability: bool

    def summary(self) -> dict:
        return dict(self.__dict__)


def detect_eos(
    sharp_steps,
    sharpness,
    loss_steps,
    losses,
    lr: float,
    *,
    band: float = 0.1,
    min_fraction: float = 0.5,
    min_after: int = 3,
    min_loss_drop: float = 0.1,
) -> EosVerdict:
    """Edge-of-stability metrics from a sharpness series and a loss series (see
    :class:`EosVerdict`).  ``lr`` is the constant learning rate ``eta``."""
    lr = v.positive_real("lr", lr, error=ExperimentError)
    band = v.fraction("band", band, error=ExperimentError)
    min_fraction = v.fraction("min_fraction", min_fraction, error=ExperimentError, closed=True)
    min_after = v.whole_number("min_after", min_after, minimum=1, error=ExperimentError)
    min_loss_drop = v.fraction("min_loss_drop", min_loss_drop, error=ExperimentError)
    s_steps = np.asarray(sharp_steps, dtype=np.int64)
    sharp = np.asarray(sharpness, dtype=np.float64)
    l_steps = np.asarray(loss_steps, dtype=np.int64)
    loss = np.asarray(losses, dtype=np.float64)
    if s_steps.shape != sharp.shape or s_steps.ndim != 1 or len(sharp) < 2:
        raise ExperimentError(f"sharpness: need >= 2 measurements with one step each, got "
                              f"{len(sharp)} values for {len(s_steps)} steps")
    if l_steps.shape != loss.shape or loss.ndim != 1 or len(loss) < 2:
        raise ExperimentError("losses: need >= 2 values with one step each")
    if not (np.all(np.isfinite(sharp)) and np.all(np.isfinite(loss))):
        raise ExperimentError("sharpness/losses: contain NaN or infinite values")
    if np.any(np.diff(s_steps) <= 0) or np.any(np.diff(l_steps) <= 0):
        raise ExperimentError("sharp_steps/loss_steps: must be strictly increasing")
    threshold = 2.0 / lr
    reach = np.nonzero(sharp >= (1.0 - band) * threshold)[0]
    cross = np.nonzero(sharp >= threshold)[0]
    first_reach = int(s_steps[reach[0]]) if len(reach) else None
    first_cross = int(s_steps[cross[0]]) if len(cross) else None
    upto = reach[0] + 1 if len(reach) else len(sharp)
    if upto >= 2:
        slope = float(np.polyfit(s_steps[:upto].astype(float), sharp[:upto], 1)[0])
    else:
        slope = 0.0
    if first_reach is None:
        return EosVerdict(threshold, band, None, first_cross, 0, None, None, slope,
                          float(sharp[0]), None, None, None, False, None, False)
    after = sharp[reach[0]:]
    in_band = float(np.mean(np.abs(after - threshold) <= band * threshold))
    post = loss[l_steps >= first_reach]
    if len(post) >= 2:
        w = max(1, len(post) // 10)
        start, final = float(post[:w].mean()), float(post[-w:].mean())
        ratio = final / start if start > 0 else float("inf")
        up = float(np.mean(np.diff(post) > 0))
    else:
        start = final = float(post[0]) if len(post) else float(loss[-1])
        ratio, up = 1.0, 0.0
    decreasing = bool(ratio <= 1.0 - min_loss_drop)
    eos = bool(len(after) >= min_after and in_band >= min_fraction and decreasing)
    return EosVerdict(threshold, band, first_reach, first_cross, len(after), in_band,
                      float(after.max() / threshold), slope, float(sharp[0]), start, final,
                      float(ratio), decreasing, up, eos)


@dataclass(frozen=True)
class EosResult:
    """An edge-of-stability run: its settings, the recorded trace and the verdict."""

    spec: ProblemSpec
    lr: float
    steps: int
    sharpness_every: int
    trace: GDTrace
    verdict: EosVerdict

    def summary(self) -> dict:
        """JSON-ready summary (settings, verdict, HVP statistics)."""
        t = self.trace
        return {
            "experiment": "eos",
            "spec": self.spec.to_dict(),
            "lr": self.lr,
            "steps": self.steps,
            "sharpness_every": self.sharpness_every,
            "verdict": self.verdict.summary(),
            "final_sharpness": float(t.sharpness[-1]),
            "hvp_per_measurement_mean": float(np.mean(t.sharp_n_hvp)),
            "all_sharpness_converged": bool(np.all(t.sharp_converged)),
            "max_relative_residual": float(np.max(t.sharp_residuals / np.abs(t.sharpness))),
        }


def eos_config(spec: ProblemSpec, lr: float, sharpness_every: int, snapshot_every: int) -> dict:
    return {"experiment": "eos", "spec": spec.to_dict(), "lr": lr,
            "sharpness_every": sharpness_every, "snapshot_every": snapshot_every}


@with_library_threads
def run_eos(
    spec: ProblemSpec | None = None,
    *,
    lr: float = DEFAULT_LR,
    steps: int = DEFAULT_STEPS,
    sharpness_every: int = 20,
    snapshot_every: int | None = None,
    band: float = 0.1,
    out_dir=None,
    checkpoint_every: int = 250,
    progress: bool = True,
    problem: Problem | None = None,
) -> EosResult:
    """Experiment 1: full-batch GD at constant ``lr`` with the sharpness every
    ``sharpness_every`` steps, and the edge-of-stability verdict.

    Args:
        spec: the problem (default :class:`ProblemSpec`: digits, 1,000 examples, tanh
            MLP 2x64, MSE, float32, CPU).
        lr, steps: learning rate and number of GD steps.
        snapshot_every: keep the parameters every so many steps (default ``steps // 100``;
            used by the slice and geometry experiments).
        band: relative band around ``2/lr`` for :func:`detect_eos`.
        out_dir: folder for the checkpoint ``eos.ckpt.pt``; a re-run resumes from it.
        problem: an already built problem for ``spec`` (skips loading data).
    """
    spec = ProblemSpec() if spec is None else spec
    lr = v.positive_real("lr", lr, error=ExperimentError)
    steps = v.whole_number("steps", steps, minimum=1, error=ExperimentError)
    sharpness_every = v.whole_number("sharpness_every", sharpness_every, minimum=1,
                                     error=ExperimentError)
    snapshot_every = max(1, steps // 100) if snapshot_every is None else v.whole_number(
        "snapshot_every", snapshot_every, minimum=1, error=ExperimentError)
    checkpoint_every = v.whole_number("checkpoint_every", checkpoint_every, minimum=1,
                                      error=ExperimentError)
    if steps < 2 * sharpness_every:
        raise ExperimentError(f"steps={steps}: need at least 2 * sharpness_every = "
                              f"{2 * sharpness_every} steps for two sharpness measurements")
    problem = build_problem(spec) if problem is None else problem
    trace = run_gd(
        problem.loss, problem.theta0, lr=lr, steps=steps, sharpness_every=sharpness_every,
        snapshot_every=snapshot_every, checkpoint=checkpoint_path(out_dir, "eos"),
        config=eos_config(spec, lr, sharpness_every, snapshot_every),
        checkpoint_every=checkpoint_every, progress=progress, seed=spec.seed, desc="eos",
    )
    verdict = detect_eos(trace.sharp_steps, trace.sharpness, trace.loss_steps, trace.losses, lr,
                         band=band)
    return EosResult(spec, lr, steps, sharpness_every, trace, verdict)
