"""Gauss-Newton and Fisher matrices of the user's network, beside the Hessian.

With ``f_b(theta)`` the outputs of batch ``b``, ``J_b`` their Jacobian and the full-batch
loss ``L = sum_b w_b l_b(f_b)`` (``w_b = |b| / n`` for a mean-reduced criterion):

* :class:`GGN` -- ``G = sum_b w_b J_b^T H_b J_b`` with ``H_b`` the Hessian of the batch
  loss with respect to the outputs (any criterion; by autograd, exactly);
* :class:`Fisher` -- for a likelihood loss, ``L = sum_i c_i l_i`` with ``l_i`` the
  negative log-likelihood of example ``i``: ``F = sum_i c_i J_i^T E_y[g_i g_i^T] J_i``,
  ``g_i = d l_i(f_i, y) / d f_i`` with ``y`` drawn from the model's own predictive
  distribution.  ``mc_samples=None``: the expectation exactly (``diag(p) - p p^T`` for
  cross-entropy, ``2 s I`` for the squared error ``s ||f - t||^2``; then ``F = G``, the
  classical identity for these losses); ``mc_samples=M``: ``M`` seeded draws per example
  (curvlinops' ``FisherMCLinearOperator``; the draws are kept in ``samples``);
* :class:`EmpiricalFisher` -- the same with the data's own targets in place of the
  draws: ``sum_i c_i grad l_i grad l_i^T``.

Likelihoods: cross-entropy (``"ce"``, ``nn.CrossEntropyLoss`` without weights or label
smoothing; ``y ~ Categorical(softmax f)``) and squared error (``"mse"``: ``s = 1/2``,
``c_i = 1/n``; ``nn.MSELoss``: ``s = 1``, ``c_i = 1/(n d)`` for ``d`` outputs per example
with ``reduction="mean"``, ``1`` with ``"sum"``; ``t ~ N(f, I / (2 s))``).

Products are ``J^T (A (J v))``: ``J v`` by the double-vjp trick and ``J^T u`` by one vjp,
both through each batch's outputs graph, built once per object and retained (when the
memory budget allows; otherwise rebuilt per product).
"""

from __future__ import annotations

import math

import torch
from torch import nn

from empirical._device import generator
from empirical._operator import CurvatureOperator, Matvec
from empirical._user_objective import DEFAULT_MEMORY_BYTES, UserObjective
from empirical.errors import CurvatureError
from theory import validation as val


class _OutputSpace(CurvatureOperator):
    """``v -> sum_b J_b^T A_b (J_b v)``; subclasses give ``A_b`` (:meth:`_outer`)."""

    def _linearise(self, x):
        """``(out, jvp, vjp)`` of the outputs of batch ``x`` at ``theta``."""
        with torch.enable_grad():
            leaf = self.theta.detach().requires_grad_(True)
            out = self.objective.outputs(leaf, x)
            dummy = torch.zeros_like(out, requires_grad=True)
            (jt_dummy,) = torch.autograd.grad(out, leaf, dummy, create_graph=True,
                                              materialize_grads=True)

        def jvp(v: torch.Tensor) -> torch.Tensor:
            (jv,) = torch.autograd.grad(jt_dummy, dummy, v, retain_graph=True,
                                        materialize_grads=True)
            return jv

        def vjp(u: torch.Tensor) -> torch.Tensor:
            (g,) = torch.autograd.grad(out, leaf, u, retain_graph=True,
                                       materialize_grads=True)
            return g

        return out.detach(), jvp, vjp

    def _outer(self, index: int, out: torch.Tensor, y) -> Matvec:  # pragma: no cover
        raise NotImplementedError

    def _build(self) -> Matvec:
        retain = self.objective.retain_graphs()
        batches = self.objective.batches
        cached = []
        if retain:
            for i, (x, y) in enumerate(batches):
                out, jvp, vjp = self._linearise(x)
                cached.append((jvp, vjp, self._outer(i, out, y)))

        def matvec(v: torch.Tensor) -> torch.Tensor:
            v = self.objective.check_vector("v", v).detach()
            total = torch.zeros_like(self.theta)
            for i, (x, y) in enumerate(batches):
                if retain:
                    jvp, vjp, outer = cached[i]
                else:
                    out, jvp, vjp = self._linearise(x)
                    outer = self._outer(i, out, y)
                total.add_(vjp(outer(jvp(v))))
            return total

        return matvec



