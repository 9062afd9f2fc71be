"""theory.bifurcation: the flip criterion and certified cycles (issue 21).

References are independent of the code under test: hand-computed Taylor coefficients,
mpmath derivatives and root finding, sympy's exact roots of the 2-cycle polynomial, and
direct iteration of the GD map (NumPy) or theory.dynamics.simulate.
"""

from __future__ import annotations

import itertools

import mpmath
import numpy as np
import pytest
import sympy as sp

from theory.bifurcation import (
    BifurcationError,
    enclose_cycle,
    find_cycles,
    flip_criterion,
)

CUBIC = "x**2/2 + x**3/2"


def _iterate(grad, eta: float, x0, steps: int) -> np.ndarray:
    x = np.array(x0, dtype=float)
    with np.errstate(all="ignore"):
        for _ in range(steps):
            x = x - eta * grad(x)
    return x


def test_cubic_criterion_is_27_supercritical_exact():
    # f'' = 1 + 3x, f''' = 3, f'''' = 0 at 0: Q = 3 * 9 - 0 = 27
    crit = flip_criterion(CUBIC)
    assert crit.minimum == (0.0,) and crit.threshold == 2.0
    assert crit.quantity == 27.0 and crit.verdict == "supercritical"
    assert crit.certified_by == "exact"
    assert crit.coefficient == pytest.approx(9.0)  # Q / (3 f''^2)


@pytest.mark.parametrize(("a", "verdict"), [(-1, "supercritical"), (1, "subcritical")])
def test_even_case_is_the_sign_of_the_fourth_derivative(a, verdict):
    # Lemma 4.1's local content: f = x^2/2 + a x^4, f'''' = 24 a, Q = -24 a
    crit = flip_criterion(f"x**2/2 + {a}*x**4")
    assert crit.quantity == -24 * a and crit.verdict == verdict


def test_translated_minimum_keeps_the_criterion():
    # f(x) = F(x - 1) with F = u^2/2 + u^3/3: f has a maximum at 0 and the minimum at 1;
    # F'' = 1, F''' = 2, F'''' = 0 there: Q = 12
    crit = flip_criterion("(x - 1)**2/2 + (x - 1)**3/3")
    assert crit.minimum == (1.0,) and crit.quantity == 12.0
    assert crit.verdict == "supercritical"


def test_irrational_minimum_enclosure_holds_the_mpmath_value():
    mpmath.mp.prec = 120
    f = lambda x: mpmath.cosh(x - mpmath.mpf("0.3")) + x**3 / 10  # noqa: E731
    xstar = mpmath.findroot(lambda x: mpmath.diff(f, x), 0.3)
    d2, d3, d4 = (mpmath.diff(f, xstar, k) for k in (2, 3, 4))
    reference = 3 * d3**2 - d2 * d4
    crit = flip_criterion("cosh(x - 3/10) + x**3/10")
    lo, hi = crit.quantity_enclosure
    assert lo <= float(reference) <= hi and hi - lo < 1e-12
    assert crit.minimum[0] == pytest.approx(float(xstar), abs=1e-14)
    assert crit.verdict == ("supercritical" if reference > 0 else "subcritical")
    assert crit.certified_by == "interval"


def test_degenerate_and_refusals():
    crit = flip_criterion("x**2/2 + x**6")  # Q = 0 exactly
    assert crit.verdict == "degenerate" and crit.exact_zero
    assert flip_criterion("f2").verdict == "degenerate"  # 3x^2 near 0: the map is linear
    with pytest.raises(BifurcationError, match="four times differentiable"):
        flip_criterion("f1")  # |x|^3 term: not C^4 (Lemma 4.1 decides it)
    with pytest.raises(BifurcationError, match="not simple"):
        flip_criterion("x**2 + y**2 + x*y**2", minimum=(0, 0))
    with pytest.raises(BifurcationError, match="minimum"):
        flip_criterion("x**2 + y**2")


