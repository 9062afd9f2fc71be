"""Sweeps on Dask (issue 12): a LocalCluster of 2 worker processes gives bitwise the
in-process result; a sweep whose client is killed resumes from its store computing only the
missing chunks; a worker killed mid-sweep loses nothing; back-to-back sweeps on one client;
bad schedulers are one clear error; the CLI flags.

One module-scoped LocalCluster serves every test (starting one costs seconds).  The grid is
f2 (6.2) above its threshold 2/f2''(0) = 1/3, where almost every orbit is chaotic and runs
all its steps (Fig. 4.1), so the chunks do about the same work.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

import theory
from msl.cli import main
from theory.dynamics import SchedulerError, SimulationResult, simulate

ETAS = np.linspace(0.5, 2.5, 10)
X0 = np.linspace(-4.0, 4.0, 30)
STEPS = 800
SETTINGS = {"chunk_size": 12, "keep_last": 3, "record_loss": True, "block": 8}
N_CHUNKS = -(-ETAS.size * X0.size // SETTINGS["chunk_size"])  # 300 points: 25 chunks
ARRAYS = ("eta", "x0", "final_state", "classes", "period", "lyapunov", "decided_step", "tail",
          "loss")
ROOT = Path(theory.__file__).resolve().parents[1]


def _assert_bitwise(a: SimulationResult, b: SimulationResult) -> None:
    for name in ARRAYS:
        x, y = getattr(a, name), getattr(b, name)
        assert x.dtype == y.dtype, name
        # bitwise, nan included (assert_array_equal would let -0.0 == 0.0 pass)
        assert x.tobytes() == y.tobytes(), name


@pytest.fixture(scope="module")
def reference(f2):
    """The in-process sweep (compiles f2's kernel first, so the workers load it from disk)."""
    return simulate(f2, ETAS, X0, STEPS, progress=False, **SETTINGS)


@pytest.fixture(scope="module")
def cluster(reference):
    distributed = pytest.importorskip("distributed")
    from theory.dynamics._distributed import restore_environment

    saved = dict(os.environ)  # the nannies write OMP_NUM_THREADS=1 etc. into os.environ
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None,
                                  env={"NUMBA_NUM_THREADS": "1"}) as local:
        restore_environment(saved)
        yield local
    restore_environment(saved)


@pytest.fixture(scope="module")
def client(cluster):
    import distributed

    with distributed.Client(cluster) as connected:
        yield connected


def test_back_to_back_sweeps_on_one_client(f2, client):
    """Regression: the same kernel scattered again by the next sweep under the same key was
    cancelled by the release of the previous one ('lost dependencies')."""
    expected = simulate(f2, ETAS[:2], X0[:8], 60, chunk_size=2, progress=False)
    for _ in range(4):
        again = simulate(f2, ETAS[:2], X0[:8], 60, chunk_size=2, progress=False,
                         scheduler=client)
        assert again.lyapunov.tobytes() == expected.lyapunov.tobytes()


def _chunk_tasks(stream) -> set[str]:
    return {record["key"] for record in stream.data
            if str(record["key"]).startswith("msl-chunk-")}


def test_local_cluster_is_bitwise_the_in_process_run(f2, client, reference):
    import distributed

    seen = []
    with distributed.get_task_stream(client) as stream:
        result = simulate(f2, ETAS, X0, STEPS, scheduler=client,
                          progress=lambda done, total: seen.append((done, total)),
                          **SETTINGS)
    _assert_bitwise(result, reference)
    assert result.metadata == reference.metadata
    assert result.counts()["chaotic"] > 0.9 * ETAS.size * X0.size  # f2 above 1/3: chaos
    assert len(_chunk_tasks(stream)) == N_CHUNKS  # one task per chunk
    assert seen == [(k, N_CHUNKS) for k in range(1, N_CHUNKS + 1)]
    assert client.status == "running"  # a Client given is left open


_KILLED_CLIENT = textwrap.dedent("""
    import sys, time
    import numpy as np
    from theory import catalog
    from theory.dynamics import simulate

    def slowly(done, total):  # pace the client: the test kills it after a few chunks
        time.sleep(0.25)

    simulate(catalog.f2(), np.linspace(0.5, 2.5, 10), np.linspace(-4.0, 4.0, 30), {steps},
             store=sys.argv[1], scheduler=sys.argv[2], progress=slowly, **{settings})
""")


