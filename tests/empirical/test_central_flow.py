"""empirical central flow: third-derivative products, the tracker, the flow against GD.

References: central finite differences of the Hessian-vector product (float64) for every
supported module; the closed form of the central flow on L = -c x + (a + b x) y^2 / 2
(S = a + b x reaches 2/eta at x* and Sigma = 2c/b there).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from empirical._central_flow import CentralFlowSettings, central_flow, run_central_flow
from empirical._objective import FunctionObjective
from empirical._third import SUPPORTED_MODULES, check_supported, gradient_and_eigen_gradients
from empirical._user_objective import UserObjective
from empirical.errors import ExperimentError, ModelError

EPS = 1e-5


def _models() -> dict[str, nn.Module]:
    torch.manual_seed(0)
    return {
        "mlp-tanh": nn.Sequential(nn.Linear(4, 5), nn.Tanh(), nn.Linear(5, 3)),
        "mlp-sigmoid-gelu": nn.Sequential(nn.Linear(4, 5), nn.Sigmoid(), nn.Linear(5, 5),
                                          nn.GELU(), nn.Linear(5, 3)),
        "mlp-softplus-silu-relu": nn.Sequential(nn.Linear(4, 5), nn.Softplus(), nn.Linear(5, 5),
                                                nn.SiLU(), nn.Linear(5, 4), nn.ReLU(),
                                                nn.Identity(), nn.Linear(4, 3)),
        "cnn": nn.Sequential(nn.Conv2d(1, 2, 3, padding=1), nn.Tanh(), nn.AvgPool2d(2),
                             nn.Conv2d(2, 2, 3, padding=1), nn.Tanh(), nn.AdaptiveAvgPool2d(1),
                             nn.Flatten(), nn.Linear(2, 3)),
        "conv1d": nn.Sequential(nn.Conv1d(1, 2, 3), nn.Tanh(), nn.Flatten(), nn.Linear(4, 3)),
    }


def _data(name: str) -> tuple[torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(1)
    shape = {"cnn": (6, 1, 4, 4), "conv1d": (6, 1, 4)}.get(name, (6, 4))
    return torch.randn(*shape, generator=gen, dtype=torch.float64), torch.tensor([0, 1, 2] * 2)


@pytest.mark.parametrize("name", sorted(_models()))
def test_third_derivative_products_match_finite_differences(name):
    model = _models()[name].double()
    objective = UserObjective(model, "mse", _data(name))
    theta = objective.layout.flatten(model)
    gen = torch.Generator().manual_seed(2)
    u = torch.randn(objective.dim, generator=gen, dtype=torch.float64)
    u /= u.norm()
    direction = torch.randn(objective.dim, generator=gen, dtype=torch.float64)
    _value, grad, jac = gradient_and_eigen_gradients(objective, theta, u[None])
    # d/ds [u^T H(theta + s d) u] at s = 0, by central differences of exact HVPs
    plus = u @ objective.hvp(theta + EPS * direction, u)
    minus = u @ objective.hvp(theta - EPS * direction, u)
    reference = float((plus - minus) / (2 * EPS))
    assert float(jac[0] @ direction) == pytest.approx(reference, rel=1e-6, abs=1e-9)
    torch.testing.assert_close(grad, objective.grad(theta))


def test_untested_modules_are_refused():
    model = nn.Sequential(nn.Linear(4, 4), nn.LayerNorm(4), nn.Linear(4, 3))
    with pytest.raises(ModelError, match="LayerNorm"):
        check_supported(model)
    check_supported(model, allow_untested=True)
    assert nn.LayerNorm not in SUPPORTED_MODULES
    with pytest.raises(ModelError, match="LayerNorm"):
        central_flow(model, "mse", _data("mlp"), 0.1, 2)


A, B, C, ETA = 0.3, 0.2, 0.05, 3.0


def _sharpening(theta: torch.Tensor) -> torch.Tensor:
    x, y = theta[0], theta[1:]
    return -C * x + 0.5 * (A + B * x) * (y @ y) + 0.05 * (y[1:] @ y[1:])


def test_central_flow_holds_the_edge_on_a_closed_form():
    """S = a + 0.1 + b x (y[1:]) reaches 2/eta at x* = (2/eta - a - 0.1)/b; Sigma = 2c/b and the
    predicted loss is L + tr(Sigma)/eta (theory.central_flow's Fig. test, here in torch)."""
    objective = FunctionObjective(_sharpening, dim=3)
    theta0 = torch.tensor([0.0, 1e-3, 1e-3], dtype=torch.float64)
    settings = CentralFlowSettings(sharpness_every=50, lanczos_tol=1e-10)
    result = run_central_flow(objective, theta0, ETA, 60, settings)
    x_star = (2 / ETA - A - 0.1) / B  # the y[1:] block is the sharper one
    assert result.cf_sharpness[-1] == pytest.approx(2 / ETA, rel=1e-6)
    assert result.cf_sigma2[-1] == pytest.approx(2 * C / B, rel=1e-4)
    assert result.cf_predicted_loss[-1] == pytest.approx(-C * x_star + 2 * C / B / ETA, rel=1e-4)
    assert result.cf_critical[-1] == 2  # 0.667 and 0.567, both above 1.5/eta = 0.5
    tables = result.tables()
    assert len(tables["flow"]["step"]) == 61


def test_heavy_ball_flow_holds_the_momentum_threshold():
    """With momentum beta the flow holds S at (2 + 2 beta)/eta (SharpnessMonitor's rule):
    x* = ((2 + 2 beta)/eta - a - 0.1)/b, again with Sigma = 2c/b."""
    objective = FunctionObjective(_sharpening, dim=3)
    theta0 = torch.tensor([0.0, 1e-3, 1e-3], dtype=torch.float64)
    settings = CentralFlowSettings(sharpness_every=50, lanczos_tol=1e-10, momentum=0.5)
    result = run_central_flow(objective, theta0, ETA, 40, settings)
    assert result.threshold == pytest.approx(3.0 / ETA)
    assert result.cf_sharpness[-1] == pytest.approx(3.0 / ETA, rel=1e-6)
    assert result.cf_sigma2[-1] == pytest.approx(2 * C / B, rel=1e-4)


def test_digits_mlp_tracks_gd_at_a_tiny_size(tiny_problem):
    """The CI-sized check: 2 x 6 tanh MLP on 40 digits, float64, eta = 0.5, whose sharpness
    reaches 2/eta near step 200: from GD's step 190 the flow follows GD into the edge."""
    objective = tiny_problem.loss
    lr = 0.5
    theta = tiny_problem.theta0
    for _ in range(190):
        theta = theta - lr * objective.grad(theta)
    settings = CentralFlowSettings(sharpness_every=5, max_tracked=4)
    result = run_central_flow(objective, theta, lr, 40, settings)
    assert result.eos_step is not None
    summary = result.summary(start=5)
    assert summary["max_distance"] < 0.1
    assert summary["max_predicted_loss_error"] < 0.05
    assert summary["max_cf_sharpness_ratio"] < 1.01


@pytest.mark.parametrize("kwargs", [
    {"substeps": 0}, {"track": 1.5}, {"momentum": 1.0}, {"max_tracked": 0},
    {"lanczos_tol": 2.0}, {"seed": -1}, {"optimizer": "adam"}, {"beta2": 1.0},
    {"eps": -1.0}, {"optimizer": "rmsprop", "momentum": 0.5},
])
def test_bad_settings_are_refused(kwargs):
    with pytest.raises(ExperimentError):
        CentralFlowSettings(**kwargs)


def test_cli_writes_series_figure_and_summary(tmp_path, capsys):
    from msl.cli import main

    out = tmp_path / "cf"
    code = main(["central-flow", "--n-train", "20", "--width", "4", "--dtype", "float64",
                 "--lr", "0.5", "--steps", "6", "--out", str(out)])
    assert code == 0
    for name in ("central_flow.json", "central_flow.png", "central_flow_flow.csv",
                 "central_flow_gd_sharpness.csv", "central_flow_series.json"):
        assert (out / name).is_file()
    assert "series:" in capsys.readouterr().out
    assert main(["central-flow", "--substeps", "0", "--steps", "2", "--n-train", "20",
                 "--out", str(out)]) == 2
    assert main(["central-flow", "--n-train", "20", "--width", "4", "--dtype", "float64",
                 "--lr", "0.01", "--steps", "3", "--optimizer", "rmsprop", "--eps", "0.01",
                 "--out", str(tmp_path / "rms")]) == 0
    assert "rmsprop " in capsys.readouterr().out
    assert (tmp_path / "rms" / "central_flow_series.json").is_file()


def _tilted(theta: torch.Tensor) -> torch.Tensor:
    x, y = theta[0], theta[1]
    return -C * x + 0.5 * (0.01 + B * x) * y**2


def test_scalar_rmsprop_flow_matches_theory_and_its_closed_form():
    """Scalar RMSProp on L = -c x + (a + b x) y^2/2 (a = 0.01, eta = 1.7, beta2 = 0.5) from
    (0.2, 0): the flow settles where nu = c^2 / (1 - 8c/(b eta^2)), x = (2 sqrt(nu)/eta -
    a)/b and Sigma = 2c/b (the steady state of d nu/dt with X |H u|^2), along theory's
    Radau trajectory of the same rule (the network code takes Euler substeps; at eta = 2
    the oscillation's push 1/2 X grad(u^T H u) makes the cross direction too stiff for four
    substeps per step)."""
    from theory.central_flow import Rule as TheoryRule
    from theory.central_flow import preconditioned_central_flow

    eta, steps = 1.7, 60
    objective = FunctionObjective(_tilted, dim=2)
    settings = CentralFlowSettings(optimizer="scalar_rmsprop", beta2=0.5, eps=0.0,
                                   sharpness_every=100, lanczos_tol=1e-10)
    w0 = [0.2, 0.0]
    result = run_central_flow(objective, torch.tensor(w0, dtype=torch.float64), eta, steps,
                              settings)
    nu = C**2 / (1 - 8 * C / (B * eta**2))
    x_star = (2 * np.sqrt(nu) / eta - 0.01) / B
    assert result.cf_sigma2[-1] == pytest.approx(2 * C / B, rel=1e-3)
    assert result.cf_loss[-1] == pytest.approx(-C * x_star, rel=1e-3)
    assert result.cf_sharpness[-1] == pytest.approx(2 / eta, rel=1e-6)
    theory = preconditioned_central_flow(f"-{C}*x + (0.01 + {B}*x)*y**2/2",
                                         TheoryRule("scalar_rmsprop", eta, beta2=0.5),
                                         w0, steps)
    reference = -C * theory.w[:, 0] + 0.5 * (0.01 + B * theory.w[:, 0]) * theory.w[:, 1] ** 2
    np.testing.assert_allclose(result.cf_loss, reference, rtol=1e-2)  # Euler vs Radau
    # the reported Sigma leaves out the gap correction (T - mu)/tau, which theory's keeps:
    # at t = 0, mu = 1 is below T = 1.18, so they differ there only
    np.testing.assert_allclose(result.cf_sigma2[1:], theory.sigma2[1:], rtol=5e-3)
    # beyond the quadratic model: the loss is quadratic along u, so both predictions agree
    np.testing.assert_allclose(result.cf_orbit_loss, result.cf_predicted_loss, rtol=1e-9,
                               atol=1e-12)


def test_rmsprop_flow_follows_torch_rmsprop_through_its_edge(tiny_problem):
    """torch.optim.RMSprop (alpha = beta2 = 0.99, eps = 0.01, lr = 0.01) on the tiny digits
    MLP: its preconditioned sharpness crosses 2/eta near step 30 and catapults near step 60;
    the flow holds it at 2/eta, its weights stay within 10% of RMSProp's and, from step 80
    (after the first catapult and its 10-step window: a time average has no catapult), its
    predicted loss is within 5% of RMSProp's 10-step mean."""
    settings = CentralFlowSettings(optimizer="rmsprop", eps=0.01, sharpness_every=5,
                                   max_tracked=3)
    result = run_central_flow(tiny_problem.loss, tiny_problem.theta0, 0.01, 90, settings)
    assert result.eos_step is not None and result.eos_step <= 40
    summary = result.summary()
    assert summary["max_distance"] < 0.1
    assert summary["max_cf_sharpness_ratio"] < 1.01
    assert result.summary(start=80)["max_predicted_loss_error"] < 0.05
    assert max(result.gd_sharpness[-4:]) < 1.2 * result.threshold  # RMSProp at its edge


def test_rmsprop_reference_is_torch_rmsprop():
    """The reference run is torch.optim.RMSprop from nu = g(w0)^2: the same iterates as the
    update written out, nu' = beta2 nu + (1 - beta2) g^2, w' = w - eta g/(sqrt(nu') + eps)."""
    from empirical._central_flow_rules import run_optimizer

    objective = FunctionObjective(_tilted, dim=2)
    theta0 = torch.tensor([0.3, 0.5], dtype=torch.float64)
    settings = CentralFlowSettings(optimizer="rmsprop", beta2=0.9, eps=1e-3)
    path = run_optimizer(objective, theta0, 0.1, 5, settings)[0]
    w = theta0.clone()
    nu = objective.grad(w) ** 2
    for t in range(6):
        torch.testing.assert_close(path[t], w, rtol=1e-12, atol=1e-14)
        g = objective.grad(w)
        nu = 0.9 * nu + 0.1 * g**2
        w = w - 0.1 * g / (nu.sqrt() + 1e-3)
