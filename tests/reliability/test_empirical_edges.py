"""The empirical package at its edges (issue 20): clean errors (a ValueError subclass of
ours naming the argument and the value) instead of tracebacks, the monitor's handling
of optimizers it has no rule for, of the parameters an optimizer trains, of mini-batch
training, and its edge-of-stability criterion."""

from __future__ import annotations

import math
import warnings

import pytest
import torch
from torch import nn

import empirical
from empirical._monitor import MonitorRecord
from empirical.errors import (
    CurvatureError,
    DataError,
    DeviceError,
    EmpiricalValueError,
    ExperimentError,
    ModelError,
    ThresholdWarning,
)


def setting(n: int = 8):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1)).double()
    x = torch.randn(n, 2, dtype=torch.float64)
    return model, (x, torch.randn(n, 1, dtype=torch.float64))


def train(model, data, optimizer, monitor, steps: int, batch: int | None = None) -> None:
    x, y = data
    batch = batch or len(x)
    for step in range(steps):
        i = (step * batch) % len(x)
        optimizer.zero_grad()
        nn.functional.mse_loss(model(x[i:i + batch]), y[i:i + batch]).backward()
        optimizer.step()
        monitor.step()


# -- clean errors ------------------------------------------------------------------------
X = torch.randn(5, 2, dtype=torch.float64)
LINEAR = nn.Linear(2, 2).double()

CLEAN = [
    (lambda: empirical.hessian(LINEAR, nn.MSELoss(), (X, X), params=5), ModelError,
     r"params=5: must be"),
    (lambda: empirical.hessian(LINEAR, nn.MSELoss(), (X, X), params=2.5), ModelError,
     r"params=2.5"),
    (lambda: empirical.hessian(LINEAR, nn.MSELoss(), (X, X)).hvp("abc"), CurvatureError,
     r"v='abc': must be a vector of 6 numbers"),
    (lambda: empirical.hessian(LINEAR, nn.MSELoss(), (X, X)).hvp(None), CurvatureError,
     r"v=None"),
    (lambda: empirical.hessian(LINEAR, nn.MSELoss(), (X, X), memory_bytes="lots"),
     CurvatureError, r"memory_bytes='lots' must be a whole number >= 1"),
    (lambda: empirical.hessian(LINEAR, nn.MSELoss(), (X, X), memory_bytes=-1),
     CurvatureError, r"memory_bytes=-1 must be a whole number >= 1"),
    (lambda: empirical.hessian(LINEAR, nn.MSELoss(), (X, X), memory_bytes=math.inf),
     CurvatureError, r"memory_bytes=inf"),
    (lambda: empirical.hessian(nn.Tanh(), nn.MSELoss(), (X, X)), ModelError,
     r"model=Tanh: has no parameters"),
    (lambda: empirical.hessian(nn.Linear(2, 2).to("meta"), nn.MSELoss(), (X, X)),
     DeviceError, r"'meta' device"),
    (lambda: empirical.hessian(LINEAR, nn.MSELoss(), (X.to("meta"), X)), DataError,
     r"inputs of batch 0 are on the 'meta' device"),
    (lambda: empirical.hessian(LINEAR, nn.MSELoss(), [(X, X), (X, X.to("meta"))]), DataError,
     r"targets of batch 1 are on the 'meta' device"),
    (lambda: empirical.SharpnessMonitor(LINEAR, nn.MSELoss(), (X, X), torch.optim.SGD(
        LINEAR.parameters(), lr=0.1, maximize=True), progress=False), ExperimentError,
     r"optimizer=SGD: maximize=True"),
    (lambda: empirical.SharpnessMonitor(LINEAR, nn.MSELoss(), (X, X), torch.optim.SGD(
        LINEAR.parameters(), lr=0.1), memory_bytes="lots", progress=False), CurvatureError,
     r"memory_bytes='lots'"),
    (lambda: empirical.SharpnessMonitor(LINEAR, nn.MSELoss(), (X, X), torch.optim.SGD(
        [LINEAR.weight], lr=0.1), params=["bias"], progress=False), ExperimentError,
     r"params: bias are not trained by the optimizer"),
    (lambda: empirical.SharpnessMonitor(LINEAR, nn.MSELoss(), (X, X), torch.optim.SGD(
        LINEAR.parameters(), lr=0.1), full_batch="yes", progress=False), ExperimentError,
     r"full_batch='yes'"),
    (lambda: empirical.SharpnessMonitor(LINEAR, nn.MSELoss(), (X, X), torch.optim.SGD(
        [{"params": [LINEAR.weight], "weight_decay": 0.1}, {"params": [LINEAR.bias]}],
        lr=0.1), progress=False), ExperimentError,
     r"different settings \(weight_decay: 0.1, 0\).*params="),
]


@pytest.mark.parametrize("index", range(len(CLEAN)))
def test_bad_input_is_a_clean_error(index):
    call, error, pattern = CLEAN[index]
    with pytest.raises(error, match=pattern) as info:
        call()
    assert isinstance(info.value, EmpiricalValueError) and isinstance(info.value, ValueError)


