"""Experiments 2, 3 and 6 at points of an edge-of-stability run.

Each runs (or resumes, or reuses from ``out_dir``) the GD run of :func:`run_eos` and then
measures at one of its snapshots, in float64 so that second differences and small rises
are clean.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from empirical._eos import DEFAULT_LR, DEFAULT_STEPS, EosResult, run_eos
from empirical._geometry import GeometryResult, path_geometry, refine_minimum
from empirical._problem import Problem, build_problem
from empirical._scales import ScalesResult, radius_range, separate_scales
from empirical._slice import SliceResult, gradient_slice, slice_grid_size
from empirical._spec import ProblemSpec
from empirical.errors import ExperimentError
from theory import validation as v


def _point(run: EosResult, at_step: int | None):
    if at_step is None:
        return run.steps, run.trace.final_theta
    return int(at_step), run.trace.snapshot_at(int(at_step))


def _check_at_step(at_step, steps) -> None:
    if at_step is not None:
        at_step = v.whole_number("at_step", at_step, minimum=0, error=ExperimentError)
        if isinstance(steps, int) and at_step > steps:
            raise ExperimentError(f"at_step={at_step}: the run has only steps={steps}")


def _float64(spec: ProblemSpec) -> Problem:
    return build_problem(spec.replace(dtype="float64"))


@dataclass(frozen=True)
class SliceExperiment:
    """A gradient-direction slice at step ``step`` of the run ``run``."""

    run: EosResult
    step: int
    slice: SliceResult

    def summary(self) -> dict:
        return {"experiment": "slice", "spec": self.run.spec.to_dict(), "lr": self.run.lr,
                "steps": self.run.steps, "at_step": self.step,
                "eos": self.run.verdict.edge_of_stability, **self.slice.summary()}


def run_slice(
    spec: ProblemSpec | None = None, *, lr: float = DEFAULT_LR, steps: int = DEFAULT_STEPS,
    sharpness_every: int = 20, at_step: int | None = None, radius: float | None = None,
    n_points: int = 41, out_dir=None, progress: bool = True,
) -> SliceExperiment:
    """Experiment 2 at step ``at_step`` (default: the last) of the run of :func:`run_eos`."""
    n_points = slice_grid_size(n_points)  # flags first: the run takes minutes
    if radius is not None:
        radius = v.positive_real("radius", radius, error=ExperimentError)
    _check_at_step(at_step, steps)
    run = run_eos(spec, lr=lr, steps=steps, sharpness_every=sharpness_every, out_dir=out_dir,
                  progress=progress)
    step, theta = _point(run, at_step)
    p64 = _float64(run.spec)
    res = gradient_slice(p64.loss, theta.double(), radius=radius, n_points=n_points, lr=lr)
    return SliceExperiment(run, step, res)


@dataclass(frozen=True)
class ScalesExperiment:
    """Curvature profiles over scales at step ``step`` of the run ``run``."""

    run: EosResult
    step: int
    scales: ScalesResult

    def summary(self) -> dict:
        return {"spec": self.run.spec.to_dict(), "lr": self.run.lr, "steps": self.run.steps,
                "at_step": self.step, **self.scales.summary()}


def run_scales(
    spec: ProblemSpec | None = None, *, lr: float = DEFAULT_LR, steps: int = DEFAULT_STEPS,
    sharpness_every: int = 20, at_step: int | None = None, n_random: int = 2,
    r_min: float = 1e-4, r_max: float = 100.0, n_radii: int = 81, out_dir=None,
    progress: bool = True,
) -> ScalesExperiment:
    """Experiment 3 at step ``at_step`` (default: the last) of the run of :func:`run_eos`."""
    r_min, r_max, n_radii = radius_range(r_min, r_max, n_radii)  # flags first
    n_random = v.whole_number("n_random", n_random, minimum=0, error=ExperimentError)
    _check_at_step(at_step, steps)
    run = run_eos(spec, lr=lr, steps=steps, sharpness_every=sharpness_every, out_dir=out_dir,
                  progress=progress)
    step, theta = _point(run, at_step)
    p64 = _float64(run.spec)
    res = separate_scales(p64.loss, theta.double(), p64.loss.layout, n_random=n_random,
                          seed=run.spec.seed, r_min=r_min, r_max=r_max, n_radii=n_radii)
    return ScalesExperiment(run, step, res)


@dataclass(frozen=True)
class GeometryExperiment:
    """RSI / EB / Definition 4.1's constant along the snapshots of the run ``run``."""

    run: EosResult
    geometry: GeometryResult
    refine_lr: float
    refine_steps: int

    def summary(self) -> dict:
        return {"spec": self.run.spec.to_dict(), "lr": self.run.lr, "steps": self.run.steps,
                "refine_lr": self.refine_lr, "refine_steps": self.refine_steps,
                **self.geometry.summary()}


def run_geometry(
    spec: ProblemSpec | None = None, *, lr: float = DEFAULT_LR, steps: int = DEFAULT_STEPS,
    sharpness_every: int = 20, refine_factor: float = 0.1, refine_steps: int = 500,
    out_dir=None, progress: bool = True,
) -> GeometryExperiment:
    """Experiment 6 on the snapshots of the run of :func:`run_eos`; ``theta*`` is its last
    iterate refined by ``refine_steps`` GD steps at ``lr * refine_factor``."""
    if not 0 < refine_factor <= 1:
        raise ExperimentError(f"refine_factor={refine_factor!r}: must be in (0, 1]")
    run = run_eos(spec, lr=lr, steps=steps, sharpness_every=sharpness_every, out_dir=out_dir,
                  progress=progress)
    p64 = _float64(run.spec)
    assert run.trace.final_theta is not None  # run_gd always sets it
    star = refine_minimum(p64.loss, run.trace.final_theta.double(), lr=lr * refine_factor,
                          steps=refine_steps, progress=progress)
    snaps = run.trace.snapshots
    if snaps is None:
        raise ExperimentError("run: has no parameter snapshots")
    geo = path_geometry(p64.loss, np.asarray(run.trace.snap_steps), snaps.double(), star)
    return GeometryExperiment(run, geo, lr * refine_factor, refine_steps)
