"""Numbers from the derivations of :mod:`._symbolic` for a given Subquadratic f.

* :func:`threshold` -- the learning rate above which x = 0 is linearly unstable;
* :func:`sharpness_threshold` -- the same condition read the other way round: the curvature
  (sharpness) above which a quadratic is unstable at a given learning rate (edge of stability);
* :func:`periodic_orbit` -- the symmetric period-2 orbit {+a, -a} at (eta, beta): a from GD's
  x_eta at the effective learning rate (so beta = 0 gives GD's numbers exactly), and the
  spectral radius of the two-step Jacobian on (x_t, x_{t-1});
* :func:`periodic_point_expr` -- a in closed form (f1: Lambert W_{-1}) when GD's x_eta has one.
"""

from __future__ import annotations

import cmath
from dataclasses import dataclass
from functools import cache

import numpy as np
import sympy as sp

from theory import validation
from theory._symbols import ETA
from theory.errors import LearningRateError
from theory.optimizers._symbolic import BETA, CURVATURE, D2, derive
from theory.optimizers._values import GD, SGD, HeavyBall, Nesterov

__all__ = [
    "MomentumOrbit",
    "effective_learning_rate",
    "orbit_jacobian",
    "periodic_orbit",
    "periodic_point_array",
    "periodic_point_expr",
    "sharpness_threshold",
    "spectral_radius",
    "threshold",
    "threshold_expr",
]


@dataclass(frozen=True)
class MomentumOrbit:
    """The symmetric period-2 orbit {+x_eta, -x_eta} of a deterministic optimizer.

    ``spectral_radius`` is that of the two-step Jacobian on (x_t, x_{t-1}); for GD it equals
    the cycle multiplier (1 - eta f''(x_eta))^2 of :class:`theory.PeriodicOrbit`.
    """

    eta: float
    beta: float
    optimizer: str
    x_eta: float
    #: where the gradient is taken on the orbit (Nesterov: (1 + 2 beta) x_eta)
    gradient_point: float
    effective_eta: float
    spectral_radius: float
    #: at beta = 0, GD's verdict decided without cancellation (theory.PeriodicOrbit)
    stability: str = ""

    @property
    def stable(self) -> bool:
        if self.stability:
            return self.stability == "stable"
        return self.spectral_radius < 1.0


def _beta_subs(optimizer) -> dict:
    if isinstance(optimizer, GD):
        return {}
    return {BETA: sp.Rational(repr(float(optimizer.beta)))}  # the shortest decimal, exactly


def threshold_expr(function, optimizer) -> sp.Expr:
    """The threshold learning rate as an exact sympy number (GD: 2/f''(0))."""
    if isinstance(optimizer, GD) or optimizer.beta == 0:
        return function.threshold
    derivation = derive(optimizer)
    return derivation.threshold.subs({CURVATURE: function.curvature_at_zero,
                                      **_beta_subs(optimizer)})


@cache
def _threshold_numeric(kind: str):
    from theory.optimizers._symbolic import _derive

    return sp.lambdify((CURVATURE, BETA), _derive(kind).threshold, "math")


def threshold(function, optimizer) -> float:
    """The threshold learning rate as a float (for beta = 0, exactly GD's 2/f''(0))."""
    if isinstance(optimizer, GD) or optimizer.beta == 0:
        return float(function.threshold)
    derivation = derive(optimizer)
    curvature = float(function.curvature_at_zero)
    return float(_threshold_numeric(derivation.kind)(curvature, float(optimizer.beta)))


def sharpness_threshold(optimizer, eta) -> float:
    """The edge-of-stability threshold on the sharpness at learning rate ``eta``: the
    curvature lambda above which 0 of the quadratic lambda x^2/2 is linearly unstable.

    The linearised map depends on eta and f''(0) only through their product, so this is
    :func:`threshold`'s derived formula with the two swapped: GD 2/eta, heavy ball
    2(1+beta)/eta, Nesterov 2(1+beta)/((1+2beta) eta); beta = 0 gives exactly 2/eta.  For
    :class:`SGD` (GD plus zero-mean noise) it is GD's 2/eta: the mean iterate follows GD and
    the variance stays bounded exactly when |1 - eta lambda| < 1.
    """
    eta = validation.positive_real("eta", eta, error=LearningRateError)
    if isinstance(optimizer, SGD):
        return 2.0 / eta
    derivation = derive(optimizer)  # rejects anything that is not an optimizer
    if optimizer.beta == 0:
        return 2.0 / eta
    return float(_threshold_numeric(derivation.kind)(eta, float(optimizer.beta)))


