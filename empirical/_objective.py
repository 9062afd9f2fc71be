"""The full-batch training loss as a function of a flat parameter vector.

``L(theta) = (1/n) sum_i l(f(x_i; theta), y_i)`` with its gradient and Hessian-vector
products ``H(theta) v``.  A single product is reverse-over-reverse (``torch.func.vjp`` of
``torch.func.grad``); :meth:`Objective.operator`, which serves many products at one
``theta`` (Lanczos, Hutchinson, dense assembly), builds that graph once per batch and
reuses it for every product.  Measured side by side in ``benchmarks/bench_hvp.py``
(``benchmarks/results/hvp.md``): on the digits MLP the retained graph costs 1.6 ms
(float32) / 2.7 ms (float64) per product against 5.7 / 8.1 ms for forward-over-reverse
(``jvp`` of ``grad``) and 3.9 / 5.6 ms for a rebuilt reverse-over-reverse product, within
1.1x of PyHessian's retained autograd graph; forward-over-reverse is *not* the cheapest
exact product here.  When the data is processed in batches, batch ``b`` contributes its
mean loss times ``|b| / n``, so the value, gradient and HVP equal the full-batch ones
exactly (up to rounding) for any batch size.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Callable

import torch
from torch import nn
from torch.func import functional_call, grad, jvp, vjp

from empirical._params import ParamLayout
from empirical.errors import CurvatureError, ExperimentError


def mse_loss(outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """``mean_i 0.5 * ||f(x_i) - e_{y_i}||^2`` (one-hot targets ``e_y``)."""
    onehot = torch.nn.functional.one_hot(targets, outputs.shape[1]).to(outputs.dtype)
    return 0.5 * ((outputs - onehot) ** 2).sum(dim=1).mean()


def ce_loss(outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy of the logits ``outputs``."""
    return torch.nn.functional.cross_entropy(outputs, targets)


