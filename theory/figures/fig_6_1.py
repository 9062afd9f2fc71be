"""Fig. 6.1: multiscale losses made by the Section 6 network.

Left: the empirical loss of 3 inputs at different magnitudes (separate scales) and the
population loss (6.2) for inputs uniform on [0, C] (subquadratic growth).  Right: the 2-D
loss l(w1) + l(10 w2) of the two-output network (two valleys at two scales).
The paper does not list its three inputs; we use 1, 10 and 100 (one decade apart).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

import numpy as np

from theory import catalog
from theory.figures._claims import Claim
from theory.plotting import pyplot, save_figure


@dataclass(frozen=True)
class Fig61:
    data: tuple[float, ...]
    C: float
    w: np.ndarray
    empirical: np.ndarray
    population: np.ndarray
    curvature_levels: tuple[float, ...]  # the curvatures 2/n sum_{i<=k} x_i^2 of the pieces
    surface_w: np.ndarray
    surface: np.ndarray


def compute(data: Sequence[float] = (1.0, 10.0, 100.0), C: float = 3.0, k: float = 10.0
            ) -> Fig61:
    empirical = catalog.empirical_loss(data)
    population = catalog.f2(C)
    w = np.concatenate([-np.geomspace(2, 1e-4, 400), [0.0], np.geomspace(1e-4, 2, 400)])
    xs = np.sort(np.asarray(data, dtype=float))
    levels = tuple(float(2 * np.sum(xs[:j] ** 2) / len(xs)) for j in range(len(xs), 0, -1))
    two_d = catalog.two_layer_two_valley(population, k)
    sw = np.linspace(-1.5, 1.5, 121)
    surface = two_d.value(np.stack(np.meshgrid(sw, sw), axis=-1))
    return Fig61(tuple(float(x) for x in data), float(C), w, empirical.f(w), population.f(w),
                 levels, sw, surface)


def plot(data: Fig61, out_dir: str | Path, *, pdf: bool = False) -> list[Path]:
    fig = pyplot().figure(figsize=(12, 4.5))
    left = fig.add_subplot(1, 2, 1)
    right = fig.add_subplot(1, 2, 2, projection="3d")
    inputs = ", ".join(f"{x:g}" for x in data.data)
    left.plot(data.w, data.empirical, label=f"empirical, inputs {inputs}")
    left.plot(data.w, data.population, label=f"population, uniform on [0, {data.C:g}] (6.2)")
    left.set_xscale("symlog", linthresh=1e-3)
    left.set_xlabel("$w$")
    left.set_ylabel("$L(w)$")
    left.legend(fontsize=8)
    left.set_title("separate scales vs. a continuum of scales")
    W1, W2 = np.meshgrid(data.surface_w, data.surface_w)
    right.plot_surface(W1, W2, data.surface, cmap="viridis", linewidth=0)
    right.set_xlabel("$w_1$")
    right.set_ylabel("$w_2$")
    right.set_title("$l(w_1) + l(10 w_2)$: two valleys")
    fig.suptitle("Fig. 6.1: multiscale losses from the Section 6 network")
    return save_figure(fig, Path(out_dir) / "fig_6_1", pdf=pdf)


def claims(data: Fig61) -> list[Claim]:
    """Separate scales: the curvature of consecutive quadratic pieces differs by at least a
    factor 10 for inputs a decade apart."""
    levels = data.curvature_levels
    ratios = [a / b for a, b in pairwise(levels)]
    positive = data.w > 0
    secant = data.population[positive] / data.w[positive] ** 2  # L(w)/w^2, Section 4.1's h/2
    rise = float(np.max(np.diff(secant) / secant[:-1]))
    subquadratic = Claim.tested(
        "Fig. 6.1 left, (6.2)", "a continuum of input magnitudes gives a subquadratic "
        "population loss", f"L(w)/w^2 falls from {secant[0]:.4g} to {secant[-1]:.4g} on "
        f"(0, {data.w[-1]:g}], largest relative rise {rise:.1e}",
        holds=rise <= 1e-12 and secant[-1] < 0.5 * secant[0],
        criterion="L(w)/w^2 non-increasing in w > 0 (rise <= 1e-12) and halves",
        numbers={"secant_at_smallest_w": float(secant[0]), "secant_at_largest_w":
                 float(secant[-1]), "largest_relative_rise": rise})
    return [subquadratic, Claim.tested(
        "Fig. 6.1, Section 6", "inputs at different magnitudes give separate scales",
        "curvatures of the quadratic pieces " + ", ".join(f"{c:.4g}" for c in levels),
        holds=all(r >= 10 for r in ratios),
        criterion="consecutive curvatures differ by a factor >= 10",
        numbers={"min_ratio": min(ratios), **{f"curvature_{j}": c for j, c in
                                              enumerate(levels)}})]
