"""Output folders that heal: damaged pieces of finished work are redone, never trusted.

* the chunk store of ``simulate`` / ``msl phase-diagram``: truncated or emptied chunks,
  a truncated ``manifest.json`` or ``result.npz``, chunks of another sweep, stray
  ``.tmp-*`` files of a killed run;
* the folder of ``msl reproduce`` (with a stand-in stage, so that it is quick): a damaged
  ``summary.json`` or ``timings.json``, a deleted PNG, another run's settings;
* empirical checkpoints: a truncated checkpoint starts the run afresh.

Every healed re-run gives the same numbers as a run into a fresh folder.
"""

from __future__ import annotations

import dataclasses
import json
import os
import struct
import zlib

import numpy as np
import pytest

from msl.cli import main
from tests.reliability.sweeps import GRID, dead_pid, same_result
from theory.dynamics import StoreMismatchError, simulate


def _interrupted_after(chunks: int):
    def progress(done, total):
        if done >= chunks:
            raise KeyboardInterrupt
    return progress


def test_damaged_chunks_and_strays_are_redone(tmp_path, fresh):
    store = tmp_path / "store"
    with pytest.raises(KeyboardInterrupt):
        simulate("f1", **{**GRID, "progress": _interrupted_after(3)}, store=store)
    chunks = sorted(store.glob("chunk_*.npz"))
    assert len(chunks) == 3
    chunks[0].write_bytes(chunks[0].read_bytes()[:40])  # truncated
    chunks[1].write_bytes(b"")  # emptied
    stray = store / f".tmp-{dead_pid()}-abc.npz"
    stray.write_bytes(b"half a file")
    live = store / f".tmp-{os.getppid()}-abc.npz"  # a concurrent run's file: kept
    live.write_bytes(b"in progress")
    same_result(simulate("f1", **GRID, store=store), fresh)
    assert not stray.exists() and live.exists()


def test_damaged_manifest_and_result_are_redone(tmp_path, fresh):
    store, other = tmp_path / "store", tmp_path / "other"
    simulate("f1", **{**GRID, "steps": 40}, store=other)  # another sweep's result
    with pytest.raises(KeyboardInterrupt):
        simulate("f1", **{**GRID, "progress": _interrupted_after(2)}, store=store)
    (store / "manifest.json").write_text('{"fingerp')  # truncated
    (store / "result.npz").write_bytes((other / "result.npz").read_bytes())
    same_result(simulate("f1", **GRID, store=store), fresh)
    (store / "result.npz").write_bytes(b"PK\x03\x04 truncated")
    same_result(simulate("f1", **GRID, store=store), fresh)


def test_a_store_of_another_sweep_is_refused(tmp_path):
    store = tmp_path / "store"
    simulate("f1", **GRID, store=store)
    with pytest.raises(StoreMismatchError, match="holds a different sweep"):
        simulate("f1", **{**GRID, "steps": 40}, store=store)


def test_full_disk_is_one_line_and_the_rerun_resumes(tmp_path, fresh, monkeypatch, capsys):
    import errno

    out = tmp_path / "pd"
    argv = ["phase-diagram", "f1", "--eta", "1:3:4", "--x0", "0.1:1:5", "--steps", "50",
            "--out", str(out)]
    real = np.savez

    def full(file, *args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", str(file))

    monkeypatch.setattr(np, "savez", full)
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no space left" in err[0] and str(out) in err[0]
    monkeypatch.setattr(np, "savez", real)
    assert main(argv) == 0  # space freed: the same command finishes
    with np.load(out / "result.npz") as data:
        np.testing.assert_array_equal(data["classes"], fresh.classes)


# ------------------------------------------------------------------------ msl reproduce
def _chunk(kind: bytes, data: bytes) -> bytes:
    return (struct.pack(">I", len(data)) + kind + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))


#: a whole 1 x 1 grey PNG, built from the PNG specification (signature, IHDR, IDAT, IEND)
TINY_PNG = (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
            + _chunk(b"IDAT", zlib.compress(b"\x00\x80")) + _chunk(b"IEND", b""))


