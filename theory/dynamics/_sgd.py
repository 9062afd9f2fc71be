"""SGD sweeps: many seeded replicas per (eta, x0) on a 1-D function (issue 13).

SGD is GD (4.1) plus noise: x_{t+1} = x_t - eta (f'(x_t) + s(x_t) xi_t), xi_t ~ N(0, 1), with
s = sigma (``noise="additive"``), sigma sqrt(2 f(x)) (``"interpolation"``: vanishes at the
minimum) or label noise on the Section 6 inputs ``data`` (``"label"``; f should then be
:func:`theory.catalog.empirical_loss` of the same data).  The outcome is a distribution,
not a period: per (eta, x0) the fraction of replicas that diverged, and over the last
``window`` steps of the others the stationary spread (root mean square of x), the mean |x|
and its spread across replicas.

Random streams: replica block k of grid point (i_eta, i_x0) draws from
``SeedSequence(seed, spawn_key=(i_eta, i_x0, k))`` with fixed blocks of
:data:`REPLICA_BLOCK`, so the numbers depend only on the seed and the grids, never on how the
work is chunked or threaded.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from theory import validation
from theory.errors import GridError

__all__ = ["REPLICA_BLOCK", "SGDSweep", "check_sgd_size", "simulate_sgd"]

REPLICA_BLOCK = 64


@dataclass(frozen=True, eq=False)
class SGDSweep:
    """Distribution outcomes of SGD over eta x x0 (arrays of shape (n_eta, n_x0))."""

    eta: np.ndarray
    x0: np.ndarray
    diverged_fraction: np.ndarray
    rms: np.ndarray
    mean_abs: np.ndarray
    mean_abs_stderr: np.ndarray
    metadata: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return validation.json_safe({
            "eta": self.eta.tolist(), "x0": self.x0.tolist(),
            "diverged_fraction": self.diverged_fraction.tolist(), "rms": self.rms.tolist(),
            "mean_abs": self.mean_abs.tolist(), "mean_abs_stderr": self.mean_abs_stderr.tolist(),
            "metadata": self.metadata})


def check_sgd_size(replicas: int, point_steps: int) -> None:
    """Refuse ``replicas`` runs of ``point_steps`` (grid points x steps) each beyond the
    ``--replicas`` bound of :data:`theory.limits.BOUNDS`, before any work (the command line
    calls it before printing its start line)."""
    from theory.limits import check_bound

    check_bound("--replicas", replicas, seconds_scale=point_steps, name="replicas")


def simulate_sgd(function, eta, x0, steps: int, *, sigma: float, replicas: int = 256,
                 seed: int = 0, noise: str = "additive", data=(), window: int | None = None,
                 bound: float = 1e10, chunk_replicas: int | None = None) -> SGDSweep:
    """SGD from every x0 with every eta, ``replicas`` seeded runs each (module docstring).

    ``function`` is a :class:`theory.Subquadratic` or anything
    :func:`theory.resolve_function` accepts as one; ``chunk_replicas`` (a multiple of
    :data:`REPLICA_BLOCK`) only bounds memory and never changes the numbers.
    """
    from theory import resolve_function
    from theory.optimizers import SGD  # validates sigma, seed, noise
    from theory.optimizers.label_noise import label_noise_scale
    from theory.subquadratic import Subquadratic

    optimizer = SGD(sigma, seed=seed, noise=noise, data=tuple(data))
    f = function if isinstance(function, Subquadratic) else resolve_function(
        function, require_subquadratic=True)
    eta_grid = validation.learning_rate_grid(eta)
    x0_grid = np.atleast_1d(np.asarray(x0, dtype=float)).ravel()
    if x0_grid.size == 0 or not np.all(np.isfinite(x0_grid)):
        raise GridError("x0 must be a non-empty grid of finite numbers")
    steps = validation.whole_number("steps", steps, minimum=1, error=GridError)
    replicas = validation.whole_number("replicas", replicas, minimum=2, error=GridError)
    check_sgd_size(replicas, eta_grid.size * x0_grid.size * steps)
    window = steps // 2 if window is None else validation.whole_number(
        "window", window, minimum=1, maximum=steps, error=GridError)
    chunk = chunk_replicas or 4 * REPLICA_BLOCK
    if chunk % REPLICA_BLOCK:
        raise GridError(f"chunk_replicas={chunk_replicas!r} must be a multiple of "
                        f"{REPLICA_BLOCK}")
    shape = (eta_grid.size, x0_grid.size)
    diverged, rms, mean_abs, mean_abs_se = (np.empty(shape) for _ in range(4))
    for a, e in enumerate(eta_grid):
        for b, start in enumerate(x0_grid):
            blocks = -(-replicas // REPLICA_BLOCK)
            finals_abs, squares, alive_all = [], [], []
            for c0 in range(0, blocks, chunk // REPLICA_BLOCK):
                c1 = min(blocks, c0 + chunk // REPLICA_BLOCK)
                sizes = [min(REPLICA_BLOCK, replicas - k * REPLICA_BLOCK) for k in range(c0, c1)]
                rngs = [np.random.default_rng(np.random.SeedSequence(optimizer.seed,
                                                                     spawn_key=(a, b, k)))
                        for k in range(c0, c1)]
                x = np.full(sum(sizes), start)
                sum_sq = np.zeros_like(x)
                sum_abs = np.zeros_like(x)
                alive = np.ones(x.size, bool)
                for t in range(steps):
                    xi = np.concatenate([r.standard_normal(n) for r, n in zip(rngs, sizes,
                                                                               strict=True)])
                    scale: float | np.ndarray = optimizer.sigma
                    if noise == "interpolation":
                        scale = scale * np.sqrt(2 * np.maximum(f.f(x) - float(f.f(0.0)), 0.0))
                    elif noise == "label":
                        scale = label_noise_scale(optimizer.data, x, optimizer.sigma)
                    with np.errstate(all="ignore"):
                        x = x - e * (f.df(x) + scale * xi)
                    alive &= np.isfinite(x) & (np.abs(x) <= bound)
                    x = np.where(alive, x, 0.0)  # frozen once diverged (kept out of stats)
                    if t >= steps - window:
                        sum_sq += x * x
                        sum_abs += np.abs(x)
                squares.append(sum_sq / window)
                finals_abs.append(sum_abs / window)
                alive_all.append(alive)
            alive = np.concatenate(alive_all)
            sq, ab = np.concatenate(squares)[alive], np.concatenate(finals_abs)[alive]
            diverged[a, b] = 1.0 - alive.mean()
            rms[a, b] = np.sqrt(sq.mean()) if sq.size else np.nan
            mean_abs[a, b] = ab.mean() if ab.size else np.nan
            mean_abs_se[a, b] = ab.std(ddof=1) / np.sqrt(ab.size) if ab.size > 1 else np.nan
    metadata = {"function": f.name, "steps": steps, "sigma": optimizer.sigma, "seed": seed,
                "noise": noise, "data": list(optimizer.data), "replicas": replicas,
                "window": window, "bound": bound}
    return SGDSweep(eta_grid, x0_grid, diverged, rms, mean_abs, mean_abs_se, metadata)
