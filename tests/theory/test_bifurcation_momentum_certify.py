"""Certified heavy-ball / Nesterov cycles and folds on f1 (issue 21, point 4).

References are independent of the code under test: the 2-state maps are written again here
in mpmath (50 digits) with f1'(x) = sign(x) log(1 + |x|); zeros by ``mpmath.findroot``,
Jacobians by ``mpmath.diff``, eigenvalues by ``mpmath.eig``; closed forms for the
symmetric 2-cycles; a plain NumPy iteration for the fold's two sides."""

from __future__ import annotations

import mpmath as mp
import numpy as np
import pytest

from theory.bifurcation import (
    BifurcationError,
    enclose_fold_threshold_crossing,
    enclose_momentum_cycle,
    enclose_momentum_fold,
)

mp.mp.dps = 50


def _d1(x):
    return mp.sign(x) * mp.log(1 + abs(x))


def _step(method, beta, eta, x, y):
    if method == "momentum":
        return x - eta * _d1(x) + beta * (x - y), x
    u = x + beta * (x - y)
    return u - eta * _d1(u), x


def _power(method, beta, eta, x, y, p):
    for _ in range(p):
        x, y = _step(method, beta, eta, x, y)
    return x, y


def _root(method, beta, eta, z, p):
    beta, eta = mp.mpf(beta), mp.mpf(eta)
    f = [lambda x, y: _power(method, beta, eta, x, y, p)[0] - x,
         lambda x, y: _power(method, beta, eta, x, y, p)[1] - y]
    return mp.findroot(f, (mp.mpf(z[0]), mp.mpf(z[1])))


def _monodromy(method, beta, eta, z, p):
    beta, eta = mp.mpf(beta), mp.mpf(eta)
    rows = []
    for i in range(2):
        rows.append([mp.diff(lambda x, y, i=i: _power(method, beta, eta, x, y, p)[i],
                             (z[0], z[1]), tuple(int(k == j) for k in range(2)))
                     for j in range(2)])
    return mp.matrix(rows)


def _inside(value, interval) -> bool:
    return interval[0] <= value <= interval[1]


@pytest.mark.parametrize("symmetric", [False, True])
def test_heavy_ball_four_cycle_is_proven_and_stable(symmetric):
    box = enclose_momentum_cycle("f1", "momentum", 0.85, 5.0, (-3.8, 5.3), 4,
                                 symmetric=symmetric)
    assert box.unique and box.minimal and box.stable is True and box.width < 1e-12
    z = _root("momentum", 0.85, 5.0, box.midpoint, 4)
    assert _inside(float(z[0]), box.state[0]) and _inside(float(z[1]), box.state[1])
    eig = mp.eig(_monodromy("momentum", 0.85, 5.0, z, 4))[0]
    rho = max(abs(e) for e in eig)
    lo, hi = box.spectral_radius
    assert lo - 1e-12 <= float(rho) <= hi + 1e-12 and hi < 1
    # the orbit is (a, b, -a, -b): f1 is even and the cycle symmetric
    (a, _), (b, _), (c, _), (d, _) = box.points
    assert abs(a + c) < 1e-12 and abs(b + d) < 1e-12


def test_unstable_partner_of_the_fold_pair_is_certified_unstable():
    box = enclose_momentum_cycle("f1", "momentum", 0.85, 3.0, (-0.29, -1.54), 4)
    z = _root("momentum", 0.85, 3.0, box.midpoint, 4)
    assert _inside(float(z[0]), box.state[0])
    eig = mp.eig(_monodromy("momentum", 0.85, 3.0, z, 4))[0]
    assert max(abs(e) for e in eig) > 1 and box.stable is False


@pytest.mark.parametrize("method", ["momentum", "nesterov"])
def test_symmetric_two_cycle_matches_its_closed_form(method):
    beta, eta = mp.mpf(0.85), mp.mpf(5)
    box = enclose_momentum_cycle("f1", method, 0.85, 5.0, (2.0, -2.0), 2)
    # state (a, -a) -> (-a, a): heavy ball eta f'(a) = 2 (1 + beta) a;
    # Nesterov (u = (1 + 2 beta) a) eta f'(u) = 2 (1 + beta) a
    k = 1 if method == "momentum" else 1 + 2 * beta
    a = mp.findroot(lambda a: eta * _d1(k * a) - 2 * (1 + beta) * a, 2)
    assert _inside(float(abs(a)), tuple(sorted(abs(v) for v in box.state[0])))
    eig = mp.eig(_monodromy(method, 0.85, 5.0, (a, -a), 2))[0]
    assert _inside(float(max(abs(e) for e in eig)), box.spectral_radius)
    assert box.stable is True and box.minimal


def test_asymmetric_function_two_cycle():
    f = "x**2/2 + x**3/2"
    box = enclose_momentum_cycle(f, "momentum", 0.5, "3.2", (0.1, -0.14), 2)
    beta, eta = mp.mpf("0.5"), mp.mpf("3.2")

    def step(x, y):
        return x - eta * (x + 3 * x**2 / 2) + beta * (x - y), x

    z = mp.findroot([lambda x, y: step(*step(x, y))[0] - x,
                     lambda x, y: step(*step(x, y))[1] - y], (mp.mpf(0.1), mp.mpf(-0.14)))
    assert _inside(float(z[0]), box.state[0]) and _inside(float(z[1]), box.state[1])
    with pytest.raises(BifurcationError, match="even function"):
        enclose_momentum_cycle(f, "momentum", 0.5, 3.2, (0.1, -0.14), 2, symmetric=True)


