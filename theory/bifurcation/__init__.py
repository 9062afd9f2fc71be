"""Certified flip bifurcations, cycles and their continuation for GD (issue 21; beyond the paper).

* :func:`flip_criterion` -- at a minimum x* of any smooth f (not necessarily even), the
  flip of g(x) = x - eta f'(x) at eta* = 2/f''(x*) and its direction: supercritical iff
  3 f'''^2 - f'' f'''' > 0, certified (exact or ball arithmetic); in d dimensions along the
  top Hessian eigenvector (centre-manifold reduction);
* :func:`find_cycle`, :func:`enclose_cycle` -- p-cycles of g, with Krawczyk enclosures
  proving existence, uniqueness and minimal period, their multiplier and stability;
* :func:`continue_cascade` -- natural continuation with predictor-corrector and step control
  of the fixed point, the 2-cycle and each doubling, flips and folds detected, each flip
  point certified (:func:`enclose_bifurcation`), the Feigenbaum ratios;
* :func:`period_four_window`, :func:`fold_curve` -- heavy-ball / Nesterov 4-cycles
  continued in eta (2-state map), the fold where they are born, followed in beta;
* :func:`enclose_momentum_cycle`, :func:`enclose_momentum_fold`,
  :func:`enclose_fold_threshold_crossing` -- Krawczyk proofs of those cycles (with
  certified stability), of the fold and of where the fold meets heavy ball's threshold;
* :func:`basin_agreement` -- the continued stable 4-cycle region against iteration from a
  grid of initial states (x0, v0).

Internals: theory/bifurcation/README.md; the derivation: docs/bifurcation.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from theory.lazy import lazy_exports

_EXPORTS = {
    "theory.bifurcation._errors": ("BifurcationError",),
    "theory.bifurcation._flip": ("FlipCriterion", "flip_criterion", "flip_quantity"),
    "theory.bifurcation._maps": ("GDMap", "gd_map"),
    "theory.bifurcation._continuation": ("BifurcationPoint", "Branch", "Cascade",
                                          "ContinuationOptions", "continue_branch",
                                          "continue_cascade"),
    "theory.bifurcation._momentum": ("MomentumBranch", "MomentumMap", "continue_momentum_cycle",
                                     "find_momentum_cycles", "momentum_branches",
                                     "fold_curve", "fold_point", "momentum_map",
                                     "period_four_window"),
    "theory.bifurcation._momentum_certify": ("MomentumCycleEnclosure", "MomentumFoldEnclosure",
                                             "enclose_fold_threshold_crossing",
                                             "enclose_momentum_cycle", "enclose_momentum_fold"),
    "theory.bifurcation._basins": ("BasinAgreement", "BasinOptions", "basin_agreement"),
    "theory.bifurcation._draw": ("draw_branches",),
    "theory.bifurcation._chaos": ("LyapunovScan", "lyapunov_onset"),
    "theory.bifurcation._certify": ("enclose_bifurcation",),
    "theory.bifurcation._cycles": ("Cycle", "CycleEnclosure", "enclose_cycle", "find_cycles"),
}

__all__ = sorted(n for names in _EXPORTS.values() for n in names)

if TYPE_CHECKING:  # the real names, for type checkers (tests/architecture/test_front_doors.py)
    from theory.bifurcation._basins import BasinAgreement, BasinOptions, basin_agreement
    from theory.bifurcation._certify import enclose_bifurcation
    from theory.bifurcation._chaos import LyapunovScan, lyapunov_onset
    from theory.bifurcation._continuation import (
        BifurcationPoint,
        Branch,
        Cascade,
        ContinuationOptions,
        continue_branch,
        continue_cascade,
    )
    from theory.bifurcation._cycles import Cycle, CycleEnclosure, enclose_cycle, find_cycles
    from theory.bifurcation._draw import draw_branches
    from theory.bifurcation._errors import BifurcationError
    from theory.bifurcation._flip import FlipCriterion, flip_criterion, flip_quantity
    from theory.bifurcation._maps import GDMap, gd_map
    from theory.bifurcation._momentum import (
        MomentumBranch,
        MomentumMap,
        continue_momentum_cycle,
        find_momentum_cycles,
        fold_curve,
        fold_point,
        momentum_branches,
        momentum_map,
        period_four_window,
    )
    from theory.bifurcation._momentum_certify import (
        MomentumCycleEnclosure,
        MomentumFoldEnclosure,
        enclose_fold_threshold_crossing,
        enclose_momentum_cycle,
        enclose_momentum_fold,
    )

__getattr__, __dir__ = lazy_exports(__name__, globals(), _EXPORTS)
