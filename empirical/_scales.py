"""Experiment 3, separate scales (Section 3.2, Fig. 3.2 left and middle).

Wide-range 1-D slices ``L(theta + r d)`` for ``r`` on a logarithmic grid, along the
gradient and along random directions, with filter normalisation (Li et al. 2018: each
filter of ``d``, i.e. each output unit's incoming weights, is rescaled to the norm of the
same filter of ``theta``; biases and other 1-D parameters are set to zero in ``d``), so
that ``r = 1`` moves every filter by its own size.

The *curvature profile* over scales is the secant curvature of the even part of the
slice, ``c(r) = (L(theta + r d) + L(theta - r d) - 2 L(theta)) / r^2``, and the local
growth exponent ``s(r) = d log dL / d log r`` of ``dL(r) = c(r) r^2 / 2``.  Inside a well
the loss rises (``s`` near 2); at the rim of a well it levels off (``s`` small).  A sharp
well inside a flat well shows as *wall, rim, wall*: the loss rises, levels off at the
sharp well's rim, then rises again up the flat well's walls.  :func:`locate_wells`
finds those walls and rims.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from empirical._device import generator
from empirical._objective import Objective
from empirical._params import ParamLayout
from empirical.errors import ExperimentError
from theory import validation as v


def _frozen(a) -> np.ndarray:
    a = np.array(a, dtype=np.float64)
    a.setflags(write=False)
    return a


def filter_normalise(direction: torch.Tensor, theta: torch.Tensor, layout: ParamLayout,
                     *, ignore_1d: bool = True) -> torch.Tensor:
    """Li et al. (2018)'s filter normalisation of ``direction`` against ``theta``.

    For every parameter with >= 2 dimensions, each filter (slice along the first axis:
    a row of a linear layer's weight, an output channel of a convolution) of the
    direction is rescaled to the norm of the matching filter of ``theta``.  1-D parameters
    (biases, norm scales) are zeroed when ``ignore_1d`` (Li et al.'s choice), otherwise
    rescaled as a whole.
    """
    out = torch.zeros_like(direction)
    for _, sl, shape in layout.block_slices():
        d = direction[sl].view(shape)
        w = theta[sl].view(shape)
        if len(shape) >= 2:
            dn = d.reshape(shape[0], -1).norm(dim=1, keepdim=True)
            wn = w.reshape(shape[0], -1).norm(dim=1, keepdim=True)
            scaled = d.reshape(shape[0], -1) * (wn / dn.clamp_min(1e-30))
            out[sl] = scaled.reshape(-1)
        elif not ignore_1d:
            out[sl] = d.reshape(-1) * (w.norm() / d.norm().clamp_min(1e-30))
    return out


def random_direction(theta: torch.Tensor, layout: ParamLayout, seed: int) -> torch.Tensor:
    """A Gaussian direction, filter-normalised against ``theta`` (Li et al. 2018)."""
    gen = generator(seed, theta.device)
    d = torch.randn(theta.shape, generator=gen, dtype=theta.dtype, device=theta.device)
    return filter_normalise(d, theta, layout)


@dataclass(frozen=True)
class Well:
    """One well of a curvature profile: its wall spans ``[inner_radius, rim_radius]``
    (``rim_radius`` is ``inf`` when the loss still rises at the end of the grid), and
    ``curvature`` is the secant curvature ``c(r)`` at the start of that wall."""

    inner_radius: float
    rim_radius: float
    curvature: float


@dataclass(frozen=True)
class ScaleProfile:
    """A wide-range slice along one direction and its curvature profile.

    ``radii`` (log grid), ``loss_plus``/``loss_minus`` = ``L(theta +- r d)``,
    ``loss0 = L(theta)``, ``curvature`` = ``c(r)``, ``exponent`` = ``s(r)`` (NaN where
    ``dL <= 0``), ``wells`` from :func:`locate_wells`.
    """

    name: str
    radii: np.ndarray
    loss_plus: np.ndarray
    loss_minus: np.ndarray
    loss0: float
    curvature: np.ndarray
    exponent: np.ndarray
    wells: tuple[Well, ...]
    direction_norm: float

    def __post_init__(self) -> None:
        for f in ("radii", "loss_plus", "loss_minus", "curvature", "exponent"):
            object.__setattr__(self, f, _frozen(getattr(self, f)))

    @property
    def separate_scales(self) -> bool:
        """At least two wells: a sharp well inside a flatter one."""
        return len(self.wells) >= 2

    @property
    def scale_ratio(self) -> float | None:
        """Ratio of the curvatures of the innermost and the next well."""
        if len(self.wells) < 2:
            return None
        return self.wells[0].curvature / self.wells[1].curvature

    def summary(self) -> dict:
        return {
            "direction": self.name,
            "n_wells": len(self.wells),
            "separate_scales": self.separate_scales,
            "wells": [
                {"inner_radius": w.inner_radius,
                 "rim_radius": None if np.isinf(w.rim_radius) else w.rim_radius,
                 "curvature": w.curvature} for w in self.wells
            ],
            "curvature_ratio_inner_to_next": self.scale_ratio,
            "curvature_min_radius": float(self.curvature[0]),
            "curvature_max_radius": float(self.curvature[-1]),
        }


def local_exponent(radii, rise) -> np.ndarray:
    """``d log rise / d log r`` by centred differences on a log grid (NaN where rise <= 0)."""
    r = np.asarray(radii, dtype=np.float64)
    y = np.asarray(rise, dtype=np.float64)
    logy = np.where(y > 0, np.log(np.where(y > 0, y, 1.0)), np.nan)
    return np.gradient(logy, np.log(r))


def locate_wells(radii, rise, *, high: float = 1.5, low: float = 0.75) -> tuple[Well, ...]:
    """Walls and rims of a slice's rise ``dL(r)`` over a log grid of radii.

    A wall is a run of radii where the local exponent ``s(r) >= high`` (the loss rises
    at least like ``r^high``); it ends at the rim, the first later radius with
    ``s(r) <= low`` (the loss levels off).  Each wall-then-rim (or a wall reaching the
    end of the grid) is a :class:`Well`.  Two or more wells: separate scales.
    """
    r = np.asarray(radii, dtype=np.float64)
    y = np.asarray(rise, dtype=np.float64)
    if r.ndim != 1 or r.shape != y.shape or len(r) < 5 or np.any(np.diff(r) <= 0) or r[0] <= 0:
        raise ExperimentError("radii: need >= 5 increasing positive radii with one rise each")
    if not 0 < low < high:
        raise ExperimentError(f"low={low}, high={high}: need 0 < low < high")
    s = local_exponent(r, y)
    wells: list[Well] = []
    i, n = 0, len(r)
    while i < n:
        if np.isfinite(s[i]) and s[i] >= high:
            start = i
            j = i
            while j < n and not (np.isfinite(s[j]) and s[j] <= low):
                j += 1
            rim = float(r[j]) if j < n else float("inf")
            wells.append(Well(float(r[start]), rim, float(2 * y[start] / r[start] ** 2)))
            i = j + 1
        else:
            i += 1
    return tuple(wells)


def radius_range(r_min, r_max, n_radii) -> tuple[float, float, int]:
    """The radii of a scale profile: 0 < r_min < r_max, n_radii >= 5 (checked before runs)."""
    r_min = v.positive_real("r_min", r_min, error=ExperimentError)
    r_max = v.positive_real("r_max", r_max, error=ExperimentError)
    if r_max <= r_min:
        raise ExperimentError(f"r_max={r_max}: must exceed r_min={r_min}")
    n_radii = v.whole_number("n_radii", n_radii, minimum=5, error=ExperimentError)
    return r_min, r_max, n_radii


@torch.no_grad()
def scale_profile(loss: Objective, theta: torch.Tensor, direction: torch.Tensor, *,
                  name: str = "direction", r_min: float = 1e-4, r_max: float = 10.0,
                  n_radii: int = 61, high: float = 1.5, low: float = 0.75) -> ScaleProfile:
    """The slice ``L(theta +- r d)`` on ``n_radii`` log-spaced radii in ``[r_min, r_max]``
    and its curvature profile (see module docstring)."""
    theta = loss.check_vector("theta", theta).detach()
    direction = loss.check_vector("direction", direction).detach()
    r_min, r_max, n_radii = radius_range(r_min, r_max, n_radii)
    if float(direction.norm()) == 0.0:
        raise ExperimentError(f"direction {name!r}: is the zero vector")
    radii = np.geomspace(r_min, r_max, n_radii)
    loss0 = loss.value(theta)
    plus = np.array([loss.value(theta + float(r) * direction) for r in radii])
    minus = np.array([loss.value(theta - float(r) * direction) for r in radii])
    if not (np.all(np.isfinite(plus)) and np.all(np.isfinite(minus))):
        raise ExperimentError(f"r_max={r_max}: the loss overflows on the slice along {name!r}")
    rise = 0.5 * (plus + minus) - loss0
    curvature = 2 * rise / radii**2
    exponent = local_exponent(radii, rise)
    wells = locate_wells(radii, rise, high=high, low=low)
    return ScaleProfile(name, radii, plus, minus, loss0, curvature, exponent, wells,
                        float(direction.norm()))


@dataclass(frozen=True)
class ScalesResult:
    """Experiment 3: curvature profiles along the gradient and random directions."""

    profiles: tuple[ScaleProfile, ...]
    theta_norm: float

    @property
    def separate_scales(self) -> bool:
        """Some direction shows a sharp well inside a flatter well."""
        return any(p.separate_scales for p in self.profiles)

    def summary(self) -> dict:
        return {"experiment": "scales", "separate_scales": self.separate_scales,
                "theta_norm": self.theta_norm,
                "profiles": [p.summary() for p in self.profiles]}


def separate_scales(loss: Objective, theta: torch.Tensor, layout: ParamLayout, *,
                    n_random: int = 2, seed: int = 0, r_min: float = 1e-4, r_max: float = 10.0,
                    n_radii: int = 61) -> ScalesResult:
    """Experiment 3 at ``theta``: profiles along the filter-normalised gradient and
    ``n_random`` filter-normalised Gaussian directions (seeded)."""
    n_random = v.whole_number("n_random", n_random, minimum=0, error=ExperimentError)
    radius_range(r_min, r_max, n_radii)
    theta = loss.check_vector("theta", theta).detach()
    g = loss.grad(theta)
    if float(g.norm()) == 0.0:
        raise ExperimentError("theta: the gradient vanishes; no gradient direction")
    dirs = [("gradient", filter_normalise(g, theta, layout))]
    dirs += [(f"random {i}", random_direction(theta, layout, seed + i)) for i in range(n_random)]
    profiles = tuple(scale_profile(loss, theta, d, name=n, r_min=r_min, r_max=r_max,
                                   n_radii=n_radii) for n, d in dirs)
    return ScalesResult(profiles, float(theta.norm()))
