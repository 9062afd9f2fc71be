"""Theory core of multiscale-landscapes (Ma, Kunin, Wu & Ying, 2022, Sections 4-6).

* :class:`Subquadratic` -- 1-D even functions with a minimum at 0 (Section 4.1): derivatives,
  h(x) = f'(x)/x, the threshold 2/f''(0), the period-2 points x_eta and their stability;
* :class:`Landscape` -- multi-dimensional landscapes with exact gradient and Hessian;
* :mod:`theory.catalog` -- the paper's functions and landscapes (Sections 4-6);
* :mod:`theory.quasistatic` -- the quasistatic flow (4.8) along a valley of minima.

Importing :mod:`theory` never imports torch.
"""

from theory import catalog, quasistatic
from theory._resolve import resolve_function
from theory._symbols import ETA, X_POS, X
from theory.dynamics import Schedule, SimulationResult, compile_landscape, simulate  # issue 3
from theory.errors import MslValueError
from theory.landscape import Landscape
from theory.subquadratic import PeriodicOrbit, Subquadratic

__version__ = "0.1.0"

__all__ = [
    "ETA",
    "X_POS",
    "Landscape",
    "MslValueError",
    "PeriodicOrbit",
    "Schedule",
    "SimulationResult",
    "Subquadratic",
    "X",
    "__version__",
    "catalog",
    "compile_landscape",
    "quasistatic",
    "resolve_function",
    "simulate",
]
