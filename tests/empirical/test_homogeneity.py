"""Experiment 5 (Section 6): homogeneity relations and input rescaling."""

from __future__ import annotations

import numpy as np
import pytest

from empirical import ProblemSpec, check_homogeneity, input_rescaling
from empirical.errors import ExperimentError


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_relations_hold_to_float_precision_and_controls_fail(dtype):
    res = check_homogeneity(depth=3, width=16, ks=(10.0, 100.0), n_examples=32, dtype=dtype)
    assert res.all_as_expected
    eps = np.finfo(dtype).eps
    for c in res.checks:
        if c.activation == "relu" and not c.bias:
            assert c.max_rel_error <= 50 * 4 * eps  # both relations, bias-free ReLU
        if c.relation == "i" and (c.activation == "tanh" or c.bias):
            assert c.max_rel_error > 1e-3  # relation (i) needs homogeneity
        if c.relation == "ii":
            assert c.holds  # (W_1 / k)(k x) = W_1 x for any activation, with biases too


def test_rescaled_input_groups_give_separate_scales():
    spec = ProblemSpec(activation="relu", bias=False, dtype="float64", n_train=150, n_test=0,
                       width=16)
    res = input_rescaling(spec, scales=(1.0, 10.0, 100.0), steps=30, progress=False)
    r, c = res.rescaled, res.control
    # group curvature grows like k^2 (relation (ii): the loss of k x in W_1 is a rescaled copy)
    ratios = r.group_sharpness / r.group_sharpness[0]
    assert 10 < ratios[1] < 1000 and 1e3 < ratios[2] < 1e5
    # slices: widths shrink like 1 / k; without rescaling the groups look alike
    assert r.width_spread > 10 and c.width_spread < 2
    assert res.separate_scales


def test_rescaling_needs_a_bias_free_relu_mlp():
    with pytest.raises(ExperimentError, match="relu"):
        input_rescaling(ProblemSpec(activation="tanh", bias=False), progress=False)
