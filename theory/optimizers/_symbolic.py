"""Symbolic (sympy) derivations for the deterministic optimizers on a 1-D even f.

Every deterministic optimizer is a map of the two-state (x_t, x_{t-1}) -> (x_{t+1}, x_t),
written with an undefined function ``fprime`` for f' (:func:`step_expr`).  From the map alone
sympy derives:

* the **threshold** learning rate: linearising fprime(z) = c z (c = f''(0)) gives
  x_{t+1} = A x_t + B x_{t-1}, with characteristic polynomial lambda^2 - A lambda - B; as eta
  grows, 0 loses stability when a root crosses -1 (period doubling): chi(-1) = 0, solved for
  eta.  GD: 2/c (Section 4.1); heavy ball: 2(1+beta)/c; Nesterov: 2(1+beta)/((1+2beta)c).
* the **period-2 orbit** {+a, -a}: (x_t, x_{t-1}) = (a, -a) must map to x_{t+1} = -a.  The
  equation has the form eta fprime(s a) = R(a); with b = s a it is GD's equation
  eta_eff f'(b) = 2b (the generalisation of eta f'(x_eta) = 2 x_eta, Lemma 4.1) with an
  *effective learning rate* eta_eff(eta, beta), so a = x^GD_{eta_eff} / s.
  Heavy ball: eta_eff = eta/(1+beta), s = 1; Nesterov: eta_eff = eta(1+2beta)/(1+beta),
  s = 1 + 2beta.
* the **Jacobian** of the map on (x_t, x_{t-1}), in terms of d2 = f''(gradient point); on the
  orbit both steps have the same Jacobian (f'' is even), so the cycle's spectral radius is
  rho(J)^2 and for GD (beta = 0) it is the cycle multiplier (1 - eta f''(x_eta))^2.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import sympy as sp

from theory._symbols import ETA
from theory.optimizers._values import GD, SGD, HeavyBall, Nesterov, OptimizerError

__all__ = [
    "BETA",
    "CURVATURE",
    "D2",
    "FPRIME",
    "X_PREV",
    "X_T",
    "OptimizerDerivation",
    "derive",
    "step_expr",
]

X_T = sp.Symbol("x_t", real=True)
X_PREV = sp.Symbol("x_prev", real=True)
BETA = sp.Symbol("beta", nonnegative=True)
#: f''(0)
CURVATURE = sp.Symbol("c", positive=True)
#: f'' at the point where the gradient is taken (in the Jacobian)
D2 = sp.Symbol("d2", real=True)
#: the orbit's amplitude a > 0
AMPLITUDE = sp.Symbol("a", positive=True)
#: f', left undefined
FPRIME = sp.Function("fprime")


def _kind(optimizer) -> str:
    if isinstance(optimizer, (GD, SGD)):
        if isinstance(optimizer, SGD):
            raise OptimizerError(
                "optimizer=SGD is stochastic: thresholds and periodic orbits are derived for "
                "the deterministic optimizers (gd, momentum, nesterov)"
            )
        return "gd"
    if isinstance(optimizer, HeavyBall):
        return "momentum"
    if isinstance(optimizer, Nesterov):
        return "nesterov"
    raise OptimizerError(f"optimizer={optimizer!r} is not a theory.optimizers optimizer")


def step_expr(kind: str) -> sp.Expr:
    """x_{t+1} as an expression in X_T, X_PREV, ETA, BETA and FPRIME."""
    if kind == "gd":
        return X_T - ETA * FPRIME(X_T)
    if kind == "momentum":
        return X_T - ETA * FPRIME(X_T) + BETA * (X_T - X_PREV)
    if kind == "nesterov":
        look_ahead = X_T + BETA * (X_T - X_PREV)
        return look_ahead - ETA * FPRIME(look_ahead)
    raise OptimizerError(f"optimizer kind {kind!r} is not one of gd, momentum, nesterov")


@dataclass(frozen=True)
class OptimizerDerivation:
    """What sympy derives from one optimizer's map (all in ETA, BETA, CURVATURE, D2, a)."""

    kind: str
    step: sp.Expr
    #: x_{t+1} ~ linear_x x_t + linear_prev x_{t-1} near 0 (f'(z) = c z)
    linear_x: sp.Expr
    linear_prev: sp.Expr
    #: chi(lambda) = lambda^2 - linear_x lambda - linear_prev, in the symbol ``lam``
    characteristic: sp.Expr
    threshold: sp.Expr
    #: the period-2 condition x_{t+1}(a, -a) + a = 0
    period_two_equation: sp.Expr
    #: the gradient's argument on the orbit is scale * a
    scale: sp.Expr
    effective_eta: sp.Expr
    #: Jacobian of (x_t, x_{t-1}) -> (x_{t+1}, x_t), f'' at the gradient point = D2
    jacobian: sp.Matrix

    @property
    def orbit_stability_interval(self) -> tuple[sp.Expr, sp.Expr]:
        """eta f''(b) must lie strictly between these for the orbit to be linearly stable
        (flip and fold boundaries of the orbit's Jacobian: chi_J(-1) = 0, chi_J(1) = 0)."""
        lam = sp.Symbol("lam")
        chi = (self.jacobian - lam * sp.eye(2)).det()
        u = sp.Symbol("u", real=True)  # u = eta * d2
        chi_u = sp.expand(chi.subs(D2, u / ETA))
        flip = sp.solve(chi_u.subs(lam, -1), u)
        fold = sp.solve(chi_u.subs(lam, 1), u)
        return sp.simplify(fold[0]), sp.simplify(flip[0])


