"""Gradients of Hessian eigenvalues on networks: grad (u^T H u) by double backward.

For a unit eigenvector u of H(theta), grad lambda = D^3 L(theta)[u, u, .] =
grad_theta (u^T H(theta) u) with u held fixed.  :func:`eigen_gradients` computes it by
autograd: one forward pass and one gradient with ``create_graph``, then per u one
Hessian-vector product with ``create_graph`` and one backward pass of u^T H u.

Only modules whose third derivatives are tested against finite differences
(``tests/empirical/test_central_flow.py``) are accepted: :data:`SUPPORTED_MODULES`.
Normalisation layers (LayerNorm, GroupNorm, BatchNorm) are refused -- the central-flow
authors replaced torch's LayerNorm because of its third derivatives -- unless the caller
passes ``allow_untested=True`` and takes responsibility.
"""

from __future__ import annotations

import torch
from torch import nn

from empirical._objective import Objective
from empirical.errors import ModelError

#: leaf module types whose third-derivative products are tested against finite differences
SUPPORTED_MODULES: tuple[type[nn.Module], ...] = (
    nn.Linear, nn.Conv1d, nn.Conv2d, nn.Tanh, nn.ReLU, nn.Sigmoid, nn.GELU, nn.Softplus,
    nn.SiLU, nn.Flatten, nn.Identity, nn.AvgPool2d, nn.AdaptiveAvgPool2d,
)


def check_supported(model: nn.Module, allow_untested: bool = False) -> None:
    """Refuse a model with a leaf module outside :data:`SUPPORTED_MODULES`."""
    if allow_untested:
        return
    unknown = sorted({type(m).__name__ for m in model.modules()
                      if not list(m.children()) and not isinstance(m, SUPPORTED_MODULES)})
    if unknown:
        raise ModelError(
            f"model: {', '.join(unknown)} not among the modules whose third derivatives are "
            f"tested ({', '.join(t.__name__ for t in SUPPORTED_MODULES)}); the central flow "
            "needs D^3 L (LayerNorm's is known to be troublesome); pass allow_untested=True "
            "to use them anyway")


def gradient_and_eigen_gradients(objective: Objective, theta: torch.Tensor,
                                 vectors: torch.Tensor) -> tuple[float, torch.Tensor,
                                                                  torch.Tensor]:
    """``(L, grad L, J)`` at theta; row i of J is grad (u_i^T H u_i), u_i = ``vectors[i]``."""
    theta = objective.check_vector("theta", theta).detach()
    k = vectors.shape[0]
    grad = torch.zeros_like(theta)
    jac = torch.zeros(k, theta.numel(), dtype=theta.dtype, device=theta.device)
    value = 0.0
    for weight, fn in objective._pieces():
        with torch.enable_grad():
            leaf = theta.clone().requires_grad_(True)
            loss = fn(leaf)
            (g,) = torch.autograd.grad(loss, leaf, create_graph=k > 0)
            for i in range(k):
                u = vectors[i]
                if not g.requires_grad:  # the loss is linear in theta: H = 0
                    break
                (hu,) = torch.autograd.grad(g @ u, leaf, create_graph=True,
                                            materialize_grads=True)
                if not hu.requires_grad:  # H does not depend on theta: D^3 L = 0
                    continue
                (row,) = torch.autograd.grad(hu @ u, leaf, retain_graph=True,
                                             materialize_grads=True)
                jac[i].add_(row, alpha=weight)
        grad.add_(g.detach(), alpha=weight)
        value += weight * float(loss.detach())
    return value, grad, jac
