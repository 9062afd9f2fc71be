"""The 0-1 test for chaos (Gottwald & Melbourne), a second opinion on the kept tail.

The kernels call an orbit chaotic when it is recurrent and its Lyapunov exponent is
significantly positive (:func:`theory.dynamics._support.chaos_class`).  The 0-1 test asks
the same question from the orbit alone, without derivatives: drive a 2-D walk
``p_n = sum_j phi_j cos(j c)``, ``q_n = sum_j phi_j sin(j c)`` with the observable phi; it
is bounded for a regular (periodic, quasi-periodic) orbit and diffuses (mean-square
displacement ~ n) for a chaotic one.  ``K = corr(n, D_c(n))`` (the modified mean-square
displacement, with the oscillating term of the mean removed), median over random
frequencies c, is near 1 for chaos and near 0 otherwise (Gottwald & Melbourne, "On the
implementation of the 0-1 test for chaos", SIAM J. Appl. Dyn. Syst. 8, 2009).

It needs long series (hundreds of iterates: ``keep_last``), so it runs in NumPy on a
finished result (:func:`zero_one_statistic`), not in the kernels.
"""

from __future__ import annotations

import numpy as np

from theory.errors import GridError

__all__ = ["MIN_SERIES", "zero_one_statistic", "zero_one_test"]

#: shortest series the test is run on (shorter: nan)
MIN_SERIES = 100


def zero_one_test(series, *, frequencies: int = 100, seed: int = 0) -> float:
    """K in [-1, 1] for one scalar series (near 1: chaotic; near 0: regular); nan when
    the series has fewer than :data:`MIN_SERIES` finite values.

    ``frequencies`` random c in (pi/5, 4pi/5) (drawn with ``seed``: the same numbers
    for the same seed); lags n up to N/10.
    """
    phi = np.asarray(series, dtype=float).ravel()
    if not isinstance(frequencies, (int, np.integer)) or frequencies < 1:
        raise GridError(f"frequencies={frequencies!r} must be a whole number >= 1")
    if phi.size < MIN_SERIES or not np.all(np.isfinite(phi)):
        return float("nan")
    spread = np.std(phi)
    if spread == 0.0 or not np.isfinite(spread):
        return 0.0  # a constant series is regular
    phi = (phi - phi.mean()) / spread
    n_total = phi.size
    n_cut = n_total // 10
    lags = np.arange(1, n_cut + 1)
    rng = np.random.default_rng(seed)
    cs = rng.uniform(np.pi / 5, 4 * np.pi / 5, frequencies)
    j = np.arange(1, n_total + 1)
    mean_sq = phi.mean() ** 2  # 0 after centring; kept for the formula's sake
    ks = np.empty(cs.size)
    for idx, c in enumerate(cs):
        p = np.cumsum(phi * np.cos(j * c))
        q = np.cumsum(phi * np.sin(j * c))
        m = np.array([np.mean((p[n:] - p[:-n]) ** 2 + (q[n:] - q[:-n]) ** 2) for n in lags])
        d = m - mean_sq * (1 - np.cos(lags * c)) / (1 - np.cos(c))
        if np.std(d) == 0.0:
            ks[idx] = 0.0
        else:
            ks[idx] = np.corrcoef(lags, d)[0, 1]
    return float(np.median(ks))


def zero_one_statistic(result, *, component: int = 0, frequencies: int = 100,
                       seed: int = 0) -> np.ndarray:
    """K of :func:`zero_one_test` for every orbit of a
    :class:`~theory.dynamics.SimulationResult` from its kept tail (coordinate
    ``component``): an (n_eta, n_x0) array, nan where the tail is shorter than
    :data:`MIN_SERIES` or not finite.  Needs ``simulate(..., keep_last=K)``, K >= 100."""
    tail = getattr(result, "tail", None)
    if tail is None:
        raise GridError("the result has no tail: simulate with keep_last >= "
                        f"{MIN_SERIES} for the 0-1 test")
    if not 0 <= component < tail.shape[-1]:
        raise GridError(f"component={component!r} is not in 0..{tail.shape[-1] - 1}")
    out = np.full(tail.shape[:2], np.nan)
    for a in range(tail.shape[0]):
        for b in range(tail.shape[1]):
            out[a, b] = zero_one_test(tail[a, b, :, component], frequencies=frequencies,
                                      seed=seed)
    return out
