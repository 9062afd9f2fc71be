"""What to train: a frozen, validated description of data + model + loss (no torch import).

:class:`ProblemSpec` is the value object every experiment starts from.  The defaults are
the quick edge-of-stability setting on scikit-learn's digits documented in
``docs/empirical.md``: 1,000 standardised training digits, a tanh MLP with two hidden
layers of width 64 and the MSE loss on one-hot targets (Cohen et al. 2021's choice).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from empirical.errors import DataError, DeviceError, ExperimentError, ModelError
from theory import validation as v

DATASETS = ("digits", "cifar10", "multiscale")
MODELS = ("mlp", "cnn", "vgg11", "resnet18", "linear")
ACTIVATIONS = ("tanh", "relu")
LOSSES = ("mse", "ce")
DTYPES = ("float32", "float64")
NORMS = ("none", "group")
#: learning rate and GD steps of the default edge-of-stability run (``msl eos``, the quick
#: preset of ``msl reproduce``)
DEFAULT_LR = 0.3
DEFAULT_STEPS = 3000


@dataclass(frozen=True)
class ProblemSpec:
    """Data set, model and loss of one training problem.

    Attributes:
        data: ``digits`` (scikit-learn, default), ``cifar10`` (local copy in the python
            pickle batch format, path in ``data_dir``) or ``multiscale`` (synthetic
            Section 6 data, inputs at the norms in ``input_scales``).
        n_train, n_test: sizes of the deterministic training / test subsets.
        data_dir: folder with ``data_batch_1``... and ``test_batch`` (CIFAR-10 only).
        input_scales: norms of the synthetic groups (``multiscale``) or, for other data,
            factors that multiply equal-sized groups of training and test inputs
            (Section 6); empty = no rescaling.
        model: ``mlp``, ``cnn``, ``vgg11``, ``resnet18`` or ``linear`` (linear
            regression: with ``mse`` the loss is exactly quadratic in the parameters).
        width, depth: hidden width and number of hidden layers (MLP); channel
            multiplier base (CNN/VGG/ResNet use ``width`` as their first channel count).
        activation: ``tanh`` or ``relu``.  bias: whether layers have a bias.
        norm: ``none`` or ``group`` (GroupNorm; per example, so the full-batch loss does
            not depend on how the data is split into batches; used by ``resnet18``).
        loss: ``mse`` (0.5 * squared error to one-hot targets, summed over classes,
            averaged over examples) or ``ce`` (cross-entropy).
        seed: seeds the subset, the initialisation and everything random after it.
        dtype: ``float32`` or ``float64``.  device: ``cpu`` or ``cuda``.
        batch_size: examples per batch when the full-batch loss and its derivatives
            are accumulated (``None`` = all at once); the result does not depend on it.
    """

    data: str = "digits"
    n_train: int = 1000
    n_test: int = 500
    data_dir: str | None = None
    input_scales: tuple[float, ...] = ()
    model: str = "mlp"
    width: int = 64
    depth: int = 2
    activation: str = "tanh"
    bias: bool = True
    norm: str = "none"
    loss: str = "mse"
    seed: int = 0
    dtype: str = "float32"
    device: str = "cpu"
    batch_size: int | None = None

    def __post_init__(self) -> None:
        v.choice("data", self.data, DATASETS, error=DataError)
        v.whole_number("n_train", self.n_train, minimum=1, error=DataError)
        v.whole_number("n_test", self.n_test, minimum=0, error=DataError)
        if self.data == "cifar10" and not self.data_dir:
            raise DataError("data_dir=None: data='cifar10' needs the folder of a local copy")
        scales = tuple(self.input_scales)
        for s in scales:
            v.positive_real("input_scales", s, error=DataError)
        object.__setattr__(self, "input_scales", tuple(float(s) for s in scales))
        if self.data == "multiscale" and not scales:
            object.__setattr__(self, "input_scales", (1.0, 10.0, 100.0))
        v.choice("model", self.model, MODELS, error=ModelError)
        v.whole_number("width", self.width, minimum=1, error=ModelError)
        v.whole_number("depth", self.depth, minimum=0 if self.model == "linear" else 1,
                       error=ModelError)
        v.choice("activation", self.activation, ACTIVATIONS, error=ModelError)
        if not isinstance(self.bias, bool):
            raise ModelError(f"bias={self.bias!r}: must be True or False")
        v.choice("norm", self.norm, NORMS, error=ModelError)
        v.choice("loss", self.loss, LOSSES, error=ExperimentError)
        v.seed(self.seed, error=ExperimentError)
        v.choice("dtype", self.dtype, DTYPES, error=DeviceError)
        if not isinstance(self.device, str) or not (
            self.device == "cpu" or self.device.startswith("cuda")
        ):
            raise DeviceError(f"device={self.device!r}: must be 'cpu' or 'cuda' (or 'cuda:N')")
        if self.batch_size is not None:
            v.whole_number("batch_size", self.batch_size, minimum=1, error=ExperimentError)
        from theory.limits import check_memory

        # a lower bound: the hidden layers alone hold width^2 weights each (params, gradient,
        # Hessian-vector buffers: 3 copies); convolutions have 9 times as many
        per_layer = 0 if self.model == "linear" else self.width**2 * (
            9 if self.model in ("cnn", "vgg11", "resnet18") else 1)
        check_memory(f"ProblemSpec(model={self.model!r}, width={self.width}, depth={self.depth})",
                     3.0 * (4 if self.dtype == "float32" else 8) * per_layer * max(self.depth, 1),
                     hint="use a smaller width or depth")

    def replace(self, **changes) -> ProblemSpec:
        """A copy with some fields changed (validated again)."""
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict:
        """Plain-JSON form (used in result files and to check a resumed run)."""
        out = dataclasses.asdict(self)
        out["input_scales"] = list(self.input_scales)
        return out