def test_killed_client_resumes_computing_only_the_missing_chunks(f2, cluster, client,
                                                                 reference, tmp_path):
    import distributed

    store = tmp_path / "store"
    script = _KILLED_CLIENT.format(steps=STEPS, settings=repr(SETTINGS))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])}
    child = subprocess.Popen([sys.executable, "-c", script, str(store),
                              cluster.scheduler_address], env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        while len(list(store.glob("chunk_*.npz"))) < 3:
            assert child.poll() is None, child.stderr.read().decode()[-2000:]
            assert time.monotonic() < deadline, "no chunk saved in 120 s"
            time.sleep(0.01)
        child.send_signal(signal.SIGKILL)
    finally:
        child.kill()
        child.wait()
        child.stderr.close()
    kept = sorted(int(p.stem.split("_")[1]) for p in store.glob("chunk_*.npz"))
    assert 3 <= len(kept) < N_CHUNKS and not (store / "result.npz").exists()

    with distributed.get_task_stream(client) as stream:
        resumed = simulate(f2, ETAS, X0, STEPS, scheduler=client, store=store,
                           progress=False, **SETTINGS)
    ran = sorted(int(key.rsplit("-", 1)[1]) for key in _chunk_tasks(stream))
    assert ran == sorted(set(range(N_CHUNKS)) - set(kept))  # only the missing chunks
    _assert_bitwise(resumed, reference)
    # complete: a re-run loads the assembled result and submits nothing
    with distributed.get_task_stream(client) as stream:
        again = simulate(f2, ETAS, X0, STEPS, scheduler=client, store=store,
                         progress=False, **SETTINGS)
    assert _chunk_tasks(stream) == set()
    _assert_bitwise(again, reference)


@pytest.mark.parametrize("scheduler", [
    "local:0", "local:two", "local:", "local:1.5", "nonsense", "", "http//host", 8786, True,
    object(),
])
def test_bad_scheduler_is_one_clear_error(f2, scheduler):
    with pytest.raises(SchedulerError, match=r"scheduler="):
        simulate(f2, ETAS[:2], X0[:3], 10, scheduler=scheduler, progress=False)


def test_scheduler_with_a_gpu_device_is_refused(f2):
    pytest.importorskip("torch")  # else device='torch-cpu' is refused first (DeviceError)
    with pytest.raises(SchedulerError, match=r"scheduler='local:2' with device='torch-cpu'"):
        simulate(f2, ETAS[:2], X0[:3], 10, scheduler="local:2", device="torch-cpu",
                 progress=False)


def test_scheduler_with_the_numpy_engine_is_refused(f2):
    with pytest.raises(SchedulerError, match=r"scheduler='local:2' with engine='numpy'"):
        simulate(f2, ETAS[:2], X0[:3], 10, scheduler="local:2", engine="numpy",
                 progress=False)


def test_unreachable_scheduler_names_it(f2, monkeypatch):
    pytest.importorskip("distributed")
    import theory.dynamics._distributed as dist

    monkeypatch.setattr(dist, "CONNECT_TIMEOUT_S", 0.5)
    with pytest.raises(SchedulerError, match=r"scheduler='tcp://127\.0\.0\.1:9'.*no Dask "
                                             r"scheduler answered"):
        simulate(f2, ETAS[:2], X0[:3], 10, scheduler="tcp://127.0.0.1:9", progress=False)


def test_without_dask_the_error_names_the_extra(f2, monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed -> ImportError
    with pytest.raises(SchedulerError, match=r"multiscale-landscapes\[cluster\]"):
        simulate(f2, ETAS[:2], X0[:3], 10, scheduler="local:2", progress=False)


def test_cli_scheduler_and_store_flags(cluster, tmp_path, capsys):
    argv = ["simulate", "f2", "--eta", "0.5:2.5:4", "--x0", "-3:3:9", "--steps", "300",
            "--json"]
    assert main(argv) == 0
    alone = json.loads(capsys.readouterr().out)
    store = tmp_path / "chunks"
    assert main([*argv, "--scheduler", cluster.scheduler_address, "--store", str(store)]) == 0
    assert json.loads(capsys.readouterr().out) == alone
    assert (store / "result.npz").exists()

    out = tmp_path / "diagram"
    try:  # a Zarr store where zarr is installed
        import zarr  # noqa: F401

        chunks = store / "pd.zarr"
    except ImportError:
        chunks = store / "pd"
    assert main(["phase-diagram", "f2", "--eta", "0.5:2.5:4", "--x0", "-3:3:9", "--steps",
                 "300", "--keep-last", "4", "--out", str(out), "--store", str(chunks),
                 "--scheduler", cluster.scheduler_address]) == 0
    capsys.readouterr()
    saved = SimulationResult.load(out / "result.npz")
    assert saved.classes.shape == (4, 9) and (chunks / "result.npz").exists()

    for bad, word in ((["--scheduler", "local:zero"], "scheduler"),
                      (["--optimizer", "momentum", "--beta", "0.5", "--store", str(store)],
                       "--store")):
        assert main([*argv, *bad]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and word in err


def test_killed_worker_loses_nothing(f2, client, reference, tmp_path):
    """SIGKILL one of the two workers mid-sweep (last in this module: its nanny restarts it in
    the background): Dask reruns its chunks on the other one, and the result is the same."""
    victim = next(iter(client.run(os.getpid).items()))[1]
    store = tmp_path / "store"

    def kill_after_three(done, total):
        if done == 3:
            os.kill(victim, signal.SIGKILL)
        time.sleep(0.02)  # the workers run ahead: results of the victim are still there

    result = simulate(f2, ETAS, X0, STEPS, scheduler=client, store=store,
                      progress=kill_after_three, **SETTINGS)
    _assert_bitwise(result, reference)
    assert (store / "result.npz").exists()
    assert victim not in client.run(os.getpid).values()  # it was killed indeed


def test_local_scheduler_runs_and_leaves_the_environment_alone(f2, reference):
    """`scheduler="local:1"` starts, computes the in-process numbers and closes its cluster;
    distributed's nannies write OMP_NUM_THREADS=1 (and more) into the parent's os.environ,
    which must not outlive the sweep (it halved the OpenMP threads of later work)."""
    pytest.importorskip("distributed")
    before = dict(os.environ)
    r = simulate(f2, ETAS[:3], X0[:5], STEPS, scheduler="local:1", progress=False,
                 **SETTINGS)
    assert dict(os.environ) == before
    np.testing.assert_array_equal(r.classes, reference.classes[:3, :5])
    np.testing.assert_array_equal(r.final_state, reference.final_state[:3, :5])
