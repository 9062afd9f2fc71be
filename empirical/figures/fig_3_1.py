"""Fig. 3.1: the loss along the gradient direction where GD oscillates (Section 3.1).

At the last step of the edge-of-stability run of :mod:`~empirical.figures.fig_2_1` (GD
oscillates around a minimum there), ``phi(t) = L(theta + t g/||g||)`` on a symmetric grid
(in float64) and its second finite differences, the paper's second row.  The paper:
"around the minimum the gradient direction landscape is convex and grows slower than
quadratic functions. This subquadratic growth is verified by the second-order finite
differences".

All three claims look at the window ``|t - t*| <= W`` (``t*`` the minimum of the line,
``W = R - |t*|`` the largest window of the grid symmetric about it), which is where
:func:`empirical.gradient_slice` fits the growth exponent.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from empirical._eos import DEFAULT_LR, DEFAULT_STEPS
from empirical._from_run import SliceExperiment, run_slice
from empirical._plots import slice_figure
from empirical._series import write_series
from empirical._spec import ProblemSpec
from empirical.errors import ExperimentError
from theory import validation as v
from theory.figures import Claim
from theory.plotting import save_figure

NAME = "fig_3_1"
SOURCE = "Section 3.1, Fig. 3.1"
#: "decreases away from the minimum": outer-quarter mean curvature below this fraction of
#: the inner-quarter mean (a quadratic has 1)
CURVATURE_DROP = 0.9


def compute(spec: ProblemSpec | None = None, *, lr: float = DEFAULT_LR,
            steps: int = DEFAULT_STEPS, run_dir=None, progress: bool = True,
            sharpness_every: int = 20, n_points: int = 41,
            radius: float | None = None) -> SliceExperiment:
    """The gradient-direction slice at the last step of the (resumed or reused) run.

    ``n_points`` (odd) grid points on ``[-radius, radius]``; ``radius`` defaults to
    ``max(0.1 ||theta||, 3 |t*|)`` (see :func:`empirical.gradient_slice`).  The grid is
    checked before any training.
    """
    n_points = v.whole_number("n_points", n_points, minimum=11, error=ExperimentError)
    if n_points % 2 == 0:
        raise ExperimentError(f"n_points={n_points}: must be odd so that t = 0 is on the grid")
    if radius is not None:
        v.positive_real("radius", radius, error=ExperimentError)
    return run_slice(spec, lr=lr, steps=steps, sharpness_every=sharpness_every,
                     radius=radius, n_points=n_points, out_dir=run_dir, progress=progress)


@dataclass(frozen=True)
class WindowCurvature:
    """Second differences / ``h^2`` on the window ``|t - t*| <= W`` of a slice.

    ``distance`` is ``|t - t*|`` at the interior grid points of the window and
    ``curvature`` the second difference there divided by ``h^2``.
    """

    half_width: float
    distance: np.ndarray
    curvature: np.ndarray

    @property
    def inner(self) -> np.ndarray:
        """Curvatures at ``|t - t*| <= W/4``."""
        return self.curvature[self.distance <= self.half_width / 4]

    @property
    def outer(self) -> np.ndarray:
        """Curvatures at ``|t - t*| >= 3W/4``."""
        return self.curvature[self.distance >= 3 * self.half_width / 4]


def window_curvature(data: SliceExperiment) -> WindowCurvature:
    """The second differences of the slice of ``data`` on its fit window."""
    s = data.slice
    half_width = float(s.t[-1]) - abs(s.t_min)
    distance = np.abs(s.t[1:-1] - s.t_min)
    keep = distance <= half_width
    return WindowCurvature(half_width, distance[keep],
                           s.second_differences[keep] / s.grid_step**2)


def plot(data: SliceExperiment, out_dir: str | Path, *, pdf: bool = False) -> list[Path]:
    """The loss along the gradient (top) and its second differences / h^2 (bottom)."""
    fig = slice_figure(data.slice, lr=data.run.lr, title=f"step {data.step}: ")
    fig.suptitle("Fig. 3.1: loss along the gradient direction where GD oscillates (top) "
                 "and its second differences (bottom)", fontsize=10)
    return save_figure(fig, Path(out_dir) / NAME, pdf=pdf)


def series(data: SliceExperiment, out_dir: str | Path) -> list[Path]:
    """The raw series (run trace and this figure's arrays) as CSV tables and JSON beside
    the PNG (:func:`empirical.write_series`)."""
    return list(write_series(out_dir, NAME, data).values())


def claims(data: SliceExperiment) -> list[Claim]:
    """(a) convex around the minimum, (b) subquadratic growth (``p_high < 2``), (c) the
    curvature is largest near the minimum and falls away from it."""
    s, fit = data.slice, data.slice.fit
    w = window_curvature(data)
    where = f"at step {data.step}, |t - t*| <= W = {w.half_width:.3g}"
    base = {"step": data.step, "t_min": s.t_min, "window_half_width": w.half_width,
            "grid_step": s.grid_step}
    min_curv = float(w.curvature.min())
    positive = float(np.mean(w.curvature > 0))
    convex = Claim.tested(
        SOURCE, "around the minimum the gradient-direction landscape is convex",
        f"second differences / h^2 >= {min_curv:.4g} ({positive:.0%} of {len(w.curvature)} "
        f"positive) {where}",
        holds=min_curv > 0, criterion="every second difference in the window is > 0",
        numbers={**base, "min_curvature": min_curv, "fraction_positive": positive,
                 "n_points": len(w.curvature)})
    sub = Claim.tested(
        SOURCE, "along the gradient the loss grows slower than a quadratic (subquadratic)",
        f"phi(t) - phi(t*) ~ |t - t*|^p with p = {fit.p:.4f}, {fit.confidence:.0%} CI "
        f"[{fit.p_low:.4f}, {fit.p_high:.4f}] ({fit.n_points} points, {where})",
        holds=fit.p_high < 2,
        criterion=f"upper end of the {fit.confidence:.0%} confidence interval of p < 2",
        numbers={**base, "p": fit.p, "p_low": fit.p_low, "p_high": fit.p_high,
                 "confidence": fit.confidence, "fit_points": fit.n_points})
    inner, outer = float(w.inner.mean()), float(w.outer.mean())
    ratio = outer / inner if inner > 0 else float("inf")
    peak_distance = float(w.distance[int(np.argmax(w.curvature))])
    falls = peak_distance <= w.half_width / 4 and ratio < CURVATURE_DROP
    falling = Claim.tested(
        SOURCE, "the second differences (curvature) are largest near the minimum and "
        "decrease away from it",
        f"curvature {inner:.4g} within W/4 of t* -> {outer:.4g} beyond 3W/4 "
        f"(x{ratio:.3g}); largest at |t - t*| = {peak_distance:.3g} ({where})",
        holds=falls,
        criterion=(f"the largest second difference lies within W/4 of t*, and the mean "
                   f"beyond 3W/4 < {CURVATURE_DROP:g} x the mean within W/4"),
        numbers={**base, "inner_curvature": inner, "outer_curvature": outer,
                 "outer_inner_ratio": ratio, "max_ratio": CURVATURE_DROP,
                 "peak_distance": peak_distance, "spearman": s.d2_spearman})
    return [convex, sub, falling]
