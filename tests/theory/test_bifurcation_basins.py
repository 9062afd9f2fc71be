"""Heavy ball on f1: the continued stable 4-cycle region agrees with iteration from a grid of
initial states (x0, v0) and with the simulator (issue 21, "done when" item 4).

Two independent decisions per (eta, beta): the continuation (fold followed in beta, the
4-cycle continued in eta, stable where the spectral radius of DH^4 < 1) and brute-force
iteration of the 2-state map; plus ``theory.dynamics.simulate_momentum`` on its v0 = 0
line, whose 4-cycles must be among those the grid finds."""

from __future__ import annotations

import numpy as np
import pytest

from theory.bifurcation import BasinOptions, BifurcationError, basin_agreement


def test_continued_region_agrees_with_iteration_and_the_simulator():
    # beta 0.85: fold 2.7192, so eta 2.65 (left) and 2.75 (right, 0.03 from it) are decided
    # only with a margin below 0.03; beta 0.7: fold 4.2937
    opts = BasinOptions(points=9, steps=2000, margin=0.02, simulator=True)
    res = basin_agreement("f1", [2.65, 2.75, 4.0, 4.6, 7.0], [0.7, 0.85], opts)
    assert np.allclose(res.fold_eta, [4.2937374, 2.7191636], atol=1e-6)
    expected = np.array([[False, False], [False, True], [False, True], [True, True],
                         [True, True]])
    assert (res.predicted == expected).all()
    assert res.mismatches == 0 and res.near_cycle_failures == 0
    assert ((res.found > 0) == expected).all()
    # the simulator (x_{-1} = x0, x0 on the same grid): no 4-cycle the grid misses
    assert res.simulator_v0_zero is not None
    assert not ((res.simulator_v0_zero > 0) & (res.found == 0)).any()
    assert (res.simulator_v0_zero[expected] > 0).any()


def test_options_are_validated():
    with pytest.raises(BifurcationError, match="points"):
        BasinOptions(points=1)
    with pytest.raises(BifurcationError, match="method"):
        BasinOptions(method="adam")
    with pytest.raises(BifurcationError, match="etas"):
        basin_agreement("f1", [-1.0], [0.8])
