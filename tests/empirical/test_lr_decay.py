"""Experiment 4: learning-rate decay branches and the principal directions of the path."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from empirical import ProblemSpec, run_gd, run_lr_decay
from empirical._lr_decay import first_component, path_pca
from empirical.errors import ExperimentError


def test_path_pca_recovers_known_directions():
    gen = torch.Generator().manual_seed(0)
    dirs = torch.linalg.qr(torch.randn(30, 3, generator=gen, dtype=torch.float64))[0].T
    t = torch.linspace(0, 1, 25, dtype=torch.float64)[:, None]
    noise = 1e-4 * torch.randn(25, 30, generator=gen, dtype=torch.float64)
    segs = {f"s{i}": t * dirs[i] + noise for i in range(3)}
    pca = path_pca(segs, origin=torch.zeros(30, dtype=torch.float64))
    for i in range(3):
        assert abs(float(pca.components[i] @ dirs[i])) > 1 - 1e-6
        assert pca.explained[i] > 0.999
    assert np.all(pca.cosines[~np.eye(3, dtype=bool)] < 1e-3)
    # the projection of segment 0 onto the first basis vector is its coordinate along dirs[0]
    np.testing.assert_allclose(np.abs(pca.projections[0][:, 0]), t[:, 0].numpy(), atol=1e-3)


def test_first_component_needs_two_points():
    with pytest.raises(ExperimentError, match=">= 2"):
        first_component(torch.zeros(1, 4))


def test_decay_branches_continue_the_undecayed_run(tmp_path):
    spec = ProblemSpec(n_train=80, n_test=40, width=8)
    res = run_lr_decay(spec, lr=0.3, factor=0.1, decay_steps=(40, 80), total_steps=120,
                       eval_every=20, snapshot_every=10, out_dir=tmp_path, progress=False)
    base, (b1, b2) = res.base, res.branches
    assert base.loss_steps.tolist() == list(range(121))
    # the branches start from the undecayed run's parameters at the decay steps
    for br, t in ((b1, 40), (b2, 80)):
        assert br.loss_steps[0] == t
        assert br.losses[0] == pytest.approx(base.losses[t], rel=1e-6)
        assert np.all(br.lrs == pytest.approx(0.03))
        assert br.test_accuracy.shape == br.eval_steps.shape
    # the joined undecayed run equals one uninterrupted GD run
    from empirical import build_problem

    problem = build_problem(spec)
    whole = run_gd(problem.loss, problem.theta0, lr=0.3, steps=120, progress=False)
    np.testing.assert_allclose(base.losses, whole.losses, rtol=1e-5)
    assert set(res.summary()) >= {"no_decay", "decay_at_40", "decay_at_80", "pca_abs_cosines"}


def test_bad_decay_settings_are_rejected():
    spec = ProblemSpec(n_train=40, n_test=10, width=4)
    with pytest.raises(ExperimentError, match="decay_steps"):
        run_lr_decay(spec, decay_steps=(50, 40), total_steps=100, progress=False)
    with pytest.raises(ExperimentError, match="multiples"):
        run_lr_decay(spec, decay_steps=(45, 60), total_steps=100, progress=False)
    with pytest.raises(ExperimentError, match="factor"):
        run_lr_decay(spec, factor=2.0, progress=False)