@pytest.mark.parametrize("c", [1, "1/10"])
def test_centre_manifold_direction_agrees_with_direct_iteration(c):
    # f = x^2 + 3y^2 + c x y^2 + y^4/5: lambda = 6 along y, w = (2c, 0), H^-1 = diag(1/2, 1/6)
    # Q = 6 (3 * 4c^2 / 2 - 24/5): c = 1 -> 7.2 > 0, c = 1/10 -> -28.44 < 0
    cval = float(sp.Rational(c))
    crit = flip_criterion(f"x**2 + 3*y**2 + {c}*x*y**2 + y**4/5", minimum=(0, 0))
    assert crit.quantity == pytest.approx(6 * (6 * cval**2 - 24 / 5))
    assert crit.direction == (0.0, 1.0)

    def grad(z):
        x, y = z[..., 0], z[..., 1]
        return np.stack([2 * x + cval * y**2, 6 * y + 2 * cval * x * y + 4 * y**3 / 5], -1)

    eta = crit.threshold * 1.001
    z = _iterate(grad, eta, [[0.0, 0.05]], 20000)
    z2 = _iterate(grad, eta, z, 2)
    small_cycle = bool(np.all(np.isfinite(z)) and np.abs(z).max() < 0.3
                       and np.abs(z2 - z).max() < 1e-9 and np.abs(z[..., 1]).max() > 1e-4)
    assert small_cycle == (crit.verdict == "supercritical")


def test_cubic_two_cycle_at_2_2_certified_and_matches_exact_roots_and_simulator():
    eta = sp.Rational(11, 5)
    x = sp.Symbol("x")
    g = lambda z: z - eta * (z + sp.Rational(3, 2) * z**2)  # noqa: E731
    exact = sorted(float(r) for r in sp.solve(sp.cancel((g(g(x)) - x) / (g(x) - x)), x))
    (cycle,) = find_cycles(CUBIC, 2.2, 2)
    enc = enclose_cycle(CUBIC, "2.2", cycle.points[0], 2)
    assert enc.width < 1e-12 and enc.unique and enc.minimal and enc.stable
    for (lo, hi), ref in zip(sorted(enc.points), exact, strict=True):
        assert lo <= ref <= hi
    # multiplier of a 2-cycle: g'(a) g'(b), g'(x) = 1 - eta (1 + 3x)
    mult = float(np.prod([1 - 2.2 * (1 + 3 * r) for r in exact]))
    assert enc.multiplier[0] <= mult + 1e-15 and mult - 1e-15 <= enc.multiplier[1]

    from theory import as_landscape
    from theory.dynamics import attractor_values, simulate
    result = simulate(CUBIC, 2.2, [0.05, -0.1], 4000, engine="numpy", progress=False)
    assert set(result.period.ravel()) == {2}
    found = attractor_values(result, as_landscape(CUBIC), decimals=13)
    assert np.allclose(found, sorted(enc.midpoints), atol=1e-9, rtol=0)


def test_period_eight_cycle_is_minimal_and_stable_in_the_logistic_window():
    # g(x) = (1 - eta) x - 1.5 eta x^2 is the logistic map with r = 1 + eta; r = 3.55 lies
    # between the 4->8 (3.5441) and 8->16 (3.5644) doublings: a stable 8-cycle
    cycles = find_cycles(CUBIC, 2.55, 8)
    enc = enclose_cycle(CUBIC, 2.55, cycles[0].points[0], 8)
    assert enc.minimal and enc.stable and enc.width < 1e-12


def test_bad_arguments_are_named():
    with pytest.raises(BifurcationError, match="eta"):
        find_cycles(CUBIC, -1.0, 2)
    with pytest.raises(BifurcationError, match="period"):
        find_cycles(CUBIC, 2.2, 0)
    with pytest.raises(BifurcationError, match="variables"):
        find_cycles("x**2 + y**2", 2.2, 2)


