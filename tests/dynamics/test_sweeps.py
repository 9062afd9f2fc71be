"""Sweeps: resume after an interrupt, files numpy/xarray open, metadata, early exit, input
validation."""

from __future__ import annotations

import inspect
import math

import numpy as np
import pytest

import theory.dynamics._simulate as simulate_module
from theory.dynamics import (
    CLASS_NAMES,
    InitialPointError,
    Schedule,
    SimulationResult,
    StoreMismatchError,
    simulate,
)
from theory.errors import GridError, LearningRateError, MslValueError

ETAS = np.linspace(0.4, 2.5, 6)
X0 = np.linspace(-4.0, 4.0, 70)


class _Interrupt:
    """progress callback that raises KeyboardInterrupt after ``after`` chunks (Ctrl-C)."""

    def __init__(self, after: int):
        self.after = after
        self.calls = []

    def __call__(self, done: int, total: int) -> None:
        self.calls.append((done, total))
        if done == self.after:
            raise KeyboardInterrupt


@pytest.fixture
def count_kernel_calls(monkeypatch):
    calls = []
    original = simulate_module._run_chunk

    signature = inspect.signature(original)

    def counting(*args, **kwargs):
        calls.append(signature.bind(*args, **kwargs).arguments["start"])  # start of the chunk
        return original(*args, **kwargs)

    monkeypatch.setattr(simulate_module, "_run_chunk", counting)
    return calls


def _assert_same(a: SimulationResult, b: SimulationResult) -> None:
    for name in ("eta", "x0", "final_state", "classes", "period", "lyapunov", "decided_step",
                 "tail"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)


def test_interrupted_sweep_resumes_and_equals_uninterrupted(f2, tmp_path, count_kernel_calls):
    """f2 is chaotic (every point runs all steps): 420 points in chunks of 50 (9 chunks).
    Ctrl-C after 3 chunks; the re-run computes only the 6 missing chunks and its result is
    bitwise the uninterrupted one."""
    kwargs = {"keep_last": 3, "chunk_size": 50, "block": 16}
    store = tmp_path / "sweep"
    interrupt = _Interrupt(after=3)
    with pytest.raises(KeyboardInterrupt):
        simulate(f2, ETAS, X0, 600, store=store, progress=interrupt, **kwargs)
    assert len(count_kernel_calls) == 3
    assert sorted(p.name for p in store.glob("chunk_*.npz")) == [
        "chunk_000000.npz", "chunk_000001.npz", "chunk_000002.npz"]
    count_kernel_calls.clear()
    resumed = simulate(f2, ETAS, X0, 600, store=store, progress=False, **kwargs)
    assert count_kernel_calls == [150, 200, 250, 300, 350, 400]
    count_kernel_calls.clear()
    fresh = simulate(f2, ETAS, X0, 600, progress=False, **kwargs)
    _assert_same(resumed, fresh)
    assert resumed.counts()["chaotic"] > 0.9 * resumed.classes.size
    # complete: the assembled result is on disk, the chunks are gone, a re-run just loads it
    assert (store / "result.npz").exists() and not list(store.glob("chunk_*.npz"))
    count_kernel_calls.clear()
    again = simulate(f2, ETAS, X0, 600, store=store, progress=False, **kwargs)
    assert count_kernel_calls == []  # no kernel call at all
    _assert_same(again, fresh)


def test_store_holding_another_sweep_is_refused(f2, tmp_path):
    store = tmp_path / "sweep"
    simulate(f2, ETAS, X0[:10], 50, store=store, progress=False)
    with pytest.raises(StoreMismatchError, match="different sweep"):
        simulate(f2, ETAS[:2], X0[:10], 50, store=store, progress=False)
    with pytest.raises(StoreMismatchError):
        simulate(f2, ETAS, X0[:10], 51, store=store, progress=False)


def test_npz_and_netcdf_round_trip_with_metadata(f1, tmp_path):
    xr = pytest.importorskip("xarray")
    schedule = Schedule.step_decay(400, 0.5)
    r = simulate(f1, [1.0, 3.0, 5.0], X0, 800, schedule=schedule, keep_last=4,
                 record_loss=True, progress=False)
    meta = r.metadata
    assert meta["function"] == "f1" and "log" in meta["expression"]
    assert meta["variables"] == ["x"] and meta["steps"] == 800
    assert meta["schedule"] == {"boundaries": [400], "factors": [1.0, 0.5]}
    assert meta["rtol"] == 1e-10 and meta["atol"] == 1e-12 and meta["period_max"] == 64
    assert meta["version"] and meta["classes"] == list(CLASS_NAMES)
    for suffix in (".npz", ".nc"):
        path = r.save(tmp_path / f"result{suffix}")
        back = SimulationResult.load(path)
        _assert_same(r, back)
        np.testing.assert_array_equal(r.loss, back.loss)
        assert back.metadata == meta
        assert back.schedule == schedule
    with np.load(tmp_path / "result.npz") as data:
        assert data["classes"].shape == (3, X0.size)
        assert data["final_state"].shape == (3, X0.size, 1)
    with xr.open_dataset(tmp_path / "result.nc", engine="scipy") as ds:
        assert ds["lyapunov"].dims == ("eta", "x0_index")
        np.testing.assert_array_equal(ds["eta"].values, r.eta)
    with pytest.raises(GridError, match="must end in"):
        r.save(tmp_path / "result.csv")


