"""SharpnessMonitor's stability thresholds, each checked twice (issue 20): against the
formula of the linear recursion (written out here, from the update rule) and by running
the optimizer itself on a quadratic whose top (preconditioned) curvature sits 15% below
or above the threshold: it must diverge exactly when the curvature is above.

The quadratic is ``L(w) = mean_i (x_i . w)^2`` with ``x_i = sqrt(d/2) sqrt(lam_i) e_i``,
so ``H = diag(lam)``.  Adam and RMSprop get their second-moment state set by hand, with
``beta2`` / ``alpha`` = 1 - 1e-12 so that the preconditioner stays frozen while they run
(the regime in which their thresholds are derived, Cohen et al. 2022).
"""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

import empirical

D = 3
FROZEN = 1.0 - 1e-12


def quadratic(lam: list[float]) -> tuple[nn.Module, tuple[torch.Tensor, torch.Tensor]]:
    torch.manual_seed(0)
    model = nn.Linear(D, 1, bias=False).double()
    with torch.no_grad():
        model.weight.copy_(torch.tensor([[1.0, -0.7, 0.4]], dtype=torch.float64))
    x = math.sqrt(D / 2) * torch.diag(torch.tensor(lam, dtype=torch.float64).sqrt())
    return model, (x, torch.zeros(D, 1, dtype=torch.float64))


def train(model, data, optimizer, monitor=None, steps: int = 1) -> float:
    """Full-batch steps (the monitor's step after each); returns the loss."""
    x, y = data
    for _ in range(steps):
        optimizer.zero_grad()
        nn.functional.mse_loss(model(x), y).backward()
        optimizer.step()
        if monitor is not None:
            monitor.step()
    with torch.no_grad():
        return float(nn.functional.mse_loss(model(x), y))


def diverges(model, data, optimizer, steps: int) -> bool:
    """True when the loss grows 1e3-fold in ``steps`` steps, False when it falls."""
    start = train(model, data, optimizer, steps=0)
    for _ in range(steps):
        loss = train(model, data, optimizer)
        if not loss <= 1e3 * start:  # also NaN
            return True
    assert loss < start, (start, loss)
    return False


# (optimizer kwargs, threshold on lam_max(H) from the recursion's Schur-Cohn condition)
SGD_FAMILY = {
    "gd": (dict(lr=0.1), 2 / 0.1),
    "gd-wd5": (dict(lr=0.1, weight_decay=5.0), 2 / 0.1 - 5),
    "gd-wd2-lr0.05": (dict(lr=0.05, weight_decay=2.0), 2 / 0.05 - 2),
    "heavy-ball": (dict(lr=0.1, momentum=0.9), 3.8 / 0.1),
    "heavy-ball-damp-wd": (dict(lr=0.1, momentum=0.5, dampening=0.5, weight_decay=3.0),
                           3.0 / (0.5 * 0.1) - 3),
    "nesterov-wd": (dict(lr=0.1, momentum=0.5, nesterov=True, weight_decay=1.0),
                    3.0 / (2.0 * 0.1) - 1),
}


@pytest.mark.parametrize("case", sorted(SGD_FAMILY))
@pytest.mark.parametrize("side", [0.85, 1.15])
def test_sgd_family_threshold_formula_and_divergence(case, side):
    kwargs, threshold = SGD_FAMILY[case]
    lam = [side * threshold, 0.3 * threshold, 0.5]
    model, data = quadratic(lam)
    opt = torch.optim.SGD(model.parameters(), **kwargs)
    mon = empirical.SharpnessMonitor(model, nn.MSELoss(), data, opt, every=1000,
                                     progress=False)
    train(model, data, opt)  # the first step tells the monitor that it is full-batch
    rec = mon.step()
    assert rec.threshold == pytest.approx(threshold, rel=1e-12)
    assert rec.sharpness == pytest.approx(lam[0], rel=1e-8)
    assert rec.rule == {"gd": "gd", "he": "heavy_ball", "ne": "nesterov"}[case[:2]]
    diverged = diverges(model, data, opt, 300)
    assert diverged == (rec.sharpness > rec.threshold) == (side > 1)


def _freeze_state(opt, p: torch.Tensor, v: torch.Tensor) -> None:
    """Second moments ``v`` (per coordinate), bias corrections ~ 1, no first moment."""
    shaped = v.view_as(p).clone()
    if isinstance(opt, torch.optim.RMSprop):
        state = {"step": torch.tensor(0.0), "square_avg": shaped}
        if opt.param_groups[0]["momentum"] > 0:
            state["momentum_buffer"] = torch.zeros_like(p)
        if opt.param_groups[0]["centered"]:
            state["grad_avg"] = torch.zeros_like(p)
    else:
        state = {"step": torch.tensor(1e14), "exp_avg": torch.zeros_like(p),
                 "exp_avg_sq": shaped}
        if opt.param_groups[0]["amsgrad"]:
            state["max_exp_avg_sq"] = shaped.clone()
    opt.state[p] = state


