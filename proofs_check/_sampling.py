"""Numerical probes of multi-dimensional landscapes (Definition 4.1, Theorem 4.3).

In more than one dimension the checks are numerical (never certified): the landscape is
sampled on spheres of radii 10^-3 ... 10^6 around its minimum, along many directions
(clustered near the coordinate axes and diagonals, where e.g. the angle condition of
Definition 4.1 degenerates for sums of 1-D losses), and along random lines (continuity).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

#: radii of the sampled spheres, relative to the landscape's scale
RADII = np.geomspace(1e-3, 1e6, 46)


def directions(dim: int, seed: int, count: int = 720) -> np.ndarray:
    """Unit vectors: a uniform set plus directions within 1e-10 ... 1e-1 rad of the
    coordinate axes and diagonals (2-D), or random ones plus near-axis ones (d > 2)."""
    if dim == 1:
        return np.array([[1.0], [-1.0]])
    if dim == 2:
        angles = list(np.linspace(0.0, 2 * np.pi, count, endpoint=False))
        offsets = np.geomspace(1e-10, 1e-1, 19)
        for k in range(8):
            base = k * np.pi / 4
            angles += list(base + offsets) + list(base - offsets)
        a = np.array(angles)
        return np.stack([np.cos(a), np.sin(a)], axis=1)
    rng = np.random.default_rng(seed)
    vectors = [rng.standard_normal((count, dim))]
    eye = np.eye(dim)
    vectors.append(np.concatenate([eye, -eye]))
    for delta in np.geomspace(1e-10, 1e-1, 10):
        for i in range(dim):
            j = (i + 1) % dim
            vectors.append(np.stack([eye[i] + delta * eye[j], eye[i] - delta * eye[j]]))
    out = np.concatenate(vectors)
    return out / np.linalg.norm(out, axis=1, keepdims=True)


@dataclass(frozen=True)
class ShellSamples:
    """Points x* + r u on spheres: ``radius`` (S,), ``points`` (S, M, d), ``gradient``
    (S, M, d) with NaN rows where the gradient is not finite (outside the domain)."""

    center: np.ndarray
    radius: np.ndarray
    points: np.ndarray
    gradient: np.ndarray

    @property
    def finite(self) -> np.ndarray:
        return np.all(np.isfinite(self.gradient), axis=-1)

    @property
    def gradient_norm(self) -> np.ndarray:
        return np.linalg.norm(self.gradient, axis=-1)

    @property
    def cosine(self) -> np.ndarray:
        """grad f . (x - x*) / (|grad f| |x - x*|); NaN where the gradient is 0 or not finite."""
        offset = self.points - self.center
        norm = self.gradient_norm * np.linalg.norm(offset, axis=-1)
        with np.errstate(all="ignore"):
            cos = np.sum(self.gradient * offset, axis=-1) / norm
        return np.where(np.isfinite(cos) & (norm > 0), cos, np.nan)


def sample_shells(gradient: Callable[[np.ndarray], np.ndarray], center: np.ndarray,
                  radii: np.ndarray, units: np.ndarray) -> ShellSamples:
    points = center + radii[:, None, None] * units[None, :, :]
    flat = points.reshape(-1, points.shape[-1])
    with np.errstate(all="ignore"):
        g = np.asarray(gradient(flat), dtype=float).reshape(points.shape)
    g = np.where(np.all(np.isfinite(g), axis=-1, keepdims=True), g, np.nan)
    return ShellSamples(center, radii, points, g)


@dataclass(frozen=True)
class ContinuityProbe:
    """The largest jump of a vector function between neighbouring points of random lines
    (spacing 8 scale/4000), and the largest jump after refining 1000-fold around it: a
    jump that does not shrink with the spacing is a discontinuity."""

    coarse_jump: float
    refined_jump: float
    location: tuple[float, ...]
    lines: int
    magnitude: float

    @property
    def discontinuous(self) -> bool:
        return (self.refined_jump > 0.5 * self.coarse_jump
                and self.refined_jump > 1e-6 * (1.0 + self.magnitude))


def probe_continuity(func: Callable[[np.ndarray], np.ndarray], center: np.ndarray,
                     scale: float, seed: int, lines: int = 12) -> ContinuityProbe:
    """Probe ``func`` (points (N, d) -> values (N, k)) for jumps along random lines."""
    rng = np.random.default_rng(seed)
    dim = center.shape[0]
    worst: ContinuityProbe | None = None
    for _ in range(lines):
        start = center + scale * rng.uniform(-2, 2, dim)
        direction = rng.standard_normal(dim)
        direction = direction / float(np.linalg.norm(direction))
        t = np.linspace(-4 * scale, 4 * scale, 4001)
        values = _values(func, start + t[:, None] * direction)
        jumps = np.linalg.norm(np.diff(values, axis=0), axis=-1)
        if not np.isfinite(jumps).any():
            continue
        i = int(np.nanargmax(jumps))
        fine = np.linspace(t[i], t[i + 1], 1001)
        fine_jumps = np.linalg.norm(np.diff(_values(func, start + fine[:, None] * direction),
                                            axis=0), axis=-1)
        if not np.isfinite(fine_jumps).any():
            continue
        j = int(np.nanargmax(fine_jumps))
        magnitude = float(np.nanmedian(np.linalg.norm(values, axis=-1)))
        probe = ContinuityProbe(float(jumps[i]), float(fine_jumps[j]),
                                tuple(float(v) for v in start + fine[j] * direction), lines,
                                magnitude)
        if worst is None or probe.refined_jump / max(probe.coarse_jump, 1e-300) > \
                worst.refined_jump / max(worst.coarse_jump, 1e-300):
            worst = probe
    return worst or ContinuityProbe(0.0, 0.0, tuple(center), lines, 0.0)


def _values(func, points: np.ndarray) -> np.ndarray:
    with np.errstate(all="ignore"):
        out = np.asarray(func(points), dtype=float)
    return out.reshape(points.shape[0], -1)