def test_counts_have_exactly_the_six_classes(cubic):
    r = simulate(cubic, [1.5, 2.5, 3.0], [-0.5, 0.3, 0.7], 3000, progress=False)
    counts = r.counts()
    assert list(counts) == ["converged", "periodic", "chaotic", "diverged", "undecided",
                            "drifting"]
    assert counts == {"converged": 2, "periodic": 2, "chaotic": 2, "diverged": 3,
                      "undecided": 0, "drifting": 0}
    assert r.period_counts() == {4: 2}
    with pytest.raises(GridError):
        r.mask("stable")


@pytest.mark.parametrize("name", ["f1", "cubic"])
def test_early_exit_gives_the_same_fates(name, f1, cubic):
    """Stopping a point once its cycle is found changes neither its class, nor its period,
    nor (within the recurrence tolerance) its state at the last step or its exponent."""
    landscape = {"f1": f1, "cubic": cubic}[name]
    etas = np.linspace(0.5, 6.0, 23) if name == "f1" else np.linspace(1.0, 2.9, 20)
    x0 = np.linspace(-6.0, 6.0, 31) if name == "f1" else np.linspace(-0.2, 1.5, 31)
    a = simulate(landscape, etas, x0, 2000, keep_last=5, progress=False)
    b = simulate(landscape, etas, x0, 2000, keep_last=5, early_exit=False, progress=False)
    np.testing.assert_array_equal(a.classes, b.classes)
    np.testing.assert_array_equal(a.period, b.period)
    settled = np.isin(a.class_names, ["converged", "periodic"])
    assert np.all(a.decided_step[settled] < 2000) and np.all(b.decided_step == 2000)
    np.testing.assert_allclose(a.final_state[settled], b.final_state[settled], rtol=1e-8,
                               atol=1e-10)
    np.testing.assert_allclose(a.tail[settled], b.tail[settled], rtol=1e-8, atol=1e-10)
    ok = settled & (b.lyapunov > -30)
    np.testing.assert_allclose(a.lyapunov[ok], b.lyapunov[ok], rtol=1e-6, atol=1e-9)


def test_chunk_and_block_sizes_do_not_change_the_answer(f1):
    a = simulate(f1, ETAS * 2, X0, 500, progress=False)
    b = simulate(f1, ETAS * 2, X0, 500, chunk_size=37, block=5, progress=False)
    np.testing.assert_array_equal(a.classes, b.classes)
    np.testing.assert_allclose(a.final_state, b.final_state, rtol=1e-12, atol=1e-300)


def test_one_dimensional_x0_shapes(f1):
    a = simulate(f1, 3.0, 1.5, 300, progress=False)
    b = simulate(f1, 3.0, [[1.5]], 300, progress=False)
    assert a.x0.shape == b.x0.shape == (1, 1)
    np.testing.assert_array_equal(a.final_state, b.final_state)


BAD_INPUTS = [
    ({"eta": []}, GridError, "eta"),
    ({"eta": -1.0}, LearningRateError, "eta"),
    ({"eta": 0.0}, LearningRateError, "eta"),
    ({"eta": math.nan}, LearningRateError, "eta"),
    ({"eta": [[1.0, 2.0]]}, LearningRateError, "eta"),
    ({"eta": "fast"}, LearningRateError, "eta"),
    ({"steps": 0}, GridError, "steps"),
    ({"steps": 2.5}, GridError, "steps"),
    ({"steps": True}, GridError, "steps"),
    ({"x0": []}, InitialPointError, "x0"),
    ({"x0": [1.0, math.inf]}, InitialPointError, "x0"),
    ({"x0": np.ones((2, 2))}, InitialPointError, "x0"),
    ({"period_max": 0}, GridError, "period_max"),
    ({"rtol": -1.0}, GridError, "rtol"),
    ({"rtol": 0.0, "atol": 0.0}, GridError, "rtol"),
    ({"bound": 0.0}, GridError, "bound"),
    ({"bound": math.nan}, GridError, "bound"),
    ({"keep_last": 102}, GridError, "keep_last"),
    ({"transient": 100}, GridError, "transient"),
    ({"schedule": Schedule.step_decay(100, 0.5)}, GridError, "schedule"),
    ({"schedule": "decay"}, GridError, "schedule"),
    ({"block": 0}, GridError, "block"),
    ({"chunk_size": 0}, GridError, "chunk_size"),
    ({"progress": "yes"}, GridError, "progress"),
    ({"function": "nosuch(x)"}, MslValueError, "nosuch"),
]


@pytest.mark.parametrize(("change", "error", "word"), BAD_INPUTS,
                         ids=[str(c) for c, _, _ in BAD_INPUTS])
def test_bad_input_is_rejected_naming_the_argument(f1, change, error, word):
    kwargs = {"function": f1, "eta": 3.0, "x0": [1.0, 2.0], "steps": 100, "progress": False}
    kwargs.update(change)
    with pytest.raises(error, match=word) as info:
        simulate(**kwargs)
    assert isinstance(info.value, MslValueError)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    "schedule_args",
    [((), (1.0, 2.0)), ((10, 5), (1.0, 1.0, 1.0)), ((0,), (1.0, 0.5)), ((5,), (1.0, -1.0))],
)
def test_bad_schedules_are_rejected(schedule_args):
    with pytest.raises(GridError):
        Schedule(*schedule_args)


def test_wrong_dimension_for_a_two_dimensional_landscape(f3):
    with pytest.raises(InitialPointError, match="2 variables"):
        simulate(f3, 0.5, [1.0, 2.0, 3.0], 10, progress=False)
