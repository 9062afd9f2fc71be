"""The paper's landscapes (Sections 4-6) against the formulas printed in the paper.

Every reference is computed here in plain numpy/scipy from the paper's text, independently
of the sympy construction in theory.catalog.
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from scipy.integrate import quad

from theory import Landscape, Subquadratic, catalog
from theory.errors import LandscapeError, MslValueError, ParameterError


def f1_np(u):
    a = np.abs(u)
    return (1 + a) * np.log1p(a) - a


def f2_np(u, C=3.0):
    a = np.abs(u)
    with np.errstate(divide="ignore"):
        return np.where(a <= 1 / C, C**2 * a**2 / 3, 1 - 2 / (3 * C * a))


def relu(z):
    return np.maximum(z, 0.0)


def network_np(x, w):
    """(6.1) evaluated neuron by neuron."""
    return 1 - relu(w * x + 1) + 2 * relu(w * x) - relu(w * x - 1)


def test_f1_f2_values(rng):
    x = rng.uniform(-20, 20, 200)
    np.testing.assert_allclose(catalog.f1().f(x), f1_np(x), rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(catalog.f2().f(x), f2_np(x), rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(catalog.f2(7).f(x), f2_np(x, 7.0), rtol=1e-13, atol=1e-15)


def test_f3_matches_fig_4_1_caption(rng):
    pts = rng.uniform(-4, 4, (100, 2))
    x1, x2 = pts[:, 0], pts[:, 1]
    expected = f2_np(x1) + f2_np(x1 + x2) + 0.5 * f1_np(np.hypot(x1, x2))
    np.testing.assert_allclose(catalog.f3().value(pts), expected, rtol=1e-12)


def _finite_difference_gradient(landscape: Landscape, pts: np.ndarray, step=1e-6):
    grads = []
    for i in range(landscape.dim):
        e = np.zeros(landscape.dim)
        e[i] = step
        grads.append((landscape.value(pts + e) - landscape.value(pts - e)) / (2 * step))
    return np.stack(grads, axis=-1)


LANDSCAPES = {
    "f3": catalog.f3,
    "fig4.2": lambda: catalog.fig_4_2().landscape,
    "fig5.1": lambda: catalog.fig_5_1().landscape,
    "fig5.1_min": lambda: catalog.two_valley(catalog.f1(), cutoff="min", c=0.5).landscape,
    "two_layer_2d": lambda: catalog.get("two_layer_2d"),
    "separable": lambda: catalog.separable(
        [catalog.f1(), catalog.log_cosh(), catalog.pseudo_huber()],
        catalog.random_orthonormal_basis(3, seed=4),
    ).landscape,
}


@pytest.mark.parametrize("name", list(LANDSCAPES))
def test_gradient_and_hessian_against_finite_differences(name, rng):
    landscape = LANDSCAPES[name]()
    pts = rng.uniform(-3, 3, (40, landscape.dim)) + 0.01  # keep away from the kinks at 0
    grad = landscape.gradient(pts)
    np.testing.assert_allclose(grad, _finite_difference_gradient(landscape, pts),
                               rtol=1e-5, atol=1e-7)
    hess = landscape.hessian(pts)
    np.testing.assert_allclose(hess, np.swapaxes(hess, -1, -2))
    step = 1e-5
    for i in range(landscape.dim):
        e = np.zeros(landscape.dim)
        e[i] = step
        column = (landscape.gradient(pts + e) - landscape.gradient(pts - e)) / (2 * step)
        np.testing.assert_allclose(hess[..., :, i], column, rtol=1e-4, atol=1e-6)
    for row in landscape.hessian_exprs:
        assert not any(e.has(sp.DiracDelta) for e in row)


def test_valley_chain_rule_matches_direct_differentiation(rng):
    """Valley supplies derivatives by the chain rule; differentiate F directly to compare."""
    valley = catalog.valley(catalog.log_cosh(), "exp(x1/5) + x3**2/10", x=("x1", "x3"), y="y")
    chain = valley.landscape
    direct = Landscape(chain.expr, variables=chain.variables)
    pts = rng.uniform(-2, 2, (30, 3))
    np.testing.assert_allclose(chain.gradient(pts), direct.gradient(pts), rtol=1e-11, atol=1e-13)
    np.testing.assert_allclose(chain.hessian(pts), direct.hessian(pts), rtol=1e-10, atol=1e-12)


def test_fig_4_2_valley_formula(rng):
    pts = rng.uniform(-5, 5, (50, 2))
    x1, x2 = pts[:, 0], pts[:, 1]
    np.testing.assert_allclose(catalog.fig_4_2().landscape.value(pts),
                               f1_np(x2 / (1 + 0.01 * x1)), rtol=1e-13)


def test_fig_5_1_two_valleys_formula(rng):
    """Caption of Fig. 5.1: f = h(x1,x2) + 0.25 h(x2,10x1)/(1+h(x2,10x1)),
    h(a, b) = f1((1 + 0.001 a^2) b)."""
    pts = rng.uniform(-25, 25, (80, 2))
    x1, x2 = pts[:, 0], pts[:, 1]

    def h(a, b):
        return f1_np((1 + 0.001 * a**2) * b)

    expected = h(x1, x2) + 0.25 * h(x2, 10 * x1) / (1 + h(x2, 10 * x1))
    np.testing.assert_allclose(catalog.fig_5_1().landscape.value(pts), expected, rtol=1e-12)


def test_two_valley_min_cutoff_confines_g2():
    tv = catalog.two_valley(catalog.f1(), k=10, c=0.25, cutoff="min")
    pts = np.array([[50.0, 0.0], [0.01, 0.0], [3.0, 0.0]])
    values = tv.landscape.value(pts)
    g2 = f1_np(10 * pts[:, 0])
    np.testing.assert_allclose(values, np.minimum(g2, 0.25))


@pytest.mark.parametrize(
    "kwargs", [{"k": 1}, {"k": -2}, {"c": 0}, {"cutoff": "tanh"}, {"h": "1 + x**2"}]
)
def test_two_valley_rejects_bad_parameters(kwargs):
    with pytest.raises(ParameterError):
        catalog.two_valley(catalog.f1(), **kwargs)


def test_separable_sum_over_basis(rng):
    fs = [catalog.f1(), catalog.f2(), catalog.pseudo_huber()]
    basis = catalog.random_orthonormal_basis(3, seed=11)
    sep = catalog.separable(fs, basis)
    pts = rng.uniform(-3, 3, (25, 3))
    z = pts @ basis.T
    expected = f1_np(z[:, 0]) + f2_np(z[:, 1]) + (np.sqrt(1 + z[:, 2] ** 2) - 1)
    np.testing.assert_allclose(sep.landscape.value(pts), expected, rtol=1e-11)
    np.testing.assert_allclose(sep.gradient(pts), sep.landscape.gradient(pts), rtol=1e-9,
                               atol=1e-12)
    assert sep.thresholds() == (2.0, 1 / 3, 2.0)


def test_random_basis_is_orthonormal_and_seeded():
    a = catalog.random_orthonormal_basis(5, seed=3)
    np.testing.assert_allclose(a @ a.T, np.eye(5), atol=1e-13)
    np.testing.assert_array_equal(a, catalog.random_orthonormal_basis(5, seed=3))
    assert not np.allclose(a, catalog.random_orthonormal_basis(5, seed=4))


def test_separable_rejects_non_orthonormal_basis():
    with pytest.raises(ParameterError, match="not orthonormal"):
        catalog.separable([catalog.f1(), catalog.f1()], [[1, 0], [0.1, 1]])
    with pytest.raises(ParameterError, match="shape"):
        catalog.separable([catalog.f1()], np.eye(2))


# --------------------------------------------------------------------------- Section 6
DATA_SETS = [(1.0,), (0.5, 2.0), (1, 10, 100), (0.3, 0.3, 4.0, 7.5, 0.05)]


@pytest.mark.parametrize("data", DATA_SETS)
def test_empirical_loss_direct_and_closed_form_agree_with_the_network(data):
    """L(w) = (1/n) sum f(x_i, w)^2 evaluated through (6.1) neuron by neuron (numpy), the
    sympy composition, and the paper's piecewise formula: all three agree."""
    w = np.concatenate([np.linspace(-3, 3, 601), 1 / np.array(data), -1 / np.array(data)])
    reference = np.mean([network_np(x, w) ** 2 for x in data], axis=0)
    direct = catalog.empirical_loss(data)
    closed = catalog.empirical_loss_closed_form(data)
    np.testing.assert_allclose(direct.f(w), reference, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(closed.f(w), reference, rtol=1e-12, atol=1e-15)
    # f''(0) = (2/n) sum x_i^2: the curvature of the innermost quadratic piece
    assert float(direct.curvature_at_zero) == pytest.approx(2 * np.mean(np.square(data)))
    assert direct.threshold == closed.threshold


def test_network_is_abs_xw_inside_and_one_outside():
    """The piecewise form of f(x, w) in Section 6."""
    w = sp.Symbol("w", real=True)
    f = catalog.neuron(sp.Integer(4), w)
    for value in (-1.0, -0.3, -0.25, 0.0, 0.1, 0.25, 0.9):
        expected = abs(4 * value) if abs(value) <= 0.25 else 1.0
        assert float(f.subs(w, value)) == pytest.approx(expected)


@pytest.mark.parametrize("C", [1, 3, 10])
def test_uniform_population_loss_is_6_2(C):
    pop = catalog.uniform_population_loss(C)
    w = np.linspace(-2, 2, 801)
    np.testing.assert_allclose(pop.f(w), f2_np(w, float(C)), rtol=1e-12, atol=1e-15)
    assert pop.threshold == catalog.f2(C).threshold


def test_population_loss_matches_quadrature():
    """Density 2x on [0, 1] and a shifted exponential: L(w) = E[f(x, w)^2] by quadrature."""
    cases = [("2*x", (0, 1), lambda x: 2 * x, (0, 1)),
             ("exp(-(x - 1/2))", (sp.Rational(1, 2), sp.oo), lambda x: np.exp(-(x - 0.5)),
              (0.5, np.inf))]
    for density, support, p, (a, b) in cases:
        loss = catalog.population_loss(density, support)
        for w in (-3.0, -0.7, 0.05, 0.4, 1.0, 1.9, 5.0):
            def integrand(x, w=w, p=p):
                return network_np(x, w) ** 2 * p(x)

            kink = min(max(1 / abs(w), a), b)  # split the integral at x = 1/|w|
            ref = quad(integrand, a, kink, limit=200)[0] + quad(integrand, kink, b, limit=200)[0]
            assert loss.f(w) == pytest.approx(ref, rel=1e-8, abs=1e-12)


@pytest.mark.parametrize(
    ("density", "support", "fragment"),
    [("x", (0, 1), "integrates to"), ("1", (2, 1), "support"), ("x*y", (0, 1), "only")],
)
def test_population_loss_rejects_bad_distributions(density, support, fragment):
    with pytest.raises(ParameterError, match=fragment):
        catalog.population_loss(density, support)


@pytest.mark.parametrize("data", [(), (1.0, -2.0), (0.0,), (float("nan"),), ("a",)])
def test_empirical_loss_rejects_bad_data(data):
    with pytest.raises(ParameterError, match="data"):
        catalog.empirical_loss(data)


def test_two_layer_two_valley_is_l_w1_plus_l_k_w2(rng):
    land = catalog.two_layer_two_valley(catalog.f2(3), k=10)
    pts = rng.uniform(-1, 1, (60, 2))
    np.testing.assert_allclose(land.value(pts), f2_np(pts[:, 0]) + f2_np(10 * pts[:, 1]),
                               rtol=1e-12, atol=1e-15)


# --------------------------------------------------------------------------- lookup
def test_catalog_names_resolve_to_their_objects():
    for name in catalog.names():
        obj = catalog.get(name)
        assert isinstance(obj, (Subquadratic, Landscape)) or hasattr(obj, "landscape")
    assert catalog.get("f2(C=5)").threshold == sp.Rational(3, 25)


@pytest.mark.parametrize("text", ["nope", "f2(C=)", "f2(D=1)", "f2(C=-1)", "f2(5)"])
def test_catalog_lookup_errors_are_ours(text):
    with pytest.raises(MslValueError):
        catalog.get(text)


def test_landscape_validation():
    with pytest.raises(LandscapeError, match="not among"):
        Landscape("x1 + x2", variables=["x1"])
    with pytest.raises(LandscapeError, match="repeated"):
        Landscape("x1", variables=["x1", "x1"])
    with pytest.raises(LandscapeError, match="last dimension"):
        catalog.f3().value(np.zeros((4, 3)))
    assert Landscape("x10 + x2 + x1").variables == sp.symbols("x1 x2 x10", real=True)


def test_removable_singularity_at_the_origin_of_f3():
    """grad f3 contains log(1 + r)/r x; at r = 0 its limit (0) is returned, and the Hessian
    is the limit 6 [[1, 0], [0, 0]] + 6 [[1, 1], [1, 1]] + 0.5 I from the formulas of f2
    (f2''(0) = 2C^2/3 = 6) and f1 (f1''(0) = 1)."""
    f3 = catalog.f3()
    origin = np.zeros((1, 2))
    np.testing.assert_array_equal(f3.gradient(origin), 0.0)
    expected = np.array([[12.5, 6.0], [6.0, 6.5]])
    np.testing.assert_allclose(f3.hessian(origin)[0], expected, rtol=1e-6)
    assert np.all(np.isnan(f3.value(np.array([[np.nan, 0.0]]))))  # no masking of real NaN
