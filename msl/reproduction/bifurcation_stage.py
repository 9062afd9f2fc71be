"""The ``msl reproduce`` stage ``bifurcation`` (issue 21, group beyond-gd): the flip at
2/f''(x*) of an asymmetric function and its period-doubling cascade
(:mod:`theory.figures.bifurcation`), then heavy ball's certified 4-cycle fold on f1 and its
basins (:mod:`theory.figures.momentum_basins`).

:class:`BifurcationSizes` is the part of a :class:`~msl.reproduction.presets.Preset` the
stage depends on; :func:`stage` builds it for ``STAGES``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

__all__ = ["BIFURCATION_FULL", "BIFURCATION_QUICK", "BifurcationSizes", "stage"]


@dataclass(frozen=True)
class BifurcationSizes:
    """The function, the eta window, the doublings followed and the simulator's grids."""

    function: str = "x**2/2 + x**3/2"
    eta: tuple[float, float] = (1.5, 2.6)
    doublings: int = 5
    grid: int = 200
    steps: int = 2000
    keep: int = 32
    lyapunov_points: int = 201
    lyapunov_steps: int = 12000
    #: heavy ball on f1: the (eta, beta) grid (lo, hi, n), the (x0, v0) grid per axis, steps
    momentum_etas: tuple[float, float, int] = (1.5, 10.0, 12)
    momentum_betas: tuple[float, float, int] = (0.6, 0.9, 4)
    momentum_points: int = 9
    momentum_steps: int = 1500

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


BIFURCATION_QUICK = BifurcationSizes()
BIFURCATION_FULL = BifurcationSizes(grid=1000, steps=10000, keep=64, lyapunov_points=1001,
                                    lyapunov_steps=50000, momentum_etas=(1.5, 10.0, 35),
                                    momentum_betas=(0.6, 0.9, 13), momentum_points=21,
                                    momentum_steps=3000)


def _options(ctx) -> dict:
    s = ctx.preset.bifurcation
    return {"function": s.function, "eta": s.eta, "doublings": s.doublings, "grid": s.grid,
            "steps": s.steps, "keep": s.keep, "lyapunov_points": s.lyapunov_points,
            "lyapunov_steps": s.lyapunov_steps}


def _momentum_options(ctx) -> dict:
    s = ctx.preset.bifurcation
    return {"etas": tuple(s.momentum_etas), "betas": tuple(s.momentum_betas),
            "points": s.momentum_points, "steps": s.momentum_steps}


def _both(theory_stage):
    gd = theory_stage("bifurcation", _options)
    momentum = theory_stage("momentum_basins", _momentum_options)

    def run(ctx):
        a, b = gd(ctx), momentum(ctx)
        return type(a)(list(a.claims) + list(b.claims), list(a.figures) + list(b.figures),
                       tuple(a.files) + tuple(b.files))
    return run


def stage(stage_type, theory_stage):
    """The stage, built with ``stages.Stage`` and ``stages._theory_stage``."""
    return stage_type(
        "bifurcation",
        "GD on the asymmetric f = x^2/2 + x^3/2: the flip at eta* = 2/f''(0) is supercritical "
        "(3f'''^2 - f''f'''' = 27 > 0); the continued cycles (stable solid, unstable dashed) "
        "through five doublings, each flip point certified, over the simulated attractors; "
        "the Feigenbaum ratios and the accumulation point against the first positive "
        "Lyapunov exponent. Then heavy ball on f1: its 4-cycle born in a fold (certified) "
        "below the threshold 2(1 + beta), where the fold curve crosses it (certified), a "
        "certified stable 4-cycle beside the stable 2-cycle (Theorem 4.1's conclusion "
        "fails), and the continued 4-cycle region against the basins of a grid of (x0, v0) "
        "starts.", _both(theory_stage),
        lambda p: {"bifurcation": p.bifurcation.to_dict()})
