"""Fig. 2.1 (left): the edge of stability (Section 2.1; Cohen et al. 2021).

Full-batch GD at a constant learning rate ``eta`` on the training problem of ``spec``
(default: 1,000 scikit-learn digits, tanh MLP 2 x 64, MSE) with the sharpness (top
Hessian eigenvalue, Lanczos) every ``sharpness_every`` steps.  The paper: the sharpness
"tends to increase until it arrives at 2/eta ... even after the sharpness stabilizes, the
training loss keeps decreasing".
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from empirical._eos import DEFAULT_LR, DEFAULT_STEPS, EosResult, run_eos
from empirical._plots import eos_figure
from empirical._series import write_series
from empirical._spec import ProblemSpec
from theory.figures import Claim
from theory.plotting import save_figure

NAME = "fig_2_1"
SOURCE = "Section 2.1, Fig. 2.1 left"
#: hovering: at least this fraction of at least MIN_AFTER measurements from the reach on
#: lie within the band (the defaults of :func:`empirical.detect_eos`)
MIN_FRACTION = 0.5
MIN_AFTER = 3
#: "keeps decreasing": the loss falls by at least this fraction after the reach
MIN_LOSS_DROP = 0.1


def compute(spec: ProblemSpec | None = None, *, lr: float = DEFAULT_LR,
            steps: int = DEFAULT_STEPS, run_dir=None, progress: bool = True,
            sharpness_every: int = 20, band: float = 0.1) -> EosResult:
    """Run (or resume from ``run_dir``, or reuse) the edge-of-stability run.

    ``band`` is the relative half-width of the band around ``2/lr`` in which the
    sharpness counts as at the edge.
    """
    return run_eos(spec, lr=lr, steps=steps, sharpness_every=sharpness_every, band=band,
                   out_dir=run_dir, progress=progress)


def plot(data: EosResult, out_dir: str | Path, *, pdf: bool = False) -> list[Path]:
    """Training loss and sharpness against the step, with ``2/eta`` and its band."""
    fig = eos_figure(data)
    fig.suptitle("Fig. 2.1 (left): edge of stability, the sharpness rises to 2/η and "
                 "hovers there while the loss keeps decreasing", fontsize=10, y=1.02)
    return save_figure(fig, Path(out_dir) / NAME, pdf=pdf)


def series(data: EosResult, out_dir: str | Path) -> list[Path]:
    """The raw series (run trace and this figure's arrays) as CSV tables and JSON beside
    the PNG (:func:`empirical.write_series`)."""
    return list(write_series(out_dir, NAME, data).values())


def claims(data: EosResult) -> list[Claim]:
    """(a) The sharpness rises to ``2/eta`` and hovers there; (b) the training loss keeps
    decreasing after the edge is reached (not applicable when the sharpness never rose
    to the edge: it never reached it, or it started there)."""
    vd, tr = data.verdict, data.trace
    threshold, band = vd.threshold, vd.band
    reach = vd.first_reach_step
    final_sharpness = float(tr.sharpness[-1])
    numbers = {"lr": data.lr, "threshold": threshold, "band": band,
               "initial_sharpness": vd.initial_sharpness, "first_reach_step": reach,
               "first_cross_step": vd.first_cross_step, "n_after": vd.n_after,
               "fraction_in_band": vd.fraction_in_band, "max_ratio_after": vd.max_ratio_after,
               "final_sharpness": final_sharpness, "sharpening_slope": vd.sharpening_slope,
               "min_fraction": MIN_FRACTION, "min_after": MIN_AFTER}
    starts_below = vd.initial_sharpness < (1 - band) * threshold
    hovers = (reach is not None and vd.n_after >= MIN_AFTER
              and vd.fraction_in_band is not None and vd.fraction_in_band >= MIN_FRACTION)
    if reach is None:
        measured = (f"sharpness {vd.initial_sharpness:.3g} -> at most "
                    f"{float(np.max(tr.sharpness)):.3g}, never within {band:.0%} of "
                    f"2/eta = {threshold:.4g} in {data.steps} steps")
    else:
        measured = (f"sharpness {vd.initial_sharpness:.3g} at step 0 -> within {band:.0%} of "
                    f"2/eta = {threshold:.4g} at step {reach}; {vd.fraction_in_band:.0%} of "
                    f"{vd.n_after} later measurements in the band; final {final_sharpness:.4g}")
    out = [Claim.tested(
        SOURCE, "the sharpness rises until it reaches 2/eta and then hovers there",
        measured, holds=starts_below and hovers, numbers=numbers,
        criterion=(f"initial sharpness < {1 - band:g} x 2/eta, reaches {1 - band:g} x 2/eta, "
                   f"and >= {MIN_FRACTION:.0%} of >= {MIN_AFTER} measurements from then on "
                   f"lie within +-{band:.0%} of 2/eta"))]
    paper = "the training loss keeps decreasing after the sharpness reaches 2/eta"
    if reach is None or not starts_below:
        measured = ("the sharpness never reached the edge" if reach is None else
                    f"the sharpness started at the edge ({vd.initial_sharpness:.3g} >= "
                    f"{1 - band:g} x 2/eta)")
        out.append(Claim.not_applicable(
            "Section 2.1", paper, measured,
            why="the sharpness did not rise to 2/eta, so there is no 'after' to test",
            numbers={"first_reach_step": reach, "initial_sharpness": vd.initial_sharpness,
                     "threshold": threshold}))
    else:
        ratio = vd.loss_ratio_after
        assert ratio is not None  # the sharpness reached the edge
        out.append(Claim.tested(
            "Section 2.1", paper,
            f"loss {vd.loss_at_reach:.3g} just after the reach -> {vd.final_loss:.3g} at the "
            f"end (x{ratio:.3g}); it went up on {vd.loss_up_fraction:.0%} of those steps",
            holds=ratio <= 1 - MIN_LOSS_DROP,
            criterion=(f"mean loss over the last tenth of the steps after the reach <= "
                       f"{1 - MIN_LOSS_DROP:g} x the mean over the first tenth"),
            numbers={"first_reach_step": reach, "loss_at_reach": vd.loss_at_reach,
                     "final_loss": vd.final_loss, "loss_ratio_after": ratio,
                     "max_loss_ratio": 1 - MIN_LOSS_DROP,
                     "loss_up_fraction": vd.loss_up_fraction}))
    return out
