"""The README's tour runs as written and prints what its comments say."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)


def test_tour_runs_and_prints_the_commented_values():
    blocks = python_blocks()
    assert len(blocks) >= 2
    out = io.StringIO()
    namespace: dict = {}
    with contextlib.redirect_stdout(out):
        for block in blocks:
            exec(compile(block, str(README), "exec"), namespace)
    printed = out.getvalue()
    assert "1/(Abs(x) + 1)" in printed
    assert "1.14403284127550" in printed  # x_eta for f1 at eta = 3 (Lambert W)
    assert "LambertW(-2*exp(-2/eta)/eta, -1)" in printed
    assert "tanh(Abs(x))/Abs(x) 1" in printed
    assert "1/3367" in printed
    # simulate on f1: every eta < 2 converges, every eta > 2 ends on the period-2 orbit
    below = int(sum(0.5 + i * 5.5 / 49 < 2 for i in range(50)))
    assert f"'converged': {below * 40}, 'periodic': {(50 - below) * 40}, 'chaotic': 0" in printed
    assert "True True True" in printed  # Theorem 4.1 applies to log cosh and is confirmed


def test_readme_gives_the_two_setup_commands_and_ci_runs_the_test_one():
    text = README.read_text()
    commands = re.findall(r"```bash\n(python3 -m venv[^\n]*)\n```", text)
    assert len(commands) == 2
    assert commands[0].endswith("msl reproduce")
    test_command = commands[1]
    assert "pytest" in test_command
    ci = (README.parent / ".ci" / "run").read_text()
    assert test_command in ci
