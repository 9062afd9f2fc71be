"""``empirical.hessian`` is the Hessian of the full-batch loss for every criterion (issue 20).

Reference: ``torch.autograd.functional.hessian`` of ``criterion(model(X), Y)`` called once
on all the data, in float64 (independent of the batching under test), applied to three
random vectors (a wrong weight of any batch changes every product).  The family: torch
losses with every reduction, class weights, ``ignore_index`` labels (also a batch where
every label is ignored), label smoothing, probability targets, and plain functions whose
reduction is a sum, a mean or a weighted mean; batches even, uneven and given as a list.
"""

from __future__ import annotations

import copy

import pytest
import torch
from torch import nn
from torch.func import functional_call

import empirical
from empirical.errors import CurvatureError, DataError

N, D_IN, C = 14, 2, 3
W = torch.tensor([1.0, 5.0, 0.2], dtype=torch.float64)


def model() -> nn.Module:
    torch.manual_seed(3)
    return nn.Sequential(nn.Linear(D_IN, 3), nn.Tanh(), nn.Linear(3, C)).double()


def data(kind: str) -> tuple[torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(5)
    x = torch.randn(N, D_IN, generator=gen, dtype=torch.float64)
    if kind == "labels":
        y = torch.randint(0, C, (N,), generator=gen)
        y[:4] = -100  # the whole first batch of size 4 is ignored; more later
        y[9] = -100
        return x, y
    if kind == "probs":
        return x, torch.softmax(torch.randn(N, C, generator=gen, dtype=torch.float64), 1)
    if kind == "binary":
        return x, torch.randint(0, 2, (N, C), generator=gen).double()
    return x, torch.randn(N, C, generator=gen, dtype=torch.float64)


def reference(net: nn.Module, criterion, x, y) -> torch.Tensor:
    net = copy.deepcopy(net)
    names = [n for n, _ in net.named_parameters()]
    shapes = [p.shape for _, p in net.named_parameters()]
    theta = torch.cat([p.detach().reshape(-1) for p in net.parameters()])

    def loss(th):
        tensors, off = {}, 0
        for n, s in zip(names, shapes, strict=True):
            tensors[n] = th[off:off + s.numel()].view(s)
            off += s.numel()
        return criterion(functional_call(net, tensors, (x,)), y)

    return torch.autograd.functional.hessian(loss, theta, vectorize=True)


def weighted_sq(o, t):
    """A plain function: a weighted mean whose weights are not the batch sizes."""
    w = 1.0 + t.abs().sum(1)
    return (w * ((o - t) ** 2).sum(1)).sum() / w.sum()


def log_softmax_net() -> nn.Module:
    net = model()
    net.append(nn.LogSoftmax(dim=1))
    return net


CASES = {
    "mse-mean": (nn.MSELoss(), "real"),
    "mse-sum": (nn.MSELoss(reduction="sum"), "real"),
    "huber-mean": (nn.HuberLoss(delta=0.5), "real"),
    "bce-logits-posweight": (nn.BCEWithLogitsLoss(pos_weight=W), "binary"),
    "kl-batchmean": (nn.KLDivLoss(reduction="batchmean"), "probs"),
    "ce-weight": (nn.CrossEntropyLoss(weight=W), "labels"),
    "ce-weight-sum": (nn.CrossEntropyLoss(weight=W, reduction="sum"), "labels"),
    "ce-ignore": (nn.CrossEntropyLoss(), "labels"),
    "ce-smooth-weight": (nn.CrossEntropyLoss(weight=W, label_smoothing=0.3), "labels"),
    "ce-smooth-ignore": (nn.CrossEntropyLoss(label_smoothing=0.2), "labels"),
    "ce-probs-weight": (nn.CrossEntropyLoss(weight=W), "probs"),
    "nll-weight": (nn.NLLLoss(weight=W), "labels"),
    "fn-sum": (lambda o, t: nn.functional.mse_loss(o, t, reduction="sum"), "real"),
    "fn-ce-sum": (lambda o, t: nn.functional.cross_entropy(o, t, reduction="sum"), "labels"),
    "fn-weighted-mean": (weighted_sq, "real"),
    "fn-ce-weight": (lambda o, t: nn.functional.cross_entropy(o, t, weight=W), "labels"),
}


def batchings(x, y):
    yield "one", (x, y), None
    yield "batch_size=4", (x, y), 4
    uneven = [(x[:4], y[:4]), (x[4:5], y[4:5]), (x[5:11], y[5:11]), (x[11:], y[11:])]
    yield "list", uneven, None


@pytest.mark.parametrize("case", sorted(CASES))
def test_every_batching_gives_the_full_batch_hessian(case):
    criterion, kind = CASES[case]
    net = log_softmax_net() if case.startswith("nll") else model()
    x, y = data(kind)
    ref = reference(net, criterion, x, y)
    assert torch.isfinite(ref).all()
    probes = torch.randn(3, ref.shape[0], generator=torch.Generator().manual_seed(7),
                         dtype=torch.float64)
    for label, dat, batch_size in batchings(x, y):
        hess = empirical.hessian(net, criterion, dat, batch_size=batch_size)
        got = torch.stack([hess.hvp(v) for v in probes])
        torch.testing.assert_close(got, probes @ ref, rtol=1e-9, atol=1e-11,
                                   msg=lambda m, label=label: f"{case}, {label}: {m}")


def test_the_issue_examples_sum_function_and_class_weights():
    """A sum-reduced function is not a mean (eigenvalue ratio = n / batch size before), and
    class weights combine by total weight, not by batch size (trace 0.817 vs 1.243)."""
    net, (x, y) = model(), data("real")
    fn = CASES["fn-sum"][0]
    one = empirical.hessian(net, fn, (x, y)).eigenvalues().eigenvalues[0]
    five = empirical.hessian(net, fn, (x, y), batch_size=5).eigenvalues().eigenvalues[0]
    top = float(torch.linalg.eigvalsh(reference(net, fn, x, y))[-1])
    assert one == pytest.approx(top, rel=1e-8) and five == pytest.approx(top, rel=1e-8)
    x, y = data("labels")
    crit = nn.CrossEntropyLoss(weight=W)
    exact = float(torch.trace(reference(net, crit, x, y)))
    got = float(torch.trace(empirical.hessian(net, crit, (x, y), batch_size=3).dense()))
    assert got == pytest.approx(exact, rel=1e-10)


def test_unknown_reduction_that_does_not_fit_is_refused():
    net, (x, y) = model(), data("real")
    with pytest.raises(CurvatureError, match=r"criterion=<lambda>: its reduction over the "
                                             r"examples is unknown.*memory_bytes=1000"):
        empirical.hessian(net, CASES["fn-sum"][0], (x, y), batch_size=2, memory_bytes=1000)


def test_only_ignored_labels_are_refused():
    net, (x, _) = model(), data("labels")
    y = torch.full((N,), -100)
    with pytest.raises(DataError, match=r"every target is ignore_index=-100"):
        empirical.hessian(net, nn.CrossEntropyLoss(), (x, y), batch_size=4)
    y[0], y[1] = 7, 0
    with pytest.raises(DataError, match=r"class labels in \[0, 7\] \(besides "
                                        r"ignore_index=-100\)"):
        empirical.hessian(net, nn.CrossEntropyLoss(), (x, y))
