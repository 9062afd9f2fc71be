"""One resolver from "name, expression, Subquadratic or Landscape" to a landscape, with a
small protocol (:class:`theory.FunctionLike`) instead of isinstance chains (issue 10): a new
kind of landscape needs only a ``landscape`` property to be accepted everywhere."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

from theory import FunctionLike, Landscape, Subquadratic, as_landscape, catalog, resolve
from theory.errors import MslValueError, ParameterError


class Bowl:
    """A user's own kind of landscape, known to nothing in the package (it holds f3 of
    Fig. 4.1, whose compiled kernel the suite shares)."""

    name = "bowl"

    def __init__(self):
        self._landscape = catalog.f3().landscape

    @property
    def landscape(self) -> Landscape:
        return self._landscape


@pytest.mark.parametrize("function", ["f1", "log(cosh(x))", catalog.f1(), catalog.fig_4_2(),
                                      catalog.f3(), Bowl()])
def test_function_likes_resolve_to_a_landscape(function):
    land = as_landscape(function)
    assert isinstance(land, Landscape)
    assert isinstance(resolve(function), FunctionLike)


def test_a_sympy_expression_becomes_a_subquadratic_when_it_is_one():
    x = sp.Symbol("x", real=True)
    assert isinstance(resolve(sp.log(sp.cosh(x))), Subquadratic)
    assert isinstance(resolve(x**3 + x), Landscape)


@pytest.mark.parametrize("bad", [3.0, None, object(), [1, 2]])
def test_other_values_are_refused_naming_the_argument(bad):
    with pytest.raises(ParameterError, match=r"^function="):
        resolve(bad)


def test_require_subquadratic():
    with pytest.raises(MslValueError):
        resolve(catalog.f3(), require_subquadratic=True)
    with pytest.raises(MslValueError):
        resolve("x1**2 + x2**2", require_subquadratic=True)


def test_a_new_kind_of_landscape_runs_through_simulate_and_the_checks():
    """GD on Bowl at a learning rate below the threshold 2/lambda_max(Hessian at the
    minimum) converges to the minimum; Theorem 4.3's check and the claim table take it."""
    from proofs_check import applicable_claims, check_theorem_4_3
    from theory.dynamics import simulate

    bowl = Bowl()
    land = bowl.landscape
    top = float(np.max(np.linalg.eigvalsh(land.hessian(np.zeros((1, land.dim)))[0])))
    eta = 0.5 * 2 / top
    result = simulate(bowl, eta, [[0.5, 0.3], [-1.0, 0.2]], 2000, progress=False)
    assert set(result.period.ravel().tolist()) == {1}
    np.testing.assert_allclose(result.final_state[:, :, :], 0.0, atol=1e-6)
    assert "theorem_4_3" in applicable_claims(bowl)
    report = check_theorem_4_3(bowl, eta, starts=4, max_steps=500)
    assert report.function == "bowl"