class GGN(_OutputSpace):
    """The generalised Gauss-Newton matrix (module docstring), any criterion."""

    kind = "GGN"

    def _outer(self, index, out, y):
        obj = self.objective
        weight = out.shape[0] / obj.n if obj.reduction == "mean" else 1.0
        with torch.enable_grad():
            leaf = out.detach().requires_grad_(True)
            (grad_out,) = torch.autograd.grad(obj.criterion(leaf, y), leaf, create_graph=True)

        def outer(u: torch.Tensor) -> torch.Tensor:
            if not grad_out.requires_grad:  # a criterion linear in the outputs
                return torch.zeros_like(u)
            (hu,) = torch.autograd.grad(grad_out, leaf, u, retain_graph=True,
                                        materialize_grads=True)
            return weight * hu

        return outer


def likelihood(objective: UserObjective) -> tuple[str, float, float]:
    """``(family, s, c)`` of the objective's criterion: ``"ce"`` or ``"mse"``, the
    squared-error scale ``s`` and the per-example weight ``c`` (module docstring)."""
    crit, name, n = objective.criterion, objective.criterion_name, objective.n
    if name == "ce" or (isinstance(crit, nn.CrossEntropyLoss) and crit.weight is None
                        and crit.label_smoothing == 0.0 and crit.ignore_index < 0):
        return "ce", 0.0, 1.0 / n if objective.reduction == "mean" else 1.0
    if name == "mse":
        return "mse", 0.5, 1.0 / n
    if isinstance(crit, nn.MSELoss):
        x, _ = objective.batches[0]
        per_example = math.prod(objective.outputs(objective.theta0, x[:1]).shape[1:])
        return "mse", 1.0, 1.0 / (n * per_example) if objective.reduction == "mean" else 1.0
    raise CurvatureError(f"criterion={name}: the Fisher needs a likelihood loss "
                         "('ce', nn.CrossEntropyLoss(), 'mse' or nn.MSELoss()); the GGN "
                         "(empirical.ggn) takes any criterion")


