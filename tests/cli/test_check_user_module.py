"""``msl check MODULE:ATTRIBUTE``: a user's own functions (a Python file or an importable
module) run through the same claims, table, --json and exit codes as the catalog."""

from __future__ import annotations

import json
import textwrap

import pytest

from msl.cli import main
from proofs_check.user_functions import is_user_spec, load_functions

USER_FILE = textwrap.dedent('''
    """A user's functions."""
    from theory import Subquadratic

    FAMILY = [Subquadratic("sqrt(1 + 4*x**2) - 1", name="my_pseudo_huber(2x)"),
              "log(cosh(x))"]
    BY_NAME = {"mine": "log(cosh(x))"}  # the same function as FAMILY[1]: cached analysis
    NOT_A_FUNCTION = 42
    EMPTY = []


    def make_family():
        return FAMILY[:1]


    def broken_family():
        raise RuntimeError("no data today")


    class Holder:
        f = FAMILY[0]
''')


@pytest.fixture
def user_file(tmp_path):
    path = tmp_path / "my_functions.py"
    path.write_text(USER_FILE)
    return path


def test_family_from_a_file_through_the_json_report(user_file, capsys):
    assert main(["check", f"{user_file}:FAMILY", "--claim", "lemma_4_1", "--json"]) == 0
    results = json.loads(capsys.readouterr().out)["results"]
    assert [r["function"] for r in results] == ["my_pseudo_huber(2x)", "log(cosh(x))"]
    assert all(r["claim"] == "Lemma 4.1" and r["ok"] and r["certified"] for r in results)
    # f = sqrt(1 + 4x^2) - 1: eta f'(x) = 2x gives x_eta = sqrt(4 eta^2 - 1)/2; threshold
    # 2/f''(0) = 1/2, so the default factor 2 is eta = 1 and x_eta = sqrt(3)/2
    constant = next(c for c in results[0]["constants"] if c["name"] == "x_eta(eta=1)")
    assert constant["lower"] <= 3**0.5 / 2 <= constant["upper"]


def test_dict_callable_dotted_and_module_forms(user_file, monkeypatch, capsys):
    assert [label for label, _ in load_functions(f"{user_file}:BY_NAME")] == ["mine"]
    assert [f.name for _, f in load_functions(f"{user_file}:make_family")] == \
        ["my_pseudo_huber(2x)"]
    assert [label for label, _ in load_functions(f"{user_file}:Holder.f")] == \
        ["my_pseudo_huber(2x)"]
    monkeypatch.syspath_prepend(str(user_file.parent))
    assert main(["check", "my_functions:BY_NAME", "--claim", "lemma_4_1"]) == 0
    table = capsys.readouterr().out
    assert "mine" in table and "Lemma 4.1" in table


def test_specs_are_told_apart_from_expressions_and_catalog_names():
    assert is_user_spec("my_functions.py:FAMILY") and is_user_spec("pkg.mod:a.b")
    assert not any(is_user_spec(s) for s in ("f1", "f2(C=5)", "log(cosh(x))", "x**2 + 1"))


@pytest.mark.parametrize(("attribute", "message"), [
    ("MISSING", "has no attribute 'MISSING'"),
    ("NOT_A_FUNCTION", "NOT_A_FUNCTION (int) is not a function"),
    ("EMPTY", "EMPTY is empty"),
    ("broken_family", "calling broken_family() raised RuntimeError: no data today"),
])
def test_bad_attributes_exit_2_with_one_line(user_file, capsys, attribute, message):
    assert main(["check", f"{user_file}:{attribute}"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("msl: error:") and err.count("\n") == 1 and message in err


def test_bad_modules_exit_2_with_one_line(tmp_path, capsys):
    broken = tmp_path / "broken.py"
    broken.write_text("import numpy\nraise ValueError('bad data file')\n")
    for spec, message in [(f"{tmp_path}/absent.py:F", "no such file"),
                          (f"{broken}:F", "raised ValueError: bad data file"),
                          ("no_such_module_xyz:F", "no module named 'no_such_module_xyz'")]:
        assert main(["check", spec]) == 2
        err = capsys.readouterr().err
        assert err.startswith("msl: error:") and err.count("\n") == 1 and message in err
