"""Optimizers beyond GD (issue 13; Remarks 4.1-4.2 and Section 7 of the paper).

* :data:`MAPS` -- the optimizer vocabulary: every optimizer as a frozen
  :class:`IteratedMap` (name, aliases, state, step, tangent step, threshold, capabilities;
  :func:`get_map`); :data:`OPTIMIZER_NAMES` are its names;
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

from __future__ import annotations

from typing import TYPE_CHECKING

from theory.lazy import lazy_exports

#: defining module -> the public names it defines (imported on first use: the CLI reads the
#: registry without loading sympy)
_EXPORTS = {
    "theory.optimizers._maps": ("MAPS", "OPTIMIZER_NAMES", "Hyper", "IteratedMap", "get_map",
                                "hyper_values", "learning_rate_threshold", "optimizer_files"),
    "theory.optimizers._orbit": ("MomentumOrbit", "effective_learning_rate", "orbit_jacobian",
                                 "periodic_orbit", "periodic_point_array",
                                 "periodic_point_expr", "sharpness_threshold",
                                 "spectral_radius", "threshold", "threshold_expr"),
    "theory.optimizers._symbolic": ("AMPLITUDE", "BETA", "CURVATURE", "D2", "FPRIME", "X_PREV",
                                    "X_T", "OptimizerDerivation", "derive", "step_expr"),
    "theory.optimizers._values": ("GD", "NOISE_MODELS", "SGD", "HeavyBall", "Nesterov",
                                  "OptimizerError", "make_optimizer"),
}
_SUBMODULES = ("label_noise", "noise_drift", "valley_contrast")

__all__ = sorted(name for names in _EXPORTS.values() for name in names)

if TYPE_CHECKING:  # the real names, for type checkers (tests/architecture/test_front_doors.py)
    from theory.optimizers import (
        label_noise,
        noise_drift,
        valley_contrast,
    )
    from theory.optimizers._maps import (
        MAPS,
        OPTIMIZER_NAMES,
        Hyper,
        IteratedMap,
        get_map,
        hyper_values,
        learning_rate_threshold,
        optimizer_files,
    )
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
        SGD,
        HeavyBall,
        Nesterov,
        OptimizerError,
        make_optimizer,
    )

__getattr__, __dir__ = lazy_exports(__name__, globals(), _EXPORTS, _SUBMODULES)
