"""Training data: scikit-learn digits, a local CIFAR-10 copy, synthetic multiscale data.

All loaders return a :class:`Dataset` whose training and test subsets are drawn
deterministically from ``seed`` and standardised with the training statistics.  Section 6
of the paper traces multiscale losses to inputs whose norms sit at separate scales;
:func:`rescale_groups` multiplies equal-sized groups of inputs by given factors (e.g. 1, 10,
100), and ``data="multiscale"`` draws such data synthetically.
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from empirical._device import resolve_device, resolve_dtype
from empirical._spec import ProblemSpec
from empirical.errors import DataError
from theory import validation as v
from theory.limits import check_memory

CIFAR10_TRAIN_FILES = tuple(f"data_batch_{i}" for i in range(1, 6))
CIFAR10_TEST_FILE = "test_batch"


@dataclass(frozen=True)
class Dataset:
    """A standardised training / test split (torch tensors on one device, one dtype).

    ``x_*`` have shape ``(n, *input_shape)``; ``y_*`` are int64 class labels in
    ``[0, n_classes)``; ``group_*`` give each example's input-scale group (all 0 when
    the inputs were not rescaled) and ``scales[g]`` the factor of group ``g``.
    """

    name: str
    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    n_classes: int
    group_train: torch.Tensor
    group_test: torch.Tensor
    scales: tuple[float, ...] = (1.0,)

    def __post_init__(self) -> None:
        for split in ("train", "test"):
            x, y, g = (getattr(self, f"{p}_{split}") for p in ("x", "y", "group"))
            if x.shape[0] != y.shape[0] or g.shape[0] != y.shape[0]:
                raise DataError(
                    f"x_{split}, y_{split}, group_{split}: lengths {x.shape[0]}, "
                    f"{y.shape[0]}, {g.shape[0]} differ"
                )
            if y.numel() and (int(y.min()) < 0 or int(y.max()) >= self.n_classes):
                raise DataError(f"y_{split}: labels must lie in [0, {self.n_classes})")
        if self.x_train.shape[0] == 0:
            raise DataError("x_train: the training set is empty")
        if not torch.isfinite(self.x_train).all():
            raise DataError("x_train: contains NaN or infinite values")

    @property
    def input_shape(self) -> tuple[int, ...]:
        return tuple(self.x_train.shape[1:])

    @property
    def n_train(self) -> int:
        return int(self.x_train.shape[0])

    @property
    def n_test(self) -> int:
        return int(self.x_test.shape[0])


def load_digits_arrays() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's 1,797 8x8 digits as ``(X (n, 1, 8, 8) float64, y (n,) int64)``."""
    from sklearn.datasets import load_digits

    x, y = load_digits(return_X_y=True)
    return x.reshape(-1, 1, 8, 8).astype(np.float64), y.astype(np.int64)


def _read_cifar_batch(path: Path) -> tuple[np.ndarray, np.ndarray]:
    try:
        with path.open("rb") as fh:
            batch = pickle.load(fh, encoding="bytes")
    except (OSError, pickle.UnpicklingError, EOFError, ValueError) as exc:
        raise DataError(
            f"data_dir file {str(path)!r}: cannot be read as a pickle ({exc})"
        ) from None
    if not isinstance(batch, dict) or b"data" not in batch or b"labels" not in batch:
        raise DataError(
            f"data_dir file {str(path)!r}: not a CIFAR-10 batch (a dict with b'data' and "
            "b'labels' is expected)"
        )
    data = np.asarray(batch[b"data"])
    labels = np.asarray(batch[b"labels"], dtype=np.int64)
    if data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != 3072:
        raise DataError(
            f"data_dir file {str(path)!r}: b'data' must be uint8 of shape (N, 3072), got "
            f"{data.dtype} {data.shape}"
        )
    if labels.shape != (data.shape[0],) or labels.min(initial=0) < 0 or labels.max(initial=0) > 9:
        raise DataError(f"data_dir file {str(path)!r}: b'labels' must be N labels in 0..9")
    return data.reshape(-1, 3, 32, 32).astype(np.float64) / 255.0, labels


