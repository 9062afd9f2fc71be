"""No write through a link at any depth of an output folder (issue 20, "never follows a
symbolic link it did not create").

msl creates no symbolic links.  For every writer -- the atomic helpers, figures
(``save_one``/``save_figure``), ``write_series``, ``SharpnessMonitor.save``, the ``.npz``
and Zarr chunk stores, ``msl phase-diagram`` and ``msl reproduce`` -- a subfolder between
the output folder and the file is replaced by a link to a folder outside; the write must
be refused with a :class:`SymlinkError` (one line, exit 2, on the command line) that names
the link, and the folder outside must keep exactly what it held (no file, no new folder).
The output folder is known to the process that vetted it, or, in a process that did not,
found by its ``.msl-output`` marker; both ways are tried.  The output folder itself may be
a user's link.
"""

from __future__ import annotations

import dataclasses
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from msl.cli import main
from tests.reliability.sweeps import GRID
from tests.reliability.test_healing import TINY_PNG
from theory.files import (
    SymlinkError,
    atomic_savez,
    atomic_write_bytes,
    atomic_write_text,
    make_folders,
    output_directory,
)


def _snapshot(folder: Path) -> dict[str, bytes | None]:
    """Every entry under ``folder`` (links not followed): folders as None, files' bytes."""
    out: dict[str, bytes | None] = {}
    for path in sorted(folder.rglob("*")):
        rel = str(path.relative_to(folder))
        out[rel] = None if path.is_dir() else path.read_bytes()
    return out


@pytest.fixture
def outside(tmp_path):
    """A folder outside every output folder, with one file of the user's."""
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    (folder / "keep.txt").write_bytes(b"the user's file\n")
    return folder


@pytest.fixture(params=["vetted", "marker"])
def root(request, tmp_path, monkeypatch):
    """An msl output folder: vetted in this process, or only marked (a fresh process)."""
    folder = output_directory(tmp_path / "run")
    if request.param == "marker":
        monkeypatch.setattr("theory._links._ROOTS", set())
    return folder


# the link's place below the root, and where the file goes below the link
LAYOUTS = [
    (("figures",), ("fig",)),
    (("figures",), ("new", "deeper", "fig")),  # folders to create behind the link
    (("stage", "figures"), ("fig",)),          # a real folder, then the link
    (("a", "b", "c"), ("fig",)),
]


def _place_link(root: Path, parts: tuple[str, ...], outside: Path) -> Path:
    link = root.joinpath(*parts)
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(outside, target_is_directory=True)
    return link


def _figure():
    from theory.plotting import pyplot

    fig = pyplot().figure(figsize=(1, 1))
    fig.gca().plot([0, 1], [0, 1])
    return fig


class CentralFlowResult:
    """A stand-in result with one table (``write_series`` dispatches on the class name)."""

    def tables(self) -> dict:
        return {"flow": {"step": [0, 1], "loss": [1.0, 0.5]}}


def _save_one(stem: Path) -> None:
    from theory.plotting import save_one

    make_folders(stem.parent)
    save_one(_figure(), stem.with_suffix(".png"))


def _save_figure(stem: Path) -> None:
    from theory.plotting import save_figure

    save_figure(_figure(), stem, pdf=True)


def _write_series(stem: Path) -> None:
    from empirical._series import write_series

    write_series(stem.parent, stem.name, CentralFlowResult())


WRITERS = {
    "text": lambda stem: (make_folders(stem.parent), atomic_write_text(stem, "new")),
    "bytes": lambda stem: (make_folders(stem.parent), atomic_write_bytes(stem, TINY_PNG)),
    "npz": lambda stem: (make_folders(stem.parent),
                         atomic_savez(stem.with_suffix(".npz"), a=np.zeros(2))),
    "save_one": _save_one,
    "save_figure": _save_figure,
    "write_series": _write_series,
}


@pytest.mark.parametrize("layout", LAYOUTS, ids=["/".join(a + b) for a, b in LAYOUTS])
@pytest.mark.parametrize("writer", list(WRITERS))
def test_writers_refuse_a_linked_subfolder(root, outside, layout, writer):
    linked, below = layout
    link = _place_link(root, linked, outside)
    before = _snapshot(outside)
    with pytest.raises(SymlinkError, match=re.escape(repr(str(link)))):
        WRITERS[writer](link.joinpath(*below))
    assert _snapshot(outside) == before


@pytest.mark.parametrize("writer", list(WRITERS))
def test_the_output_folder_itself_may_be_a_link(tmp_path, outside, writer):
    """The user's own link as the output folder (and a real subfolder in it) is followed."""
    (tmp_path / "mine").symlink_to(outside, target_is_directory=True)
    root = output_directory(tmp_path / "mine" / "run")
    alias = tmp_path / "alias"
    alias.symlink_to(root, target_is_directory=True)
    out = output_directory(alias)
    WRITERS[writer](out / "figures" / "fig")
    assert any((outside / "run" / "figures").iterdir())


def test_a_folder_named_inside_an_output_folder_through_a_link_is_refused(root, outside):
    """A store or monitor folder named below a link inside an output folder."""
    link = _place_link(root, ("sub",), outside)
    with pytest.raises(SymlinkError, match=re.escape(repr(str(link)))):
        output_directory(link / "store")
    assert _snapshot(outside) == {"keep.txt": b"the user's file\n"}


