"""Half-precision models, dict inputs and tuple outputs (issue 22), against
``torch.func.hessian`` of the loss written out directly on a float64 copy."""

from __future__ import annotations

import copy

import pytest
import torch
from torch import nn
from torch.func import functional_call

import empirical
from empirical.errors import DataError, ModelError


class TwoInputs(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Linear(3, 4)
        self.b = nn.Linear(2, 4)
        self.head = nn.Linear(4, 3)

    def forward(self, a, b):
        hidden = torch.tanh(self.a(a) + self.b(b))
        return self.head(hidden), hidden  # a tuple, as many models return


def reference(model, loss_of_model):
    model = copy.deepcopy(model).double()
    names = [n for n, _ in model.named_parameters()]
    shapes = [p.shape for p in model.parameters()]
    theta = torch.cat([p.detach().reshape(-1) for p in model.parameters()])

    def loss(th):
        tensors, off = {}, 0
        for n, s in zip(names, shapes, strict=True):
            tensors[n] = th[off:off + s.numel()].view(s)
            off += s.numel()
        return loss_of_model(lambda *args: functional_call(model, tensors, args))

    return torch.func.hessian(loss)(theta)


def test_dict_inputs_and_tuple_outputs_through_a_forward_adapter():
    torch.manual_seed(8)
    model = TwoInputs().double()
    gen = torch.Generator().manual_seed(9)
    xa = torch.randn(10, 3, generator=gen, dtype=torch.float64)
    xb = torch.randn(10, 2, generator=gen, dtype=torch.float64)
    y = torch.randint(0, 3, (10,), generator=gen)
    data = ({"a": xa, "b": xb}, y)
    with pytest.raises(ModelError, match=r"returns tuple, not a tensor; pass forward="):
        empirical.hessian(model, "ce", data)
    hess = empirical.hessian(model, "ce", data, forward=lambda m, x: m(**x)[0], batch_size=4)
    ref = reference(model, lambda f: nn.functional.cross_entropy(f(xa, xb)[0], y))
    torch.testing.assert_close(hess.dense(), ref, rtol=1e-10, atol=1e-12)
    batches = [({"a": xa[i:i + 5], "b": xb[i:i + 5]}, y[i:i + 5]) for i in (0, 5)]
    ggn = empirical.ggn(model, "ce", batches, forward=lambda m, x: m(**x)[0])
    fisher = empirical.fisher(model, "ce", batches, forward=lambda m, x: m(**x)[0])
    torch.testing.assert_close(ggn.dense(), fisher.dense(), rtol=1e-10, atol=1e-12)
    surf = hess.loss_surface(dims=1, n_points=3)
    assert surf.losses[1] == pytest.approx(hess.objective.value(hess.theta), rel=1e-12)
    with pytest.raises(DataError, match=r"batch 0 has inputs of shape\(s\) \[\(9, 2\)\]"):
        empirical.hessian(model, "ce", ({"a": xa, "b": xb[:9]}, y))


@pytest.mark.parametrize("half", [torch.bfloat16, torch.float16])
def test_half_precision_models_are_evaluated_upcast(half):
    torch.manual_seed(10)
    model = nn.Sequential(nn.Linear(4, 5), nn.Tanh(), nn.Linear(5, 3)).to(half)
    x = torch.randn(12, 4).to(half)
    y = torch.randint(0, 3, (12,))
    ref = reference(model, lambda f: nn.functional.cross_entropy(f(x.double()), y))
    h32 = empirical.hessian(model, "ce", (x, y))
    assert h32.dtype == torch.float32
    torch.testing.assert_close(h32.dense().double(), ref, rtol=1e-4, atol=1e-6)
    h64 = empirical.hessian(model, "ce", (x, y), dtype="float64")
    torch.testing.assert_close(h64.dense(), ref, rtol=1e-10, atol=1e-12)
    assert next(model.parameters()).dtype == half  # the user's model is untouched
