"""``import msl.cli``, ``msl --help`` and the packages' front doors load no heavy engine.

sympy (~0.5 s), numba (~0.5 s) and torch (~1.5 s) are imported only when a command or a
name that needs them is used (issue 10).  Each check runs in a fresh interpreter.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

HEAVY = ("sympy", "numba", "torch", "flint", "matplotlib")

_PROBE = """
import sys
{statement}
heavy = [m for m in {heavy!r} if m in sys.modules]
print("HEAVY:" + ",".join(heavy))
"""


def _heavy_after(statement: str) -> list[str]:
    code = _PROBE.format(statement=statement, heavy=HEAVY)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    line = [ln for ln in out.stdout.splitlines() if ln.startswith("HEAVY:")][-1]
    return [m for m in line[len("HEAVY:"):].split(",") if m]


@pytest.mark.parametrize("statement", [
    "import msl.cli",
    "import msl.cli; msl.cli.build_parser()",
    "import theory",
    "import theory.errors",
    "import theory.validation",
    "import proofs_check",
    "import proofs_check.pytest_plugin",  # loaded by every pytest run once installed
    "import empirical",
])
def test_front_doors_import_no_heavy_engine(statement):
    assert _heavy_after(statement) == []


def test_msl_help_imports_no_heavy_engine():
    statement = ("import msl.cli\ntry:\n    msl.cli.main(['--help'])\nexcept SystemExit:\n"
                 "    pass")
    assert _heavy_after(statement) == []


def _commands() -> list[str]:
    from msl.cli import COMMANDS

    return [name.replace("_", "-") for name in COMMANDS]


@pytest.mark.parametrize("command", _commands())
def test_every_command_help_imports_no_heavy_engine(command):
    """``msl COMMAND --help`` prints its options (and, for reproduce, the stage list from
    ``msl.stage_names``) without sympy, numba or torch (before, ``msl reproduce --help``
    loaded the stage table: sympy, numpy and the figure modules, several seconds)."""
    statement = (f"import msl.cli\ntry:\n    msl.cli.main([{command!r}, '--help'])\n"
                 "except SystemExit:\n    pass")
    assert _heavy_after(statement) == []


def test_reproduce_help_lists_every_stage_without_the_stage_table():
    statement = ("import io, contextlib, msl.cli\nbuf = io.StringIO()\n"
                 "with contextlib.redirect_stdout(buf):\n    try:\n"
                 "        msl.cli.main(['reproduce', '--help'])\n    except SystemExit:\n"
                 "        pass\nassert 'central-flow' in ' '.join(buf.getvalue().split())\n"
                 "assert 'msl.reproduction.stages' not in sys.modules")
    assert _heavy_after(statement) == []
    assert "sympy" in _heavy_after("import msl.reproduction.stages")  # what it avoids


def test_the_probe_sees_a_heavy_import():
    """The check can fail: a public name that needs sympy does load it."""
    assert "sympy" in _heavy_after("from theory import Subquadratic")
