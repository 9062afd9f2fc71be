"""The ``msl reproduce`` stages beyond GD (issue 13): momentum phase diagrams on f1,
Remark 4.2's noise-driven drift, Remark 4.1's GD-vs-SGD contrast and central flows
(issue 23).

:class:`BeyondGDSizes` is the part of a :class:`~msl.reproduction.presets.Preset` these
stages depend on; :func:`stages` builds them for ``STAGES`` (before the catalog check).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

__all__ = ["BEYOND_GD_FULL", "BEYOND_GD_QUICK", "BeyondGDSizes", "stages"]


@dataclass(frozen=True)
class BeyondGDSizes:
    """Grids (start, stop, count) and run lengths of the four stages."""

    momentum_etas: tuple[float, float, int] = (0.5, 8.0, 31)
    momentum_betas: tuple[float, float, int] = (0.0, 0.9, 7)
    momentum_x0: tuple[float, float, int] = (-3.0, 3.0, 8)
    momentum_steps: int = 3000
    drift_replicas: int = 128
    drift_time: float = 5.0
    contrast_steps: int = 4000
    contrast_replicas: int = 8
    central_flow_steps: int = 500
    central_flow_eps: int = 9
    central_flow_valleys: tuple[str, ...] = ("fig4.2",)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


BEYOND_GD_QUICK = BeyondGDSizes()
BEYOND_GD_FULL = BeyondGDSizes(momentum_etas=(0.5, 8.0, 151), momentum_betas=(0.0, 0.95, 39),
                               momentum_x0=(-4.0, 4.0, 40), momentum_steps=20000,
                               drift_replicas=1024, drift_time=10.0, contrast_steps=30000,
                               contrast_replicas=64, central_flow_steps=6000,
                               central_flow_eps=25,
                               central_flow_valleys=("fig4.2", "log-cosh"))


def _momentum(ctx) -> dict:
    s = ctx.preset.beyond_gd
    return {"etas": s.momentum_etas, "betas": s.momentum_betas, "x0": s.momentum_x0,
            "steps": s.momentum_steps}


def _drift(ctx) -> dict:
    s = ctx.preset.beyond_gd
    return {"replicas": s.drift_replicas, "time": s.drift_time, "seed": ctx.seed}


def _contrast(ctx) -> dict:
    s = ctx.preset.beyond_gd
    return {"steps": s.contrast_steps, "replicas": s.contrast_replicas, "seed": ctx.seed}


def _central_flow(ctx) -> dict:
    s = ctx.preset.beyond_gd
    return {"steps": s.central_flow_steps, "eps_points": s.central_flow_eps,
            "valleys": tuple(s.central_flow_valleys)}


def stages(stage_type, theory_stage) -> tuple:
    """The four stages, built with ``stages.Stage`` and ``stages._theory_stage``."""
    def sizes(p) -> dict:
        return {"beyond_gd": p.beyond_gd.to_dict()}

    return (
        stage_type(
            "momentum",
            "Momentum on f1 over learning rate x momentum: the fraction of initial points "
            "landing on the period-2 orbit, with the derived threshold eta*(beta) on top "
            "(heavy ball 2(1+beta)/f''(0), Nesterov 2(1+beta)/((1+2beta) f''(0))); the "
            "bifurcation panels put the derived x_eta(eta, beta) over the simulated "
            "attractors.  Heavy ball with large beta also has period-4 cycles, below and "
            "above eta*.", theory_stage("momentum_phase", _momentum), sizes),
        stage_type(
            "remark4.2",
            "The SDE of Remark 4.2 on f(x, y) = y^T H(x) y simulated from several points x "
            "along the manifold of minima: the measured drift of x (with two standard "
            "errors) against the quasistatic formula -(eta sigma^2/4) grad Tr H(x).",
            theory_stage("remark_4_2", _drift), sizes),
        stage_type(
            "remark4.1",
            "On f1(x2/(1 + 0.01 x1)): GD above the edge of stability drifts to flatter "
            "minima and stops at eta h^2 f''(0) = 2; SGD with noise across the valley keeps "
            "going; below the edge, SGD whose noise vanishes at the minima stops while "
            "additive noise keeps moving.", theory_stage("remark_4_1", _contrast), sizes),
        stage_type(
            "central-flow",
            "On the Fig. 4.2 valley at eta = 3: GD's average over the 2-cycle, the "
            "quasistatic flow (4.8), the secant (multiscale) central flow and the quadratic "
            "central flow of Cohen et al. (2024); right, on the tilted f1 valley, the central "
            "flow's variance over the exact period-2 amplitude x_eta^2 against eps = "
            "eta f''(0) h^2 - 2.", theory_stage("central_flow", _central_flow), sizes),
    )