def load_cifar10_arrays(
    data_dir: str | Path,
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray | None]:
    """A local CIFAR-10 copy in the python pickle batch format.

    Reads the ``data_batch_1`` ... ``data_batch_5`` files that exist (at least the first)
    and ``test_batch`` if present.  Returns ``(x_train, y_train, x_test, y_test)`` with
    images of shape ``(N, 3, 32, 32)`` scaled to [0, 1]; the test arrays are ``None`` when
    ``test_batch`` is missing.
    """
    root = Path(data_dir).expanduser()
    if not root.is_dir():
        raise DataError(f"data_dir={str(data_dir)!r}: not a folder")
    files = [root / name for name in CIFAR10_TRAIN_FILES if (root / name).is_file()]
    if not files or files[0].name != "data_batch_1":
        raise DataError(
            f"data_dir={str(data_dir)!r}: no 'data_batch_1' file (expected the python pickle "
            "batches of CIFAR-10: data_batch_1 ... data_batch_5, test_batch)"
        )
    parts = [_read_cifar_batch(f) for f in files]
    x = np.concatenate([p[0] for p in parts])
    y = np.concatenate([p[1] for p in parts])
    test = root / CIFAR10_TEST_FILE
    if test.is_file():
        xt, yt = _read_cifar_batch(test)
        return x, y, xt, yt
    return x, y, None, None


