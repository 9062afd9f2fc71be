"""Bugs found in the theory core while checking Lemma 4.1 (reported to the lead).

``Subquadratic.periodic_points`` treats a sign change of eta f'(x) - 2x as a root even where
f' jumps (the empirical losses of Section 6 are only piecewise C^1): for the loss of inputs
1, 10, 100 and eta = 0.02, eta f'(x) - 2x jumps from +1.33 to -0.007 at x = 1/100 without
vanishing, yet x = 0.01 is returned as x_eta.  proofs_check certifies that there is no root
(tests/proofs/test_lemma_4_1.py::test_empirical_loss_has_no_x_eta_inside_the_jumps_of_h).
Marked xfail(strict=True): it starts failing loudly once the core is fixed.
"""

from __future__ import annotations

import pytest

from theory import catalog
from theory.errors import NoPeriodicOrbitError


@pytest.mark.xfail(strict=True, reason="core: periodic_points returns a jump of f' as a root")
def test_periodic_points_rejects_a_jump_of_f_prime():
    f = catalog.empirical_loss((1, 10, 100))
    with pytest.raises(NoPeriodicOrbitError):
        roots = f.periodic_points(0.02)
        # if a root is returned it must solve eta f'(x) = 2x (residual relative to 2x)
        residual = [abs(0.02 * float(f.df(r)) - 2 * r) / (2 * r) for r in roots]
        assert max(residual) <= 1e-9, (roots, residual)
