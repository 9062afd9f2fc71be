"""Regression tests for the defects of issue 12 ("Sweeps at every scale", Defects found).

* ``simulate`` froze the caller's ``eta`` and 2-D ``x0`` arrays (read-only), and a second
  call with them compiled the kernel again (a read-only array is another Numba type);
* the same function under another name (f1 typed out as an expression) got its own module
  file, so a fresh process compiled it again although the kernel key ignores the name;
* ``msl simulate x --eta 0`` printed ``eta=np.float64(0.0)``;
* an expression starting with ``-`` was read as an option on the command line.
"""

from __future__ import annotations

import numpy as np
import pytest

from msl.cli import build_parser, main
from theory import Landscape
from theory.dynamics import _compile, simulate

F1_TYPED_OUT = "(1+Abs(x))*log(1+Abs(x))-Abs(x)"


def test_simulate_leaves_the_callers_arrays_writeable_and_compiles_once(f1):
    eta = np.array([0.5, 3.0])
    x0 = np.array([[0.3], [-1.2]])  # 2-D, already in the kernel's layout
    first = simulate(f1, eta, x0, 50, progress=False)
    run = _compile.compile_landscape(f1).run
    signatures = len(run.signatures)
    misses = sum(run.stats.cache_misses.values())
    assert eta.flags.writeable and x0.flags.writeable
    second = simulate(f1, eta, x0, 50, progress=False)  # the same arrays again
    assert len(run.signatures) == signatures
    assert sum(run.stats.cache_misses.values()) == misses
    assert np.array_equal(first.classes, second.classes)
    # the result neither aliases nor freezes the caller's grids
    eta[0] = 7.0
    x0[0, 0] = 9.0
    assert first.eta[0] == 0.5 and first.x0[0, 0] == 0.3
    assert not first.eta.flags.writeable and not first.x0.flags.writeable


def test_one_module_file_for_one_function_under_two_names(tmp_path, monkeypatch):
    """docs/simulator.md: modules with the same hash are shared -- also by a fresh process,
    which finds the file (and Numba's machine code beside it) by the key alone.  The
    process-wide memo is emptied in between, as in a new process (no Numba compile here:
    Numba compiles lazily, at the first run)."""
    monkeypatch.setenv("MSL_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(_compile, "_LOADED", {})
    monkeypatch.setattr(_compile, "_BY_FUNCTION", {})
    named = _compile.compile_landscape("f1")
    path, mtime = named.path, named.path.stat().st_mtime_ns
    monkeypatch.setattr(_compile, "_LOADED", {})
    monkeypatch.setattr(_compile, "_BY_FUNCTION", {})
    typed = _compile.compile_landscape(F1_TYPED_OUT)
    assert typed.key == named.key
    assert typed.path == path
    assert path.stat().st_mtime_ns == mtime  # not rewritten: Numba's cache stays valid
    assert sorted(p.name for p in (tmp_path / "gd-kernels").glob("*.py")) == [path.name]
    assert typed.name != named.name  # each keeps its own name in results


def test_simulate_f1_and_f1_typed_out_use_one_kernel_file():
    """The default cache, where f1 is compiled for the other tests: the typed-out f1 is a
    cache hit (no second Numba compile in this process either)."""
    a = simulate("f1", 3.0, [0.4, -1.0], 30, progress=False)
    run = _compile.compile_landscape("f1").run
    signatures = len(run.signatures)
    b = simulate(F1_TYPED_OUT, 3.0, [0.4, -1.0], 30, progress=False)
    assert a.metadata["kernel"] == b.metadata["kernel"]
    assert _compile.compile_landscape(F1_TYPED_OUT).path == _compile.compile_landscape("f1").path
    assert len(run.signatures) == signatures
    assert np.array_equal(a.final_state, b.final_state)
    assert a.metadata["function"] == "f1" and b.metadata["function"] != "f1"


def test_a_renamed_landscape_shares_the_module(tmp_path, monkeypatch):
    monkeypatch.setenv("MSL_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(_compile, "_LOADED", {})
    monkeypatch.setattr(_compile, "_BY_FUNCTION", {})
    a = _compile.compile_landscape(Landscape("x**4/4 + x**2", name="quartic_a"))
    monkeypatch.setattr(_compile, "_LOADED", {})
    b = _compile.compile_landscape(Landscape("x**4/4 + x**2", name="quartic_b"))
    assert a.path == b.path and a.name == "quartic_a" and b.name == "quartic_b"


def test_cli_zero_learning_rate_message_is_plain(capsys):
    assert main(["simulate", "x", "--eta", "0", "--x0", "1", "--steps", "2"]) == 2
    err = capsys.readouterr().err
    assert "eta=0.0" in err and "np.float64" not in err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("command", [
    ["simulate", "-x**2+x**4", "--eta", "0.1", "--x0", "-1:1:3", "--steps", "5"],
    ["phase-diagram", "-x**2+x**4", "--eta", "0.1:0.2:2", "--x0", "-1:1:3", "--steps",
     "5", "--out", "somewhere"],
    ["periodic-point", "-x**2+x**4", "--eta", "0.1"],
])
def test_cli_reads_an_expression_starting_with_minus_as_the_function(command):
    args = build_parser().parse_args(command)
    assert args.function == "-x**2+x**4"


def test_cli_check_reads_expressions_starting_with_minus():
    args = build_parser().parse_args(["check", "-x**2+x**4", "-(x**2)"])
    assert args.functions == ["-x**2+x**4", "-(x**2)"]


def test_cli_options_still_work_and_unknown_double_dash_options_fail(capsys):
    with pytest.raises(SystemExit) as exc:
        build_parser().parse_args(["simulate", "f1", "--eta", "1", "--x0", "1", "--steps",
                                   "2", "--no-such-option"])
    assert exc.value.code == 2
    with pytest.raises(SystemExit) as exc:
        build_parser().parse_args(["simulate", "-h"])
    assert exc.value.code == 0
    assert "FUNCTION" in capsys.readouterr().out