# -- optimizers without a rule ------------------------------------------------------------
class NoLr(torch.optim.Optimizer):
    """A custom optimizer whose groups have no ``lr``."""

    def __init__(self, params):
        super().__init__(params, dict(step_size=0.01))

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    p.add_(p.grad, alpha=-group["step_size"])


class StepSize(torch.optim.Optimizer):
    """A custom optimizer with a proper ``lr``: no rule is known, so NaN and a warning."""

    def __init__(self, params, lr=0.01):
        super().__init__(params, dict(lr=lr))

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    p.add_(p.grad, alpha=-group["lr"])


class SignSGD(torch.optim.SGD):
    """An SGD subclass with its own update (sign of the gradient): 2/lr does not apply."""

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    p.add_(p.grad.sign(), alpha=-group["lr"])


class NamedSGD(torch.optim.SGD):
    """An SGD subclass that keeps SGD's update: SGD's rule applies."""


@pytest.mark.parametrize("make", [
    lambda ps: torch.optim.Adagrad(ps, lr=0.01),
    lambda ps: torch.optim.NAdam(ps, lr=0.01),
    lambda ps: torch.optim.RAdam(ps, lr=0.01),
    lambda ps: torch.optim.Adamax(ps, lr=0.01),
    lambda ps: StepSize(ps),
    lambda ps: SignSGD(ps, lr=0.01),
], ids=["Adagrad", "NAdam", "RAdam", "Adamax", "StepSize", "SignSGD"])
def test_optimizers_without_a_rule_warn_once(make):
    model, data = setting()
    opt = make(model.parameters())
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        mon = empirical.SharpnessMonitor(model, nn.MSELoss(), data, opt, every=1,
                                         progress=False)
        train(model, data, opt, mon, 3)
    ours = [w for w in caught if issubclass(w.category, ThresholdWarning)]
    assert len(ours) == 1, [str(w.message) for w in caught]
    assert f"optimizer={type(opt).__name__}" in str(ours[0].message)
    assert all(r.rule == "unknown" and math.isnan(r.threshold) for r in mon.records)
    assert all(math.isfinite(r.sharpness) for r in mon.records)
    assert mon.records[0].lr == 0.01


class NamedLr(torch.optim.Optimizer):
    """A custom optimizer whose step size is under another key (``learning_rate``)."""

    def __init__(self, params):
        super().__init__(params, dict(learning_rate=0.01, momentum=0.0))

    def step(self, closure=None):  # pragma: no cover - never reached
        raise AssertionError


def _without(make, key):
    def build(ps):
        opt = make(ps)
        for group in opt.param_groups:
            if key in group:
                del group[key]
        return opt
    return build


def _none(make, key):
    def build(ps):
        opt = make(ps)
        for group in opt.param_groups:
            group[key] = None
        return opt
    return build


# issue 20 ("KeyError ... for custom optimizers without lr"): a threshold that needs a
# hyperparameter the optimizer lacks is refused, naming the class and the key.  Before,
# NoLr warned and gave NaN, SGD without lr read lr = 0 and claimed no constraint (inf),
# and Adam without betas raised KeyError.
MISSING = [
    (lambda ps: NoLr(ps), "NoLr", "lr"),
    (lambda ps: NamedLr(ps), "NamedLr", "lr"),
    (_none(lambda ps: StepSize(ps), "lr"), "StepSize", "lr"),
    (_without(lambda ps: SignSGD(ps, lr=0.01), "lr"), "SignSGD", "lr"),
    (_without(lambda ps: torch.optim.Adagrad(ps, lr=0.01), "lr"), "Adagrad", "lr"),
    (_without(lambda ps: torch.optim.SGD(ps, lr=0.1), "lr"), "SGD", "lr"),
    (_none(lambda ps: torch.optim.SGD(ps, lr=0.1), "lr"), "SGD", "lr"),
    (_without(lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9), "momentum"), "SGD",
     "momentum"),
    (_without(lambda ps: torch.optim.SGD(ps, lr=0.1), "dampening"), "SGD", "dampening"),
    (_without(lambda ps: NamedSGD(ps, lr=0.1), "weight_decay"), "NamedSGD", "weight_decay"),
    (_without(lambda ps: torch.optim.Adam(ps, lr=0.01), "betas"), "Adam", "betas"),
    (_without(lambda ps: torch.optim.AdamW(ps, lr=0.01), "eps"), "AdamW", "eps"),
    (_without(lambda ps: torch.optim.RMSprop(ps, lr=0.01), "alpha"), "RMSprop", "alpha"),
    (_without(lambda ps: torch.optim.RMSprop(ps, lr=0.01, momentum=0.5), "momentum"),
     "RMSprop", "momentum"),
]