def _slope_calls(expr: sp.Expr) -> list[sp.Expr]:
    return sorted(expr.atoms(sp.core.function.AppliedUndef), key=sp.default_sort_key)


@cache
def _derive(kind: str) -> OptimizerDerivation:
    step = step_expr(kind)
    z = sp.Dummy("z")
    linear = sp.expand(step.replace(FPRIME, sp.Lambda(z, CURVATURE * z)))
    linear_x = linear.coeff(X_T)
    linear_prev = linear.coeff(X_PREV)
    lam = sp.Symbol("lam")
    characteristic = sp.expand(lam**2 - linear_x * lam - linear_prev)
    roots = sp.solve(characteristic.subs(lam, -1), ETA)
    if len(roots) != 1:
        raise OptimizerError(f"no unique flip threshold for {kind}: {roots}")
    threshold = sp.factor(sp.simplify(roots[0]))

    equation = sp.expand(step.subs({X_T: AMPLITUDE, X_PREV: -AMPLITUDE}) + AMPLITUDE)
    (call,) = _slope_calls(equation)
    argument = call.args[0]
    scale = sp.simplify(argument / AMPLITUDE)
    slope_value = sp.solve(equation, call)[0]  # fprime(b) = R(a)
    effective_eta = sp.factor(sp.simplify(2 * argument / slope_value))
    if effective_eta.has(AMPLITUDE):
        raise OptimizerError(f"the period-2 equation of {kind} is not GD's at a rescaled eta")

    state = sp.Matrix([step, X_T])
    jacobian = state.jacobian([X_T, X_PREV]).doit()
    jacobian = jacobian.replace(lambda e: isinstance(e, (sp.Subs, sp.Derivative)), lambda e: D2)
    jacobian = jacobian.applyfunc(sp.expand)
    return OptimizerDerivation(kind, step, linear_x, linear_prev, characteristic, threshold,
                               equation, scale, effective_eta, jacobian)


def derive(optimizer) -> OptimizerDerivation:
    """The :class:`OptimizerDerivation` of a deterministic optimizer (GD, HeavyBall,
    Nesterov); BETA stays a symbol (substitute ``optimizer.beta``)."""
    return _derive(_kind(optimizer))