# logistic map x -> r x (1 - x) with r = 1 + eta (the GD map of CUBIC, conjugate by an affine
# change of x): its doublings r_k = 3, 1 + sqrt 6, 3.5440903596, 3.5644072661, 3.5687594195
# and accumulation r_inf = 3.5699456718 (Feigenbaum 1978; Briggs 1991)
LOGISTIC_FLIPS = (2.0, 6**0.5, 2.5440903596, 2.5644072661, 2.5687594195)
LOGISTIC_ACCUMULATION = 2.5699456718


def test_cascade_of_the_cubic_is_the_logistic_cascade_certified():
    from theory.bifurcation import continue_cascade
    cascade = continue_cascade(CUBIC, (1.5, 2.6), doublings=5)
    flips = cascade.flips
    assert [p.period for p in flips] == [1, 2, 4, 8, 16]
    for point, ref in zip(flips, LOGISTIC_FLIPS, strict=True):
        lo, hi = point.eta_enclosure
        assert lo - 1e-9 <= ref <= hi + 1e-9 and hi - lo < 1e-12
    assert flips[0].eta_enclosure[0] <= 2.0 <= flips[0].eta_enclosure[1]
    assert abs(cascade.feigenbaum_ratios[-1] / 4.669201609 - 1) < 0.05
    assert cascade.accumulation == pytest.approx(LOGISTIC_ACCUMULATION, rel=1e-5)
    # stability along the branches: each cycle is stable between its birth and its flip
    for branch, (born, dies) in zip(cascade.branches[1:], itertools.pairwise(flips), strict=False):
        inside = (branch.eta > born.eta + 1e-6) & (branch.eta < dies.eta - 1e-6)
        assert inside.any() and branch.stable[inside].all()


def test_subcritical_flip_gives_an_unstable_cycle_below_the_threshold():
    from theory.bifurcation import continue_cascade
    cascade = continue_cascade("x**2/2 + x**4/4", (1.0, 3.0), doublings=2)
    (two,) = [b for b in cascade.branches if b.period == 2]
    assert np.all(two.eta <= 2.0 + 1e-9) and not two.stable.any()
    # even f: the 2-cycle is {x, -x} with eta (1 + x^2) = 2
    x = two.points[:, 0]
    assert np.allclose(two.eta * (1 + x**2), 2.0, atol=1e-9)


def test_lyapunov_onset_agrees_with_the_accumulation_point():
    from theory.bifurcation import continue_cascade, lyapunov_onset
    cascade = continue_cascade(CUBIC, (1.5, 2.6), doublings=4)
    last = cascade.flips[-1].eta
    top = cascade.accumulation + (cascade.accumulation - last)
    scan = lyapunov_onset(CUBIC, last, top, points=201, steps=12000)
    assert scan.onset is not None
    assert abs(scan.onset - cascade.accumulation) <= 1e-3 * cascade.accumulation


def test_phase_diagram_overlay_draws_every_continued_cycle():
    from theory.bifurcation import continue_cascade
    from theory.dynamics import plot_bifurcation, simulate

    result = simulate(CUBIC, np.linspace(1.5, 2.5, 40), [0.05], 500, engine="numpy",
                      progress=False, keep_last=8)
    plain = len(plot_bifurcation(result).axes[0].lines)
    cascade = continue_cascade(CUBIC, (1.5, 2.5), doublings=2)
    ax = plot_bifurcation(result, branches=cascade).axes[0]
    # two flips located: branches of periods 1 and 2, two lines (stable, unstable) for
    # every point of every cycle
    assert [b.period for b in cascade.branches] == [1, 2]
    assert len(ax.lines) - plain == 2 * (1 + 2)
    drawn = {tuple(np.round(line.get_xdata()[:3], 12)) for line in ax.lines}
    assert tuple(np.round(cascade.branches[1].eta[:3], 12)) in drawn
