"""Experiment 5, data-induced multiscale structure on real networks (Section 6).

For a fully connected ReLU network without biases,
``f(x; W_1..W_L) = W_L s(W_{L-1} s(... s(W_1 x)))``, positive homogeneity of ReLU gives,
for inputs ``x_2 = k x_1`` with the same target,

* relation (i):  ``l_1(W_1, ..., W_L) = l_2(k^(-1/L) W_1, ..., k^(-1/L) W_L)``,
* relation (ii): ``l_1(W_1, ..., W_L) = l_2(k^(-1) W_1, W_2, ..., W_L)`` (true with
  biases too),

so the loss of rescaled data is the same function on a rescaled parameter space.
:func:`check_homogeneity` verifies both to float precision, with controls: relation (i)
must fail with tanh or with biases, relation (ii) must hold with them (it only rescales
the product ``W_1 x``).  :func:`input_rescaling` shows the consequence
on a trained network: when groups of inputs are multiplied by 1, 10 and 100, the
curvature of each group's loss and the width of the loss along each group's sharpest
direction separate by orders of magnitude (separate scales), while without rescaling
they do not.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from empirical._device import resolve_dtype, seeded
from empirical._eigen import lanczos
from empirical._gd import run_gd
from empirical._models import mlp
from empirical._problem import build_problem
from empirical._spec import ProblemSpec
from empirical.errors import ExperimentError
from theory import validation as v


@dataclass(frozen=True)
class RelationCheck:
    """Largest relative gap ``|l_1 - l_2| / |l_1|`` over examples for one relation and k."""

    relation: str
    activation: str
    bias: bool
    k: float
    max_rel_error: float
    tolerance: float
    expected_to_hold: bool

    @property
    def holds(self) -> bool:
        return self.max_rel_error <= self.tolerance

    @property
    def as_expected(self) -> bool:
        return self.holds == self.expected_to_hold


@dataclass(frozen=True)
class HomogeneityResult:
    """All relation checks (bias-free ReLU: must hold; controls: must fail where noted)."""

    checks: tuple[RelationCheck, ...]
    dtype: str
    depth: int

    @property
    def all_as_expected(self) -> bool:
        return all(c.as_expected for c in self.checks)

    def summary(self) -> dict:
        return {
            "dtype": self.dtype, "n_layers": self.depth + 1,
            "all_as_expected": self.all_as_expected,
            "checks": [dict(c.__dict__, holds=c.holds) for c in self.checks],
        }


def _per_example_loss(net, x, y) -> torch.Tensor:
    out = net(x)
    onehot = torch.nn.functional.one_hot(y, out.shape[1]).to(out.dtype)
    return 0.5 * ((out - onehot) ** 2).sum(dim=1)


def _scaled_copy(net, layer_factors: list[float]):
    """A copy of ``net`` whose i-th linear layer's weight is multiplied by factor i."""
    import copy

    twin = copy.deepcopy(net)
    linears = [m for m in twin if isinstance(m, torch.nn.Linear)]
    with torch.no_grad():
        for lin, f in zip(linears, layer_factors, strict=True):
            lin.weight.mul_(f)
    return twin


def check_homogeneity(
    *, depth: int = 3, width: int = 32, ks: tuple[float, ...] = (10.0, 100.0),
    n_examples: int = 64, dtype: str = "float64", seed: int = 0,
) -> HomogeneityResult:
    """Check relations (i) and (ii) of Section 6 on random networks and digits inputs.

    ``depth`` hidden layers (``L = depth + 1`` weight matrices).  Tolerance:
    ``50 * L * eps`` of the float type.  Controls: relation (i) with tanh and with
    biases must fail; relation (ii) with biases must hold.
    """
    depth = v.whole_number("depth", depth, minimum=1, error=ExperimentError)
    width = v.whole_number("width", width, minimum=1, error=ExperimentError)
    n_examples = v.whole_number("n_examples", n_examples, minimum=1, error=ExperimentError)
    for k in ks:
        v.positive_real("ks", k, error=ExperimentError)
    dt = resolve_dtype(dtype)
    problem = build_problem(ProblemSpec(n_train=n_examples, n_test=0, dtype=dtype, seed=seed))
    x = problem.data.x_train.reshape(n_examples, -1)
    y = problem.data.y_train
    n_layers = depth + 1
    tol = 50 * n_layers * float(torch.finfo(dt).eps)
    checks = []
    for activation, bias in (("relu", False), ("tanh", False), ("relu", True)):
        with seeded(seed):
            net = mlp(x.shape[1], 10, width=width, depth=depth, activation=activation,
                      bias=bias).to(dt)
        with torch.no_grad():
            l1 = _per_example_loss(net, x, y)
            for k in ks:
                k = float(k)
                for relation, factors in (
                    ("i", [k ** (-1.0 / n_layers)] * n_layers),
                    ("ii", [1.0 / k] + [1.0] * (n_layers - 1)),
                ):
                    l2 = _per_example_loss(_scaled_copy(net, factors), k * x, y)
                    err = float(((l1 - l2).abs() / l1.abs().clamp_min(1e-300)).max())
                    # (ii) only rescales the product W_1 x: it holds for any activation
                    expected = relation == "ii" or (activation == "relu" and not bias)
                    checks.append(RelationCheck(relation, activation, bias, k, err, tol,
                                                expected))
    return HomogeneityResult(tuple(checks), dtype, depth)


