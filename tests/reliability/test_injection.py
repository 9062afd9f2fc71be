"""No expression string runs code: the injection corpus through every entry point.

Each payload in :mod:`tests.reliability.injection_payloads` would create a sentinel file if
any part of it were evaluated.  It goes through every API function and ``msl`` command that
takes an expression; each must refuse it with our error (a ParseError on the API, exit 2
with one line on the CLI), and the sentinel must never exist.
"""

from __future__ import annotations

import pytest
import sympy as sp

import theory
from msl.cli import main
from proofs_check import check_function, check_lemma_4_1
from tests.reliability.injection_payloads import PAYLOADS
from theory import Landscape, Subquadratic, catalog, resolve_function
from theory._sympy_utils import parse as legacy_parse
from theory.dynamics import compile_landscape
from theory.errors import MslValueError
from theory.parsing import parse

API = {
    "parse": parse,
    "theory._sympy_utils.parse": legacy_parse,
    "Subquadratic": Subquadratic,
    "Landscape": Landscape,
    "Landscape(gradient=)": lambda s: Landscape("x**2", gradient=[s]),
    "Landscape(hessian=)": lambda s: Landscape("x**2", hessian=[[s]]),
    "resolve_function": resolve_function,
    "resolve_function(require_subquadratic)": lambda s: resolve_function(
        s, require_subquadratic=True),
    "compile_landscape": compile_landscape,
    "catalog.valley(h=)": lambda s: catalog.valley(catalog.f1(), h=s),
    "catalog.two_valley(h=)": lambda s: catalog.two_valley(catalog.f1(), h=s),
    "catalog.population_loss(density=)": lambda s: catalog.population_loss(s, (0, 1)),
    "catalog.population_loss(support=)": lambda s: catalog.population_loss("1", (0, s)),
    "proofs_check.check_function": lambda s: check_function(s, ["lemma_4_1"]),
    "proofs_check.check_lemma_4_1": check_lemma_4_1,
}

CLI = {
    "periodic-point": lambda s, out: ["periodic-point", s, "--eta", "3"],
    "simulate": lambda s, out: ["simulate", s, "--eta", "3", "--x0", "1", "--steps", "5"],
    "check": lambda s, out: ["check", s],
    "phase-diagram": lambda s, out: ["phase-diagram", s, "--eta", "3", "--x0", "1",
                                     "--steps", "5", "--out", str(out)],
}


@pytest.fixture
def sentinel(tmp_path):
    path = tmp_path / "SENTINEL"
    yield path
    assert not path.exists(), "an expression string ran code"


@pytest.mark.parametrize("payload", PAYLOADS, ids=range(len(PAYLOADS)))
@pytest.mark.parametrize("entry", API)
def test_api_refuses_injection(entry, payload, sentinel):
    text = payload.format(sentinel=sentinel)
    with pytest.raises(MslValueError) as info:
        API[entry](text)
    assert len(str(info.value)) < 1000
    assert not sentinel.exists()


@pytest.mark.parametrize("payload", PAYLOADS, ids=range(len(PAYLOADS)))
@pytest.mark.parametrize("command", CLI)
def test_cli_refuses_injection(command, payload, sentinel, tmp_path, capsys):
    text = payload.format(sentinel=sentinel)
    code = main(CLI[command](text, tmp_path / "out"))
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("msl: error:")
    assert not sentinel.exists()


def test_conditional_expression_is_refused():
    with pytest.raises(theory.errors.ParseError, match="conditional"):
        Subquadratic("x**2 if x else 0")


def test_sympy_objects_still_accepted():
    x = sp.Symbol("x", real=True)
    assert Subquadratic(sp.log(sp.cosh(x))).threshold == 2
