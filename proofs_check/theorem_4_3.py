"""Theorem 4.3 (GD does not diverge on subquadratic functions) checked on a function.

**Definition 4.1** (Ma, Kunin, Wu & Ying 2022, Section 4.3).  A twice continuously
differentiable f: R^n -> R is *subquadratic* if it has a unique global (and local) minimum
x*, lim_{|x|->oo} |grad f(x)|/|x| = 0, and grad f(x)^T (x - x*) >= c |grad f(x)| |x - x*|
for all x, with a constant c > 0.

**Theorem 4.3.**  For a subquadratic f and any eta > 0 there is R_eta > 0 such that every
GD trajectory eventually stays in the closed ball B_{R_eta}(x*).

*Proof* (paper, x* = 0): choose r1 with |grad f(x)| < (2c/eta)|x| for |x| > r1; there
|x - eta grad f(x)| < |x| (4.5).  The GD map is continuous, so it maps B_{r1} into some
B_{r2}; B_{r2} (r2 >= r1) is invariant, and by (4.5) every trajectory enters it.

What :func:`check_theorem_4_3` computes:

* one-dimensional functions (:class:`theory.Subquadratic`) -- with intervals on [0, R]: grad
  f continuous (what the proof uses; C^2 is reported separately), f' > 0 on (0, R] (0 is
  the unique minimum and the only stationary point), f' >= 0 (the angle condition with
  c = 1), lim f'(x)/x = 0 (sympy); r1 (the largest root of eta f'(x) = 2x, certified
  enclosure; a floor of 1e-6 x scale when there is none), r2 (a certified upper bound of
  max_{|x| <= r1} |x - eta f'(x)|), R_eta = max(r1, r2); (4.5) on (r1, R] and the
  invariance |x - eta f'(x)| <= R_eta on [0, R_eta] (interval certificates);
* landscapes in n dimensions -- numerically (never certified): spheres of radii
  10^-3 ... 10^6 around x* along many directions give the ratio |grad f|/|x - x*|, the
  sampled constant c (the smallest cosine), r1, r2 and the checks of (4.5) and of the
  invariance of B_{R_eta}; random lines probe continuity of grad f and of the Hessian;
  several local minimisations and a symbolic test for valleys {x_i = 0} probe uniqueness;
* conclusion -- GD from seeded starting points in B_{max(2 R_eta, L)} (L the scale of f)
  until every trajectory has spent 300 steps inside B_{R_eta}; GD from far points
  (10 ... 10^4 x R_eta along the axes and diagonals) to find divergence or stationary points
  far away (counterexamples).
"""

from __future__ import annotations

import numpy as np

from proofs_check._inputs import (
    any_function,
    gd_memory,
    learning_rates,
    positive_integer,
    valid_radius,
    valid_seed,
)
from proofs_check._onedim import DEFAULT_RADIUS, analysis
from proofs_check._results import ClaimResult
from proofs_check._theorem_4_3_1d import _one_dimensional
from proofs_check._theorem_4_3_nd import _landscape, _n_dimensional
from proofs_check._theorem_4_3_shared import DEFAULT_FACTORS, PAPER_LEARNING_RATES
from theory import Subquadratic


def default_learning_rates(obj) -> tuple[float, ...]:
    """The paper's learning rates for its figures' functions, else multiples of the
    threshold 2/lambda_max of the Hessian at the minimum."""
    name = getattr(obj, "name", "")
    if name in PAPER_LEARNING_RATES:
        return PAPER_LEARNING_RATES[name]
    if isinstance(obj, Subquadratic):
        threshold = float(obj.threshold)
    else:
        land, _, _ = _landscape(obj)
        center = np.asarray(land.minimum if land.minimum is not None else np.zeros(land.dim))
        with np.errstate(all="ignore"):
            eig = np.linalg.eigvalsh(land.hessian(center[None])[0])
        top = float(np.max(eig)) if np.all(np.isfinite(eig)) else 1.0
        threshold = 2.0 / top if top > 0 else 1.0
    return tuple(threshold * k for k in DEFAULT_FACTORS)


def check_theorem_4_3(function, eta=None, *, radius: float = DEFAULT_RADIUS,
                      starts: int = 32, seed: int = 0, max_steps: int | None = None
                      ) -> ClaimResult:
    """Check Definition 4.1 and Theorem 4.3 on ``function``: a Subquadratic (interval
    certificates on [0, radius]), a Landscape, Separable, Valley or TwoValley (numerical),
    or a catalog name / expression.  ``eta``: a learning rate, a sequence, or None (the
    paper's learning rates for its functions, else 0.5, 2.5 and 10 times the threshold).
    ``max_steps``: GD steps per learning rate (default 20000 in 1-D, 5000 otherwise)."""
    obj = any_function(function)
    starts = positive_integer("starts", starts)
    seed = valid_seed(seed)
    if max_steps is None:  # 1-D steps are cheap; polynomially flat tails need many
        max_steps = 20000 if isinstance(obj, Subquadratic) else 5000
    max_steps = positive_integer("max_steps", max_steps)
    gd_memory("check_theorem_4_3", starts, max_steps)
    etas = learning_rates(eta, default_learning_rates(obj))
    if isinstance(obj, Subquadratic):
        return _one_dimensional(obj, etas, analysis(obj, valid_radius(radius)), starts, seed,
                                max_steps)
    return _n_dimensional(obj, etas, starts, seed, max_steps)
