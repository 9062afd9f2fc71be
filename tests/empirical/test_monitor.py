"""SharpnessMonitor in a plain training loop (issue 11): sharpness against the dense
Hessian, the optimizers' stability thresholds from their formulas, Adam's preconditioned
sharpness against the dense ``D^-1/2 H D^-1/2``, the edge of stability on the CI digits
setting, and the CSV/PNG output."""

from __future__ import annotations

import copy
import csv

import numpy as np
import pytest
import torch
from torch import nn
from torch.func import functional_call

import empirical
from empirical._monitor import stability_rule
from empirical.errors import ExperimentError

from .conftest import CI_EOS, CI_LR, CI_STEPS


def dense_hessian(model, x, y, criterion):
    model = copy.deepcopy(model)
    names = [n for n, _ in model.named_parameters()]
    shapes = [p.shape for p in model.parameters()]
    theta = torch.cat([p.detach().reshape(-1) for p in model.parameters()])

    def loss(th):
        tensors, off = {}, 0
        for n, s in zip(names, shapes, strict=True):
            tensors[n] = th[off:off + s.numel()].view(s)
            off += s.numel()
        return criterion(functional_call(model, tensors, (x,)), y)

    return torch.func.hessian(loss)(theta)


@pytest.fixture
def tiny():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2)).double()
    x = torch.randn(16, 3, dtype=torch.float64)
    y = torch.randn(16, 2, dtype=torch.float64)
    return model, x, y


def train(model, x, y, optimizer, monitor, steps):
    for _ in range(steps):
        optimizer.zero_grad()
        nn.functional.mse_loss(model(x), y).backward()
        optimizer.step()
        monitor.step()


def test_gd_records_match_the_dense_hessian(tiny, tmp_path):
    model, x, y = tiny
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    mon = empirical.SharpnessMonitor(model, nn.MSELoss(), (x, y), opt, every=3, progress=False)
    train(model, x, y, opt, mon, 7)
    assert [r.step for r in mon.records] == [0, 3, 6]
    last = mon.records[-1]
    ref = torch.linalg.eigvalsh(dense_hessian(model, x, y, nn.functional.mse_loss))
    assert last.sharpness == pytest.approx(float(ref[-1]), rel=1e-7)
    with torch.no_grad():
        assert last.loss == pytest.approx(float(nn.functional.mse_loss(model(x), y)), rel=1e-12)
    assert last.threshold == pytest.approx(2 / 0.1) and last.rule == "gd"
    paths = mon.save(tmp_path)
    with paths["csv"].open() as fh:
        rows = list(csv.DictReader(fh))
    assert [int(r["step"]) for r in rows] == [0, 3, 6]
    assert float(rows[-1]["sharpness"]) == pytest.approx(last.sharpness, rel=1e-12)
    assert paths["png"].stat().st_size > 1000


@pytest.mark.parametrize(("kwargs", "rule", "expected"), [
    (dict(lr=0.1, momentum=0.9), "heavy_ball", (2 + 1.8) / 0.1),
    (dict(lr=0.1, momentum=0.9, dampening=0.5), "heavy_ball", (2 + 1.8) / 0.05),
    (dict(lr=0.1, momentum=0.9, nesterov=True), "nesterov", (2 + 1.8) / (2.8 * 0.1)),
])
def test_sgd_momentum_thresholds(tiny, kwargs, rule, expected):
    model = tiny[0]
    opt = torch.optim.SGD(model.parameters(), **kwargs)
    assert stability_rule(opt, list(model.parameters()))[::2] == (rule, pytest.approx(expected))


