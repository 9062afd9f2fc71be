"""Experiment 1: edge-of-stability detection, GD runs and resuming."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from empirical import ProblemSpec, build_problem, detect_eos, run_eos, run_gd
from empirical.errors import ExperimentError, ResumeError

from .conftest import CI_EOS, CI_LR, CI_STEPS


def _series(sharp_fn, loss_fn, steps=200, every=10):
    s_steps = np.arange(0, steps + 1, every)
    l_steps = np.arange(steps + 1)
    return s_steps, sharp_fn(s_steps), l_steps, loss_fn(l_steps)


def test_detects_sharpening_then_hovering_while_loss_falls():
    lr = 0.2  # 2/eta = 10
    s, sh, ls, lo = _series(lambda t: np.minimum(2 + 0.1 * t, 10.0 + 0.3 * np.sin(t)),
                            lambda t: 1.0 / (1 + 0.05 * t) * (1 + 0.02 * np.sin(3 * t)))
    v = detect_eos(s, sh, ls, lo, lr)
    assert v.edge_of_stability
    assert v.first_reach_step == 70  # 2 + 0.1 t >= (1 - 0.1) * 10 first at t = 70
    assert v.first_cross_step == int(s[np.argmax(sh >= 10.0)])
    assert v.fraction_in_band == 1.0
    assert v.sharpening_slope == pytest.approx(0.1, rel=1e-9)
    assert v.loss_keeps_decreasing and 0 < v.loss_up_fraction < 1


def test_no_eos_when_sharpness_stays_below():
    s, sh, ls, lo = _series(lambda t: 2 + 0.01 * t, lambda t: np.exp(-0.01 * t))
    v = detect_eos(s, sh, ls, lo, 0.2)
    assert not v.edge_of_stability and v.first_reach_step is None and v.fraction_in_band is None


def test_no_eos_when_loss_stalls_or_sharpness_leaves_the_band():
    lr = 0.2
    s, sh, ls, lo = _series(lambda t: np.minimum(2 + 0.1 * t, 10.0), lambda t: 0 * t + 0.5)
    stalled = detect_eos(s, sh, ls, lo, lr)
    assert stalled.first_reach_step is not None and not stalled.loss_keeps_decreasing
    assert not stalled.edge_of_stability
    s, sh, ls, lo = _series(lambda t: 2 + 0.2 * t, lambda t: np.exp(-0.01 * t))
    overshoot = detect_eos(s, sh, ls, lo, lr)  # shoots through 2/eta to 42
    assert overshoot.fraction_in_band < 0.5 and not overshoot.edge_of_stability


def test_detect_eos_rejects_bad_input():
    with pytest.raises(ExperimentError, match="lr="):
        detect_eos([0, 1], [1, 2], [0, 1], [1, 1], -0.1)
    with pytest.raises(ExperimentError, match="band="):
        detect_eos([0, 1], [1, 2], [0, 1], [1, 1], 0.1, band=1.5)
    with pytest.raises(ExperimentError, match="NaN"):
        detect_eos([0, 1], [1, np.nan], [0, 1], [1, 1], 0.1)


def test_small_digits_run_reaches_the_edge_of_stability():
    """CI-sized version of `msl eos`: sharpness rises to 2/eta, hovers, loss keeps falling."""
    res = run_eos(ProblemSpec(**CI_EOS), lr=CI_LR, steps=CI_STEPS, sharpness_every=10,
                  progress=False)
    v = res.verdict
    assert v.sharpening_slope > 0 and v.initial_sharpness < 0.6 * v.threshold
    assert v.first_reach_step is not None and v.first_reach_step < CI_STEPS / 2
    assert v.fraction_in_band >= 0.8
    assert v.loss_ratio_after < 0.5
    assert v.edge_of_stability
    assert bool(np.all(res.trace.sharp_converged))


def test_small_learning_rate_gives_no_edge_of_stability():
    res = run_eos(ProblemSpec(**CI_EOS), lr=0.02, steps=200, sharpness_every=20, progress=False)
    assert res.verdict.first_reach_step is None and not res.verdict.edge_of_stability


def test_interrupted_run_resumes_to_the_same_numbers(tmp_path):
    problem = build_problem(ProblemSpec(n_train=60, n_test=20, width=8))
    common = dict(lr=0.3, steps=60, sharpness_every=10, snapshot_every=20, eval_every=15,
                  checkpoint_every=25, progress=False, config={"k": 1})
    whole = run_gd(problem.loss, problem.theta0, evaluate=problem.test_accuracy, **common)
    calls = [0]

    def interrupting(theta):
        calls[0] += 1
        if calls[0] == 4:  # the 4th evaluation is at step 45, after the checkpoint at 25
            raise KeyboardInterrupt
        return problem.test_accuracy(theta)

    ckpt = tmp_path / "run.ckpt.pt"
    with pytest.raises(KeyboardInterrupt):
        run_gd(problem.loss, problem.theta0, evaluate=interrupting, checkpoint=ckpt, **common)
    assert ckpt.exists()
    resumed = run_gd(problem.loss, problem.theta0, evaluate=problem.test_accuracy,
                     checkpoint=ckpt, **common)
    np.testing.assert_array_equal(resumed.loss_steps, whole.loss_steps)
    np.testing.assert_allclose(resumed.losses, whole.losses, rtol=1e-6)
    np.testing.assert_allclose(resumed.sharpness, whole.sharpness, rtol=1e-4)
    np.testing.assert_array_equal(resumed.eval_steps, whole.eval_steps)
    np.testing.assert_array_equal(resumed.snap_steps, whole.snap_steps)
    torch.testing.assert_close(resumed.final_theta, whole.final_theta, rtol=1e-5, atol=1e-6)
    with pytest.raises(ResumeError, match="lr"):
        run_gd(problem.loss, problem.theta0, checkpoint=ckpt, **dict(common, lr=0.1))


def test_finished_run_is_reused_from_its_folder(tmp_path):
    spec = ProblemSpec(n_train=60, n_test=0, width=8)
    first = run_eos(spec, lr=0.3, steps=40, sharpness_every=10, out_dir=tmp_path,
                    progress=False)
    again = run_eos(spec, lr=0.3, steps=40, sharpness_every=10, out_dir=tmp_path,
                    progress=False)
    np.testing.assert_array_equal(first.trace.losses, again.trace.losses)
    with pytest.raises(ResumeError, match="out_dir holds a run with other settings"):
        run_eos(spec.replace(width=9), lr=0.3, steps=40, sharpness_every=10, out_dir=tmp_path,
                progress=False)


def test_divergence_is_reported():
    with pytest.raises(ExperimentError, match="diverged"):
        run_eos(ProblemSpec(n_train=60, n_test=0, width=8), lr=1e4, steps=40,
                sharpness_every=10, progress=False)