@pytest.mark.parametrize("make, name, key", MISSING,
                         ids=[f"{name}-{key}-{i}" for i, (_, name, key) in enumerate(MISSING)])
def test_a_missing_hyperparameter_is_refused(make, name, key):
    from empirical._monitor import stability_rule
    from empirical.errors import MissingHyperparameterError

    model, data = setting()
    opt = make(model.parameters())
    pattern = rf"optimizer={name}: its param group has no value for '{key}'"
    with warnings.catch_warnings():
        warnings.simplefilter("error", ThresholdWarning)  # refused, not warned about
        with pytest.raises(MissingHyperparameterError, match=pattern) as info:
            empirical.SharpnessMonitor(model, nn.MSELoss(), data, opt, every=1,
                                       progress=False)
        assert isinstance(info.value, ExperimentError) and isinstance(info.value, ValueError)
        with pytest.raises(MissingHyperparameterError, match=pattern):
            stability_rule(opt, list(model.parameters()))


@pytest.mark.parametrize("value", ["fast", [0.1], object()])
def test_a_hyperparameter_that_is_not_a_number_is_refused(value):
    model, data = setting()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    opt.param_groups[0]["lr"] = value
    with pytest.raises(ExperimentError, match=r"lr=.* must be a real number"):
        empirical.SharpnessMonitor(model, nn.MSELoss(), data, opt, every=1, progress=False)


def test_an_sgd_subclass_keeping_sgd_step_gets_sgd_rule():
    model, data = setting()
    opt = NamedSGD(model.parameters(), lr=0.1, weight_decay=2.0)
    mon = empirical.SharpnessMonitor(model, nn.MSELoss(), data, opt, every=1, progress=False)
    train(model, data, opt, mon, 1)
    assert mon.records[0].rule in ("gd", "sgd") and mon.records[0].threshold == 18.0


# -- the optimizer's parameters are the truth ----------------------------------------------
def test_only_the_trained_parameters_are_monitored():
    model, (x, y) = setting()
    last = model[2]
    opt = torch.optim.SGD(last.parameters(), lr=0.1)
    mon = empirical.SharpnessMonitor(model, nn.MSELoss(), (x, y), opt, every=1, progress=False)
    assert mon.objective.layout.names == ("2.weight", "2.bias") and mon.objective.dim == 4
    rec = mon.measure()
    # the loss is quadratic in the last layer: H = 2/n [h 1]^T [h 1] (reference by hand)
    with torch.no_grad():
        feats = torch.cat([torch.tanh(model[0](x)), torch.ones(len(x), 1,
                                                               dtype=torch.float64)], 1)
    block = 2 / len(x) * feats.T @ feats
    assert rec.sharpness == pytest.approx(float(torch.linalg.eigvalsh(block)[-1]), rel=1e-9)


# -- mini-batches and the edge-of-stability criterion ---------------------------------------
def test_full_batch_is_gd_and_mini_batches_are_sgd():
    model, data = setting()
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    mon = empirical.SharpnessMonitor(model, nn.MSELoss(), data, opt, every=1, progress=False)
    train(model, data, opt, mon, 2)
    assert mon.full_batch is True and [r.rule for r in mon.records] == ["gd", "gd"]
    model, data = setting()
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    mon = empirical.SharpnessMonitor(model, nn.MSELoss(), data, opt, every=1, progress=False)
    train(model, data, opt, mon, 2, batch=2)
    assert mon.full_batch is False and [r.rule for r in mon.records] == ["sgd", "sgd"]
    declared = empirical.SharpnessMonitor(model, nn.MSELoss(), data, opt, progress=False,
                                          full_batch=True)
    assert declared.measure().rule == "gd"


def _records(ratio_of_threshold: float, steps: int = 40) -> list[MonitorRecord]:
    """Sharpness rising to ``ratio`` x threshold and hovering there; loss falling."""
    out = []
    for t in range(steps):
        level = min(1.0, t / 10) * ratio_of_threshold * (1 + 0.01 * (-1) ** t)
        out.append(MonitorRecord(t, 1.0 / (1 + t), 20.0 * level, math.nan, 20.0, 0.1, "gd", 10))
    return out


@pytest.mark.parametrize(("ratio", "full_batch", "claimed"), [
    (1.02, True, True),     # at the threshold: the edge of stability
    (0.92, True, False),    # in the 10% band but never reaching it: not the edge
    (0.95, True, False),
    (1.02, False, False),   # mini-batch SGD: 2/lr is not its threshold
])
def test_edge_of_stability_needs_the_threshold_and_full_batch(ratio, full_batch, claimed):
    model, data = setting()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    mon = empirical.SharpnessMonitor(model, nn.MSELoss(), data, opt, progress=False,
                                     full_batch=full_batch)
    mon.records = _records(ratio)
    verdict = mon.verdict()
    assert verdict.fraction_in_band >= 0.5 and verdict.loss_keeps_decreasing  # the band alone
    assert verdict.edge_of_stability is claimed
