"""Theory core of multiscale-landscapes (Ma, Kunin, Wu & Ying, 2022, Sections 4-6).

* :class:`Subquadratic` -- 1-D even functions with a minimum at 0 (Section 4.1): derivatives,
  h(x) = f'(x)/x, the threshold 2/f''(0), the period-2 points x_eta and their stability;
* :class:`Landscape` -- multi-dimensional landscapes with exact gradient and Hessian;
* :mod:`theory.catalog` -- the paper's functions and landscapes (Sections 4-6);
* :mod:`theory.quasistatic` -- the quasistatic flow (4.8) along a valley of minima;
* :mod:`theory.dynamics` -- compiled GD sweeps over (eta x x0) grids (:func:`simulate`);
* :mod:`theory.figures` -- Figs. 4.1-6.1 and the phase diagrams, with their claims;
* :mod:`theory.validation` -- the input validators every package uses;
* :mod:`theory.plotting` -- matplotlib access shared by every figure.

Names and submodules are imported lazily: ``import theory`` (or ``theory.errors``,
``theory.validation``) loads neither sympy nor numba until a name that needs them is used,
so the command line's ``--help`` stays fast.  Importing :mod:`theory` never imports torch.
"""

from __future__ import annotations

from theory.lazy import lazy_exports

__version__ = "0.1.0"

#: public name -> the module that defines it
_EXPORTS = {
    "ETA": "theory._symbols",
    "X": "theory._symbols",
    "X_POS": "theory._symbols",
    "FunctionLike": "theory.resolve",
    "as_landscape": "theory.resolve",
    "as_subquadratic": "theory.resolve",
    "resolve": "theory.resolve",
    "resolve_function": "theory.resolve",
    "Landscape": "theory.landscape",
    "parse": "theory._sympy_utils",
    "time_limit": "theory._sympy_utils",
    "MslValueError": "theory.errors",
    "PeriodicOrbit": "theory.subquadratic",
    "Subquadratic": "theory.subquadratic",
    "Schedule": "theory.schedule",
    "SimulationOptions": "theory.dynamics",
    "SimulationResult": "theory.dynamics",
    "compile_landscape": "theory.dynamics",
    "simulate": "theory.dynamics",
}

#: submodules reachable as attributes (``theory.catalog``) and by ``from theory import ...``
_SUBMODULES = (
    "catalog",
    "dynamics",
    "errors",
    "figures",
    "landscape",
    "plotting",
    "quasistatic",
    "resolve",
    "schedule",
    "subquadratic",
    "trajectory",
    "validation",
)

__all__ = sorted([*_EXPORTS, "__version__", "catalog", "quasistatic"])


__getattr__, __dir__ = lazy_exports(__name__, globals(), _EXPORTS, _SUBMODULES)
