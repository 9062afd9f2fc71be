"""Phase diagrams (Section 4.1, Theorem 4.1): the claims come from the classified sweep and
fail when the sweep does not show what the theorem says."""

from __future__ import annotations

import numpy as np
import pytest

from theory import catalog
from theory.figures import Verdict, phase_diagrams
from theory.figures.phase_diagrams import Sweep


@pytest.fixture(scope="module")
def diagrams():
    return phase_diagrams.compute((Sweep("f1", (0.5, 6.0, 23), (-5.0, 5.0, 12), 2000),
                                   Sweep("f2", (0.1, 3.0, 24), (-5.0, 5.0, 12), 2000)))


def test_f1_lands_on_x_eta_and_f2_is_chaotic(diagrams):
    claims = {c.source: c for c in phase_diagrams.claims(diagrams)}
    theorem = claims["Theorem 4.1, f1"]
    assert theorem.verdict is Verdict.CONFIRMED
    assert theorem.numbers["max_relative_gap"] <= 1e-8
    assert theorem.numbers["threshold"] == 2.0  # 2/f1''(0), f1''(0) = 1
    chaos = claims["Fig. 4.1 middle, f2"]
    assert chaos.verdict is Verdict.CONFIRMED and chaos.numbers["diverged"] == 0
    # f2 = population loss (6.2), C = 3: f''(0) = 2 C^2 / 3 = 6, and the 2-cycle multiplier
    # (1 - eta f''(x_eta))^2 = 25 for every eta (README; Section 6)
    assert chaos.numbers["threshold"] == pytest.approx(2 / 6)
    assert chaos.numbers["cycle_multiplier"] == pytest.approx(25)
    for name in ("f1", "f2"):
        assert claims[f"Section 4.1, {name}"].verdict is Verdict.CONFIRMED


def test_too_few_steps_is_not_confirmed():
    """With 40 steps nothing has settled: the criterion must fail, not pass by default."""
    short = phase_diagrams.compute((Sweep("f1", (0.5, 6.0, 12), (-5.0, 5.0, 6), 40),))
    verdicts = {c.source: c.verdict for c in phase_diagrams.claims(short)}
    assert verdicts["Theorem 4.1, f1"] is Verdict.NOT_CONFIRMED
    assert verdicts["Section 4.1, f1"] is Verdict.NOT_CONFIRMED


def test_plots_and_resumable_store(tmp_path, diagrams):
    files = phase_diagrams.plot(diagrams, tmp_path)
    assert sorted(p.name for p in files) == ["f1_bifurcation.png", "f1_class_map.png",
                                             "f2_bifurcation.png", "f2_class_map.png"]
    sweep = (Sweep("f1", (0.5, 6.0, 7), (-5.0, 5.0, 4), 300),)
    first = phase_diagrams.compute(sweep, store_dir=tmp_path / "store")
    again = phase_diagrams.compute(sweep, store_dir=tmp_path / "store")  # loads the result
    np.testing.assert_array_equal(first[0].result.final_state, again[0].result.final_state)
    # a changed grid gets its own store instead of a mismatch error
    other = phase_diagrams.compute((Sweep("f1", (0.5, 6.0, 7), (-5.0, 5.0, 4), 301),),
                                   store_dir=tmp_path / "store")
    assert other[0].sweep.steps == 301
    assert len(list((tmp_path / "store").iterdir())) == 2
    assert catalog.get("f1").threshold == 2