@contextlib.contextmanager
def _quiet_jvp():
    """torch registers its jvp decompositions with ``torch.jit.script`` on first use, which
    warns that ``torch.jit.script`` is deprecated: torch's own business, not the user's."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r".*torch\.jit\.script.*deprecated",
                                category=DeprecationWarning)
        yield


LOSS_FUNCTIONS: dict[str, Callable[[torch.Tensor, torch.Tensor], torch.Tensor]] = {
    "mse": mse_loss,
    "ce": ce_loss,
}


class Objective:
    """A twice-differentiable scalar function of a flat vector ``theta``.

    Subclasses implement :meth:`_pieces`, which yields ``(weight, fn)`` pairs with
    ``L(theta) = sum weight * fn(theta)``; value, gradient and HVP are accumulated over
    the pieces (this is how batches are weighted).
    """

    dim: int
    dtype: torch.dtype
    device: torch.device

    def _pieces(self):  # pragma: no cover - abstract
        raise NotImplementedError

    def check_vector(self, name: str, vec: torch.Tensor) -> torch.Tensor:
        """Reject a vector of the wrong size, type or device, or with NaN/inf entries."""
        if not isinstance(vec, torch.Tensor) or vec.shape != (self.dim,):
            shape = tuple(vec.shape) if isinstance(vec, torch.Tensor) else type(vec).__name__
            raise CurvatureError(f"{name}: expected a vector of shape ({self.dim},), got {shape}")
        if vec.dtype != self.dtype:
            raise CurvatureError(f"{name}: dtype {vec.dtype} differs from the loss's {self.dtype}")
        if vec.device != self.device:
            vec = vec.to(self.device)
        return vec

    @torch.no_grad()
    def value(self, theta: torch.Tensor) -> float:
        """``L(theta)`` as a Python float."""
        theta = self.check_vector("theta", theta)
        total = torch.zeros((), dtype=self.dtype, device=self.device)
        for weight, fn in self._pieces():
            total = total + weight * fn(theta)
        return float(total)

    def value_and_grad(self, theta: torch.Tensor) -> tuple[float, torch.Tensor]:
        """``(L(theta), grad L(theta))``.

        One reverse pass per piece with plain autograd: the same numbers as
        ``torch.func.grad_and_value`` to the last bit, about 25% faster per GD step on the
        digits MLP (no functorch wrapping; measured 1.34-1.40 vs 1.72-2.07 ms).
        """
        theta = self.check_vector("theta", theta).detach()
        total = 0.0
        g = torch.zeros_like(theta)
        for weight, fn in self._pieces():
            with torch.enable_grad():
                leaf = theta.detach().requires_grad_(True)
                vb = fn(leaf)
                (gb,) = torch.autograd.grad(vb, leaf, allow_unused=True,
                                            materialize_grads=True)
            g.add_(gb, alpha=weight)
            total += weight * float(vb.detach())
        return total, g

    def grad(self, theta: torch.Tensor) -> torch.Tensor:
        """``grad L(theta)``."""
        return self.value_and_grad(theta)[1]

    def hvp(self, theta: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        """``H(theta) v`` by reverse-over-reverse differentiation (one product)."""
        theta = self.check_vector("theta", theta).detach()
        v = self.check_vector("v", v).detach()
        out = torch.zeros_like(theta)
        with _quiet_jvp():
            for weight, fn in self._pieces():
                out.add_(vjp(grad(fn), theta)[1](v)[0], alpha=weight)
        return out

    def hvp_forward_over_reverse(self, theta: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        """``H(theta) v`` by forward-over-reverse (``jvp`` of ``grad``; for benchmarks)."""
        theta = self.check_vector("theta", theta).detach()
        v = self.check_vector("v", v).detach()
        out = torch.zeros_like(theta)
        with _quiet_jvp():
            for weight, fn in self._pieces():
                out.add_(jvp(grad(fn), (theta,), (v,))[1], alpha=weight)
        return out

    def retain_graphs(self) -> bool:
        """Whether :meth:`operator` may keep every batch's graph at once (memory).

        The base rule: only when the objective is one piece (one batch), whose graph a
        single product needs anyway; subclasses that know their activation sizes decide
        by a memory budget."""
        return sum(1 for _ in self._pieces()) == 1

    def operator(self, theta: torch.Tensor, *,
                 retain: bool | None = None) -> Callable[[torch.Tensor], torch.Tensor]:
        """``v -> H(theta) v`` at a fixed ``theta``.

        With ``retain`` (default: :meth:`retain_graphs`), the gradient's graph of each
        batch is built once here and every product is one backward pass through it
        (``torch.func.vjp`` of ``grad``; the Hessian is symmetric, so the vjp is ``H v``);
        otherwise each product rebuilds it (:meth:`hvp`).
        """
        theta = self.check_vector("theta", theta).detach().clone()
        if not (self.retain_graphs() if retain is None else retain):
            return lambda v: self.hvp(theta, v)
        with _quiet_jvp():
            pullbacks = [(weight, vjp(grad(fn), theta)[1]) for weight, fn in self._pieces()]

        def matvec(v: torch.Tensor) -> torch.Tensor:
            v = self.check_vector("v", v).detach()
            out = torch.zeros_like(theta)
            with _quiet_jvp():
                for weight, pullback in pullbacks:
                    out.add_(pullback(v)[0], alpha=weight)
            return out

        return matvec

    def dense_hessian(self, theta: torch.Tensor) -> torch.Tensor:
        """The dense Hessian by ``torch.func.hessian`` (reference; small models only)."""
        theta = self.check_vector("theta", theta).detach()
        if self.dim > 20_000:
            raise CurvatureError(f"dense_hessian: dim={self.dim} is too large (> 20,000)")
        out = torch.zeros(self.dim, self.dim, dtype=self.dtype, device=self.device)
        with _quiet_jvp():
            for weight, fn in self._pieces():
                out.add_(torch.func.hessian(fn)(theta), alpha=weight)
        return out


class FunctionObjective(Objective):
    """An objective given directly as a torch function of ``theta`` (tests, toy landscapes)."""

    def __init__(self, fn: Callable[[torch.Tensor], torch.Tensor], dim: int,
                 dtype: torch.dtype = torch.float64, device: str | torch.device = "cpu"):
        if not callable(fn):
            raise ExperimentError(f"fn={fn!r}: must be callable")
        self.fn, self.dim, self.dtype, self.device = fn, int(dim), dtype, torch.device(device)

    def _pieces(self):
        yield 1.0, self.fn


class TrainingLoss(Objective):
    """Full-batch training loss of ``model`` on ``(x, y)`` as a function of a flat ``theta``.

    Args:
        model: the network (its current parameters give :attr:`theta0`; it is not changed).
        x, y: inputs and int64 labels.
        loss: ``"mse"`` or ``"ce"``.
        batch_size: examples per batch (``None``: all at once); the results do not depend
            on it: batch ``b`` is weighted by ``|b| / n``.
    """

    def __init__(self, model: nn.Module, x: torch.Tensor, y: torch.Tensor, *,
                 loss: str = "mse", batch_size: int | None = None):
        if loss not in LOSS_FUNCTIONS:
            raise ExperimentError(f"loss={loss!r}: must be one of {', '.join(LOSS_FUNCTIONS)}")
        if x.shape[0] != y.shape[0] or x.shape[0] == 0:
            raise ExperimentError(f"x, y: need the same number (>= 1) of examples, got "
                                  f"{x.shape[0]} and {y.shape[0]}")
        if batch_size is not None and (isinstance(batch_size, bool) or batch_size < 1):
            raise ExperimentError(f"batch_size={batch_size!r}: must be a positive integer")
        self.model = model
        self.layout = ParamLayout.of(model)
        self.buffers = dict(model.named_buffers())
        self.x, self.y = x, y
        self.loss_name = loss
        self.loss_fn = LOSS_FUNCTIONS[loss]
        self.batch_size = batch_size
        self.n = int(x.shape[0])
        self.dim = self.layout.dim
        first = next(model.parameters())
        self.dtype, self.device = first.dtype, first.device
        if x.dtype != self.dtype:
            raise ExperimentError(f"x: dtype {x.dtype} differs from the model's {self.dtype}")

    @property
    def theta0(self) -> torch.Tensor:
        """The model's current parameters as a flat vector (a copy)."""
        return self.layout.flatten(self.model)

    def outputs(self, theta: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """Network outputs ``f(x; theta)``."""
        params = self.layout.unflatten(theta)
        return functional_call(self.model, (params, self.buffers), (x,))

    def _batches(self):
        size = self.n if self.batch_size is None else min(self.batch_size, self.n)
        for start in range(0, self.n, size):
            yield self.x[start : start + size], self.y[start : start + size]

    def _pieces(self):
        for xb, yb in self._batches():
            def fn(theta, xb=xb, yb=yb):
                return self.loss_fn(self.outputs(theta, xb), yb)

            yield xb.shape[0] / self.n, fn

    def with_data(self, x: torch.Tensor, y: torch.Tensor) -> TrainingLoss:
        """The same model and loss on other data (test set, one input-scale group...)."""
        return TrainingLoss(self.model, x, y, loss=self.loss_name, batch_size=self.batch_size)

    @torch.no_grad()
    def accuracy(self, theta: torch.Tensor, x: torch.Tensor | None = None,
                 y: torch.Tensor | None = None) -> float:
        """Fraction of correctly classified examples (training data by default)."""
        theta = self.check_vector("theta", theta)
        x = self.x if x is None else x
        y = self.y if y is None else y
        if x.shape[0] == 0:
            raise ExperimentError("x: accuracy of an empty data set is undefined (n_test=0?)")
        size = x.shape[0] if self.batch_size is None else self.batch_size
        correct = 0
        for start in range(0, x.shape[0], size):
            out = self.outputs(theta, x[start : start + size])
            correct += int((out.argmax(dim=1) == y[start : start + size]).sum())
        return correct / x.shape[0]
