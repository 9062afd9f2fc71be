"""Central flows: GD's time average at the edge of stability, quadratic and multiscale.

* :func:`central_flow` -- Cohen et al. (2024): dw/dt = -eta [grad L + 1/2 grad <Sigma, H>],
  Sigma keeping the critical eigenvalues at 2/eta (a complementarity problem);
* :func:`secant_flow` -- the same time average with the exact period-2 width (4.7): on a
  valley F = f(h(x) y) it is the quasistatic flow (4.8) in continuous time;
* :func:`preconditioned_central_flow` -- heavy ball, Nesterov, scalar RMSProp and RMSProp
  (the authors' preconditioned form; :class:`Rule`);
* :func:`reduced_map` -- the self-stabilization map of Damian, Nichani & Lee (2023);
* :mod:`theory.central_flow.valley` -- GD, (4.8) and both flows side by side on a valley,
  and the central flow's variance against the exact amplitude x_eta^2.
"""

from theory.central_flow._derivatives import Derivatives, solve_lcp
from theory.central_flow._flow import (
    CentralFlowOptions,
    CentralFlowTrajectory,
    central_flow,
)
from theory.central_flow._preconditioned import (
    RULES,
    PreconditionedTrajectory,
    Rule,
    preconditioned_central_flow,
)
from theory.central_flow._secant import (
    ReducedMap,
    SecantFlowTrajectory,
    reduced_map,
    secant_flow,
    secant_width,
    self_stabilization_constants,
)

__all__ = [
    "RULES",
    "CentralFlowOptions",
    "CentralFlowTrajectory",
    "Derivatives",
    "PreconditionedTrajectory",
    "ReducedMap",
    "Rule",
    "SecantFlowTrajectory",
    "central_flow",
    "preconditioned_central_flow",
    "reduced_map",
    "secant_flow",
    "secant_width",
    "self_stabilization_constants",
    "solve_lcp",
]
