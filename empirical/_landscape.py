"""Loss surfaces along filter-normalised random directions (Li et al. 2018), 1-D and 2-D.

``L(theta + a d1)`` on a line, or ``L(theta + a d1 + b d2)`` on a square grid (every point
exactly ``np.linspace`` grid values times the directions: loss-landscapes 3.0.6's
``random_plane`` walks the grid by in-place steps that shift every other column by one
step), with ``d1``,
``d2`` seeded Gaussian directions filter-normalised as in Li et al.'s reference code
(``net_plotter.normalize_directions_for_weights``): every filter (slice along the first
axis of a parameter with >= 2 dimensions) of ``d`` is rescaled to the norm of the same
filter of ``theta``.  For parameters with <= 1 dimension (biases, norm scales) their code
offers two choices, and so does ``bias`` here:

* ``bias="zero"`` (default; their ``--xignore biasbn``, used in their published plots):
  the direction is zero there, biases stay fixed;
* ``bias="copy"`` (their default without ``ignore``): the direction equals ``theta``
  there, ``d_b = b``.

Custom directions (``directions=``) and the segment between two models
(:func:`interpolate`) use the same evaluation: a private copy of the model whose
parameters are views into one flat buffer, one copy and a plain forward per point.
:func:`plot_surface` draws the 1-D curve, or the 2-D surface (3-D) beside its contours.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from empirical._device import generator
from empirical._inputs import default_forward
from empirical._objective import Objective
from empirical._params import ParamLayout
from empirical._scales import filter_normalise
from empirical._user_objective import UserObjective
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
    """``losses[i]`` at ``origin + alphas[i] d1`` (1-D) or ``losses[i, j]`` at
    ``origin + alphas[i] d1 + betas[j] d2`` (2-D); ``loss0 = L(origin)``; ``directions`` are
    the rows ``d1`` (, ``d2``) used (flat, in the objective's parameter order);
    ``kind`` is ``"random"`` (filter-normalised, seeded), ``"custom"`` or
    ``"interpolation"`` (``d1`` = second model - first, ``origin`` the first)."""

    alphas: np.ndarray
    betas: np.ndarray | None
    losses: np.ndarray
    loss0: float
    seed: int
    bias: str
    directions: torch.Tensor | None = None
    kind: str = "random"

    @property
    def dims(self) -> int:
        return 1 if self.betas is None else 2

    def summary(self) -> dict:
        return {"dims": self.dims, "kind": self.kind, "span": float(self.alphas[-1]),
                "n_points": len(self.alphas), "loss0": self.loss0,
                "min_loss": float(np.min(self.losses)), "max_loss": float(np.max(self.losses)),
                "seed": self.seed, "bias": self.bias}


class _Evaluator:
    """``L(theta)`` for many ``theta`` of a :class:`UserObjective`, as a context: the
    model's selected parameters are views into one flat buffer, so a point costs one copy
    into the buffer and a plain forward pass per batch (no ``functional_call``); other
    objectives go through ``objective.value``.

    When the model's floating tensors are already in the objective's dtype, its selected
    parameters' ``.data`` are swapped for the views for the duration of the context and
    swapped back on leaving it (also on an error): no copy of the model, which weighed
    as much as 21 points of a small network.  Otherwise a private copy (a deepcopy whose
    selected parameters are the views, the other tensors cast to the dtype) is used."""

    def __init__(self, objective: Objective):
        self.objective = objective
        self.flat: torch.Tensor | None = None
        self._swapped: list[tuple[torch.Tensor, torch.Tensor]] = []
        self._modes: list[tuple[nn.Module, bool]] = []

    def __enter__(self) -> _Evaluator:
        objective = self.objective
        if not isinstance(objective, UserObjective):
            return self
        dtype, model = objective.dtype, objective.model
        self.call = default_forward if objective.forward is None else objective.forward
        self.flat = torch.zeros(objective.dim, dtype=dtype, device=objective.device)
        views = objective.layout.unflatten(self.flat)
        own = [*model.parameters(), *model.buffers()]
        if all(t.dtype == dtype for t in own if t.is_floating_point()):
            params = dict(model.named_parameters())
            for name, view in views.items():
                self._swapped.append((params[name], params[name].data))
                params[name].data = view
            self.model = model
        else:
            self.model = self._private_copy(model, views, dtype)
        if objective.eval_mode:
            self._modes = [(m, m.training) for m in self.model.modules()]
            self.model.eval()
        return self

    def __exit__(self, *exc) -> None:
        for p, data in self._swapped:
            p.data = data
        for m, flag in self._modes:
            m.training = flag
        self._swapped, self._modes = [], []

    @staticmethod
    def _private_copy(model: nn.Module, views: dict[str, torch.Tensor],
                      dtype: torch.dtype) -> nn.Module:
        def own(t: torch.Tensor) -> torch.Tensor:
            t = t.detach()
            return t.to(dtype, copy=True) if t.is_floating_point() else t.clone()

        # deepcopy with the tensors given (memo): the selected parameters are views of
        # flat (their values are never copied), the others and the buffers copies in dtype
        memo: dict[int, object] = {}
        for name, p in model.named_parameters():
            memo[id(p)] = nn.Parameter(views[name] if name in views else own(p),
                                       requires_grad=False)
        for b in model.buffers():
            memo[id(b)] = own(b)
        return copy.deepcopy(model, memo)

    def __call__(self, theta: torch.Tensor) -> float:
        if self.flat is None:
            return self.objective.value(theta)
        if theta is not self.flat:
            self.flat.copy_(theta)
        obj = self.objective
        assert isinstance(obj, UserObjective)  # flat is set only for one
        total = 0.0
        # the exact full-batch weights (empirical._criterion), as UserObjective.value
        for (x, y), weight in zip(obj.batches, obj.weights, strict=True):
            if weight != 0.0:
                total += weight * float(obj.criterion(self.call(self.model, x), y))
        return total


@torch.no_grad()
def evaluate_grid(objective: Objective, origin: torch.Tensor, d1: torch.Tensor, alphas,
                  d2: torch.Tensor | None = None, betas=None) -> np.ndarray:
    """The loss at ``origin + a d1`` (or ``+ b d2``) for every grid value ``a`` (``b``):
    each point is built from ``origin`` (no accumulated steps), so every point lies exactly
    on the grid."""
    # the model needs no autograd at all: inference mode (same numbers, ~4% less time per
    # point than no_grad); other objectives keep no_grad (their value may use autograd)
    with _Evaluator(objective) as evaluate, torch.inference_mode(evaluate.flat is not None):
        # each point is written straight into the model's buffer when there is one
        point = torch.empty_like(origin) if evaluate.flat is None else evaluate.flat
        if d2 is None:
            return np.array([evaluate(torch.add(origin, d1, alpha=float(a), out=point))
                             for a in alphas])
        out = np.empty((len(alphas), len(betas)))
        for i, a in enumerate(alphas):
            row = origin + float(a) * d1
            for j, b in enumerate(betas):
                out[i, j] = evaluate(torch.add(row, d2, alpha=float(b), out=point))
    return out


def _as_direction(objective: Objective, layout: ParamLayout, d, name: str) -> torch.Tensor:
    if isinstance(d, dict):
        missing = [n for n in layout.names if n not in d]
        if missing:
            raise ExperimentError(f"{name}: misses the parameter(s) {', '.join(missing[:4])}")
        d = torch.cat([torch.as_tensor(d[n]).reshape(-1) for n in layout.names])
    d = torch.as_tensor(d).to(dtype=objective.dtype, device=objective.device)
    d = objective.check_vector(name, d)
    if not torch.isfinite(d).all():
        raise ExperimentError(f"{name}: has non-finite entries")
    return d


def loss_surface(objective: Objective, theta: torch.Tensor, layout: ParamLayout, *,
                 dims: int = 2, span: float = 1.0, n_points: int = 21, seed: int = 0,
                 bias: str = "zero", directions=None) -> LossSurface:
    """The loss on ``[-span, span]`` (``n_points`` per axis, ``np.linspace``) along ``dims``
    filter-normalised random directions (seeds ``seed`` and ``seed + 1``), or along the
    given ``directions`` (one or two flat vectors or ``{name: tensor}`` dicts; ``dims`` is
    then their number).  The directions used are returned in ``.directions``."""
    span = val.positive_real("span", span, error=ExperimentError)
    n_points = val.whole_number("n_points", n_points, minimum=3, error=ExperimentError)
    from theory.limits import check_bound

    check_bound("--n-points", n_points, bytes_scale=n_points ** (dims - 1),
                seconds_scale=n_points ** (dims - 1), name="n_points")
    theta = objective.check_vector("theta", theta).detach()
    grid = np.linspace(-span, span, n_points)
    if directions is not None:
        if (isinstance(directions, torch.Tensor) and directions.ndim == 1) or isinstance(
                directions, dict):
            directions = [directions]
        directions = list(directions)
        if len(directions) not in (1, 2):
            raise ExperimentError(f"directions: {len(directions)} given; pass one or two")
        ds = [_as_direction(objective, layout, d, f"directions[{i}]")
              for i, d in enumerate(directions)]
        kind = "custom"
    else:
        if dims not in (1, 2):
            raise ExperimentError(f"dims={dims!r}: must be 1 or 2")
        ds = [li_direction(theta, layout, seed + i, bias=bias) for i in range(dims)]
        kind = "random"
    loss0 = objective.value(theta)
    if len(ds) == 1:
        losses = evaluate_grid(objective, theta, ds[0], grid)
        return LossSurface(grid, None, losses, loss0, seed, bias, torch.stack(ds), kind)
    losses = evaluate_grid(objective, theta, ds[0], grid, ds[1], grid)
    return LossSurface(grid, grid.copy(), losses, loss0, seed, bias, torch.stack(ds), kind)


def interpolate(model_a, model_b, criterion, data, *, n_points: int = 21,
                extend: float = 0.0, **kwargs) -> LossSurface:
    """The loss along the segment from ``model_a``'s parameters to ``model_b``'s
    (``alphas`` from ``-extend`` to ``1 + extend``; 0 is ``model_a``, 1 is ``model_b``),
    the models being two copies of one architecture; ``kwargs`` as for
    :func:`empirical.hessian` (``params``, ``dtype``, ``eval_mode``, ...)."""
    from empirical._user_objective import UserObjective

    n_points = val.whole_number("n_points", n_points, minimum=2, error=ExperimentError)
    extend = val.real("extend", extend, minimum=0.0, error=ExperimentError)
    obj_a = UserObjective(model_a, criterion, data, **kwargs)
    names_b = dict(model_b.named_parameters())
    missing = [n for n in obj_a.layout.names if n not in names_b]
    if missing:
        raise ExperimentError(f"model_b: lacks the parameter(s) {', '.join(missing[:4])} of "
                              "model_a (two copies of one architecture are needed)")
    params_b = [names_b[n] for n in obj_a.layout.names]
    wrong = [n for n, p, shape in zip(obj_a.layout.names, params_b, obj_a.layout.shapes,
                                      strict=True) if tuple(p.shape) != shape]
    if wrong:
        raise ExperimentError(f"model_b: its parameter(s) {', '.join(wrong[:4])} differ in "
                              "shape from model_a's")
    theta_a = obj_a.theta0
    theta_b = torch.cat([p.detach().reshape(-1).to(obj_a.dtype).to(obj_a.device)
                         for p in params_b])
    grid = np.linspace(-extend, 1.0 + extend, n_points)
    d = theta_b - theta_a
    losses = evaluate_grid(obj_a, theta_a, d, grid)
    at_a = np.flatnonzero(grid == 0.0)
    loss0 = float(losses[at_a[0]]) if at_a.size else obj_a.value(theta_a)
    return LossSurface(grid, None, losses, loss0, 0, "zero", d[None, :], "interpolation")


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
        a, b = np.meshgrid(surface.alphas, np.asarray(surface.betas), indexing="ij")
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
