"""Experiment 2, the gradient-direction landscape (Section 3.1, Fig. 3.1).

At a point ``theta`` of a GD run that oscillates around a minimum, the loss along the
normalised gradient ``u = g / ||g||``: ``phi(t) = L(theta + t u)`` on a symmetric grid
``t in [-R, R]``, its second finite differences ``phi_{i+1} - 2 phi_i + phi_{i-1}``, and an
automatic verdict on *subquadratic growth* (the loss grows slower than a quadratic away
from the minimum of the line, so GD with a too-large step oscillates instead of
diverging; Section 4):

* the line's minimum ``t*`` (Brent) and the growth exponent ``p`` of
  ``phi(t) - phi(t*) ~ |t - t*|^p``, fitted by least squares in log-log coordinates
  with a Student-t confidence interval;
* whether the second differences fall away from ``t*`` (Spearman correlation with
  ``|t - t*|`` and the ratio of their outer-third to inner-third means);
* the check that the centred second difference at ``theta``, divided by ``h^2``,
  matches ``u^T H u`` computed with one Hessian-vector product.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.optimize
import scipy.stats
import torch

from empirical._objective import Objective
from empirical.errors import ExperimentError
from theory import validation as v

VERDICTS = ("subquadratic", "quadratic", "superquadratic", "inconclusive")


def _frozen(a) -> np.ndarray:
    a = np.array(a, dtype=np.float64)
    a.setflags(write=False)
    return a


@dataclass(frozen=True)
class GrowthFit:
    """``phi(t) - phi(t*) = a |t - t*|^p`` fitted on ``fit_radii``; ``p`` with its
    ``confidence`` interval ``[p_low, p_high]``."""

    p: float
    p_low: float
    p_high: float
    log_a: float
    n_points: int
    confidence: float


@dataclass(frozen=True)
class SliceResult:
    """A gradient-direction slice and its verdict.

    Attributes:
        t: the symmetric grid (``t = 0`` is ``theta``); losses: ``phi(t)``.
        second_differences: ``phi_{i+1} - 2 phi_i + phi_{i-1}`` at ``t[1:-1]``.
        t_min, loss_min: the line's minimum ``t*`` and ``phi(t*)``.
        grad_norm: ``||g||`` at ``theta``.
        fit: the growth-exponent fit.
        d2_spearman: Spearman correlation of the second differences with ``|t - t*|``
            (within the window symmetric about ``t*``); negative: they fall away.
        d2_outer_inner_ratio: mean second difference over the outer third of that window
            divided by the mean over the inner third (1 for a quadratic).
        centre_h, centre_curvature: step and ``(phi(h) - 2 phi(0) + phi(-h)) / h^2``.
        uhu: ``u^T H u`` from a Hessian-vector product; centre_rel_error their mismatch.
        centre_matches: ``centre_rel_error <= centre_rtol``.
        verdict: one of ``subquadratic``, ``quadratic``, ``superquadratic``,
            ``inconclusive`` (see :func:`slice_verdict`).
    """

    t: np.ndarray
    losses: np.ndarray
    second_differences: np.ndarray
    t_min: float
    loss_min: float
    grad_norm: float
    fit: GrowthFit
    d2_spearman: float
    d2_outer_inner_ratio: float
    centre_h: float
    centre_curvature: float
    uhu: float
    centre_rel_error: float
    centre_matches: bool
    margin: float
    verdict: str

    def __post_init__(self) -> None:
        for name in ("t", "losses", "second_differences"):
            object.__setattr__(self, name, _frozen(getattr(self, name)))
        if self.verdict not in VERDICTS:
            raise ExperimentError(f"verdict={self.verdict!r}: must be one of {VERDICTS}")

    @property
    def grid_step(self) -> float:
        return float(self.t[1] - self.t[0])

    def summary(self) -> dict:
        return {
            "verdict": self.verdict,
            "p": self.fit.p, "p_ci": [self.fit.p_low, self.fit.p_high],
            "fit_points": self.fit.n_points,
            "t_min": self.t_min, "radius": float(self.t[-1]), "grad_norm": self.grad_norm,
            "d2_spearman": self.d2_spearman, "d2_outer_inner_ratio": self.d2_outer_inner_ratio,
            "uhu": self.uhu, "centre_curvature": self.centre_curvature,
            "centre_rel_error": self.centre_rel_error, "centre_matches": self.centre_matches,
            "grid_centre_curvature": float(self.second_differences[len(self.t) // 2 - 1]
                                           / self.grid_step**2),
        }


def slice_grid_size(n_points) -> int:
    """The slice's grid size: odd (t = 0 on the grid) and >= 11 (checked before any run)."""
    n_points = v.whole_number("n_points", n_points, minimum=11, error=ExperimentError)
    if n_points % 2 == 0:
        raise ExperimentError(f"n_points={n_points}: must be odd so that t = 0 is on the grid")
    return n_points