def _targets_as_outputs(family: str, out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    if family == "mse" and not y.is_floating_point():  # "mse": one-hot labels
        return nn.functional.one_hot(y, out.shape[1]).to(out.dtype)
    return y


def _per_example_grads(family: str, s: float, out: torch.Tensor, y: torch.Tensor):
    """``d l_i / d f_i`` for targets ``y`` (labels for CE, output-shaped for MSE)."""
    if family == "ce":
        return torch.softmax(out, dim=1) - nn.functional.one_hot(y, out.shape[1]).to(out.dtype)
    return 2 * s * (out - _targets_as_outputs(family, out, y))


def _gram_outer(grads: torch.Tensor, c: float):
    """``u -> c * mean_m g_m (g_m . u)`` per example; ``grads`` is ``(M, B, ...)``."""

    def outer(u: torch.Tensor) -> torch.Tensor:
        dims = tuple(range(2, grads.ndim))
        coef = (grads * u.unsqueeze(0)).sum(dim=dims, keepdim=True) if dims else grads * u
        return c * (grads * coef).mean(dim=0)

    return outer


class Fisher(_OutputSpace):
    """The Fisher matrix, exact (``mc_samples=None``) or Monte Carlo (module docstring).

    Attributes:
        samples: the drawn targets of each batch, ``(mc_samples, batch, ...)`` (labels for
            cross-entropy, output-shaped tensors for the squared error); ``None`` when
            exact.
    """

    kind = "Fisher"

    def __init__(self, objective: UserObjective, theta: torch.Tensor | None = None, *,
                 mc_samples: int | None = None, seed: int = 0):
        super().__init__(objective, theta)
        self.family, self.scale, self.weight = likelihood(objective)
        self.mc_samples = (None if mc_samples is None else val.whole_number(
            "mc_samples", mc_samples, minimum=1, error=CurvatureError))
        self.seed = val.seed(seed, error=CurvatureError)
        self.samples: list[torch.Tensor] | None = None
        if self.mc_samples is not None:
            gen = generator(self.seed, self.device)
            self.samples = []
            with torch.no_grad():
                for x, _ in objective.batches:
                    out = objective.outputs(self.theta, x)
                    m = self.mc_samples
                    if self.family == "ce":
                        probs = torch.softmax(out, dim=1)
                        draw = torch.multinomial(probs, m, replacement=True, generator=gen).T
                    else:
                        noise = torch.randn((m, *out.shape), generator=gen, dtype=out.dtype,
                                            device=out.device)
                        draw = out + noise / math.sqrt(2 * self.scale)
                    self.samples.append(draw)

    def _outer(self, index, out, y):
        c = self.weight
        if self.samples is not None:
            draws = self.samples[index]
            grads = torch.stack([_per_example_grads(self.family, self.scale, out, d)
                                 for d in draws])
            return _gram_outer(grads, c)
        if self.family == "mse":
            return lambda u: (2 * self.scale * c) * u
        p = torch.softmax(out, dim=1)
        return lambda u: c * (p * u - p * (p * u).sum(dim=1, keepdim=True))


class EmpiricalFisher(_OutputSpace):
    """``sum_i c_i grad l_i grad l_i^T`` with the data's targets (module docstring)."""

    kind = "empirical Fisher"

    def __init__(self, objective: UserObjective, theta: torch.Tensor | None = None):
        super().__init__(objective, theta)
        self.family, self.scale, self.weight = likelihood(objective)

    def _outer(self, index, out, y):
        grads = _per_example_grads(self.family, self.scale, out, y).unsqueeze(0)
        return _gram_outer(grads, self.weight)


def _objective(model, criterion, data, **kwargs) -> UserObjective:
    return UserObjective(model, criterion, data, **kwargs)


def ggn(model, criterion, data, *, params=None, dtype=None, device=None,
        eval_mode: bool = False, batch_size: int | None = None,
        memory_bytes: int = DEFAULT_MEMORY_BYTES, **kwargs) -> GGN:
    """The generalised Gauss-Newton matrix ``J^T H_out J`` of the full-batch loss; the
    arguments are those of :func:`empirical.hessian`."""
    return GGN(_objective(model, criterion, data, params=params, dtype=dtype, device=device,
                          eval_mode=eval_mode, batch_size=batch_size,
                          memory_bytes=memory_bytes, **kwargs))


def fisher(model, criterion, data, *, mc_samples: int | None = None, seed: int = 0,
           params=None, dtype=None, device=None, eval_mode: bool = False,
           batch_size: int | None = None, memory_bytes: int = DEFAULT_MEMORY_BYTES,
           **kwargs) -> Fisher:
    """The Fisher matrix of a cross-entropy or squared-error loss: exact by default,
    ``mc_samples`` seeded draws per example otherwise (module docstring)."""
    return Fisher(_objective(model, criterion, data, params=params, dtype=dtype,
                             device=device, eval_mode=eval_mode, batch_size=batch_size,
                             memory_bytes=memory_bytes, **kwargs),
                  mc_samples=mc_samples, seed=seed)


def empirical_fisher(model, criterion, data, *, params=None, dtype=None, device=None,
                     eval_mode: bool = False, batch_size: int | None = None,
                     memory_bytes: int = DEFAULT_MEMORY_BYTES, **kwargs) -> EmpiricalFisher:
    """The empirical Fisher ``sum_i c_i grad l_i grad l_i^T`` (module docstring)."""
    return EmpiricalFisher(_objective(model, criterion, data, params=params, dtype=dtype,
                                      device=device, eval_mode=eval_mode,
                                      batch_size=batch_size, memory_bytes=memory_bytes,
                                      **kwargs))
