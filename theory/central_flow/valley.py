"""GD, the quasistatic flow (4.8) and the central flows side by side on a valley.

:func:`valley_comparison` runs, on F(x, y) = f(h(x) y) (Section 4.4), GD (and its two-step
time average), the paper's (4.8), the secant flow (the multiscale central flow, equal to
(4.8) in continuous time) and the quadratic central flow of Cohen et al.

:func:`variance_sweep` compares the central flow's oscillation variance with the exact
period-2 amplitude on the *tilted* valley F_c(x, y) = f(h(x) y) + c x, h = 1/(1 + x/100),
where the tilt c > 0 drives x towards sharper minima (progressive sharpening) and GD settles
on a 2-cycle across the valley at a point x_GD whose effective learning rate eta h^2 exceeds
the threshold by eps = eta f''(0) h(x_GD)^2 - 2.  Exactly (theory, no Taylor expansion):

* GD: u = h y = x_{eta h^2}(f) (Lemma 4.1's period-2 point), the tilt balanced by the
  oscillation's push, c = -f'(u) (u/h) h'(x_GD) = f'(u) u h / 100;
* central flow: its mean sits where S = f''(0) h^2 = 2/eta and sigma^2 = 2 alpha/beta
  = -c / (f''(0) h h') = 100 c / (f''(0) h^3) there (the self-stabilization amplitude).

In the cross-section's coordinate u = h y the ratio is sigma_u^2 / x_eta^2 = sqrt(2/(2 + eps))
for every profile f: the quadratic model misplaces the mean (S = 2/eta instead of GD's
(2 + eps)/eta) and with it the variance.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import sympy as sp

from theory import validation
from theory.catalog import Valley, valley
from theory.central_flow._flow import CentralFlowTrajectory, central_flow
from theory.central_flow._secant import SecantFlowTrajectory, secant_flow
from theory.errors import GridError, ParameterError
from theory.landscape import Landscape
from theory.quasistatic import QuasistaticTrajectory, halting_level, quasistatic_flow
from theory.subquadratic import Subquadratic

#: the tilted valley's flatness h(x) = 1/(1 + x/SCALE) (Fig. 4.2's)
SCALE = 100.0


def gradient_descent(landscape: Landscape, w0, eta: float, steps: int) -> np.ndarray:
    """GD's iterates w_0..w_steps (shape (steps+1, d))."""
    path = np.empty((steps + 1, landscape.dim))
    path[0] = np.asarray(w0, dtype=float)
    for t in range(steps):
        path[t + 1] = path[t] - eta * landscape.gradient(path[t])
    return path


@dataclass(frozen=True)
class ValleyComparison:
    """The manifold coordinate x1 of each model at steps 0..T, and their deviations.

    ``gd_mean`` is GD's centred average over the 2-cycle (w_{t-1} + 2 w_t + w_{t+1}) / 4;
    ``deviation_*`` the largest |x1_model - x1_GD| / |x1_GD - x1_0| over the steps after
    ``skip`` (the transient onto the orbit), relative to the distance travelled.
    """

    eta: float
    t: np.ndarray
    gd: np.ndarray
    gd_mean: np.ndarray
    quasistatic: QuasistaticTrajectory
    secant: SecantFlowTrajectory
    central: CentralFlowTrajectory
    halting_x: float
    skip: int

    def deviation(self, x1: np.ndarray) -> float:
        travelled = np.abs(self.gd_mean[self.skip:, 0] - self.gd_mean[0, 0])
        gap = np.abs(x1[self.skip:] - self.gd_mean[self.skip:, 0])
        moved = travelled > 0
        return float(np.max(gap[moved] / travelled[moved]))

    def relative_error(self, x1: np.ndarray) -> float:
        """max |x1_model / x1_GD - 1| after ``skip`` (the 1% criterion along the valley)."""
        ref = self.gd_mean[self.skip:, 0]
        return float(np.max(np.abs(x1[self.skip:] / ref - 1)))


