"""Loss surfaces along filter-normalised random directions (Li et al. 2018), 1-D and 2-D.

``L(theta + a d1)`` on a line, or ``L(theta + a d1 + b d2)`` on a square grid, with ``d1``,
``d2`` seeded Gaussian directions filter-normalised as in Li et al.'s reference code
(``net_plotter.normalize_directions_for_weights``): every filter (slice along the first
axis of a parameter with >= 2 dimensions) of ``d`` is rescaled to the norm of the same
filter of ``theta``.  For parameters with <= 1 dimension (biases, norm scales) their code
offers two choices, and so does ``bias`` here:

* ``bias="zero"`` (default; their ``--xignore biasbn``, used in their published plots):
  the direction is zero there, biases stay fixed;
* ``bias="copy"`` (their default without ``ignore``): the direction equals ``theta``
  there, ``d_b = b``.

:func:`plot_surface` draws the 1-D curve, or the 2-D surface (3-D) beside its contours.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from empirical._device import generator
from empirical._objective import Objective
from empirical._params import ParamLayout
from empirical._scales import filter_normalise
from empirical.errors import ExperimentError
from theory import validation as val

BIAS_CHOICES = ("zero", "copy")


def li_direction(theta: torch.Tensor, layout: ParamLayout, seed: int, *,
                 bias: str = "zero") -> torch.Tensor:
    """A seeded Gaussian direction, filter-normalised against ``theta`` (module docstring)."""
    val.choice("bias", bias, BIAS_CHOICES, error=ExperimentError)
    gen = generator(val.seed(seed, error=ExperimentError), theta.device)
    d = torch.randn(theta.shape, generator=gen, dtype=theta.dtype, device=theta.device)
    out = filter_normalise(d, theta, layout, ignore_1d=True)
    if bias == "copy":
        for _, sl, shape in layout.block_slices():
            if len(shape) <= 1:
                out[sl] = theta[sl]
    return out


@dataclass(frozen=True)
class LossSurface:
    """``losses[i]`` at ``theta + alphas[i] d1`` (1-D) or ``losses[i, j]`` at
    ``theta + alphas[i] d1 + betas[j] d2`` (2-D); ``loss0 = L(theta)``."""

    alphas: np.ndarray
    betas: np.ndarray | None
    losses: np.ndarray
    loss0: float
    seed: int
    bias: str

    @property
    def dims(self) -> int:
        return 1 if self.betas is None else 2

    def summary(self) -> dict:
        return {"dims": self.dims, "span": float(self.alphas[-1]), "n_points": len(self.alphas),
                "loss0": self.loss0, "min_loss": float(np.min(self.losses)),
                "max_loss": float(np.max(self.losses)), "seed": self.seed, "bias": self.bias}


@torch.no_grad()
def loss_surface(objective: Objective, theta: torch.Tensor, layout: ParamLayout, *,
                 dims: int = 2, span: float = 1.0, n_points: int = 21, seed: int = 0,
                 bias: str = "zero") -> LossSurface:
    """The loss on ``[-span, span]`` (``n_points`` per axis) along ``dims`` filter-normalised
    random directions (seeds ``seed`` and ``seed + 1``)."""
    if dims not in (1, 2):
        raise ExperimentError(f"dims={dims!r}: must be 1 or 2")
    span = val.positive_real("span", span, error=ExperimentError)
    n_points = val.whole_number("n_points", n_points, minimum=3, error=ExperimentError)
    from theory.limits import check_bound

    check_bound("--n-points", n_points, bytes_scale=n_points ** (dims - 1),
                seconds_scale=n_points ** (dims - 1), name="n_points")
    theta = objective.check_vector("theta", theta).detach()
    grid = np.linspace(-span, span, n_points)
    d1 = li_direction(theta, layout, seed, bias=bias)
    loss0 = objective.value(theta)
    if dims == 1:
        losses = np.array([objective.value(theta + float(a) * d1) for a in grid])
        return LossSurface(grid, None, losses, loss0, seed, bias)
    d2 = li_direction(theta, layout, seed + 1, bias=bias)
    losses = np.array([[objective.value(theta + float(a) * d1 + float(b) * d2) for b in grid]
                       for a in grid])
    return LossSurface(grid, grid.copy(), losses, loss0, seed, bias)


def plot_surface(surface: LossSurface, path, *, title: str = ""):
    """The 1-D curve, or the 2-D surface (3-D view) beside its contour plot; returns the
    path of the saved PNG/PDF."""
    from empirical._plots import _plt, _save

    plt = _plt()
    if surface.dims == 1:
        fig, ax = plt.subplots(figsize=(5, 3.6))
        ax.plot(surface.alphas, surface.losses, color="tab:blue")
        ax.set_xlabel("α (filter-normalised direction)")
        ax.set_ylabel("loss")
    else:
        fig = plt.figure(figsize=(10, 4.2))
        a, b = np.meshgrid(surface.alphas, surface.betas, indexing="ij")
        ax3 = fig.add_subplot(1, 2, 1, projection="3d")
        ax3.plot_surface(a, b, surface.losses, cmap="viridis", linewidth=0)
        ax3.set_xlabel("α")
        ax3.set_ylabel("β")
        ax3.set_zlabel("loss")
        ax = fig.add_subplot(1, 2, 2)
        cs = ax.contour(a, b, surface.losses, levels=20, cmap="viridis")
        ax.clabel(cs, fontsize=6)
        ax.plot([0], [0], "k+")
        ax.set_xlabel("α")
        ax.set_ylabel("β")
    fig.suptitle(title or f"loss along filter-normalised random directions (bias={surface.bias})",
                 fontsize=10)
    return _save(fig, path)
