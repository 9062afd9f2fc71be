"""Model zoo: shapes, seeding, bias flag, and exact HVPs on a small CNN."""

from __future__ import annotations

import pytest
import torch

from empirical import ProblemSpec, build_model, build_problem
from empirical.errors import DeviceError, ModelError


@pytest.mark.parametrize("model", ["mlp", "linear", "cnn", "vgg11", "resnet18"])
@pytest.mark.parametrize("shape", [(1, 8, 8), (3, 32, 32)])
def test_models_map_images_to_class_scores(model, shape):
    spec = ProblemSpec(model=model, width=4, depth=2, norm="group" if model == "resnet18"
                       else "none")
    net = build_model(spec, shape, 10)
    out = net(torch.randn(2, *shape))
    assert out.shape == (2, 10)


def test_initialisation_is_seeded():
    spec = ProblemSpec(width=8)
    a = build_model(spec, (1, 8, 8), 10)
    b = build_model(spec, (1, 8, 8), 10)
    c = build_model(spec.replace(seed=1), (1, 8, 8), 10)
    for (_, pa), (_, pb), (_, pc) in zip(a.named_parameters(), b.named_parameters(),
                                         c.named_parameters(), strict=True):
        assert torch.equal(pa, pb)
        assert not torch.equal(pa, pc)


def test_bias_flag_and_depth_set_the_parameters():
    net = build_model(ProblemSpec(width=5, depth=3, bias=False), (1, 8, 8), 10)
    shapes = [tuple(p.shape) for p in net.parameters()]
    assert shapes == [(5, 64), (5, 5), (5, 5), (10, 5)]


def test_conv_models_need_images():
    with pytest.raises(ModelError, match="image"):
        build_problem(ProblemSpec(data="multiscale", model="cnn", n_train=30, n_test=0))


def test_cuda_without_gpu_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)  # same on a GPU machine
    with pytest.raises(DeviceError, match="no CUDA"):
        build_problem(ProblemSpec(device="cuda", n_train=10, n_test=0))


def test_small_cnn_hvp_matches_dense_hessian():
    problem = build_problem(ProblemSpec(model="cnn", width=2, n_train=20, n_test=0,
                                        dtype="float64"))
    loss = problem.loss
    hess = loss.dense_hessian(loss.theta0)
    v = torch.randn(loss.dim, dtype=torch.float64)
    torch.testing.assert_close(loss.hvp(loss.theta0, v), hess @ v, rtol=1e-10, atol=1e-12)
