"""Every Python and shell block of README.md and docs/*.md runs as copied (issue 22).

One test per page: its blocks run in order in a fresh folder, the Python blocks in one
namespace (as one script would), the shell blocks (``bash``, ``console``) through bash with
``msl`` and ``python`` on the PATH meaning this checkout's interpreter. A block that cannot
run in CI (GPU, cluster, hours of compute, package installs) carries a ``<!-- docs-test
... -->`` marker (tests/docs/_blocks.py) that says why and what runs instead.

What the docs say a block prints is checked:

* a ``print(...)`` with a trailing comment: one of the comment's parts (split at ``: `` and
  `` = ``) must be what it prints, with ``...`` standing for any text
  (``# x_eta = 1.1440328412755...``);
* a ``console`` block: its output lines must appear in what the commands print (``...``
  again for any text), and a command shown printing ``msl: error`` must exit 2.
"""

from __future__ import annotations

import ast
import contextlib
import io
import os
import re
import shlex
import subprocess
import sys
import time
import tokenize
from pathlib import Path

import pytest

from empirical import torch_threads
from tests.docs._blocks import ROOT, Block, blocks, pages, shell_commands

PAGES = pages()
SHELL_TIMEOUT = 600
#: seconds per shell command of the last page (printed with -s: where the test's time goes)
COMMAND_SECONDS: dict[str, float] = {}


def _normal(text: str) -> str:
    return " ".join(text.split())


def _glob(text: str) -> re.Pattern[str]:
    return re.compile(".*".join(re.escape(part) for part in _normal(text).split("...")),
                      re.S)


def _comment_of(code: str, line: int) -> str:
    """The comment of a statement ending on ``line``: its trailing comment, or else the
    comment lines right below it (a quoted value too long for one line)."""
    comments, whole_line = {}, set()
    for token in tokenize.generate_tokens(io.StringIO(code).readline):
        if token.type == tokenize.COMMENT:
            comments[token.start[0]] = token.string.lstrip("#").strip()
            if not token.line[:token.start[1]].strip():
                whole_line.add(token.start[0])
    if line in comments:
        return comments[line]
    below = []
    while line + 1 in whole_line:
        line += 1
        below.append(comments[line])
    return " ".join(below)


def _is_print(statement: ast.stmt) -> bool:
    return (isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call)
            and isinstance(statement.value.func, ast.Name) and statement.value.func.id == "print")


def quoted_value_matches(comment: str, printed: str) -> bool:
    """Whether a print's comment quotes what it printed (one of its ': ' / ' = ' parts)."""
    parts = [comment, *re.split(r": | = ", comment),
             *(comment[:m.start()] for m in re.finditer(r": | = ", comment))]
    return any(_glob(part).fullmatch(_normal(printed)) for part in parts if part.strip())


def run_python(block: Block, code: str, namespace: dict) -> list[tuple[str, str, str]]:
    """Run a Python block statement by statement; return (statement, comment, printed) for
    every print with a trailing comment."""
    tree = ast.parse(code, filename=block.label)
    quoted = []
    for statement in tree.body:
        compiled = compile(ast.Module(body=[statement], type_ignores=[]), block.label, "exec")
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compiled, namespace)
        sys.stdout.write(out.getvalue())
        comment = _comment_of(code, statement.end_lineno or statement.lineno)
        if _is_print(statement) and comment:
            quoted.append((ast.get_source_segment(code, statement) or "", comment,
                           out.getvalue()))
    return quoted


def _shim(folder: Path) -> dict[str, str]:
    """An environment whose ``msl`` and ``python`` are this checkout under this interpreter."""
    bin_dir = folder / ".docs-bin"
    bin_dir.mkdir()
    for name, target in (("msl", f'"{sys.executable}" -m msl'),
                         ("python", f'"{sys.executable}"'), ("python3", f'"{sys.executable}"')):
        path = bin_dir / name
        path.write_text(f'#!/bin/sh\nexec {target} "$@"\n')
        path.chmod(0o755)
    env = dict(os.environ)
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"]
                                     if env.get("PYTHONPATH") else "")
    env["MPLBACKEND"] = "Agg"
    # a user's default engine choice (tests/conftest.py forces compiled kernels elsewhere)
    env.pop("MSL_NUMPY_MAX_WORK", None)
    return env


def _bash(script: str, folder: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", "-e", "-o", "pipefail", "-c", script], cwd=folder, env=env,
                          capture_output=True, text=True, timeout=SHELL_TIMEOUT)


#: a line that bash must run (pipes, redirections, variables, several commands)
_SHELL_SYNTAX = re.compile(r"[|&;<>$`]")


def _msl_in_process(line: str) -> subprocess.CompletedProcess | None:
    """Run a plain ``msl ...`` line as ``python -m msl`` would, in this process (the
    interpreter, sympy, numba and torch are loaded once per page, not once per command);
    None for a line that needs bash."""
    words = shlex.split(line, comments=True)
    if not words or words[0] != "msl" or _SHELL_SYNTAX.search(line.split("#")[0]):
        return None
    from msl.cli import main

    out, err = io.StringIO(), io.StringIO()
    threads = sys.modules["torch"].get_num_threads() if "torch" in sys.modules else None
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(words[1:])
        except SystemExit as exc:  # argparse: --help, usage errors
            code = exc.code if isinstance(exc.code, int) else 2
    if threads is not None:
        sys.modules["torch"].set_num_threads(threads)
    return subprocess.CompletedProcess(words, code, out.getvalue(), err.getvalue())