def fit_growth_exponent(radii, rises, *, confidence: float = 0.95) -> GrowthFit:
    """Least-squares fit of ``log rise = log a + p log r`` with a Student-t interval.

    Points with ``rise <= 0`` are dropped; at least 4 must remain.
    """
    confidence = v.fraction("confidence", confidence, error=ExperimentError)
    r = np.asarray(radii, dtype=np.float64)
    y = np.asarray(rises, dtype=np.float64)
    keep = (r > 0) & (y > 0) & np.isfinite(y)
    r, y = r[keep], y[keep]
    if len(r) < 4:
        raise ExperimentError(f"fit: only {len(r)} grid points rise above the line minimum "
                              "(need 4); widen the grid (radius) or use more points")
    x, z = np.log(r), np.log(y)
    res = scipy.stats.linregress(x, z)
    q = scipy.stats.t.ppf(0.5 + confidence / 2.0, len(r) - 2)
    half = q * res.stderr
    return GrowthFit(float(res.slope), float(res.slope - half), float(res.slope + half),
                     float(res.intercept), len(r), confidence)


def slice_verdict(fit: GrowthFit, spearman: float, ratio: float, centre_matches: bool,
                  margin: float = 0.1, p_tol: float = 0.02) -> str:
    """The growth verdict (Section 4.1's subquadratic condition: ``f''`` decreases away
    from the minimum, so the loss grows slower than a quadratic).

    * ``subquadratic``: the confidence interval of ``p`` lies below 2 (``p_high < 2``),
      and the second differences fall away from the minimum (``spearman <= -0.5`` and
      ``ratio < 1 - margin``);
    * ``quadratic``: ``|p - 2| <= max(p_tol, half-width of the interval)`` and
      ``|ratio - 1| <= margin``;
    * ``superquadratic``: ``p_low > 2``, ``spearman >= 0.5`` and ``ratio > 1 + margin``;
    * ``inconclusive`` otherwise, or when the centre check failed.
    """
    if not centre_matches:
        return "inconclusive"
    if fit.p_high < 2 and spearman <= -0.5 and ratio < 1 - margin:
        return "subquadratic"
    half = (fit.p_high - fit.p_low) / 2
    if abs(fit.p - 2) <= max(p_tol, half) and abs(ratio - 1) <= margin:
        return "quadratic"
    if fit.p_low > 2 and spearman >= 0.5 and ratio > 1 + margin:
        return "superquadratic"
    return "inconclusive"


def _line_minimum(phi, grad_norm: float, curvature: float, scale_hint: float) -> float:
    """The minimum of ``phi`` on ``t < 0`` nearest to 0 (``phi'(0) = ||g|| > 0``)."""
    s = grad_norm / curvature if curvature > 0 else scale_hint
    s = max(s, 1e-12)
    f0 = phi(0.0)
    lo, prev = 0.0, f0
    for _ in range(60):  # march downhill until the loss rises again
        val = phi(-s)
        if val > prev:
            break
        lo, prev = s, val
        s *= 2.0
    else:
        raise ExperimentError("theta: the loss keeps decreasing along -gradient over 60 "
                              "doublings; no line minimum to slice around")
    hi = s
    left = lo / 2.0 if lo > 0 else 0.0
    out = scipy.optimize.minimize_scalar(phi, bounds=(-hi, -left), method="bounded",
                                         options={"xatol": 1e-12 * hi, "maxiter": 500})
    return float(out.x)


@torch.no_grad()
def _losses_along(loss: Objective, theta: torch.Tensor, u: torch.Tensor, ts) -> np.ndarray:
    return np.array([loss.value(theta + float(t) * u) for t in ts])


