"""``msl ... --out DIR`` is vetted by ``theory.files.output_directory``, the same function
the Python API uses: one set of rules and one wording (before, ``msl._os_errors`` had a
copy, ``check_output_folder``, with its own error class).

For a family of bad folders the command's one line must be exactly the message of
``output_directory(DIR, "--out")``, the refusal must come before any work, and nothing may
be created; a good folder is created and marked the same way.
"""

from __future__ import annotations

import os

import pytest

import msl._os_errors
from msl.cli import main
from theory.errors import MslValueError
from theory.files import MARKER_NAME, OutputError, OutputFolderRefused, output_directory

COMMAND = ["phase-diagram", "f1", "--eta", "3", "--x0", "1", "--steps", "5"]


def _bad(tmp_path, kind: str) -> str:
    if kind == "empty":
        return ""
    if kind == "blank":
        return "   "
    if kind in ("file", "under a file", "deep under a file"):
        (tmp_path / "taken").write_text("a file")
        return str(tmp_path / "taken" / {"file": "", "under a file": "sub",
                                         "deep under a file": "a/b/c"}[kind]).rstrip("/")
    if kind == "foreign":
        (tmp_path / "mine").mkdir()
        (tmp_path / "mine" / "notes.txt").write_text("mine")
        return str(tmp_path / "mine")
    return {"root": "/", "etc": "/etc", "proc": "/proc/x/y", "usr": "/usr/share/msl-out"}[kind]


KINDS = ["empty", "blank", "file", "under a file", "deep under a file", "foreign", "root",
         "etc", "proc", "usr"]


@pytest.mark.parametrize("kind", KINDS)
def test_the_cli_says_what_output_directory_says(tmp_path, kind, capsys):
    out = _bad(tmp_path, kind)
    before = sorted(os.listdir(tmp_path))
    with pytest.raises(MslValueError) as info:
        output_directory(out, "--out")
    assert isinstance(info.value, (OutputError, OutputFolderRefused))
    assert main([*COMMAND, "--out", out]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"msl: error: {' '.join(str(info.value).split())}"]  # one line
    assert sorted(os.listdir(tmp_path)) == before  # refused before anything was created
    if "under a file" in kind:
        assert "is a file, not a folder" in err[0]


def test_a_new_folder_is_created_and_marked(tmp_path, capsys):
    out = tmp_path / "new" / "run"
    assert main([*COMMAND, "--out", str(out)]) == 0
    assert (out / MARKER_NAME).is_file() and (out / "result.npz").is_file()


def test_the_cli_keeps_no_copy_of_the_rules():
    assert not hasattr(msl._os_errors, "check_output_folder")
    assert not hasattr(msl._os_errors, "OutputFolderError")
