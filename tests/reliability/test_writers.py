"""Nothing written outside the output folder, nothing lost (issue 20).

Every writer -- the sweep's chunk stores (``.npz`` and Zarr), the figures
(:func:`theory.plotting.save_figure`), ``msl phase-diagram``, ``msl reproduce`` and
``SharpnessMonitor.save`` -- is checked against

* a symbolic link where it is to write: refused with one error naming the link, and the
  file the link points to keeps its bytes;
* system folders (``/``, ``/etc``, the home folder) and non-empty folders that are not msl
  output folders: refused before anything is written, their files untouched;
* damaged artefacts of a finished reproduce stage (a truncated PNG or PDF): the stage is
  redone instead of "done before; skipped".
"""

from __future__ import annotations

import re
import shutil

import numpy as np
import pytest

from msl.cli import main
from tests.reliability.test_healing import TINY_PNG, stand_in  # noqa: F401 (fixture)
from theory.dynamics import StoreMismatchError, simulate
from theory.files import (
    MARKER_NAME,
    OutputError,
    OutputFolderRefused,
    SymlinkError,
    artefact_intact,
    atomic_savez,
    atomic_write_text,
    claim_output_folder,
)

GRID = dict(eta=np.linspace(1.0, 3.0, 4), x0=np.linspace(0.1, 1.0, 5), steps=50,
            chunk_size=4, progress=False)
PHASE = ["phase-diagram", "f1", "--eta", "1:3:4", "--x0", "0.1:1:5", "--steps", "50"]
VICTIM = b"the user's file\n"


@pytest.fixture
def victim(tmp_path):
    path = tmp_path / "v.txt"
    path.write_bytes(VICTIM)
    return path


def _link(path, target) -> None:
    path.unlink(missing_ok=True)
    path.symlink_to(target)


