"""Fig. 3.2 (middle) on data where Section 6 says separate scales should appear.

On the digits MLP the random directions of Fig. 3.2 show one scale (the ``fig3.2``
stage).  Section 6 traces separate scales to training inputs whose magnitudes differ by
orders of magnitude ("when x_i's vary a lot in their magnitudes, L will have multi-scale
structure").  Here the same network, learning rate and radii are trained on synthetic
inputs at the norms ``input_scales`` of ``multiscale_spec`` (default 1, 10, 100;
:func:`empirical.synthetic_multiscale_arrays`) for ``multiscale_steps`` GD steps, and the
separate-scales claim is tested along its filter-normalised random directions with the
same criterion as Fig. 3.2 (:data:`~empirical.figures.fig_3_2.MIN_CURVATURE_RATIO`), next
to the default setting's profiles (the ``fig3.2`` run, reused from ``run_dir``).  Only
the random directions are drawn (the gradient direction is the ``fig3.2`` stage's).

Measured while building this stage (tanh MLP 2 x 64, MSE, 300 inputs at norms 1, 10, 100,
eta = 0.3): one well along every random direction, as on digits; the same with ReLU,
cross-entropy, no biases, or a random direction in the first layer only (where Section 6's
rescaling relation ``l_1(W) = l_2(k^{-1} W_1, W_2, ...)`` acts).  Filter normalisation
scales the perturbation of each first-layer filter with that filter, and the trained
pre-activations grow with the input norm like the perturbation does, so the input norms
do not separate the radii at which the groups' losses level off.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from empirical._eos import DEFAULT_LR, DEFAULT_STEPS, run_eos
from empirical._from_run import ScalesExperiment
from empirical._problem import build_problem
from empirical._scales import ScalesResult, radius_range, random_direction, scale_profile
from empirical._series import write_series
from empirical._spec import ProblemSpec
from empirical.errors import ExperimentError
from empirical.figures import fig_3_2
from theory import validation as v
from theory.figures import Claim
from theory.plotting import pyplot, save_figure

NAME = "fig_3_2_multiscale"


@dataclass(frozen=True)
class MultiscaleScales:
    """The profiles of the default setting and of the Section 6 setting."""

    default: ScalesExperiment
    multiscale: ScalesExperiment

    @property
    def input_scales(self) -> tuple[float, ...]:
        return self.multiscale.run.spec.input_scales


def _random_profiles(run, *, n_random: int, r_min: float, r_max: float,
                     n_radii: int) -> ScalesExperiment:
    """The random-direction profiles of Fig. 3.2 at the last step of ``run`` (float64,
    the same seeded filter-normalised directions as :func:`empirical.separate_scales`)."""
    p64 = build_problem(run.spec.replace(dtype="float64"))
    theta = run.trace.final_theta.to(device=p64.loss.device, dtype=torch.float64)
    profiles = tuple(
        scale_profile(p64.loss, theta, random_direction(theta, p64.loss.layout,
                                                        run.spec.seed + i),
                      name=f"random {i}", r_min=r_min, r_max=r_max, n_radii=n_radii)
        for i in range(n_random))
    return ScalesExperiment(run, run.steps, ScalesResult(profiles, float(theta.norm())))


def compute(spec: ProblemSpec | None = None, *, lr: float = DEFAULT_LR,
            steps: int = DEFAULT_STEPS, run_dir=None, progress: bool = True,
            sharpness_every: int = 20, n_random: int = 2, r_min: float = 1e-4,
            r_max: float = 100.0, n_radii: int = 81,
            multiscale_spec: ProblemSpec | None = None, multiscale_steps: int = 1000,
            multiscale_run_dir=None) -> MultiscaleScales:
    """Random-direction profiles at the end of the default run (reused from ``run_dir``)
    and of a GD run of ``multiscale_steps`` steps at the same ``lr`` on
    ``multiscale_spec`` (checkpointed in ``multiscale_run_dir``; its sharpness four times)."""
    spec = ProblemSpec() if spec is None else spec
    multiscale_spec = (spec.replace(data="multiscale", input_scales=(1.0, 10.0, 100.0))
                       if multiscale_spec is None else multiscale_spec)
    if multiscale_spec.data != "multiscale":
        raise ExperimentError(f"multiscale_spec.data={multiscale_spec.data!r}: must be "
                              "'multiscale' (Section 6 data)")
    multiscale_steps = v.whole_number("multiscale_steps", multiscale_steps, minimum=4,
                                      error=ExperimentError)
    n_random = v.whole_number("n_random", n_random, minimum=1, error=ExperimentError)
    r_min, r_max, n_radii = radius_range(r_min, r_max, n_radii)
    grid: dict[str, Any] = {
        "n_random": n_random, "r_min": r_min, "r_max": r_max, "n_radii": n_radii}
    default = run_eos(spec, lr=lr, steps=steps, sharpness_every=sharpness_every,
                      out_dir=run_dir, progress=progress)
    multiscale = run_eos(multiscale_spec, lr=lr, steps=multiscale_steps,
                         sharpness_every=max(1, multiscale_steps // 4),
                         out_dir=multiscale_run_dir, progress=progress)
    return MultiscaleScales(_random_profiles(default, **grid),
                            _random_profiles(multiscale, **grid))


def _label(exp: ScalesExperiment) -> str:
    s = exp.run.spec
    if s.data == "multiscale":
        return f"Section 6 data, |x| in {{{', '.join(f'{x:g}' for x in s.input_scales)}}}"
    return f"{s.data} (default)"


def plot(data: MultiscaleScales, out_dir: str | Path, *, pdf: bool = False) -> list[Path]:
    """Loss rise (top) and secant curvature (bottom) along the random directions, the
    default setting (left) next to the Section 6 data (right); rims dotted red."""
    fig, axes = pyplot().subplots(2, 2, figsize=(10, 6.5), squeeze=False)
    for j, exp in enumerate((data.default, data.multiscale)):
        a, b = axes[0, j], axes[1, j]
        rims = 0
        for p in exp.scales.profiles:
            rise = 0.5 * (p.loss_plus + p.loss_minus) - p.loss0
            a.loglog(p.radii, np.where(rise > 0, rise, np.nan), lw=1,
                     label=f"{p.name}: {len(p.wells)} well(s)")
            b.loglog(p.radii, np.where(p.curvature > 0, p.curvature, np.nan), lw=1.2)
            for w in p.wells:
                if np.isfinite(w.rim_radius):
                    b.axvline(w.rim_radius, color="tab:red", ls=":", lw=1,
                              label="well: rim radius" if rims == 0 else None)
                    rims += 1
        if rims:
            b.legend(fontsize=8)
        a.set_title(f"{_label(exp)}, step {exp.step}", fontsize=10)
        a.set_ylabel("even loss rise")
        a.legend(fontsize=8)
        b.set_xlabel("r (filter-normalised random direction)")
        b.set_ylabel("secant curvature c(r)")
    fig.suptitle("Fig. 3.2 (middle) on Section 6 data: separate scales along random "
                 "directions?", fontsize=11, y=1.01)
    fig.tight_layout()
    return save_figure(fig, Path(out_dir) / NAME, pdf=pdf)


def series(data: MultiscaleScales, out_dir: str | Path) -> list[Path]:
    """Both settings' runs and profiles as CSV tables and JSON (``write_series``)."""
    paths = [*write_series(out_dir, f"{NAME}_default", data.default).values(),
             *write_series(out_dir, f"{NAME}_section6", data.multiscale).values()]
    return paths


def claims(data: MultiscaleScales) -> list[Claim]:
    """One claim per random direction of the Section 6 setting (the criterion of
    :func:`empirical.figures.fig_3_2.claims`), with the default setting's same direction
    in its numbers."""
    norms = ", ".join(f"{x:g}" for x in data.input_scales)
    default = {p.name: p for p in data.default.scales.profiles}
    out = []
    run = data.multiscale.run
    context = {"section6_final_loss": float(run.trace.losses[-1]),
               "section6_final_sharpness": float(run.trace.sharpness[-1]),
               "section6_threshold": 2 / run.lr}
    for p in data.multiscale.scales.profiles:
        claim = fig_3_2._claim(
            p, data.multiscale.step,
            source=f"Section 6 data (input norms {norms}), Fig. 3.2 middle, {p.name} "
                   "direction")
        twin = default.get(p.name)
        if twin is not None:
            ratio = twin.scale_ratio
            numbers = {**claim.numbers, **context, "default_n_wells": len(twin.wells),
                       "default_curvature_ratio": ratio}
            claim = dataclasses.replace(
                claim, measured=f"{claim.measured}; default setting: {len(twin.wells)} "
                                f"well(s)", numbers=numbers)
        out.append(claim)
    return out
