"""Fig. 3.2 (left, middle): separate scales around the GD trajectory (Section 3.2).

At the last step of the edge-of-stability run of :mod:`~empirical.figures.fig_2_1`,
wide-range slices ``L(theta +- r d)`` on a log grid of ``r`` along the filter-normalised
gradient (Fig. 3.2 left) and ``n_random`` filter-normalised Gaussian directions (Fig. 3.2
middle), with their curvature profiles over scales and the wells that
:func:`empirical.locate_wells` finds in them.  The paper: "the minimum lies in a small,
sharp well located within a large, flat well".
"""

from __future__ import annotations

import inspect
from pathlib import Path

import numpy as np

from empirical._eos import DEFAULT_LR, DEFAULT_STEPS
from empirical._from_run import ScalesExperiment, run_scales
from empirical._plots import scales_figure
from empirical._scales import ScaleProfile, locate_wells
from empirical._series import write_series
from empirical._spec import ProblemSpec
from empirical.errors import ExperimentError
from theory import validation as v
from theory.figures import Claim
from theory.plotting import save_figure

NAME = "fig_3_2"
#: the local exponent at which locate_wells puts a rim (its default, used by run_scales)
RIM_EXPONENT = float(inspect.signature(locate_wells).parameters["low"].default)
#: separate scales: the innermost well is at least this many times sharper than the next
MIN_CURVATURE_RATIO = 10.0


def compute(spec: ProblemSpec | None = None, *, lr: float = DEFAULT_LR,
            steps: int = DEFAULT_STEPS, run_dir=None, progress: bool = True,
            sharpness_every: int = 20, n_random: int = 2, r_min: float = 1e-4,
            r_max: float = 100.0, n_radii: int = 81) -> ScalesExperiment:
    """Curvature profiles at the last step of the (resumed or reused) run, along the
    gradient and ``n_random`` random directions (seeded by the spec's seed), on
    ``n_radii`` log-spaced radii in ``[r_min, r_max]`` (checked before any training)."""
    v.whole_number("n_random", n_random, minimum=0, error=ExperimentError)
    v.whole_number("n_radii", n_radii, minimum=5, error=ExperimentError)
    if v.positive_real("r_min", r_min, error=ExperimentError) >= v.positive_real("r_max", r_max,
                                                                                 error=ExperimentError):
        raise ExperimentError(f"r_max={r_max}: must exceed r_min={r_min}")
    return run_scales(spec, lr=lr, steps=steps, sharpness_every=sharpness_every,
                      n_random=n_random, r_min=r_min, r_max=r_max, n_radii=n_radii,
                      out_dir=run_dir, progress=progress)


def plot(data: ScalesExperiment, out_dir: str | Path, *, pdf: bool = False) -> list[Path]:
    """Per direction: the loss rise against ``r`` (top) and the curvature profile with the
    walls (green) and rims (red) of the wells (bottom)."""
    fig = scales_figure(data.scales)
    fig.suptitle(f"Fig. 3.2 (left, middle): separate scales at step {data.step}, along the "
                 "gradient and random directions", fontsize=11, y=1.02)
    return save_figure(fig, Path(out_dir) / NAME, pdf=pdf)


def _finite(x: float) -> float | None:
    return float(x) if np.isfinite(x) else None


def _fmt(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.3g}"


def _claim(profile: ScaleProfile, step: int, *, source: str | None = None) -> Claim:
    """The separate-scales claim along one direction (``source`` overrides where the
    paper says it, for the same claim on another setting)."""
    wells = profile.wells
    panel = "left" if profile.name == "gradient" else "middle"
    source = source or f"Section 3.2, Fig. 3.2 {panel}, {profile.name} direction"
    paper = "the minimum lies in a small sharp well inside a large flat well (separate scales)"
    r0, r1 = float(profile.radii[0]), float(profile.radii[-1])
    inner = wells[0] if wells else None
    outer = wells[1] if len(wells) >= 2 else None
    ratio = inner.curvature / outer.curvature if inner is not None and outer is not None \
        else None
    positive = profile.curvature[profile.curvature > 0]
    span = float(profile.curvature[0] / positive.min()) if len(positive) else None
    exponents = profile.exponent[np.isfinite(profile.exponent)]
    min_exponent = float(exponents.min()) if len(exponents) else None
    numbers: dict[str, int | float | bool | str | None] = {
               "direction": profile.name, "step": step, "n_wells": len(wells),
               "inner_curvature": inner.curvature if inner else None,
               "outer_curvature": outer.curvature if outer else None,
               "curvature_ratio": ratio, "min_ratio": MIN_CURVATURE_RATIO,
               "rim_radius": _finite(inner.rim_radius) if inner else None,
               "outer_wall_radius": outer.inner_radius if outer else None,
               "r_min": r0, "r_max": r1, "curvature_span": span,
               "min_local_exponent": min_exponent, "rim_exponent": RIM_EXPONENT}
    if inner is not None and outer is not None:
        measured = (f"{len(wells)} wells on r in [{r0:.2g}, {r1:.3g}]: curvature "
                    f"{inner.curvature:.4g} up to the rim at r = {inner.rim_radius:.3g}, then "
                    f"{outer.curvature:.4g} from r = {outer.inner_radius:.3g} "
                    f"(ratio {ratio:.3g})")
    elif inner is not None:
        rim = ("no rim" if not np.isfinite(inner.rim_radius)
               else f"rim at r = {inner.rim_radius:.3g}")
        measured = (f"one well on r in [{r0:.2g}, {r1:.3g}] (curvature {inner.curvature:.4g} "
                    f"from r = {inner.inner_radius:.3g}, {rim}): a single scale; "
                    f"c(r_min) / min c(r) = {_fmt(span)}, smallest local exponent "
                    f"{_fmt(min_exponent)} (a rim needs <= {RIM_EXPONENT:g})")
    else:
        measured = f"no well on r in [{r0:.2g}, {r1:.3g}]: the loss never rises like r^1.5"
    holds = ratio is not None and ratio >= MIN_CURVATURE_RATIO
    return Claim.tested(
        source, paper, measured, holds=holds, numbers=numbers,
        criterion=(f">= 2 wells (locate_wells) with innermost / next well curvature >= "
                   f"{MIN_CURVATURE_RATIO:g}"))


def series(data: ScalesExperiment, out_dir: str | Path) -> list[Path]:
    """The raw series (run trace and this figure's arrays) as CSV tables and JSON beside
    the PNG (:func:`empirical.write_series`)."""
    return list(write_series(out_dir, NAME, data).values())


def claims(data: ScalesExperiment) -> list[Claim]:
    """One claim per direction: a sharp well inside a flat well, i.e. >= 2 wells whose
    curvatures differ by at least :data:`MIN_CURVATURE_RATIO`.

    Besides the deciding numbers each claim reports ``curvature_span`` (``c(r_min)`` over
    the smallest positive ``c(r)``) and ``min_local_exponent`` (the smallest ``s(r)``): a
    profile whose curvature falls a lot but whose loss never levels off to
    :data:`RIM_EXPONENT` has no rim, hence one well.
    """
    return [_claim(p, data.step) for p in data.scales.profiles]