@dataclass(frozen=True)
class RescalingResult:
    """Per-group curvature and slice widths for one choice of input scales.

    ``scales[g]`` multiplies group ``g``'s inputs; ``group_sharpness[g]`` is the top
    Hessian eigenvalue of the group's loss ``L_g``; ``widths[g]`` the radius at which
    ``L_g``, along its own top eigenvector, has risen by ``level`` (the even part of the
    slice); ``radii`` and ``rises[g]`` the measured slices.
    """

    scales: tuple[float, ...]
    group_sharpness: np.ndarray
    widths: np.ndarray
    radii: np.ndarray
    rises: np.ndarray
    level: float
    final_loss: float

    @property
    def width_spread(self) -> float:
        """Largest over smallest width: the number of separate scales, in decades."""
        return float(self.widths.max() / self.widths.min())

    @property
    def sharpness_spread(self) -> float:
        return float(self.group_sharpness.max() / self.group_sharpness.min())


@dataclass(frozen=True)
class InputRescalingResult:
    """Section 6 on a trained network: rescaled inputs versus the unrescaled control."""

    rescaled: RescalingResult
    control: RescalingResult
    spec: ProblemSpec

    @property
    def separate_scales(self) -> bool:
        """Widths spread over >= 1 decade with rescaling and < 1/3 decade without."""
        return self.rescaled.width_spread >= 10.0 and self.control.width_spread < 10 ** (1 / 3)

    def summary(self) -> dict:
        def one(r: RescalingResult) -> dict:
            return {"scales": list(r.scales), "group_sharpness": r.group_sharpness.tolist(),
                    "widths": r.widths.tolist(), "width_spread": r.width_spread,
                    "sharpness_spread": r.sharpness_spread, "final_loss": r.final_loss}

        return {"experiment": "homogeneity/rescaling", "spec": self.spec.to_dict(),
                "rescaled": one(self.rescaled), "control": one(self.control),
                "separate_scales": self.separate_scales}


def _measure(spec: ProblemSpec, steps: int, level: float, progress: bool) -> RescalingResult:
    problem = build_problem(spec)
    loss = problem.loss
    theta = problem.theta0
    top = lanczos(loss.operator(theta), loss.dim, dtype=loss.dtype, seed=spec.seed)
    lr = 1.0 / top.sharpness  # a stable step for the sharpest (largest-scale) group
    trace = run_gd(loss, theta, lr=lr, steps=steps, progress=progress, desc="rescaling")
    assert trace.final_theta is not None  # run_gd always sets it
    theta = trace.final_theta.to(device=loss.device, dtype=loss.dtype)
    n_groups = len(problem.data.scales)
    radii = np.geomspace(1e-5, 10.0, 61)
    sharp, widths, rises = [], [], []
    for g in range(n_groups):
        gl = problem.group_loss(g)
        est = lanczos(gl.operator(theta), gl.dim, dtype=gl.dtype, seed=spec.seed + g)
        u = est.eigenvectors[0]
        base = gl.value(theta)
        rise = np.array([0.5 * (gl.value(theta + r * u) + gl.value(theta - r * u)) - base
                         for r in radii])
        above = np.nonzero(rise >= level)[0]
        if len(above) == 0:
            raise ExperimentError(f"level={level}: the loss never rises that much along group "
                                  f"{g}'s direction within r <= 10")
        i = above[0]
        if i == 0:
            width = float(radii[0])
        else:  # log-linear interpolation between the bracketing radii
            r0, r1, y0, y1 = radii[i - 1], radii[i], max(rise[i - 1], 1e-300), rise[i]
            frac = (np.log(level) - np.log(y0)) / (np.log(y1) - np.log(y0))
            width = float(np.exp(np.log(r0) + frac * (np.log(r1) - np.log(r0))))
        sharp.append(est.sharpness)
        widths.append(width)
        rises.append(rise)
    return RescalingResult(tuple(problem.data.scales), np.array(sharp), np.array(widths),
                           radii, np.array(rises), level, float(trace.losses[-1]))


def input_rescaling(
    spec: ProblemSpec | None = None, *, scales: tuple[float, ...] = (1.0, 10.0, 100.0),
    steps: int = 300, level: float = 0.1, progress: bool = True,
) -> InputRescalingResult:
    """Section 6 on a bias-free ReLU MLP trained by GD (step ``1 / sharpness`` at init).

    Groups of the training inputs are multiplied by ``scales``; the control uses the same
    groups with all factors 1.  For each group: the top eigenvalue of its loss and the
    width of its loss along its top eigenvector (radius where it rises by ``level``).
    """
    spec = (ProblemSpec(activation="relu", bias=False, dtype="float64", n_train=600, n_test=0)
            if spec is None else spec)
    if spec.activation != "relu" or spec.bias or spec.model != "mlp":
        raise ExperimentError("spec: Section 6's relations need model='mlp', "
                              "activation='relu', bias=False")
    if len(scales) < 2:
        raise ExperimentError(f"scales={scales!r}: need >= 2 groups")
    steps = v.whole_number("steps", steps, minimum=1, error=ExperimentError)
    level = v.positive_real("level", level, error=ExperimentError)
    rescaled = _measure(spec.replace(input_scales=tuple(scales)), steps, level, progress)
    control = _measure(spec.replace(input_scales=(1.0,) * len(scales)), steps, level, progress)
    return InputRescalingResult(rescaled, control, spec)
