"""Theory core of multiscale-landscapes (Ma, Kunin, Wu & Ying, 2022, Sections 4-6).

* :class:`Subquadratic` -- 1-D even functions with a minimum at 0 (Section 4.1): derivatives,
  h(x) = f'(x)/x, the threshold 2/f''(0), the period-2 points x_eta and their stability;
* :class:`Landscape` -- multi-dimensional landscapes with exact gradient and Hessian;
* :mod:`theory.catalog` -- the paper's functions and landscapes (Sections 4-6);
* :mod:`theory.quasistatic` -- the quasistatic flow (4.8) along a valley of minima;
* :mod:`theory.central_flow` -- central flows (Cohen et al. 2024), their multiscale (secant)
  version and the self-stabilization map (Damian et al. 2023);
* :mod:`theory.dynamics` -- compiled GD sweeps over (eta x x0) grids (:func:`simulate`);
* :mod:`theory.figures` -- Figs. 4.1-6.1 and the phase diagrams, with their claims;
* :mod:`theory.validation` -- the input validators every package uses;
* :mod:`theory.plotting` -- matplotlib access shared by every figure.

Names and submodules are imported lazily: ``import theory`` (or ``theory.errors``,
``theory.validation``) loads neither sympy nor numba until a name that needs them is used,
so the command line's ``--help`` stays fast.  Importing :mod:`theory` never imports torch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from theory.lazy import lazy_exports

__version__ = "0.1.0"

#: defining module -> the public names it defines
_EXPORTS = {
    "theory._symbols": ("ETA", "X", "X_POS"),
    "theory.resolver": ("FunctionLike", "as_landscape", "as_subquadratic", "resolve",
        "resolve_function"),
    "theory.landscape": ("Landscape",),
    "theory._sympy_utils": ("parse", "time_limit"),
    "theory.errors": ("MslValueError",),
    "theory.subquadratic": ("PeriodicOrbit", "Subquadratic"),
    "theory.schedule": ("Schedule",),
    "theory.dynamics": ("SimulationOptions", "SimulationResult", "compile_landscape", "simulate"),
}

#: submodules reachable as attributes (``theory.catalog``) and by ``from theory import ...``
_SUBMODULES = (
    "catalog",
    "central_flow",
    "dynamics",
    "errors",
    "figures",
    "landscape",
    "plotting",
    "quasistatic",
    "resolver",
    "schedule",
    "subquadratic",
    "trajectory",
    "validation",
)

__all__ = sorted([*(n for names in _EXPORTS.values() for n in names), "__version__",
                  "catalog", "quasistatic"])


if TYPE_CHECKING:  # the real names, for type checkers (tests/architecture/test_front_doors.py)
    from theory import (
        catalog,
        central_flow,
        dynamics,
        errors,
        figures,
        landscape,
        plotting,
        quasistatic,
        resolver,
        schedule,
        subquadratic,
        trajectory,
        validation,
    )
    from theory._symbols import ETA, X_POS, X
    from theory._sympy_utils import parse, time_limit
    from theory.dynamics import SimulationOptions, SimulationResult, compile_landscape, simulate
    from theory.errors import MslValueError
    from theory.landscape import Landscape
    from theory.resolver import (
        FunctionLike,
        as_landscape,
        as_subquadratic,
        resolve,
        resolve_function,
    )
    from theory.schedule import Schedule
    from theory.subquadratic import PeriodicOrbit, Subquadratic


__getattr__, __dir__ = lazy_exports(__name__, globals(), _EXPORTS, _SUBMODULES)