@pytest.fixture
def stand_in(monkeypatch):
    """fig6.1 replaced by a quick stage writing one PNG; counts its runs."""
    from msl.reproduction import stages
    from theory.figures import Claim, Verdict

    runs = []

    def run(ctx):
        runs.append(ctx.seed)
        ctx.out.mkdir(parents=True, exist_ok=True)
        png = ctx.out / "panel.png"
        png.write_bytes(TINY_PNG)
        claim = Claim("Fig. 6.1", "stand-in", "measured", Verdict.CONFIRMED, "why",
                      {"value": 1.0})
        return stages.StageOutput([claim], [png])

    replaced = tuple(s if s.name != "fig6.1" else dataclasses.replace(s, run=run)
                     for s in stages.STAGES)
    monkeypatch.setattr("msl.reproduction.runner.STAGES", replaced)
    return runs


def _reproduce(out, *extra):
    return main(["reproduce", "--only", "fig6.1", "--no-progress", "--out", str(out), *extra])


@pytest.mark.parametrize("damage", [b"", b'{"name": "fig6.1", "sett', b"[1, 2]",
                                    b'{"name": "fig6.1"}'], ids=["empty", "truncated",
                                                                  "not a dict", "incomplete"])
def test_damaged_summary_is_redone(tmp_path, stand_in, damage, capsys):
    out = tmp_path / "run"
    assert _reproduce(out) == 0
    report = json.loads((out / "report.json").read_text())
    (out / "fig6.1" / "summary.json").write_bytes(damage)
    assert _reproduce(out) == 0
    assert "damaged or missing; redoing it" in capsys.readouterr().err
    assert len(stand_in) == 2
    assert json.loads((out / "report.json").read_text()) == report


def test_damaged_timings_and_deleted_png_are_healed(tmp_path, stand_in):
    out = tmp_path / "run"
    assert _reproduce(out) == 0
    (out / "timings.json").write_text('{"fig6.1": 4.')
    assert _reproduce(out) == 0 and len(stand_in) == 1  # finished stage still skipped
    (out / "fig6.1" / "panel.png").unlink()
    assert _reproduce(out) == 0 and len(stand_in) == 2
    assert (out / "fig6.1" / "panel.png").exists()
    assert "fig6.1" in json.loads((out / "timings.json").read_text())


def test_another_runs_folder_is_refused_unless_forced(tmp_path, stand_in, capsys):
    out = tmp_path / "run"
    assert _reproduce(out) == 0
    capsys.readouterr()
    assert _reproduce(out, "--seed", "1") == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "holds a run with other settings" in err[0] and "seed" in err[0]
    assert stand_in == [0]
    assert _reproduce(out, "--seed", "1", "--force") == 0
    assert stand_in == [0, 1]
    assert json.loads((out / "report.json").read_text())["settings"]["seed"] == 1


def test_read_only_folder_is_one_line(tmp_path, stand_in, monkeypatch, capsys):
    import errno
    import tempfile

    def read_only(*args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system", kwargs.get("dir", "?"))

    out = tmp_path / "run"
    monkeypatch.setattr(tempfile, "mkstemp", read_only)
    assert _reproduce(out) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "read-only" in err[0] and str(out) in err[0]


def test_stray_temporaries_of_a_killed_run_are_removed(tmp_path, stand_in):
    out = tmp_path / "run"
    assert _reproduce(out) == 0
    stray = out / "fig6.1" / f".tmp-{dead_pid()}-x.json"
    stray.write_text("{")
    assert _reproduce(out) == 0
    assert not stray.exists()


# ----------------------------------------------------------------- empirical checkpoints
def test_truncated_checkpoint_starts_afresh(tmp_path):
    from empirical._checkpoint import checkpoint_path, load_checkpoint, save_checkpoint
    from empirical.errors import ResumeError

    path = checkpoint_path(tmp_path, "run")
    save_checkpoint(path, {"lr": 0.1}, {"step": 3})
    assert load_checkpoint(path, {"lr": 0.1})["step"] == 3
    with pytest.raises(ResumeError, match="other settings"):
        load_checkpoint(path, {"lr": 0.2})
    path.write_bytes(path.read_bytes()[:20])
    assert load_checkpoint(path, {"lr": 0.1}) is None
    save_checkpoint(path, {"lr": 0.1}, {"step": 4})
    assert load_checkpoint(path, {"lr": 0.1})["step"] == 4