def _one_line(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    return err[0]


# ------------------------------------------------------------------------ symbolic links
@pytest.mark.parametrize("write", [
    lambda p: atomic_write_text(p, "new"),
    lambda p: atomic_savez(p, a=np.zeros(2)),
], ids=["text", "npz"])
def test_atomic_helpers_refuse_a_symlink(tmp_path, victim, write):
    link = tmp_path / "out.npz"
    _link(link, victim)
    with pytest.raises(SymlinkError, match=r"out\.npz.*symbolic link"):
        write(link)
    assert victim.read_bytes() == VICTIM and link.is_symlink()
    assert not list(tmp_path.glob(".tmp-*"))


@pytest.mark.parametrize("pdf", [False, True], ids=["png", "pdf"])
def test_figures_refuse_a_symlink(tmp_path, victim, pdf):
    from theory.plotting import pyplot, save_figure

    _link(tmp_path / ("fig.pdf" if pdf else "fig.png"), victim)
    fig = pyplot().figure()
    with pytest.raises(SymlinkError, match=r"fig\.p"):
        save_figure(fig, tmp_path / "fig", pdf=pdf)
    assert victim.read_bytes() == VICTIM


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    """A finished ``msl phase-diagram --pdf`` folder (copied by each test that changes it)."""
    out = tmp_path_factory.mktemp("finished") / "out"
    assert main([*PHASE, "--out", str(out), "--pdf"]) == 0
    return out


@pytest.mark.parametrize("name", ["class_map.png", "result.npz", "bifurcation.pdf"])
def test_phase_diagram_refuses_a_symlink_in_out(tmp_path, finished, victim, name, capsys):
    out = tmp_path / "out"
    shutil.copytree(finished, out)
    _link(out / name, "../v.txt")  # the example: out/class_map.png -> ../v.txt
    capsys.readouterr()
    assert main([*PHASE, "--out", str(out), "--pdf"]) == 2
    line = _one_line(capsys)
    assert name in line and "symbolic link" in line
    assert victim.read_bytes() == VICTIM


def test_chunk_store_refuses_a_symlinked_chunk(tmp_path, victim):
    store = tmp_path / "store"
    store.mkdir()
    _link(store / "chunk_000001.npz", victim)
    with pytest.raises(SymlinkError, match="chunk_000001"):
        simulate("f1", **GRID, store=store)
    assert victim.read_bytes() == VICTIM


@pytest.mark.parametrize("name", ["monitor.csv", "monitor.png"])
def test_monitor_refuses_a_symlink(tmp_path, victim, tiny_monitor, name):
    out = tmp_path / "mon"
    out.mkdir()
    _link(out / name, victim)
    with pytest.raises(SymlinkError, match=re.escape(name)):
        tiny_monitor.save(out)
    assert victim.read_bytes() == VICTIM


def test_reproduce_refuses_a_symlinked_report(tmp_path, victim, stand_in, capsys):  # noqa: F811
    out = tmp_path / "run"
    argv = ["reproduce", "--only", "fig6.1", "--no-progress", "--out", str(out)]
    assert main(argv) == 0
    _link(out / "report.md", victim)
    capsys.readouterr()
    assert main(argv) == 2
    assert "report.md" in capsys.readouterr().err.strip().splitlines()[-1]
    assert victim.read_bytes() == VICTIM


# --------------------------------------------------------- system and foreign folders
@pytest.mark.parametrize("out", ["/", "/etc", "/usr/share/msl-out", "/proc/x/y", "~"])
def test_system_folders_are_refused(out, tmp_path, monkeypatch, capsys):
    home = tmp_path / "home"
    (home / "mine.txt").parent.mkdir()
    (home / "mine.txt").write_text("mine")
    monkeypatch.setenv("HOME", str(home))
    path = str(home) if out == "~" else out
    assert main([*PHASE, "--out", path]) == 2
    assert "system folder" in _one_line(capsys)
    assert sorted(p.name for p in home.iterdir()) == ["mine.txt"]
    with pytest.raises(StoreMismatchError, match="system folder"):
        simulate("f1", **GRID, store=path)


def test_reproduce_and_monitor_refuse_system_folders(tiny_monitor):
    from msl.reproduction import reproduce
    from msl.reproduction.presets import PRESETS

    with pytest.raises(OutputFolderRefused, match="system folder"):
        reproduce("/", PRESETS["quick"], stages=["fig6.1"], progress=False)
    with pytest.raises(OutputFolderRefused, match="system folder"):
        tiny_monitor.save("/etc")


@pytest.mark.parametrize("command", ["phase-diagram", "reproduce"])
def test_foreign_non_empty_folder_is_refused(tmp_path, command, stand_in, capsys):  # noqa: F811
    out = tmp_path / "papers"
    out.mkdir()
    (out / "thesis.tex").write_text("mine")
    argv = PHASE if command == "phase-diagram" else ["reproduce", "--only", "fig6.1"]
    assert main([*argv, "--out", str(out)]) == 2
    assert "not an msl output folder" in _one_line(capsys)
    assert [p.name for p in out.iterdir()] == ["thesis.tex"]
    with pytest.raises(StoreMismatchError, match="holds no chunk store"):
        simulate("f1", **GRID, store=out)
    assert [p.name for p in out.iterdir()] == ["thesis.tex"]


def test_empty_and_msl_folders_are_accepted(tmp_path, finished):
    empty = tmp_path / "empty"
    empty.mkdir()
    assert claim_output_folder(empty) == empty and (empty / MARKER_NAME).is_file()
    assert (finished / MARKER_NAME).is_file()
    out = tmp_path / "out"
    shutil.copytree(finished, out)
    assert main([*PHASE, "--out", str(out)]) == 0  # our own folder: resumes
    legacy = tmp_path / "legacy"  # written before the marker existed: its run.json tells
    legacy.mkdir()
    (legacy / "run.json").write_text("{}")
    (legacy / "notes.txt").write_text("x")
    assert claim_output_folder(legacy) == legacy
    for name in ("eos.json", "eos.ckpt.pt", "sweep.npz"):  # experiment and momentum runs
        older = tmp_path / name.replace(".", "_")
        older.mkdir()
        (older / name).write_bytes(b"x")
        (older / "figure.png").write_bytes(b"x")
        assert claim_output_folder(older) == older


def test_monitor_folder_that_is_a_file_is_one_clean_error(tmp_path, tiny_monitor, capsys):
    path = tmp_path / "taken"
    path.write_text("a file")
    with pytest.raises(OutputError, match="exists and is not a folder"):
        tiny_monitor.save(path)
    with pytest.raises(OutputError, match="cannot create the folder"):
        tiny_monitor.save(path / "sub")
    paths = tiny_monitor.save(tmp_path / "mon")  # a plain folder among the user's files
    assert all(artefact_intact(p) for p in paths.values())


# ---------------------------------------------------------- damaged finished artefacts
def _pdf() -> bytes:
    return b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


@pytest.mark.parametrize("damage", [
    lambda b: b[: len(b) // 2], lambda b: b[:-12], lambda b: b"", lambda b: b"GIF89a" + b[6:],
], ids=["half", "no IEND", "empty", "not a PNG"])
def test_truncated_png_of_a_finished_stage_is_redone(tmp_path, stand_in, damage,  # noqa: F811
                                                     capsys):
    out = tmp_path / "run"
    argv = ["reproduce", "--only", "fig6.1", "--no-progress", "--out", str(out)]
    assert main(argv) == 0
    png = out / "fig6.1" / "panel.png"
    assert artefact_intact(png)
    png.write_bytes(damage(png.read_bytes()))
    assert not artefact_intact(png)
    assert main(argv) == 0
    assert "damaged or missing; redoing it" in capsys.readouterr().err
    assert len(stand_in) == 2 and png.read_bytes() == TINY_PNG
    assert main(argv) == 0 and len(stand_in) == 2  # whole again: skipped


@pytest.mark.parametrize(("name", "data", "intact"), [
    ("a.pdf", _pdf(), True), ("a.pdf", _pdf()[:30], False), ("a.pdf", b"%%EOF", False),
    ("a.json", b'{"a": 1}', True), ("a.json", b'{"a": ', False),
    ("a.png", TINY_PNG, True), ("a.png", TINY_PNG[:-1], False),
    ("a.csv", b"x\n1\n", True), ("a.csv", b"", False),
])
def test_artefact_checks(tmp_path, name, data, intact):
    path = tmp_path / name
    path.write_bytes(data)
    assert artefact_intact(path) is intact


def test_artefact_checks_npz_and_links(tmp_path):
    path = tmp_path / "a.npz"
    atomic_savez(path, a=np.arange(1000.0))
    assert artefact_intact(path)
    path.write_bytes(path.read_bytes()[:-30])
    assert not artefact_intact(path)
    (tmp_path / "b.png").symlink_to(tmp_path / "c.png")
    (tmp_path / "c.png").write_bytes(TINY_PNG)
    assert not artefact_intact(tmp_path / "b.png")  # a link is not our artefact