def _four_cycle_found(beta: float, eta: float) -> bool:
    """Plain NumPy heavy-ball iteration from 41 x0 (x_{-1} = x0)."""
    x = np.linspace(-4, 4, 41)
    y = x.copy()
    for _ in range(4000):
        x, y = x - eta * np.sign(x) * np.log1p(np.abs(x)) + beta * (x - y), x
    hist = [x]
    for _ in range(4):
        x, y = x - eta * np.sign(x) * np.log1p(np.abs(x)) + beta * (x - y), x
        hist.append(x)
    return bool(np.any((np.abs(hist[4] - hist[0]) < 1e-8) & (np.abs(hist[2] - hist[0]) > 1e-4)))


def test_fold_at_beta_085_is_certified_below_the_threshold():
    fold = enclose_momentum_fold("f1", "momentum", 0.85, (-0.44, -1.18, 2.72), 4,
                                 symmetric=True)
    lo, hi = fold.eta
    assert hi - lo < 1e-12 and 2.7191 < lo and hi < 2.7192 < 2 * 1.85
    # mpmath: at the midpoint the 4-cycle equation and det(DH^4 - I) vanish
    eta = mp.mpf((lo + hi) / 2)
    z = (mp.mpf(sum(fold.state[0]) / 2), mp.mpf(sum(fold.state[1]) / 2))
    four = _power("momentum", mp.mpf(0.85), eta, z[0], z[1], 4)
    assert max(abs(four[0] - z[0]), abs(four[1] - z[1])) < 1e-10
    jac = _monodromy("momentum", 0.85, eta, z, 4)
    assert abs(mp.det(jac - mp.eye(2))) < 1e-8
    # the generic (non-symmetric) system encloses the same fold
    plain = enclose_momentum_fold("f1", "momentum", 0.85, (-0.44, -1.18, 2.72), 4)
    assert plain.eta[0] <= hi and lo <= plain.eta[1]
    # direct iteration: no 4-cycle just below, one just above
    assert not _four_cycle_found(0.85, lo - 0.01) and _four_cycle_found(0.85, hi + 0.01)


def test_fold_crosses_the_threshold_at_a_certified_beta():
    cross = enclose_fold_threshold_crossing("f1", 0.758, (-0.92, -2.79), 4, symmetric=True)
    blo, bhi = cross.beta_enclosure
    assert bhi - blo < 1e-12 and 0.757 < blo < bhi < 0.759
    # sign change of eta_fold - 2 (1 + beta) on the bracket, each end certified
    below = enclose_momentum_fold("f1", "momentum", 0.757, (-0.93, -2.82, 3.526), 4,
                                  symmetric=True)
    above = enclose_momentum_fold("f1", "momentum", 0.759, (-0.92, -2.77, 3.504), 4,
                                  symmetric=True)
    assert below.eta[0] > 2 * 1.757 and above.eta[1] < 2 * 1.759
    # mpmath residual at the crossing
    beta = mp.mpf(cross.beta)
    z = (mp.mpf(sum(cross.state[0]) / 2), mp.mpf(sum(cross.state[1]) / 2))
    jac = _monodromy("momentum", beta, 2 * (1 + beta), z, 4)
    assert abs(mp.det(jac - mp.eye(2))) < 1e-8


def test_bad_input_is_refused_with_its_name():
    with pytest.raises(BifurcationError, match="method"):
        enclose_momentum_cycle("f1", "adam", 0.5, 3.0, (1, -1), 2)
    with pytest.raises(BifurcationError, match="beta"):
        enclose_momentum_cycle("f1", "momentum", 1.5, 3.0, (1, -1), 2)
    with pytest.raises(BifurcationError, match="guess"):
        enclose_momentum_fold("f1", "momentum", 0.85, (1.0, 2.0), 4)
    with pytest.raises(BifurcationError, match="kink"):  # the minimum (0, 0) of f1
        enclose_momentum_cycle("f1", "momentum", 0.5, 1.0, (0.0, 0.0), 1)


@pytest.mark.parametrize(("beta", "guess"), [
    (0.6, (-2.82, -11.17, 6.70)), (0.7, (-1.39, -4.59, 4.29)), (0.8, (-0.67, -1.92, 3.10)),
    (0.9, (-0.26, -0.66, 2.42))])
def test_folds_across_beta_are_certified_and_vanish_under_mpmath(beta, guess):
    fold = enclose_momentum_fold("f1", "momentum", beta, guess, 4, symmetric=True)
    lo, hi = fold.eta
    assert hi - lo < 1e-12 and abs(lo - guess[2]) < 0.01
    eta = mp.mpf((lo + hi) / 2)
    z = (mp.mpf(sum(fold.state[0]) / 2), mp.mpf(sum(fold.state[1]) / 2))
    half = _power("momentum", mp.mpf(beta), eta, z[0], z[1], 2)  # H^2(z) = -z
    assert max(abs(half[0] + z[0]), abs(half[1] + z[1])) < 1e-10
    jac = _monodromy("momentum", beta, eta, z, 4)
    assert abs(mp.det(jac - mp.eye(2))) < 1e-8
