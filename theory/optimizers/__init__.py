"""Optimizers beyond GD (issue 13; Remarks 4.1-4.2 and Section 7 of the paper).

* value objects :class:`GD`, :class:`HeavyBall`, :class:`Nesterov`, :class:`SGD` (validated,
  frozen) and :func:`make_optimizer` (by CLI name);
* :func:`derive` -- sympy derivations from the optimizer's map on (x_t, x_{t-1}): threshold,
  period-2 equation and effective learning rate, Jacobian;
* :func:`sharpness_threshold` -- the edge-of-stability threshold on the sharpness at a given
  learning rate (GD 2/eta; heavy ball (2 + 2 beta)/eta; Nesterov 2(1+beta)/((1+2beta) eta));
* :func:`threshold`, :func:`periodic_orbit`, :func:`periodic_point_expr` -- their numbers
  for a :class:`theory.Subquadratic` (beta = 0 gives GD's numbers exactly);
* :mod:`theory.optimizers.noise_drift` -- Remark 4.2 (quasistatic drift of SGD) and
  :mod:`theory.optimizers.valley_contrast` -- Remark 4.1 (GD vs SGD on the Fig. 4.2 valley).
"""

from theory.optimizers._orbit import (
    MomentumOrbit,
    effective_learning_rate,
    orbit_jacobian,
    periodic_orbit,
    periodic_point_array,
    periodic_point_expr,
    sharpness_threshold,
    spectral_radius,
    threshold,
    threshold_expr,
)
from theory.optimizers._symbolic import (
    AMPLITUDE,
    BETA,
    CURVATURE,
    D2,
    FPRIME,
    X_PREV,
    X_T,
    OptimizerDerivation,
    derive,
    step_expr,
)
from theory.optimizers._values import (
    GD,
    NOISE_MODELS,
    OPTIMIZER_NAMES,
    SGD,
    HeavyBall,
    Nesterov,
    OptimizerError,
    make_optimizer,
)

__all__ = [
    "AMPLITUDE",
    "BETA",
    "CURVATURE",
    "D2",
    "FPRIME",
    "GD",
    "NOISE_MODELS",
    "OPTIMIZER_NAMES",
    "SGD",
    "X_PREV",
    "X_T",
    "HeavyBall",
    "MomentumOrbit",
    "Nesterov",
    "OptimizerDerivation",
    "OptimizerError",
    "derive",
    "effective_learning_rate",
    "make_optimizer",
    "orbit_jacobian",
    "periodic_orbit",
    "periodic_point_array",
    "periodic_point_expr",
    "sharpness_threshold",
    "spectral_radius",
    "step_expr",
    "threshold",
    "threshold_expr",
]