def _run_lines(script: str, folder: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    """A script's plain ``msl`` lines in this process, the other lines (with their ``\\``
    continuations) through bash, in order; stops at the first failure like ``bash -e``."""
    lines: list[str] = []
    for line in script.splitlines():
        if lines and lines[-1].rstrip().endswith("\\"):
            lines[-1] = lines[-1].rstrip()[:-1] + " " + line.strip()
        else:
            lines.append(line)
    out, err = [], []
    for line in lines:
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        start = time.perf_counter()
        done = _msl_in_process(line) or _bash(line, folder, env)
        COMMAND_SECONDS[line.split("#")[0].strip()[:60]] = round(time.perf_counter() - start, 1)
        out.append(done.stdout)
        err.append(done.stderr)
        if done.returncode != 0:
            return subprocess.CompletedProcess(line, done.returncode, "".join(out),
                                               "".join(err))
    return subprocess.CompletedProcess(script, 0, "".join(out), "".join(err))


def run_shell(block: Block, code: str, folder: Path, env: dict[str, str]) -> str:
    script, shown = shell_commands(block, code)
    if block.fence != "console" or block.instead:
        done = _run_lines(script, folder, env)
        assert done.returncode == 0, f"{block.label} failed:\n{done.args}\n{done.stderr[-3000:]}"
        return done.stdout + done.stderr
    printed = []
    for command, output in _console_commands(code):
        done = _run_lines(command, folder, env)
        expected = 2 if any(line.startswith("msl: error") for line in output) else 0
        assert done.returncode == expected, (
            f"{block.label}: {command!r} exited {done.returncode}, expected {expected}:\n"
            f"{done.stderr[-3000:]}")
        printed.append(done.stdout + done.stderr)
    text = _normal("\n".join(printed))
    for line in shown:
        assert _glob(line).search(text), (
            f"{block.label} shows output that the commands do not print: {line!r}\n"
            f"printed:\n{text[:3000]}")
    return text


def _console_commands(code: str) -> list[tuple[str, list[str]]]:
    """(command, the output lines shown after it) for each ``$`` command of a console block."""
    pairs: list[tuple[str, list[str]]] = []
    continuing = False
    for line in code.splitlines():
        if line.startswith("$ ") or continuing:
            text = line[2:] if line.startswith("$ ") else line
            if continuing:
                pairs[-1] = (pairs[-1][0] + "\n" + text, pairs[-1][1])
            else:
                pairs.append((text, []))
            continuing = line.rstrip().endswith("\\")
        elif line.strip() and pairs:
            pairs[-1][1].append(line)
    return pairs


def parse_only(block: Block, code: str) -> None:
    """Parse the block's ``msl`` commands with msl's own parser (options, stage names)."""
    from msl.cli import build_parser

    parser = build_parser()
    script, _ = shell_commands(block, code)
    for line in script.replace("\\\n", " ").splitlines():
        words = shlex.split(line, comments=True)
        if not words or words[0] != "msl":
            continue
        try:
            args = parser.parse_args(words[1:])
        except SystemExit as exc:  # argparse's error
            raise AssertionError(f"{block.label}: msl cannot parse {line!r}") from exc
        if args.command == "reproduce":
            from msl.reproduction import select

            select(args.only)


def _runnable(page: Path) -> bool:
    return any(not b.skip for b in blocks(page))


@pytest.mark.parametrize("page", [p for p in PAGES if _runnable(p)],
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_every_block_of_the_page_runs_as_copied(page, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))  # as `python -m msl` / a script would have
    monkeypatch.delenv("MSL_NUMPY_MAX_WORK", raising=False)  # the user's default engine
    env = _shim(tmp_path)
    namespace: dict = {"__name__": "__main__"}
    seconds = {}
    # one torch thread, as msl's commands and the library's experiments use: with one per
    # core, pages that train a user's model crawl on a busy 2-core CI machine (issue 22)
    with torch_threads(1):
        _run_page(page, tmp_path, env, namespace, seconds)
    print("seconds per block:", seconds, "per command:", COMMAND_SECONDS)
    COMMAND_SECONDS.clear()


def _run_page(page: Path, tmp_path: Path, env: dict[str, str], namespace: dict,
              seconds: dict[str, float]) -> None:
    for block in blocks(page):
        if block.skip:
            continue
        code = block.runnable_code()
        start = time.perf_counter()
        if block.write:
            (tmp_path / block.write).write_text(code)
        elif block.parse_only:
            parse_only(block, code)
        elif block.language == "python":
            for statement, comment, printed in run_python(block, code, namespace):
                assert quoted_value_matches(comment, printed), (
                    f"{block.label}: {statement!r} prints {printed.strip()!r}, but its "
                    f"comment says {comment!r}")
        else:
            run_shell(block, code, tmp_path, env)
        seconds[block.label] = round(time.perf_counter() - start, 1)


def test_markers_say_why():
    """Every exception names its reason, and every page has at least one block that runs."""
    for page in PAGES:
        for block in blocks(page):
            if block.instead:
                assert block.instead_code.strip(), f"{block.label}: instead without code"


def test_readme_gives_the_two_setup_commands_and_ci_runs_the_test_one():
    text = (ROOT / "README.md").read_text()
    commands = re.findall(r"```bash\n(python3 -m venv[^\n]*)\n```", text)
    assert len(commands) == 2
    assert commands[0].endswith("msl reproduce")
    test_command = commands[1]
    assert "pytest" in test_command
    ci = (ROOT / ".ci" / "run").read_text()
    assert test_command in ci
