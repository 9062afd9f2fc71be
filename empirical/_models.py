"""Networks: MLP, small CNN, VGG-11 and ResNet-18 style, and linear regression.

Every model starts with its own input handling (MLPs flatten the input) and ends with
``n_classes`` outputs.  There is no BatchNorm: its batch statistics would make the
"full-batch loss" depend on how the data is split; the ResNet uses GroupNorm (per
example) when ``norm="group"``.  Initialisation is PyTorch's default, drawn from ``seed``.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from empirical._device import resolve_device, resolve_dtype, seeded
from empirical._spec import ProblemSpec
from empirical.errors import ModelError

_ACT = {"tanh": nn.Tanh, "relu": nn.ReLU}


def mlp(
    in_features: int, n_classes: int, *, width: int, depth: int, activation: str, bias: bool
) -> nn.Sequential:
    """Fully connected network with ``depth`` hidden layers of ``width`` units."""
    layers: list[nn.Module] = [nn.Flatten()]
    fan_in = in_features
    for _ in range(depth):
        layers += [nn.Linear(fan_in, width, bias=bias), _ACT[activation]()]
        fan_in = width
    layers.append(nn.Linear(fan_in, n_classes, bias=bias))
    return nn.Sequential(*layers)


def linear_regression(in_features: int, n_classes: int, *, bias: bool) -> nn.Sequential:
    """A linear model: with the MSE loss the training loss is exactly quadratic."""
    return nn.Sequential(nn.Flatten(), nn.Linear(in_features, n_classes, bias=bias))


def small_cnn(
    input_shape: tuple[int, int, int], n_classes: int, *, width: int, activation: str, bias: bool
) -> nn.Sequential:
    """Two 3x3 convolutions (``width``, ``2*width`` channels), each followed by 2x2
    average pooling, then a linear read-out."""
    c, h, w = input_shape
    if h < 4 or w < 4:
        raise ModelError(f"model='cnn': input images of {h}x{w} are too small (need >= 4x4)")
    return nn.Sequential(
        nn.Conv2d(c, width, 3, padding=1, bias=bias),
        _ACT[activation](),
        nn.AvgPool2d(2),
        nn.Conv2d(width, 2 * width, 3, padding=1, bias=bias),
        _ACT[activation](),
        nn.AvgPool2d(2),
        nn.Flatten(),
        nn.Linear(2 * width * (h // 4) * (w // 4), n_classes, bias=bias),
    )


_VGG11: tuple[int | str, ...] = (1, "M", 2, "M", 4, 4, "M", 8, 8, "M", 8, 8, "M")


def vgg11(
    input_shape: tuple[int, int, int], n_classes: int, *, width: int, activation: str, bias: bool
) -> nn.Sequential:
    """VGG-11 (configuration A of Simonyan & Zisserman) without BatchNorm.

    Channel counts are ``width * (1, 2, 4, 4, 8, 8, 8, 8)`` (``width=64`` is the original);
    a pooling layer is skipped when the feature map is already 1x1 (small inputs).
    """
    c, h, w = input_shape
    layers: list[nn.Module] = []
    for item in _VGG11:
        if isinstance(item, str):  # "M": max pooling
            if h >= 2 and w >= 2:
                layers.append(nn.MaxPool2d(2))
                h, w = h // 2, w // 2
        else:
            layers += [nn.Conv2d(c, item * width, 3, padding=1, bias=bias), _ACT[activation]()]
            c = item * width
    layers += [nn.Flatten(), nn.Linear(c * h * w, n_classes, bias=bias)]
    return nn.Sequential(*layers)


def _norm(kind: str, channels: int) -> nn.Module:
    if kind == "group":
        return nn.GroupNorm(math.gcd(channels, 8), channels)
    return nn.Identity()


class _BasicBlock(nn.Module):
    def __init__(self, c_in: int, c_out: int, stride: int, act: str, bias: bool, norm: str):
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1, bias=bias)
        self.norm1 = _norm(norm, c_out)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, padding=1, bias=bias)
        self.norm2 = _norm(norm, c_out)
        self.act = _ACT[act]()
        self.shortcut: nn.Module = nn.Identity()
        if stride != 1 or c_in != c_out:
            self.shortcut = nn.Sequential(
                nn.Conv2d(c_in, c_out, 1, stride=stride, bias=bias), _norm(norm, c_out)
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.act(self.norm1(self.conv1(x)))
        out = self.norm2(self.conv2(out))
        return self.act(out + self.shortcut(x))


class ResNet18(nn.Module):
    """ResNet-18 style network (He et al. 2016, CIFAR variant): a 3x3 stem and four
    stages of two basic blocks with ``width * (1, 2, 4, 8)`` channels."""

    def __init__(
        self, input_shape: tuple[int, int, int], n_classes: int, *, width: int, activation: str,
        bias: bool, norm: str,
    ):
        super().__init__()
        c = input_shape[0]
        self.stem = nn.Sequential(
            nn.Conv2d(c, width, 3, padding=1, bias=bias), _norm(norm, width), _ACT[activation]()
        )
        blocks: list[nn.Module] = []
        c_in = width
        for stage, mult in enumerate((1, 2, 4, 8)):
            for i in range(2):
                stride = 2 if stage > 0 and i == 0 else 1
                blocks.append(_BasicBlock(c_in, mult * width, stride, activation, bias, norm))
                c_in = mult * width
        self.blocks = nn.Sequential(*blocks)
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                                  nn.Linear(c_in, n_classes, bias=bias))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.blocks(self.stem(x)))


def build_model(spec: ProblemSpec, input_shape: tuple[int, ...], n_classes: int) -> nn.Module:
    """The network of ``spec`` for inputs of ``input_shape``, initialised from ``spec.seed``,
    in ``spec.dtype`` on ``spec.device``."""
    in_features = int(math.prod(input_shape))
    image = len(input_shape) == 3
    if spec.model in ("cnn", "vgg11", "resnet18") and not image:
        raise ModelError(
            f"model={spec.model!r}: needs image inputs (channels, height, width); data "
            f"{spec.data!r} has inputs of shape {input_shape}"
        )
    image_shape = (input_shape[0], input_shape[1], input_shape[2]) if image else (0, 0, 0)
    with seeded(spec.seed):
        if spec.model == "mlp":
            model: nn.Module = mlp(in_features, n_classes, width=spec.width, depth=spec.depth,
                                   activation=spec.activation, bias=spec.bias)
        elif spec.model == "linear":
            model = linear_regression(in_features, n_classes, bias=spec.bias)
        elif spec.model == "cnn":
            model = small_cnn(image_shape, n_classes, width=spec.width,
                              activation=spec.activation, bias=spec.bias)
        elif spec.model == "vgg11":
            model = vgg11(image_shape, n_classes, width=spec.width,
                          activation=spec.activation, bias=spec.bias)
        else:
            model = ResNet18(image_shape, n_classes, width=spec.width,
                             activation=spec.activation, bias=spec.bias, norm=spec.norm)
    return model.to(dtype=resolve_dtype(spec.dtype), device=resolve_device(spec.device))