# (class, kwargs, coupled decay in H, threshold on lam_max(P^-1/2 (H + wd I) P^-1/2)):
# Adam (EMA momentum = heavy ball with dampening beta1): (2 + 2 beta1) / ((1 - beta1) lr);
# decoupled decay c = 1 - lr wd: T = c - a + beta1, D = beta1 c, T > -(1 + D) gives
# (1 + beta1) (2 - lr wd) / ((1 - beta1) lr); RMSprop (heavy ball mu): (2 + 2 mu) / lr
ADAPTIVE_FAMILY = {
    "adam": (torch.optim.Adam, dict(lr=0.01, betas=(0.9, FROZEN)), 0.0, 3.8 / (0.1 * 0.01)),
    "adam-b0.5-coupled-wd": (torch.optim.Adam, dict(lr=0.02, betas=(0.5, FROZEN),
                                                    weight_decay=0.5), 0.5, 3 / (0.5 * 0.02)),
    "adam-amsgrad": (torch.optim.Adam, dict(lr=0.01, betas=(0.8, FROZEN), amsgrad=True),
                     0.0, 3.6 / (0.2 * 0.01)),
    "adamw": (torch.optim.AdamW, dict(lr=0.02, betas=(0.9, FROZEN), weight_decay=5.0), 0.0,
              19 * (2 - 0.1) / 0.02),
    "adam-decoupled": (torch.optim.Adam, dict(lr=0.01, betas=(0.5, FROZEN), weight_decay=30.0,
                                              decoupled_weight_decay=True), 0.0,
                       3 * (2 - 0.3) / 0.01),
    "rmsprop": (torch.optim.RMSprop, dict(lr=0.01, alpha=FROZEN), 0.0, 2 / 0.01),
    "rmsprop-momentum-centered-wd": (torch.optim.RMSprop, dict(
        lr=0.01, alpha=FROZEN, momentum=0.5, centered=True, weight_decay=2.0), 2.0, 3 / 0.01),
}


@pytest.mark.parametrize("case", sorted(ADAPTIVE_FAMILY))
@pytest.mark.parametrize("side", [0.85, 1.15])
def test_preconditioned_family_threshold_formula_and_divergence(case, side):
    cls, kwargs, wd, threshold = ADAPTIVE_FAMILY[case]
    v = torch.tensor([4.0, 1.0, 0.25], dtype=torch.float64)
    eps = 1e-8
    p_diag = v.sqrt() + eps  # P; the top preconditioned curvature is (lam_0 + wd) / P_0
    lam = [side * threshold * float(p_diag[0]) - wd, 0.2 * threshold * float(p_diag[1]), 0.5]
    model, data = quadratic(lam)
    opt = cls(model.parameters(), eps=eps, **kwargs)
    _freeze_state(opt, model.weight, v)
    mon = empirical.SharpnessMonitor(model, nn.MSELoss(), data, opt, every=1000,
                                     progress=False)
    rec = mon.measure()
    expected = max((lam[i] + wd) / float(p_diag[i]) for i in range(D))
    assert rec.rule == ("rmsprop" if cls is torch.optim.RMSprop else "adam")
    assert rec.threshold == pytest.approx(threshold, rel=1e-12)
    assert rec.compared == pytest.approx(expected, rel=1e-7)
    diverged = diverges(model, data, opt, 400)
    assert diverged == (rec.compared > rec.threshold) == (side > 1)


@pytest.mark.parametrize(("make", "lam"), [
    (lambda ps: torch.optim.SGD(ps, lr=0.0), 1e6),
    (lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9, dampening=1.0), 1e4),
    (lambda ps: torch.optim.Adam(ps, lr=0.0), 1e6),
    (lambda ps: torch.optim.AdamW(ps, lr=0.0, weight_decay=1.0), 1e6),
])
def test_optimizers_that_do_not_move_have_no_threshold(make, lam):
    """lr = 0 and dampening 1 stop the iterate: threshold inf (no ZeroDivisionError), and
    running them indeed never diverges, however sharp the quadratic: it stops moving."""
    model, data = quadratic([lam, 1.0, 0.5])
    opt = make(model.parameters())
    mon = empirical.SharpnessMonitor(model, nn.MSELoss(), data, opt, every=50, progress=False)
    train(model, data, opt, mon, steps=250)
    before = model.weight.detach().clone()
    train(model, data, opt, mon, steps=1)
    assert mon.records[-1].threshold == math.inf and len(mon.records) == 6
    moved = float((model.weight.detach() - before).norm())
    assert torch.isfinite(before).all() and moved <= 1e-8 * max(float(before.norm()), 1.0)


def test_a_schedule_that_ends_at_zero():
    model, data = quadratic([5.0, 1.0, 0.5])
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    sched = torch.optim.lr_scheduler.LinearLR(opt, 1.0, 0.0, total_iters=4)
    mon = empirical.SharpnessMonitor(model, nn.MSELoss(), data, opt, every=1, progress=False)
    for _ in range(6):
        train(model, data, opt)
        sched.step()
        mon.step()
    thresholds = [r.threshold for r in mon.records]
    assert thresholds[0] == pytest.approx(2 / 0.075, rel=1e-9)
    assert thresholds[-3:] == [math.inf] * 3
    mon.verdict()  # the infinite records are left out; no ZeroDivisionError
