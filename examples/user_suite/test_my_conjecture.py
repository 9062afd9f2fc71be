"""A researcher's own tests about subquadratic GD, written against the installed package.

Nothing is imported from the package's test suite: the fixtures (msl_catalog, msl_certify,
msl_assert) come from the pytest plugin that `pip install multiscale-landscapes` registers,
the strategies from proofs_check.strategies.  Run with plain `pytest` (add
`--msl-profile ci` for 40 derandomized examples per property).
"""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from proofs_check.families import FEW_SCALES
from proofs_check.strategies import learning_rates, scaled_profiles, violating_exactly_one


def test_the_paper_examples_satisfy_theorem_4_1(msl_catalog, msl_certify):
    for name in ("f1", "pseudo_huber", "log_cosh"):
        checks = msl_certify(msl_catalog[name], "theorem_4_1")
        assert all(c.status.value == "holds" for c in checks.values()), name


def test_theorem_4_1_on_log_cosh_above_the_threshold(msl_catalog, msl_assert):
    msl_assert.theorem_4_1(msl_catalog["log_cosh"], eta=3.0)


def test_f2_is_reported_with_the_violated_hypothesis(msl_catalog, msl_assert):
    with pytest.raises(AssertionError, match=r"f'' non-increasing[\s\S]*certified interval"):
        msl_assert.theorem_4_1(msl_catalog["f2"], eta=2.0)


# My conjecture: in Theorem 4.1's class the 2-cycle {+x_eta, -x_eta} is linearly stable,
# 0 < eta f''(x_eta) < 2, at every learning rate above the threshold.
@settings(max_examples=4, deadline=None)
@given(f=scaled_profiles(scales=FEW_SCALES), data=st.data())
def test_my_conjecture_the_two_cycle_is_stable(f, data):
    eta = data.draw(learning_rates(f, above_threshold=True), label="eta")
    x_eta = f.periodic_point(eta)
    assert 0 < eta * f.d2f(x_eta) < 2


# ... and it needs its hypothesis: where f'' does not vanish at infinity, x_eta may not exist.
@settings(max_examples=2, deadline=None)
@given(violation=violating_exactly_one("f'' -> 0"))
def test_without_vanishing_curvature_the_hypotheses_fail(violation, msl_certify):
    checks = msl_certify(violation.function, "lemma_4_1")
    assert checks["f'' -> 0"].status.value == "fails"