@pytest.mark.parametrize("how", ["out_dir", "name"])
def test_monitor_refuses_a_linked_subfolder(root, outside, tiny_monitor, how):
    link = _place_link(root, ("monitor",), outside)
    with pytest.raises(SymlinkError, match=re.escape(repr(str(link)))):
        if how == "out_dir":
            tiny_monitor.save(link)
        else:
            tiny_monitor.save(root, name="monitor/series")
    assert _snapshot(outside) == {"keep.txt": b"the user's file\n"}


# --------------------------------------------------------------------- chunk stores
@pytest.mark.parametrize("kind", ["npz", "zarr"])
def test_a_store_named_through_a_link_creates_nothing_where_it_points(root, outside, kind):
    """``store=OUT/link/sweep``: refused before the store folder is made (it was made
    where the link points, empty, before the lock refused it)."""
    if kind == "zarr":
        pytest.importorskip("zarr")
    from theory.dynamics import simulate

    link = _place_link(root, ("sub",), outside)
    name = "sweep.zarr" if kind == "zarr" else "sweep"
    with pytest.raises(SymlinkError, match=re.escape(repr(str(link)))):
        simulate("f1", store=str(link / name), **GRID)
    assert _snapshot(outside) == {"keep.txt": b"the user's file\n"}
    assert not (outside / name).exists()


def _move_behind_link(path: Path, outside: Path) -> Path:
    """Move the folder ``path`` to ``outside`` and put a link to it in its place."""
    moved = outside / path.name
    shutil.move(str(path), str(moved))
    path.symlink_to(moved, target_is_directory=True)
    return path


def test_zarr_store_refuses_a_linked_array_folder(tmp_path, outside):
    pytest.importorskip("zarr")
    from theory.dynamics import simulate

    store = tmp_path / "sweep.zarr"
    simulate("f1", store=str(store), **GRID)
    arrays = sorted(p for p in store.iterdir() if p.is_dir())
    assert arrays
    link = _move_behind_link(arrays[0], outside)
    before = _snapshot(outside)
    with pytest.raises(SymlinkError, match=re.escape(repr(str(link)))):
        simulate("f2", store=str(store), **GRID)  # another sweep: would rewrite every chunk
    assert _snapshot(outside) == before


@pytest.mark.parametrize("kind", ["npz", "zarr"])
def test_stores_refuse_a_linked_subfolder_placed_in_them(tmp_path, outside, kind):
    if kind == "zarr":
        pytest.importorskip("zarr")
    from theory.dynamics import simulate

    store = tmp_path / ("sweep.zarr" if kind == "zarr" else "sweep")
    simulate("f1", store=str(store), **{**GRID, "steps": 20})
    link = _place_link(store, ("sub",), outside)
    with pytest.raises(SymlinkError, match=re.escape(repr(str(link)))):
        simulate("f1", store=str(store), **GRID)
    assert _snapshot(outside) == {"keep.txt": b"the user's file\n"}


# ------------------------------------------------------------------- the CLI writers
def _one_line(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    return err[0]


def test_phase_diagram_refuses_a_linked_subfolder(tmp_path, outside, capsys):
    out = tmp_path / "run"
    argv = ["phase-diagram", "f1", "--eta", "1:3:4", "--x0", "0.1:1:5", "--steps", "50",
            "--out", str(out)]
    assert main(argv) == 0
    link = _place_link(out, ("extra",), outside)
    capsys.readouterr()
    assert main(argv) == 2
    assert str(link) in _one_line(capsys)
    assert _snapshot(outside) == {"keep.txt": b"the user's file\n"}


@pytest.fixture
def atomic_stage(monkeypatch):
    """fig6.1 replaced by a quick stage that writes a PNG and a figure the way stages do."""
    from msl.reproduction import stages
    from theory.figures import Claim, Verdict

    def run(ctx):
        make_folders(ctx.out / "panels")
        png = atomic_write_bytes(ctx.out / "panels" / "panel.png", TINY_PNG)
        claim = Claim("Fig. 6.1", "stand-in", "measured", Verdict.CONFIRMED, "why",
                      {"value": 1.0})
        return stages.StageOutput([claim], [png])

    replaced = tuple(s if s.name != "fig6.1" else dataclasses.replace(s, run=run)
                     for s in stages.STAGES)
    monkeypatch.setattr("msl.reproduction.runner.STAGES", replaced)


@pytest.mark.parametrize("linked", [("fig6.1",), ("fig6.1", "panels")],
                         ids=["stage folder", "its subfolder"])
@pytest.mark.parametrize("scan", [True, False], ids=["at lock", "at write"])
def test_reproduce_refuses_a_linked_stage_folder(tmp_path, outside, atomic_stage, capsys,
                                                 monkeypatch, linked, scan):
    out = tmp_path / "run"
    argv = ["reproduce", "--only", "fig6.1", "--no-progress", "--out", str(out), "--force"]
    assert main(argv) == 0
    link = _move_behind_link(out.joinpath(*linked), outside)
    before = _snapshot(outside)
    if not scan:  # a link made after the lock was taken: the writes themselves refuse it
        monkeypatch.setattr("theory._locks.scan_for_links", lambda folder: None)
    capsys.readouterr()
    assert main(argv) == 2
    assert repr(str(link)) in _one_line(capsys)
    assert _snapshot(outside) == before