def effective_learning_rate(optimizer, eta: float) -> float:
    """eta_eff with which GD's period-2 equation gives the optimizer's orbit (beta = 0:
    exactly eta)."""
    beta = float(optimizer.beta)
    if isinstance(optimizer, GD):
        return float(eta)
    if isinstance(optimizer, HeavyBall):
        return eta / (1.0 + beta)
    if isinstance(optimizer, Nesterov):
        return eta * (1.0 + 2.0 * beta) / (1.0 + beta)
    derive(optimizer)  # raises the error for anything else
    raise AssertionError


def _scale(optimizer) -> float:
    return 1.0 + 2.0 * optimizer.beta if isinstance(optimizer, Nesterov) else 1.0


def orbit_jacobian(optimizer, eta: float, curvature: float) -> np.ndarray:
    """The Jacobian of (x_t, x_{t-1}) -> (x_{t+1}, x_t) where f'' at the gradient point is
    ``curvature`` (from :attr:`OptimizerDerivation.jacobian`)."""
    derivation = derive(optimizer)
    matrix = derivation.jacobian.subs({ETA: eta, D2: curvature, **_beta_subs(optimizer)})
    return np.array(matrix.evalf(17).tolist(), dtype=float)


def spectral_radius(matrix: np.ndarray) -> float:
    """max |lambda| of a real 2x2 matrix from its trace and determinant (exact |tr| when the
    determinant is 0, so GD's (1 - eta f'')^2 comes out bit for bit)."""
    tr = float(matrix[0, 0] + matrix[1, 1])
    det = float(matrix[0, 0] * matrix[1, 1] - matrix[0, 1] * matrix[1, 0])
    if det == 0.0:
        return abs(tr)
    root = cmath.sqrt(tr * tr / 4.0 - det)
    return max(abs(tr / 2.0 + root), abs(tr / 2.0 - root))


def periodic_orbit(function, optimizer, eta) -> MomentumOrbit:
    """The period-2 orbit of ``optimizer`` on the Subquadratic ``function`` at ``eta``.

    Raises :class:`~theory.errors.LearningRateError` when eta is not above the optimizer's
    threshold, :class:`~theory.errors.NoPeriodicOrbitError` when GD's equation has no root.
    """
    derive(optimizer)  # rejects SGD and foreign objects
    try:
        eta = float(eta)
    except (TypeError, ValueError):
        raise LearningRateError(f"eta={eta!r} is not a number") from None
    limit = threshold(function, optimizer)
    if not (np.isfinite(eta) and eta > limit):
        raise LearningRateError(
            f"eta={eta:g} is not above the threshold {limit:.10g} of {optimizer.name} "
            f"(beta={optimizer.beta:g}) on {function.name!r}: 0 is linearly stable there and "
            "there is no period-2 orbit"
        )
    eta_eff = effective_learning_rate(optimizer, eta)
    gradient_point = function.periodic_point(eta_eff)
    x_eta = gradient_point / _scale(optimizer)
    step = orbit_jacobian(optimizer, eta, float(function.d2f(gradient_point)))
    back = orbit_jacobian(optimizer, eta, float(function.d2f(-gradient_point)))
    radius = spectral_radius(back @ step)
    verdict = function.periodic_orbit(eta_eff).stability if optimizer.beta == 0 else ""
    return MomentumOrbit(eta, float(optimizer.beta), optimizer.name, x_eta, gradient_point,
                         eta_eff, radius, verdict)


def periodic_point_array(function, optimizer, etas) -> np.ndarray:
    """x_eta for an array of learning rates above the threshold (vectorised through
    :meth:`theory.Subquadratic.periodic_point_array` at the effective learning rates)."""
    etas = np.asarray(etas, dtype=float)
    limit = threshold(function, optimizer)
    bad = ~(np.isfinite(etas) & (etas > limit))
    if bad.any():
        periodic_orbit(function, optimizer, float(etas[bad].flat[0]))  # raises the error
    effective = np.vectorize(lambda e: effective_learning_rate(optimizer, e), otypes=[float])
    return function.periodic_point_array(effective(etas)) / _scale(optimizer)


def periodic_point_expr(function, optimizer) -> sp.Expr | None:
    """x_eta in closed form in ETA (and numerically substituted beta), or None: GD's closed
    form (:meth:`theory.Subquadratic.periodic_point_expr`) at the effective learning rate,
    divided by the gradient point's scale."""
    gd_form = function.periodic_point_expr()
    if gd_form is None:
        return None
    derivation = derive(optimizer)
    subs = _beta_subs(optimizer)
    eta_eff = derivation.effective_eta.subs(subs)
    return gd_form.xreplace({ETA: eta_eff}) / derivation.scale.subs(subs)
