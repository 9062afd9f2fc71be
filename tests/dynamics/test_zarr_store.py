"""The Zarr chunk store (``store="....zarr"``): an interrupted sweep resumes computing only the
missing chunks and gives bitwise the uninterrupted result; the arrays are readable with zarr
alone while the sweep is unfinished; a torn chunk (data without its ``done`` mark) is redone;
another sweep is refused; without zarr, one error naming the extra.

f2 (6.2) above its threshold 1/3 (chaotic: every orbit runs all steps, Fig. 4.1), the grid of
tests/dynamics/test_sweeps.py.
"""

from __future__ import annotations

import inspect
import sys

import numpy as np
import pytest

import theory.dynamics._simulate as simulate_module
from theory.dynamics import StoreMismatchError, simulate
from theory.errors import GridError

ETAS = np.linspace(0.4, 2.5, 6)
X0 = np.linspace(-4.0, 4.0, 70)
SETTINGS = {"keep_last": 3, "chunk_size": 50, "block": 16}  # 420 points: 9 chunks
OUTPUTS = ("final_state", "classes", "period", "lyapunov", "decided_step", "tail")


class _Interrupt:
    def __init__(self, after: int):
        self.after = after

    def __call__(self, done: int, total: int) -> None:
        if done == self.after:
            raise KeyboardInterrupt


@pytest.fixture
def kernel_calls(monkeypatch):
    """Start points of the chunks the kernel runs."""
    calls = []
    original = simulate_module._run_chunk
    signature = inspect.signature(original)

    def counting(*args, **kwargs):
        calls.append(signature.bind(*args, **kwargs).arguments["start"])
        return original(*args, **kwargs)

    monkeypatch.setattr(simulate_module, "_run_chunk", counting)
    return calls


@pytest.fixture(scope="module")
def fresh(f2):
    return simulate(f2, ETAS, X0, 600, progress=False, **SETTINGS)


def _assert_bitwise(a, b) -> None:
    for name in ("eta", "x0", *OUTPUTS):
        assert getattr(a, name).tobytes() == getattr(b, name).tobytes(), name


def test_interrupted_zarr_sweep_is_readable_and_resumes(f2, fresh, tmp_path, kernel_calls):
    zarr = pytest.importorskip("zarr")
    store = tmp_path / "f2.zarr"
    with pytest.raises(KeyboardInterrupt):
        simulate(f2, ETAS, X0, 600, store=store, progress=_Interrupt(after=3), **SETTINGS)
    assert kernel_calls == [0, 50, 100]
    # zarr alone reads the unfinished sweep: the grids, the 3 chunks done, their classes
    group = zarr.open_group(str(store), mode="r")
    assert group.attrs["n_eta"] == ETAS.size and group.attrs["n_x0"] == X0.size
    assert group.attrs["description"]["function"] == "f2"
    np.testing.assert_array_equal(group["eta"][:], ETAS)
    np.testing.assert_array_equal(group["done"][:], [1, 1, 1, 0, 0, 0, 0, 0, 0])
    np.testing.assert_array_equal(group["classes"][:150],
                                  fresh.classes.reshape(-1)[:150])
    np.testing.assert_array_equal(group["lyapunov"][:150], fresh.lyapunov.reshape(-1)[:150])

    kernel_calls.clear()
    resumed = simulate(f2, ETAS, X0, 600, store=store, progress=False, **SETTINGS)
    assert kernel_calls == [150, 200, 250, 300, 350, 400]  # only the missing chunks
    _assert_bitwise(resumed, fresh)
    assert (store / "result.npz").exists()
    np.testing.assert_array_equal(zarr.open_group(str(store), mode="r")["done"][:], 1)

    kernel_calls.clear()
    again = simulate(f2, ETAS, X0, 600, store=store, progress=False, **SETTINGS)
    assert kernel_calls == []
    _assert_bitwise(again, fresh)


def test_torn_zarr_chunk_is_recomputed(f2, fresh, tmp_path, kernel_calls):
    zarr = pytest.importorskip("zarr")
    store = tmp_path / "f2.zarr"
    with pytest.raises(KeyboardInterrupt):
        simulate(f2, ETAS, X0, 600, store=store, progress=_Interrupt(after=2), **SETTINGS)
    group = zarr.open_group(str(store), mode="r+")
    group["done"][1] = 0  # killed after the data of chunk 1, before its mark
    group["lyapunov"][50:100] = -7.0  # ... and the data itself torn
    kernel_calls.clear()
    resumed = simulate(f2, ETAS, X0, 600, store=store, progress=False, **SETTINGS)
    assert kernel_calls == [50, 100, 150, 200, 250, 300, 350, 400]
    _assert_bitwise(resumed, fresh)


def test_zarr_store_of_another_sweep_or_not_zarr_is_refused(f2, tmp_path):
    pytest.importorskip("zarr")
    store = tmp_path / "f2.zarr"
    simulate(f2, ETAS, X0[:10], 50, store=store, progress=False)
    with pytest.raises(StoreMismatchError, match="different sweep"):
        simulate(f2, ETAS, X0[:10], 51, store=store, progress=False)
    foreign = tmp_path / "notes.zarr"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    with pytest.raises(StoreMismatchError, match="not a Zarr store"):
        simulate(f2, ETAS, X0[:10], 50, store=foreign, progress=False)
    assert (foreign / "notes.txt").read_text() == "mine"


def test_without_zarr_the_error_names_the_extra(f2, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "zarr", None)  # import zarr -> ImportError
    with pytest.raises(GridError, match=r"store=.*multiscale-landscapes\[cluster\]"):
        simulate(f2, ETAS, X0[:10], 50, store=tmp_path / "f2.zarr", progress=False)
