"""Loss surfaces (issue 22): every point on the regular ``np.linspace`` grid (a model whose
loss is a known polynomial of its parameters), custom and returned directions, and the
interpolation between two models against direct evaluations of copies of the model."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
from torch import nn

import empirical
from empirical.errors import ExperimentError


def quadratic_model(w0):
    """``nn.Linear(2, 1)`` without bias on the inputs e1, e2 with targets 0 under summed
    squared error: the loss is ``w1^2 + w2^2`` exactly."""
    model = nn.Linear(2, 1, bias=False).double()
    with torch.no_grad():
        model.weight.copy_(torch.tensor([w0], dtype=torch.float64))
    x = torch.eye(2, dtype=torch.float64)
    return model, (x, torch.zeros(2, 1, dtype=torch.float64))


def test_every_point_lies_on_the_regular_grid():
    w0 = [0.3, -0.7]
    model, data = quadratic_model(w0)
    hess = empirical.hessian(model, nn.MSELoss(reduction="sum"), data)
    e1, e2 = torch.tensor([1.0, 0.0], dtype=torch.float64), torch.tensor([0.0, 2.0],
                                                                         dtype=torch.float64)
    surf = hess.loss_surface(directions=[e1, e2], span=1.5, n_points=6)  # even: no centre
    grid = np.linspace(-1.5, 1.5, 6)
    np.testing.assert_array_equal(surf.alphas, grid)
    expected = (w0[0] + grid[:, None]) ** 2 + (w0[1] + 2 * grid[None, :]) ** 2
    np.testing.assert_allclose(surf.losses, expected, rtol=1e-14, atol=1e-15)
    assert surf.kind == "custom" and surf.dims == 2
    torch.testing.assert_close(surf.directions, torch.stack([e1, e2]))
    assert surf.loss0 == pytest.approx(w0[0] ** 2 + w0[1] ** 2, rel=1e-14)
    as_dict = hess.loss_surface(directions={"weight": e1.view(1, 2)}, span=1.5, n_points=6)
    np.testing.assert_allclose(as_dict.losses, (w0[0] + grid) ** 2 + w0[1] ** 2, rtol=1e-14)


def test_random_directions_are_returned_and_reproduce_the_surface():
    torch.manual_seed(4)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))  # float32 model
    x, y = torch.randn(10, 3), torch.randint(0, 2, (10,))
    hess = empirical.hessian(model, "ce", (x, y), dtype="float64")
    surf = hess.loss_surface(dims=2, n_points=5, seed=2)
    again = hess.loss_surface(directions=list(surf.directions), n_points=5)
    np.testing.assert_allclose(again.losses, surf.losses, rtol=1e-13)
    clone = copy.deepcopy(model).double()
    point = hess.theta + surf.alphas[1] * surf.directions[0] + surf.betas[4] * surf.directions[1]
    torch.nn.utils.vector_to_parameters(point, clone.parameters())
    with torch.no_grad():
        direct = float(nn.functional.cross_entropy(clone(x.double()), y))
    assert surf.losses[1, 4] == pytest.approx(direct, rel=1e-12)


def test_interpolation_between_two_models():
    torch.manual_seed(5)
    a = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2)).double()
    b = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2)).double()
    x, y = torch.randn(9, 3, dtype=torch.float64), torch.randint(0, 2, (9,))
    line = empirical.interpolate(a, b, nn.CrossEntropyLoss(), (x, y), n_points=5, extend=0.5,
                                 batch_size=4)
    np.testing.assert_allclose(line.alphas, np.linspace(-0.5, 1.5, 5))
    ta = torch.nn.utils.parameters_to_vector(a.parameters()).detach()
    tb = torch.nn.utils.parameters_to_vector(b.parameters()).detach()
    for alpha, loss in zip(line.alphas, line.losses, strict=True):
        clone = copy.deepcopy(a)
        torch.nn.utils.vector_to_parameters(ta + alpha * (tb - ta), clone.parameters())
        with torch.no_grad():
            assert loss == pytest.approx(float(nn.functional.cross_entropy(clone(x), y)),
                                         rel=1e-12)
    assert line.kind == "interpolation"
    with pytest.raises(ExperimentError, match="extend=-1"):
        empirical.interpolate(a, b, "ce", (x, y), extend=-1)
    with pytest.raises(ExperimentError, match="model_b: lacks"):
        empirical.interpolate(a, nn.Linear(3, 2).double(), "ce", (x, y))
    transposed = copy.deepcopy(b)  # same number of entries, another shape
    transposed[0].weight = nn.Parameter(b[0].weight.detach().T.clone())
    with pytest.raises(ExperimentError, match=r"model_b: its parameter\(s\) 0.weight differ"):
        empirical.interpolate(a, transposed, "ce", (x, y))
    with pytest.raises(ExperimentError, match="directions: 3 given"):
        empirical.hessian(a, "ce", (x, y)).loss_surface(directions=[ta, ta, ta])


def test_surface_uses_the_exact_full_batch_loss_for_weighted_batches():
    """Issue 20 meets issue 22: a surface over batches of a class-weighted cross entropy
    (and of ignored labels) is the one-batch loss at every point, not a per-batch-size mean.
    Reference: the criterion called once on all the data at the shifted parameters."""
    torch.manual_seed(7)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 3)).double()
    x = torch.randn(11, 3, dtype=torch.float64)
    y = torch.tensor([0, 1, 2, 2, 1, 0, 2, -100, 1, 2, 0])
    criterion = nn.CrossEntropyLoss(weight=torch.tensor([0.2, 1.0, 3.0], dtype=torch.float64),
                                    ignore_index=-100)
    hess = empirical.hessian(model, criterion, (x, y), batch_size=4)
    direction = torch.randn(hess.dim, dtype=torch.float64)
    surf = hess.loss_surface(directions=[direction], span=0.5, n_points=5)
    theta0 = torch.cat([p.detach().reshape(-1) for p in model.parameters()])
    for alpha, loss in zip(surf.alphas, surf.losses, strict=True):
        shifted = copy.deepcopy(model)
        torch.nn.utils.vector_to_parameters(theta0 + float(alpha) * direction,
                                            shifted.parameters())
        with torch.no_grad():
            expected = float(criterion(shifted(x), y))
        assert loss == pytest.approx(expected, rel=1e-12)


class _FailsOnCall(nn.Module):
    """A tanh MLP with Dropout whose forward raises on call number ``fail_at``."""

    def __init__(self, fail_at: int):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(3, 4), nn.Dropout(0.5), nn.Tanh(), nn.Linear(4, 2))
        self.calls, self.fail_at = 0, fail_at

    def forward(self, x):
        self.calls += 1
        if self.calls == self.fail_at:
            raise RuntimeError("boom")
        return self.net(x)


@pytest.mark.parametrize("fail_at", [0, 3])
def test_the_models_are_left_as_they_were(fail_at):
    """The evaluation swaps views of one buffer into the model's parameters while it runs:
    afterwards (also after an error in the middle of the grid) every parameter is the same
    tensor with the same storage and values, and the training flags are restored."""
    torch.manual_seed(6)
    a, b = _FailsOnCall(fail_at).double(), _FailsOnCall(0).double()
    a.train()  # Dropout in training mode: evaluated in eval mode, as asked
    before = {n: (p, p.data_ptr(), p.detach().clone()) for n, p in a.named_parameters()}
    x, y = torch.randn(6, 3, dtype=torch.float64), torch.randint(0, 2, (6,))
    if fail_at:
        with pytest.raises(RuntimeError, match="boom"):
            empirical.interpolate(a, b, "ce", (x, y), n_points=5, eval_mode=True)
        assert a.calls == fail_at  # it failed inside the grid, not in the checks
    else:
        line = empirical.interpolate(a, b, "ce", (x, y), n_points=5, eval_mode=True)
        a.eval()
        with torch.no_grad():
            assert line.losses[0] == pytest.approx(
                float(nn.functional.cross_entropy(a(x), y)), rel=1e-14)
        a.train()
    after = dict(a.named_parameters())
    for name, (p, ptr, values) in before.items():
        assert after[name] is p and p.data_ptr() == ptr
        torch.testing.assert_close(p.detach(), values, rtol=0, atol=0)
    assert all(m.training for m in a.modules())