def synthetic_multiscale_arrays(
    n: int, dim: int, scales: tuple[float, ...], n_classes: int, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Section 6 data: inputs whose norms sit at separate scales.

    Example ``i`` is ``scales[g_i] * z_i / ||z_i||`` with ``z_i`` standard Gaussian and the
    groups ``g_i`` equal-sized; its label is the argmax of a random linear teacher
    ``W z_i`` (so labels do not depend on the scale).  Returns ``(x, y, groups)``.
    """
    n = v.whole_number("n", n, minimum=1, error=DataError)
    dim = v.whole_number("dim", dim, minimum=1, error=DataError)
    n_classes = v.whole_number("n_classes", n_classes, minimum=1, error=DataError)
    try:
        scales = tuple(scales)
    except TypeError:
        raise DataError(f"scales={scales!r}: must be a non-empty sequence of numbers > 0") \
            from None
    if not scales:
        raise DataError("scales=(): give at least one input scale")
    scales = tuple(v.positive_real("scales", s, error=DataError) for s in scales)
    seed = v.seed(seed, error=DataError)
    check_memory(f"synthetic_multiscale_arrays(n={n}, dim={dim})", 8.0 * 3 * n * dim,
                 hint="use fewer examples or dimensions")
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((n, dim))
    z /= np.linalg.norm(z, axis=1, keepdims=True)
    teacher = rng.standard_normal((n_classes, dim))
    y = np.argmax(z @ teacher.T, axis=1).astype(np.int64)
    groups = rng.permutation(np.arange(n) % len(scales))
    x = z * np.asarray(scales, dtype=np.float64)[groups][:, None]
    return x, y, groups.astype(np.int64)


def rescale_groups(
    x: np.ndarray, scales: tuple[float, ...], seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Multiply equal-sized, randomly chosen groups of inputs by ``scales`` (Section 6).

    Returns the rescaled copy and each example's group index.
    """
    rng = np.random.default_rng(seed)
    groups = rng.permutation(np.arange(x.shape[0]) % len(scales)).astype(np.int64)
    factors = np.asarray(scales, dtype=np.float64)[groups]
    return x * factors.reshape((-1,) + (1,) * (x.ndim - 1)), groups


def deterministic_split(
    n_total: int, n_train: int, n_test: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Disjoint index sets of sizes ``n_train`` and ``n_test`` drawn from ``seed``."""
    if n_train + n_test > n_total:
        raise DataError(
            f"n_train + n_test = {n_train} + {n_test}: more than the {n_total} examples available"
        )
    perm = np.random.default_rng(seed).permutation(n_total)
    return np.sort(perm[:n_train]), np.sort(perm[n_train : n_train + n_test])


def standardise(
    x_train: np.ndarray, x_test: np.ndarray, *, per_channel: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Subtract the training mean and divide by the training standard deviation.

    Per feature (``per_channel=False``) or per image channel (axis 1).  Features with zero
    spread (e.g. the always-blank corner pixels of digits) are only centred.
    """
    axes = (0, *range(2, x_train.ndim)) if per_channel else (0,)
    mean = x_train.mean(axis=axes, keepdims=True)
    std = x_train.std(axis=axes, keepdims=True)
    std = np.where(std > 1e-12, std, 1.0)
    return (x_train - mean) / std, (x_test - mean) / std


def load_dataset(spec: ProblemSpec) -> Dataset:
    """The data set of ``spec``: subset, standardised, optionally rescaled, as tensors."""
    dtype, device = resolve_dtype(spec.dtype), resolve_device(spec.device)
    seed = spec.seed
    if spec.data == "digits":
        x, y = load_digits_arrays()
        tr, te = deterministic_split(len(y), spec.n_train, spec.n_test, seed)
        x_tr, x_te = standardise(x[tr], x[te], per_channel=False)
        y_tr, y_te, n_classes = y[tr], y[te], 10
    elif spec.data == "cifar10":
        if spec.data_dir is None:  # ProblemSpec refuses cifar10 without data_dir
            raise DataError("data='cifar10' needs data_dir (a local copy of CIFAR-10)")
        x, y, xt, yt = load_cifar10_arrays(spec.data_dir)
        if xt is None or yt is None:
            tr, te = deterministic_split(len(y), spec.n_train, spec.n_test, seed)
            x_tr, y_tr, x_te, y_te = x[tr], y[tr], x[te], y[te]
        else:
            tr, _ = deterministic_split(len(y), spec.n_train, 0, seed)
            te, _ = deterministic_split(len(yt), spec.n_test, 0, seed + 1)
            x_tr, y_tr, x_te, y_te = x[tr], y[tr], xt[te], yt[te]
        x_tr, x_te = standardise(x_tr, x_te, per_channel=True)
        n_classes = 10
    else:  # multiscale
        n_classes = 10
        x, y, g = synthetic_multiscale_arrays(
            spec.n_train + spec.n_test, 64, spec.input_scales, n_classes, seed
        )
        x_tr, y_tr, g_tr = x[: spec.n_train], y[: spec.n_train], g[: spec.n_train]
        x_te, y_te, g_te = x[spec.n_train :], y[spec.n_train :], g[spec.n_train :]
        scales = spec.input_scales
    if spec.data != "multiscale":
        if spec.input_scales:
            scales = spec.input_scales
            x_tr, g_tr = rescale_groups(x_tr, scales, seed)
            x_te, g_te = rescale_groups(x_te, scales, seed + 1)
        else:
            scales = (1.0,)
            g_tr = np.zeros(len(y_tr), dtype=np.int64)
            g_te = np.zeros(len(y_te), dtype=np.int64)

    def tensor(a, dt=dtype):
        return torch.as_tensor(np.ascontiguousarray(a), dtype=dt, device=device)

    return Dataset(
        name=spec.data,
        x_train=tensor(x_tr),
        y_train=tensor(y_tr, torch.int64),
        x_test=tensor(x_te),
        y_test=tensor(y_te, torch.int64),
        n_classes=n_classes,
        group_train=tensor(g_tr, torch.int64),
        group_test=tensor(g_te, torch.int64),
        scales=tuple(float(s) for s in scales),
    )
