"""Every bad input of issue 15 gives our error, not a traceback or a silent wrong result.

API: the error class named in :mod:`tests.reliability.bad_inputs` (a subclass of
:class:`theory.errors.MslValueError`) with a message naming the offending value.
CLI: exit code 2 and exactly one line on stderr.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from msl.cli import main
from tests.reliability.bad_inputs import API_CASES, CLI_CASES
from theory.errors import MslValueError


def _error_class(name: str) -> type:
    import empirical.errors
    import proofs_check
    import theory.dynamics
    import theory.errors

    for module in (theory.errors, theory.dynamics, proofs_check, empirical.errors):
        if hasattr(module, name):
            return getattr(module, name)
    raise LookupError(name)


@pytest.mark.parametrize(("call", "error", "fragment"), [c[1:] for c in API_CASES],
                         ids=[c[0] for c in API_CASES])
def test_api_bad_input_raises_our_error(call, error, fragment):
    expected = _error_class(error)
    assert issubclass(expected, MslValueError)
    with warnings.catch_warnings():
        warnings.simplefilter("error", np.exceptions.ComplexWarning)  # no silent dropping
        with pytest.raises(expected) as info:
            call()
    message = str(info.value)
    assert fragment in message
    assert "\n" not in message and len(message) < 1000


def run_cli(argv) -> tuple[int, str]:
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse's own errors
        code = exc.code
    return code


@pytest.mark.parametrize(("argv", "fragment"), [c[1:] for c in CLI_CASES],
                         ids=[c[0] for c in CLI_CASES])
def test_cli_bad_input_is_one_line_and_exit_2(argv, fragment, tmp_path, capsys):
    (tmp_path / "file").write_text("not a folder")
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    code = run_cli(argv)
    captured = capsys.readouterr()
    assert code == 2
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("msl: error:")
    assert fragment in lines[0]


def test_sin_squared_check_runs_to_a_table(capsys):
    """'sin(x)**2' crashed formatting a missing Lyapunov exponent; now it is checked."""
    code = main(["check", "sin(x)**2", "--claim", "theorem_4_1"])
    out = capsys.readouterr().out
    assert code in (0, 1)
    assert "Theorem 4.1" in out and "sin(x)**2" in out
