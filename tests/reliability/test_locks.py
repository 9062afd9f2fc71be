"""One writer per folder, and ``kill -9`` mid-write followed by a re-run that heals (issue 20).

A second process holds a folder (a lock file naming its pid, host and start time) or is
killed with SIGKILL while it writes (between a temporary file and its rename, or halfway
through a Zarr chunk).  While it lives, every writer -- the ``.npz`` and Zarr chunk stores,
``msl phase-diagram``, ``msl reproduce``, ``SharpnessMonitor.save`` -- refuses the folder
with one error naming the holder; once it is dead its lock is stale and the re-run takes it
over, removes its temporaries and gives the numbers of a run into a fresh folder.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from msl.cli import main
from tests.reliability.sweeps import GRID, dead_pid, same_result
from theory.dynamics import StoreMismatchError, simulate
from theory.files import LOCK_NAME, FolderLockedError, claim_output_folder, folder_lock

ROOT = Path(__file__).resolve().parents[2]
PHASE = ["phase-diagram", "f1", "--eta", "1:3:4", "--x0", "0.1:1:5", "--steps", "50"]

#: child prelude: the n-th rename of a temporary onto a file ending in SUFFIX halves the
#: temporary, tells the test (SENTINEL) and waits to be killed
_HANG_AT_RENAME = """
import os, sys, time
_real_replace = os.replace
_seen = [0]
def _replace(src, dst, *args, **kwargs):
    if os.path.basename(str(src)).startswith(".tmp-") and str(dst).endswith(SUFFIX):
        _seen[0] += 1
        if _seen[0] == AFTER:
            with open(src, "r+b") as fh:
                fh.truncate(max(1, os.path.getsize(src) // 2))
            open(SENTINEL, "w").close()
            time.sleep(600)
    return _real_replace(src, dst, *args, **kwargs)
os.replace = _replace
"""


def _start(code: str, sentinel: Path, **names) -> subprocess.Popen:
    """Run ``code`` in a child python (this tree on its path) and wait for ``sentinel``."""
    prelude = "import time\n" + "".join(
        f"{k} = {v!r}\n" for k, v in {**names, "SENTINEL": str(sentinel)}.items())
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MPLBACKEND": "Agg"}
    child = subprocess.Popen([sys.executable, "-c", prelude + textwrap.dedent(code)], env=env,
                             cwd=ROOT, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while not sentinel.exists():
        if child.poll() is not None:
            raise AssertionError(f"child ended early: {child.stderr.read().decode()[-2000:]}")
        if time.monotonic() > deadline:
            _kill(child)
            raise AssertionError("child did not reach its write")
        time.sleep(0.05)
    return child


def _kill(child: subprocess.Popen) -> None:
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    child.stderr.close()


def _holds(folder: Path, tmp_path: Path) -> subprocess.Popen:
    """A child process holding ``folder``'s lock until killed."""
    return _start("""
        from theory.files import claim_output_folder, folder_lock
        claim_output_folder(FOLDER)
        with folder_lock(FOLDER):
            open(SENTINEL, "w").close()
            time.sleep(600)
    """, tmp_path / "holding",
        FOLDER=str(folder))


def _write_lock(folder: Path, **holder) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / LOCK_NAME).write_text(json.dumps(holder))


def test_stale_locks_are_taken_over_and_live_ones_refused(tmp_path):
    host = socket.gethostname()
    cases = {
        "dead pid": ({"pid": dead_pid(), "host": host}, True),
        "reused pid": ({"pid": os.getppid(), "host": host, "start": "1"}, True),
        "live pid": ({"pid": os.getppid(), "host": host}, False),
        "other host": ({"pid": 1, "host": host + "-elsewhere"}, False),
        "damaged": (None, True),
    }
    for name, (holder, free) in cases.items():
        folder = tmp_path / name.replace(" ", "_")
        if holder is None:
            folder.mkdir()
            (folder / LOCK_NAME).write_text('{"pid": 12')  # killed while writing it
        else:
            _write_lock(folder, **holder)
        if free:
            with folder_lock(folder) as lock:
                assert json.loads(lock.path.read_text())["pid"] == os.getpid(), name
            assert (folder / LOCK_NAME).read_text() == "", name  # released: empty
        else:
            with pytest.raises(FolderLockedError, match=r"in use by process \d+ on host"):
                folder_lock(folder).__enter__()
            assert json.loads((folder / LOCK_NAME).read_text()) == holder, name


def test_lock_is_reentrant_in_one_process(tmp_path):
    with folder_lock(tmp_path) as outer, folder_lock(tmp_path, "store"):
        assert outer.held
    assert not outer.held
    with folder_lock(tmp_path):  # free again
        pass


# ------------------------------------------------------- a live holder refuses writers
def test_live_holder_refuses_every_writer_until_killed(tmp_path, fresh, tiny_monitor, capsys):
    from msl.reproduction import PRESETS, reproduce

    folder = tmp_path / "busy"
    child = _holds(folder, tmp_path)
    try:
        assert main([*PHASE, "--out", str(folder)]) == 2
        assert f"in use by process {child.pid}" in capsys.readouterr().err
        with pytest.raises(StoreMismatchError, match=f"in use by process {child.pid}"):
            simulate("f1", **GRID, store=folder)
        with pytest.raises(FolderLockedError, match="in use"):
            reproduce(folder, PRESETS["quick"], stages=["fig6.1"], progress=False)
        with pytest.raises(FolderLockedError, match="in use"):
            tiny_monitor.save(folder)
        assert not (folder / "manifest.json").exists()
    finally:
        _kill(child)
    same_result(simulate("f1", **GRID, store=folder), fresh)  # the dead holder's lock: taken over
    tiny_monitor.save(folder)


def test_two_sweeps_into_one_store_are_never_mixed(tmp_path, fresh):
    """The issue's case: f1 and f2 started at once into one store."""
    for store in (tmp_path / "npz", tmp_path / "f.zarr"):
        if store.suffix == ".zarr":
            pytest.importorskip("zarr")
        child = _start("""
            import numpy as np
            from theory.dynamics import simulate
            def progress(done, total):
                if done >= 2:
                    open(SENTINEL, "w").close()
                    time.sleep(600)
            simulate("f1", eta=np.linspace(1.0, 3.0, 4), x0=np.linspace(0.1, 1.0, 5),
                     steps=50, chunk_size=4, progress=progress, store=STORE)
        """,
            tmp_path / f"{store.name}.half", STORE=str(store))
        try:
            with pytest.raises(StoreMismatchError, match=f"in use by process {child.pid}"):
                simulate("f2", **GRID, store=store)
        finally:
            _kill(child)
        same_result(simulate("f1", **GRID, store=store), fresh)  # killed -9: resumes and heals
        with pytest.raises(StoreMismatchError, match="different sweep"):
            simulate("f2", **GRID, store=store)


# ------------------------------------------------------- kill -9 mid-write, then heal
def test_store_killed_mid_chunk_write_heals(tmp_path, fresh):
    store = tmp_path / "store"
    child = _start(_HANG_AT_RENAME + """
import numpy as np
from theory.dynamics import simulate
simulate("f1", eta=np.linspace(1.0, 3.0, 4), x0=np.linspace(0.1, 1.0, 5), steps=50,
         chunk_size=4, progress=False, store=STORE)
""", tmp_path / "mid-chunk", SUFFIX=".npz", AFTER=3, STORE=str(store))
    strays = list(store.glob(".tmp-*"))
    assert len(strays) == 1 and len(list(store.glob("chunk_*.npz"))) == 2
    _kill(child)
    assert json.loads((store / LOCK_NAME).read_text())["pid"] == child.pid  # left behind
    same_result(simulate("f1", **GRID, store=store), fresh)
    assert not any(p.exists() for p in strays)
    assert (store / LOCK_NAME).read_text() == ""


def test_phase_diagram_killed_mid_figure_write_heals(tmp_path, fresh):
    out = tmp_path / "out"
    child = _start(_HANG_AT_RENAME + """
from msl.cli import main
main(ARGV)
""", tmp_path / "mid-figure", SUFFIX=".png", AFTER=2, ARGV=[*PHASE, "--out", str(out)])
    strays = list(out.glob(".tmp-*.png"))
    assert len(strays) == 1 and (out / "class_map.png").exists()
    _kill(child)
    assert main([*PHASE, "--out", str(out)]) == 0
    assert not any(p.exists() for p in strays)
    from theory.files import artefact_intact

    assert all(artefact_intact(out / f"{name}.png")
               for name in ("class_map", "bifurcation", "lyapunov_map"))
    with np.load(out / "result.npz") as data:
        np.testing.assert_array_equal(data["classes"], fresh.classes)


@pytest.fixture(scope="module")
def torn_zarr(tmp_path_factory):
    """A Zarr store whose sweep was killed -9 halfway through the outputs of chunk 3."""
    pytest.importorskip("zarr")
    folder = tmp_path_factory.mktemp("torn")
    store = folder / "f1.zarr"
    child = _start("""
        import numpy as np
        from theory.dynamics import _zarr_store, simulate
        real = _zarr_store.ZarrChunkStore.save
        def save(self, index, arrays):
            if index < 3:
                return real(self, index, arrays)
            for name in self._names[:2]:  # half the outputs of chunk 3, then killed
                start, stop = self._bounds(index)
                self._open(name)[start:stop] = arrays[name]
            open(SENTINEL, "w").close()
            time.sleep(600)
        _zarr_store.ZarrChunkStore.save = save
        simulate("f1", eta=np.linspace(1.0, 3.0, 4), x0=np.linspace(0.1, 1.0, 5),
                 steps=50, chunk_size=4, progress=False, store=STORE)
    """, folder / "torn", STORE=str(store))
    _kill(child)
    return store


@pytest.mark.parametrize("damage", ["torn", "chunk file deleted", "metadata damaged"])
def test_zarr_store_killed_mid_chunk_heals(tmp_path, fresh, torn_zarr, damage):
    store = tmp_path / "f1.zarr"
    shutil.copytree(torn_zarr, store)
    if damage == "chunk file deleted":  # the issue: read back as fill values (converged)
        chunk_files = sorted(p for p in (store / "classes").rglob("*") if p.is_file()
                             and p.name != "zarr.json")
        assert len(chunk_files) >= 3
        chunk_files[1].unlink()
    elif damage == "metadata damaged":  # JSONDecodeError / FileNotFoundError before
        (store / "zarr.json").write_text('{"zarr_format": 3, "node_ty')
        (store / "period" / "zarr.json").write_text("")
        (store / "lyapunov" / "zarr.json").unlink()
    same_result(simulate("f1", **GRID, store=store), fresh)
    (store / "result.npz").unlink()  # read every chunk back from the arrays
    (store / "classes" / "c" / "1").unlink(missing_ok=True)
    same_result(simulate("f1", **GRID, store=store), fresh)


def test_reproduce_killed_mid_summary_write_heals(tmp_path, capsys):
    out = tmp_path / "run"
    argv = ["reproduce", "--only", "fig6.1", "--no-progress", "--out", str(out)]
    child = _start(_HANG_AT_RENAME + """
from msl.cli import main
main(ARGV)
""", tmp_path / "mid-summary", SUFFIX="summary.json", AFTER=1, ARGV=argv)
    strays = list((out / "fig6.1").glob(".tmp-*"))
    assert len(strays) == 1 and not (out / "fig6.1" / "summary.json").exists()
    _kill(child)
    assert main(argv) == 0
    assert "Fig. 6.1" in capsys.readouterr().err  # redone, not "done before; skipped"
    assert not any(p.exists() for p in strays)
    from theory.files import artefact_intact

    assert artefact_intact(out / "fig6.1" / "fig_6_1.png")
    report = json.loads((out / "report.json").read_text())
    claims = [c for stage in report["stages"] for c in stage["claims"]]
    assert claims and all(c["verdict"] == "confirmed" for c in claims)


def test_monitor_killed_mid_write_heals(tmp_path, tiny_monitor):
    torch = pytest.importorskip("torch")
    out = tmp_path / "mon"
    child = _start(_HANG_AT_RENAME + """
import torch, empirical
torch.manual_seed(0)
model = torch.nn.Linear(2, 1)
x, y = torch.randn(8, 2), torch.randn(8, 1)
opt = torch.optim.SGD(model.parameters(), lr=0.1)
monitor = empirical.SharpnessMonitor(model, torch.nn.MSELoss(), (x, y), opt, every=1,
                                     progress=False)
monitor.step()
monitor.save(OUT)
""", tmp_path / "png", SUFFIX=".png", AFTER=1, OUT=str(out))
    assert torch is not None and len(list(out.glob(".tmp-*"))) == 1
    _kill(child)
    paths = tiny_monitor.save(out)
    assert not list(out.glob(".tmp-*"))
    from theory.files import artefact_intact

    assert artefact_intact(paths["png"])
    assert paths["csv"].read_text().count("\n") == 1 + len(tiny_monitor.records)


def test_output_folder_claim_is_checked_before_the_lock(tmp_path):
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "a.txt").write_text("a")
    with pytest.raises(Exception, match="not an msl output folder"):
        claim_output_folder(foreign)
    assert not (foreign / LOCK_NAME).exists()