def valley_comparison(valley: Valley, eta, start, steps: int, *, skip: int = 50,
                      secant_rtol: float = 1e-8) -> ValleyComparison:
    """GD from ``start`` = (x, y), (4.8) and the secant flow from (x, 0), the central flow
    from ``start`` (as its authors start it: at GD's initial point)."""
    eta = validation.learning_rate(eta)
    steps = validation.whole_number("steps", steps, minimum=2, maximum=1_000_000,
                                    error=GridError)
    point = np.asarray(start, dtype=float).reshape(-1)
    d = len(valley.x)
    if point.shape != (d + 1,):
        raise GridError(f"start={start!r} must be {d + 1} coordinates (x..., y)")
    landscape = valley.landscape
    gd = gradient_descent(landscape, point, eta, steps)
    gd_mean = gd.copy()  # centred average over the 2-cycle, (w_{t-1} + 2 w_t + w_{t+1}) / 4
    gd_mean[1:-1] = 0.25 * (gd[:-2] + 2 * gd[1:-1] + gd[2:])
    manifold = np.append(point[:d], 0.0)
    quasistatic = quasistatic_flow(valley, point[:d], eta, steps)
    secant = secant_flow(valley, eta, manifold, steps, rtol=secant_rtol, atol=1e-10)
    central = central_flow(valley, eta, point, steps)
    level = halting_level(valley, eta)
    halting_x = float("nan")
    if d == 1:  # h(x) = level on the manifold: Fig. 4.2's x1*
        x = valley.x[0]
        roots = sp.nsolve(valley.h - level, x, point[0] + 10) if valley.h.has(x) else None
        halting_x = float(roots) if roots is not None else float("nan")
    return ValleyComparison(eta, np.arange(steps + 1.0), gd, gd_mean, quasistatic, secant,
                            central, halting_x, skip)


@dataclass(frozen=True)
class VarianceSweep:
    """The central flow's variance against the exact period-2 amplitude, per eps."""

    eta: float
    eps: np.ndarray
    tilt: np.ndarray
    x_eta2: np.ndarray          # exact: (h y)^2 of GD's 2-cycle = x_{eta h^2}(f)^2
    sigma2_central: np.ndarray  # the central flow's variance, in the same coordinate u = h y
    x_gd: np.ndarray            # GD's manifold point
    x_central: np.ndarray       # the central flow's manifold point

    @property
    def ratio(self) -> np.ndarray:
        return self.sigma2_central / self.x_eta2

    @property
    def divergence(self) -> float:
        """max |sigma^2 / x_eta^2 - 1| over the sweep: the multiscale correction."""
        return float(np.max(np.abs(self.ratio - 1)))


def tilted_valley(f: Subquadratic, tilt) -> Landscape:
    """F_c(x1, x2) = f(x2 / (1 + x1/100)) + c x1 (module docstring), chain-rule derivatives."""
    c = validation.positive_real("tilt", tilt, error=ParameterError)
    base = valley(f, 1 / (1 + sp.Symbol("x1", real=True) / int(SCALE))).landscape
    x1 = base.variables[0]
    term = sp.Float(c) * x1
    gradient = (base.gradient_exprs[0] + sp.Float(c), base.gradient_exprs[1])
    return Landscape(base.expr + term, variables=base.variables, gradient=gradient,
                     hessian=base.hessian_exprs, name=f"tilted({f.name}, c={c:.6g})")


def variance_sweep(f: Subquadratic, eps, eta=3.0) -> VarianceSweep:
    """Closed forms of the module docstring at each eps (> 0) for the tilted valley of f."""
    eta = validation.learning_rate(eta)
    eps = np.atleast_1d(np.asarray(eps, dtype=float))
    if eps.ndim != 1 or eps.size == 0 or not np.all(np.isfinite(eps) & (eps > 0)):
        raise GridError(f"eps={eps.tolist()!r} must be finite numbers > 0")
    curvature = float(f.curvature_at_zero)
    h_gd = np.sqrt((2 + eps) / (eta * curvature))
    u = np.array([f.periodic_point(eta * h**2) for h in h_gd])
    tilt = f.df(u) * u * h_gd / SCALE
    h_cf = np.sqrt(2 / (eta * curvature))
    sigma2_y = SCALE * tilt / (curvature * h_cf**3)
    return VarianceSweep(eta, eps, tilt, u**2, sigma2_y * h_cf**2,
                         SCALE * (1 / h_gd - 1), np.full(eps.shape, SCALE * (1 / h_cf - 1)))