def gradient_slice(
    loss: Objective,
    theta: torch.Tensor,
    *,
    radius: float | None = None,
    rel_radius: float = 0.1,
    span: float = 3.0,
    n_points: int = 41,
    fit_inner: float = 0.1,
    margin: float = 0.1,
    centre_rtol: float = 1e-3,
    confidence: float = 0.95,
    lr: float | None = None,
) -> SliceResult:
    """Experiment 2: the loss along the normalised gradient at ``theta`` and its verdict.

    Args:
        loss: the objective (use float64 for clean second differences).
        radius: half-width ``R`` of the grid.  Default ``max(rel_radius * ||theta||,
            span * |t*|)``: a tenth of the parameter norm, far beyond the oscillation of GD
            at the edge of stability (``|t*| ~ eta ||g|| / 2``), and always wide enough to
            hold the line minimum ``t*`` with room on both sides.
        n_points: grid size (odd, >= 11; ``t = 0`` is on the grid).
        fit_inner: the growth fit uses the grid points with ``fit_inner * W <= |t - t*|
            <= W``, ``W = R - |t*|`` (the largest window symmetric about ``t*``).
        margin: tolerance on ``p`` and on the second-difference ratio for the verdict.
        centre_rtol: tolerance of the centre check (``h = R * 1e-3``).
        lr: the run's learning rate, only used to start the search for ``t*`` when the
            curvature along ``u`` is not positive.
    """
    n_points = slice_grid_size(n_points)
    span = v.positive_real("span", span, error=ExperimentError)
    rel_radius = v.positive_real("rel_radius", rel_radius, error=ExperimentError)
    if span <= 1.5:
        raise ExperimentError(f"span={span}: must exceed 1.5 so the grid holds the minimum "
                              "with room on both sides")
    fit_inner = v.fraction("fit_inner", fit_inner, error=ExperimentError)
    margin = v.fraction("margin", margin, error=ExperimentError)
    centre_rtol = v.fraction("centre_rtol", centre_rtol, error=ExperimentError)
    confidence = v.fraction("confidence", confidence, error=ExperimentError)
    if radius is not None:
        radius = v.positive_real("radius", radius, error=ExperimentError)
    theta = loss.check_vector("theta", theta).detach()
    value, g = loss.value_and_grad(theta)
    grad_norm = float(g.norm())
    if not np.isfinite(value) or not np.isfinite(grad_norm):
        raise ExperimentError("theta: the loss or its gradient is not finite there")
    if grad_norm <= 1e-12 * (1.0 + float(theta.norm())):
        raise ExperimentError(f"theta: the gradient vanishes (||g|| = {grad_norm:.3g}); the "
                              "gradient direction is undefined at a stationary point")
    u = g / g.norm()
    uhu = float(u @ loss.hvp(theta, u))

    def phi(t: float) -> float:
        return loss.value(theta + t * u)

    hint = (lr * grad_norm) if lr else 1e-3 * (1.0 + float(theta.norm()))
    t_min = _line_minimum(phi, grad_norm, uhu, hint)
    loss_min = phi(t_min)
    if radius is None:
        R = max(rel_radius * float(theta.norm()), span * abs(t_min))
    else:
        R = radius
    if R <= abs(t_min) * 1.5:
        raise ExperimentError(f"radius={R:.4g}: must exceed 1.5 |t*| = {1.5 * abs(t_min):.4g} "
                              "so the grid holds the line minimum with room on both sides")
    t = np.linspace(-R, R, n_points)
    t[n_points // 2] = 0.0
    losses = _losses_along(loss, theta, u, t)
    if not np.all(np.isfinite(losses)):
        raise ExperimentError(f"radius={R:.4g}: the loss is not finite on part of the grid")
    d2 = losses[2:] - 2 * losses[1:-1] + losses[:-2]
    W = R - abs(t_min)
    dist = np.abs(t - t_min)
    window = (dist >= fit_inner * W) & (dist <= W)
    fit = fit_growth_exponent(dist[window], losses[window] - loss_min, confidence=confidence)
    inner_d = dist[1:-1]
    in_w = inner_d <= W
    rho = float(scipy.stats.spearmanr(inner_d[in_w], d2[in_w]).statistic)
    if not np.isfinite(rho):
        rho = 0.0  # constant second differences (an exact quadratic up to rounding)
    third = W / 3.0
    inner = d2[in_w & (inner_d <= third)]
    outer = d2[in_w & (inner_d >= 2 * third)]
    ratio = float(outer.mean() / inner.mean()) if len(inner) and inner.mean() > 0 else float("inf")
    h = R * 1e-3
    centre = (phi(h) - 2 * phi(0.0) + phi(-h)) / h**2
    rel = abs(centre - uhu) / max(abs(uhu), 1e-300)
    matches = bool(rel <= centre_rtol)
    verdict = slice_verdict(fit, rho, ratio, matches, margin)
    return SliceResult(t, losses, d2, t_min, loss_min, grad_norm, fit, rho, ratio, h,
                       float(centre), uhu, float(rel), matches, margin, verdict)
