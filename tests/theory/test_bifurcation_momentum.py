"""Heavy-ball 4-cycles on f1 (issue 21): born in a fold, checked against direct iteration.

The reference is a brute-force NumPy iteration of the heavy-ball map from 41 initial points
(x_{-1} = x_0), independent of the continuation."""

from __future__ import annotations

import numpy as np

from theory.bifurcation import fold_curve, fold_point, momentum_map, period_four_window


def _period_four_found(beta: float, eta: float) -> bool:
    m = momentum_map("f1", "momentum", beta)
    for x, y in m.iterate(np.linspace(-4, 4, 41), eta, 4000):
        if not np.isfinite(x):
            continue
        z = np.array([x, y])
        four, two = m.jet(z, eta, 4)[0], m.jet(z, eta, 2)[0]
        if np.max(np.abs(four - z)) < 1e-8 and np.max(np.abs(two - z)) > 1e-4:
            return True
    return False


def test_heavy_ball_four_cycle_is_born_in_a_fold_below_the_threshold():
    beta = 0.85
    branch = period_four_window("f1", "momentum", beta, (1.0, 8.0), probe_eta=5.0)
    assert branch is not None and len(branch.folds) == 1
    fold = fold_point(momentum_map("f1", "momentum", beta), branch.fold_states[0])
    eta_fold = fold[2]
    assert abs(eta_fold - branch.folds[0]) < 1e-3
    assert eta_fold < 2 * (1 + beta)  # born below heavy ball's threshold 2(1+beta)/f''(0)
    # the stable 4-cycle continues to the window's end, above the threshold: it coexists
    # with the stable 2-cycle, so not every orbit lands on the 2-cycle there
    assert branch.stable[branch.eta > 2 * (1 + beta) + 0.1].any()
    # direct iteration: no 4-cycle just below the fold, one just above
    assert not _period_four_found(beta, eta_fold - 0.01)
    assert _period_four_found(beta, eta_fold + 0.01)


def test_fold_crosses_the_threshold_between_beta_075_and_080():
    branch = period_four_window("f1", "momentum", 0.85, (1.0, 8.0), probe_eta=5.0)
    start = fold_point(momentum_map("f1", "momentum", 0.85), branch.fold_states[0])
    curve = dict(fold_curve("f1", "momentum", [0.85, 0.8, 0.75], start))
    assert curve[0.8] < 2 * 1.8 and curve[0.75] > 2 * 1.75


def test_region_claim_counts_simulated_cycles_left_of_the_fold():
    from theory.figures.momentum_cycles import MomentumCycles, claims

    eta, beta = np.linspace(1.0, 5.0, 5), np.array([0.8, 0.9])
    fold_beta, fold_eta = np.array([0.8, 0.9]), np.array([3.0, 2.0])  # crosses 2(1+b)? no
    four = np.zeros((5, 2))
    four[3:, 0] = 0.2  # eta 4, 5 at beta 0.8: right of the fold 3
    four[2:, 1] = 0.3  # eta 3, 4, 5 at beta 0.9: right of the fold 2
    data = MomentumCycles("momentum", fold_beta, fold_eta, eta, beta, four)
    region, crossing = claims(data)
    assert region.confirmed and region.numbers["left_of_fold"] == 0
    assert crossing.numbers["crossing_beta"] is None  # 3 < 3.6 and 2 < 3.8: never crosses
    four[0, 0] = 0.1  # eta 1 at beta 0.8: two steps left of the fold
    region, _ = claims(MomentumCycles("momentum", fold_beta, fold_eta, eta, beta, four))
    assert not region.confirmed and region.numbers["left_of_fold"] == 1


def _plain_step(method: str, beta: float, eta: float, x: float, y: float):
    """The 2-state map written again (f1'(u) = sign(u) log(1 + |u|))."""
    u = x if method == "momentum" else x + beta * (x - y)
    step = np.sign(u) * np.log1p(abs(u))
    return (x - eta * step + beta * (x - y), x) if method == "momentum" else (u - eta * step, x)


def test_newton_search_finds_the_fold_pair_for_heavy_ball_and_no_four_cycle_for_nesterov():
    from theory.bifurcation import find_momentum_cycles

    grid = np.linspace(-20, 20, 9)
    starts = np.array([(a, b) for a in grid for b in grid])
    found = find_momentum_cycles(momentum_map("f1", "momentum", 0.85), 4.0, 4, starts)
    assert len(found) == 2 and found[0][1] < 1 < found[1][1]  # stable + saddle
    for z, _ in found:
        x, y = z
        for _ in range(4):
            x, y = _plain_step("momentum", 0.85, 4.0, x, y)
        assert abs(x - z[0]) < 1e-9 and abs(y - z[1]) < 1e-9
    for beta, eta in ((0.6, 8.0), (0.85, 4.0), (0.95, 8.0)):
        mmap = momentum_map("f1", "nesterov", beta)
        assert find_momentum_cycles(mmap, eta, 4, starts) == []


def test_nesterov_two_cycle_stays_stable_past_its_threshold():
    from theory.bifurcation import continue_momentum_cycle, enclose_momentum_cycle

    beta = 0.85
    threshold = 2 * (1 + beta) / (1 + 2 * beta)  # Nesterov's flip of the minimum, f''(0) = 1
    mmap = momentum_map("f1", "nesterov", beta)
    branch = continue_momentum_cycle(mmap, 2, (2.97, -2.97), 5.0, (threshold + 0.05, 20.0))
    inside = (branch.eta > threshold + 0.05) & (branch.eta < 20)
    assert inside.sum() > 10 and branch.stable[inside].all()
    for eta in (2.0, 10.0):
        a = float(branch.points[np.argmin(abs(branch.eta - eta)), 0])
        box = enclose_momentum_cycle("f1", "nesterov", beta, eta, (a, -a), 2)
        assert box.stable is True
        x, y = _plain_step("nesterov", beta, eta, *box.midpoint)
        x, y = _plain_step("nesterov", beta, eta, x, y)
        assert abs(x - box.midpoint[0]) < 1e-9


def test_momentum_branches_start_at_the_thresholds_and_only_heavy_ball_folds():
    """The continued 2-cycle ends on the minimum at the closed-form thresholds
    2(1 + beta)/f''(0) (heavy ball) and 2(1 + beta)/((1 + 2 beta) f''(0)) (Nesterov),
    f1''(0) = 1; no eigenvalue crosses -1 (no flip) on any branch up to eta = 30."""
    from theory.bifurcation import momentum_branches

    beta = 0.9
    heavy = {b.period: b for b in momentum_branches("f1", "momentum", beta, (0.5, 30.0))}
    nest = {b.period: b for b in momentum_branches("f1", "nesterov", beta, (0.5, 30.0))}
    assert abs(heavy[2].eta.min() - 2 * (1 + beta)) < 0.05
    assert abs(nest[2].eta.min() - 2 * (1 + beta) / (1 + 2 * beta)) < 0.05
    assert heavy[2].stable.all() and nest[2].stable.all() and 4 not in nest
    assert len(heavy[4].folds) == 1 and abs(heavy[4].folds[0] - 2.4232) < 1e-3
    assert heavy[2].flips == heavy[4].flips == nest[2].flips == ()
