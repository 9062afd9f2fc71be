"""Label noise on the Section 6 data: the gradient noise of SGD on (6.1) with noisy targets.

The Section 6 loss is L(w) = (1/n) sum_i f(x_i, w)^2 with targets 0, f the 3-neuron network
(6.1), f(x, w) = |x w| for |w x| <= 1 and 1 beyond.  With label noise the targets are
eps_i ~ N(0, sigma^2), drawn afresh each step, and the stochastic gradient is

    d/dw (1/n) sum_i (f(x_i, w) - eps_i)^2 = L'(w) - (2/n) sum_i eps_i df/dw(x_i, w),

so the noise is Gaussian with standard deviation (2 sigma/n) sqrt(sum_i df/dw(x_i, w)^2),
df/dw = x_i sign(w) where |w x_i| < 1 and 0 where the neuron is saturated.  Unlike the
"interpolation" model it does not vanish at the minimum w = 0 (every sample is active
there); it falls, scale by scale, as |w| passes 1/x_i (the separate scales of Section 6).
"""

from __future__ import annotations

import numpy as np

from theory import validation
from theory.optimizers._values import OptimizerError

__all__ = ["label_noise_scale"]


def label_noise_scale(data, w, sigma: float) -> np.ndarray:
    """(2 sigma/n) sqrt(sum_i x_i^2 [|w x_i| < 1]) at every w (array or scalar)."""
    xs = np.asarray([validation.positive_real(f"data[{i}]", x, error=OptimizerError)
                     for i, x in enumerate(data)], dtype=float)
    if xs.size == 0:
        raise OptimizerError("data is empty; label noise needs the inputs x_i > 0")
    sigma = validation.real("sigma", sigma, minimum=0.0, error=OptimizerError)
    w = np.asarray(w, dtype=float)
    active = np.abs(w[..., None] * xs) < 1.0
    return 2.0 * sigma / xs.size * np.sqrt(np.sum(np.where(active, xs**2, 0.0), axis=-1))