def test_adam_preconditioned_sharpness_against_dense(tiny):
    model, x, y = tiny
    opt = torch.optim.Adam(model.parameters(), lr=0.01, betas=(0.9, 0.99), eps=1e-8)
    mon = empirical.SharpnessMonitor(model, nn.MSELoss(), (x, y), opt, every=5, progress=False)
    train(model, x, y, opt, mon, 6)
    rec = mon.records[-1]
    assert rec.rule == "adam" and rec.threshold == pytest.approx(3.8 / (0.1 * 0.01))
    hess = dense_hessian(model, x, y, nn.functional.mse_loss)
    v_hat = torch.cat([opt.state[p]["exp_avg_sq"].reshape(-1) for p in model.parameters()])
    v_hat = v_hat / (1 - 0.99 ** 6)
    d = (v_hat.sqrt() + 1e-8).rsqrt()
    pre = torch.linalg.eigvalsh(d[:, None] * hess * d[None, :])
    assert rec.preconditioned_sharpness == pytest.approx(float(pre[-1]), rel=1e-6)
    assert np.isfinite(mon.records[0].preconditioned_sharpness)  # state exists after step 1


def test_monitor_detects_the_edge_of_stability_on_digits():
    problem = empirical.build_problem(empirical.ProblemSpec(**CI_EOS))
    model = problem.model
    for p in model.parameters():
        p.requires_grad_(True)
    x, y = problem.data.x_train, problem.data.y_train
    opt = torch.optim.SGD(model.parameters(), lr=CI_LR)
    mon = empirical.SharpnessMonitor(model, "mse", (x, y), opt, every=20, progress=False)
    for _ in range(CI_STEPS):
        opt.zero_grad()
        problem.loss.loss_fn(model(x), y).backward()
        opt.step()
        mon.step()
    verdict = mon.verdict()
    assert verdict.edge_of_stability, verdict
    sharp = mon.series()["sharpness"]
    assert sharp[0] < 0.6 * 2 / CI_LR and np.max(sharp) >= 0.9 * 2 / CI_LR


def test_bad_monitor_arguments(tiny, tmp_path):
    model, x, y = tiny
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ExperimentError, match="optimizer=str"):
        empirical.SharpnessMonitor(model, nn.MSELoss(), (x, y), "sgd")
    with pytest.raises(ExperimentError, match="every=0"):
        empirical.SharpnessMonitor(model, nn.MSELoss(), (x, y), opt, every=0)
    other = torch.optim.SGD(nn.Linear(2, 2).parameters(), lr=0.1)
    with pytest.raises(ExperimentError, match="optimizer=SGD: updates none"):
        empirical.SharpnessMonitor(model, nn.MSELoss(), (x, y), other, progress=False)
    mon = empirical.SharpnessMonitor(model, nn.MSELoss(), (x, y), opt, progress=False)
    with pytest.raises(ExperimentError, match="records: nothing measured"):
        mon.save(tmp_path)
    with pytest.raises(ExperimentError, match="records: need >= 2"):
        mon.verdict()


def test_float32_records_within_the_tolerance_and_more_products_after_a_jump():
    """Issue 22: each warm-started float32 record against the float64 dense Hessian at its
    parameters (relative error <= the default float32 tol 1e-4, the bound the stopping
    rule asks for); when the parameters jump (a new point far from the last eigenvector)
    the residual bound is above the tolerance after the minimum 3 products, so the
    monitor takes more, and stays within the tolerance."""
    torch.manual_seed(3)
    model = nn.Sequential(nn.Linear(4, 12), nn.Tanh(), nn.Linear(12, 3))
    x, y = torch.randn(40, 4), torch.randn(40, 3)
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    mon = empirical.SharpnessMonitor(model, nn.MSELoss(), (x, y), opt, every=2,
                                     progress=False)

    def top_dense():
        ref = dense_hessian(copy.deepcopy(model).double(), x.double(), y.double(),
                            nn.functional.mse_loss)
        return float(torch.linalg.eigvalsh(ref)[-1])

    errors = []
    for _ in range(8):
        train(model, x, y, opt, mon, 1)
        if mon.records[-1].step == mon.calls - 1:
            errors.append(abs(mon.records[-1].sharpness - top_dense()) / top_dense())
    steady = [r.n_hvp for r in mon.records[1:]]
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.5 * torch.randn_like(p))
    jump = mon.measure()
    errors.append(abs(jump.sharpness - top_dense()) / top_dense())
    assert max(errors) <= 1e-4
    assert jump.n_hvp > max(steady) and jump.n_hvp > 3
