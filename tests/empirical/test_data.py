"""Data loaders: digits subsets, a CIFAR-10 copy in the pickle format, multiscale data."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import torch

from empirical import ProblemSpec, load_cifar10_arrays, load_dataset, synthetic_multiscale_arrays
from empirical._data import rescale_groups
from empirical.errors import DataError


def test_digits_subset_is_deterministic_disjoint_and_standardised():
    spec = ProblemSpec(n_train=300, n_test=100, dtype="float64", seed=4)
    a, b = load_dataset(spec), load_dataset(spec)
    torch.testing.assert_close(a.x_train, b.x_train)
    assert a.x_train.shape == (300, 1, 8, 8) and a.x_test.shape == (100, 1, 8, 8)
    flat = a.x_train.reshape(300, -1)
    std = flat.std(dim=0, unbiased=False)
    assert float(flat.mean(dim=0).abs().max()) < 1e-12
    varying = std > 0
    torch.testing.assert_close(std[varying], torch.ones_like(std[varying]))
    # another seed gives another subset; train and test rows never coincide
    c = load_dataset(spec.replace(seed=5))
    assert not torch.equal(a.x_train, c.x_train)
    rows_train = {tuple(r) for r in a.x_train.reshape(300, -1).numpy().round(8)}
    rows_test = {tuple(r) for r in a.x_test.reshape(100, -1).numpy().round(8)}
    assert len(rows_train & rows_test) <= 2  # digits has a few duplicate images


def test_too_large_subsets_are_rejected():
    with pytest.raises(DataError, match="n_train \\+ n_test"):
        load_dataset(ProblemSpec(n_train=1700, n_test=200))


def _write_batch(path, data, labels):
    with open(path, "wb") as fh:
        pickle.dump({b"data": data, b"labels": labels, b"batch_label": b"x"}, fh)


def test_cifar10_loader_reads_the_pickle_batch_format(tmp_path):
    rng = np.random.default_rng(0)
    train = rng.integers(0, 256, (12, 3072), dtype=np.uint8)
    test = rng.integers(0, 256, (5, 3072), dtype=np.uint8)
    labels = [*range(10), 3, 4]
    _write_batch(tmp_path / "data_batch_1", train, labels)
    _write_batch(tmp_path / "test_batch", test, [1, 2, 3, 4, 5])
    x, y, xt, yt = load_cifar10_arrays(tmp_path)
    assert x.shape == (12, 3, 32, 32) and xt.shape == (5, 3, 32, 32)
    # channel-major rows: the first 1024 bytes are the red plane
    np.testing.assert_allclose(x[0, 0].reshape(-1), train[0, :1024] / 255.0)
    np.testing.assert_allclose(x[0, 2].reshape(-1), train[0, 2048:] / 255.0)
    assert y.tolist() == labels and yt.tolist() == [1, 2, 3, 4, 5]
    ds = load_dataset(ProblemSpec(data="cifar10", data_dir=str(tmp_path), n_train=10, n_test=4,
                                  dtype="float64"))
    assert ds.x_train.shape == (10, 3, 32, 32) and ds.n_classes == 10
    per_channel = ds.x_train.transpose(0, 1).reshape(3, -1)
    torch.testing.assert_close(per_channel.mean(dim=1), torch.zeros(3, dtype=torch.float64))


def test_cifar10_loader_rejects_missing_or_broken_files(tmp_path):
    with pytest.raises(DataError, match="not a folder"):
        load_cifar10_arrays(tmp_path / "nowhere")
    with pytest.raises(DataError, match="data_batch_1"):
        load_cifar10_arrays(tmp_path)
    (tmp_path / "data_batch_1").write_bytes(b"not a pickle")
    with pytest.raises(DataError, match="pickle"):
        load_cifar10_arrays(tmp_path)
    _write_batch(tmp_path / "data_batch_1", np.zeros((2, 100), np.uint8), [0, 1])
    with pytest.raises(DataError, match="3072"):
        load_cifar10_arrays(tmp_path)


def test_multiscale_inputs_sit_at_the_given_norms():
    x, y, groups = synthetic_multiscale_arrays(90, 16, (1.0, 10.0, 100.0), 10, seed=2)
    norms = np.linalg.norm(x, axis=1)
    np.testing.assert_allclose(norms, np.array([1.0, 10.0, 100.0])[groups], rtol=1e-12)
    assert np.bincount(groups).tolist() == [30, 30, 30]
    # labels come from the direction only: rescaling an input does not change its label
    assert y.min() >= 0 and y.max() < 10


def test_rescale_groups_multiplies_each_group_by_its_factor():
    x = np.ones((9, 2, 2))
    out, groups = rescale_groups(x, (1.0, 10.0, 100.0), seed=0)
    np.testing.assert_allclose(out[:, 0, 0], np.array([1.0, 10.0, 100.0])[groups])
    spec = ProblemSpec(n_train=60, n_test=0, input_scales=(1.0, 10.0), dtype="float64")
    ds = load_dataset(spec)
    norms = ds.x_train.reshape(60, -1).norm(dim=1)
    assert float(norms[ds.group_train == 1].mean() / norms[ds.group_train == 0].mean()) > 5
