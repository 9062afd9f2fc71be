"""Regression tests for core bugs found by the checks of Section 4.

``Subquadratic.periodic_points`` used to treat a sign change of eta f'(x) - 2x as a root even
where f' jumps (the empirical losses of Section 6 are only piecewise C^1): for the loss of
inputs 1, 10, 100 and eta = 0.02, eta f'(x) - 2x jumps from +1.33 to -0.007 at x = 1/100
without vanishing, and x = 0.01 was returned as x_eta.  proofs_check certifies that there is
no root (tests/proofs/test_lemma_4_1.py::test_empirical_loss_has_no_x_eta_inside_the_jumps_of_h);
fixed in the core by commit 1cb62aa.
"""

from __future__ import annotations

import pytest

from theory import catalog
from theory.errors import NoPeriodicOrbitError


def test_periodic_points_rejects_a_jump_of_f_prime():
    f = catalog.empirical_loss((1, 10, 100))
    with pytest.raises(NoPeriodicOrbitError):
        roots = f.periodic_points(0.02)
        # if a root is returned it must solve eta f'(x) = 2x (residual relative to 2x)
        residual = [abs(0.02 * float(f.df(r)) - 2 * r) / (2 * r) for r in roots]
        assert max(residual) <= 1e-9, (roots, residual)

