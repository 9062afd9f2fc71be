"""Continuation against simulation: where a stable momentum 4-cycle exists (issue 21).

:func:`basin_agreement` decides, on a grid of (eta, beta), whether a stable 4-cycle of heavy
ball (or Nesterov) exists in two independent ways:

* **continuation**: the fold where the 4-cycles are born is followed over beta (Newton
  on the fold system in steps of 0.01 in beta, from the fold that
  :func:`~theory.bifurcation.period_four_window` finds at ``start_beta``); at each beta
  the 4-cycle pair is continued in eta from the fold
  (:func:`~theory.bifurcation.continue_momentum_cycle`) and the eta-range of its stable
  member (spectral radius of DH^4 < 1) is the prediction;
* **iteration**: the 2-state map iterated (NumPy, vectorised over the whole grid) from a
  square grid of initial states (x0, v0) in [-span, span]^2 (x_{-1} = x0 - v0), and, where
  the continuation predicts a stable cycle, from its state perturbed by 1e-3: the fraction
  of starts that end on an orbit of minimal period 4.

They agree at a grid point when a 4-cycle is found from some start iff one is predicted;
points within ``margin`` of the fold in eta are not decided (near a saddle-node the basin
is thin and the convergence slow).  ``theory.dynamics.simulate_momentum`` only starts from
v0 = 0 (x_{-1} = x0); ``simulator=True`` adds its fraction on that line for comparison.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import sympy as sp

from theory._sympy_utils import derivative
from theory.bifurcation._errors import BifurcationError
from theory.bifurcation._momentum import (
    continue_momentum_cycle,
    find_momentum_cycles,
    fold_point,
    momentum_map,
    period_four_window,
)
from theory.resolver import as_landscape
from theory.validation import choice, fraction, positive_real, whole_number

__all__ = ["BasinAgreement", "BasinOptions", "basin_agreement"]


@dataclass(frozen=True)
class BasinOptions:
    """``span``, ``points``: the (x0, v0) grid; ``steps`` of iteration; ``margin`` in eta
    around the fold left undecided; ``start_beta`` / ``probe_eta`` where the 4-cycle is
    first found; ``simulator``: also run ``theory.dynamics.simulate_momentum`` (v0 = 0)."""

    method: str = "momentum"
    span: float = 20.0
    points: int = 21
    steps: int = 3000
    margin: float = 0.1
    start_beta: float = 0.85
    probe_eta: float = 5.0
    simulator: bool = False

    def __post_init__(self) -> None:
        choice("method", self.method, ("momentum", "nesterov"), error=BifurcationError)
        positive_real("span", self.span, error=BifurcationError)
        whole_number("points", self.points, minimum=2, maximum=401, error=BifurcationError)
        whole_number("steps", self.steps, minimum=10, maximum=10**6, error=BifurcationError)
        if not (isinstance(self.margin, (int, float)) and 0 <= self.margin < 10):
            raise BifurcationError(f"margin={self.margin!r} must be a number in [0, 10)")
        fraction("start_beta", self.start_beta, error=BifurcationError)
        positive_real("probe_eta", self.probe_eta, error=BifurcationError)


@dataclass(frozen=True)
class BasinAgreement:
    """``predicted`` / ``found`` / ``near_cycle`` are (n_eta, n_beta): a stable 4-cycle by
    continuation; the fraction of (x0, v0) starts ending on a 4-cycle; starts next to the
    continued cycle ending on it (False where none is predicted).  ``fold_eta`` (n_beta)
    NaN where the fold was not followed; ``stable_range`` (n_beta, 2)."""

    method: str
    eta: np.ndarray
    beta: np.ndarray
    fold_eta: np.ndarray
    stable_range: np.ndarray
    predicted: np.ndarray
    found: np.ndarray
    near_cycle: np.ndarray
    margin: float
    simulator_v0_zero: np.ndarray | None = None

    @property
    def decided(self) -> np.ndarray:
        """Grid points farther than ``margin`` from the fold (or with no fold at that beta)."""
        gap = np.abs(self.eta[:, None] - self.fold_eta[None, :])
        return ~(gap < self.margin)

    @property
    def mismatches(self) -> int:
        disagree = self.predicted != (self.found > 0)
        return int(np.count_nonzero(disagree & self.decided))

    @property
    def near_cycle_failures(self) -> int:
        return int(np.count_nonzero(self.predicted & self.decided & ~self.near_cycle))

    def summary(self) -> dict:
        return {"grid": [int(self.eta.size), int(self.beta.size)],
                "predicted": int(np.count_nonzero(self.predicted)),
                "found": int(np.count_nonzero(self.found > 0)),
                "undecided": int(np.count_nonzero(~self.decided)),
                "mismatches": self.mismatches, "near_cycle_failures": self.near_cycle_failures}


def _folds(function, method: str, betas: np.ndarray, opts: BasinOptions
           ) -> dict[float, np.ndarray]:
    branch = period_four_window(function, method, opts.start_beta, (1.0, 14.0),
                                probe_eta=opts.probe_eta)
    if branch is None or not branch.fold_states:
        raise BifurcationError(f"start_beta={opts.start_beta}: no 4-cycle fold of {method} "
                               f"found from probe_eta={opts.probe_eta}")
    start = fold_point(momentum_map(function, method, opts.start_beta), branch.fold_states[0])
    if start is None:
        raise BifurcationError(f"start_beta={opts.start_beta}: the fold does not converge")
    out: dict[float, np.ndarray] = {}
    for side in (betas[betas <= opts.start_beta][::-1], betas[betas > opts.start_beta]):
        w: np.ndarray | None = start
        here = opts.start_beta
        for beta in side:  # Newton steps of at most 0.01 in beta
            path = np.linspace(here, float(beta), int(np.ceil(abs(beta - here) / 0.01)) + 1)
            for b in path[1:]:
                assert w is not None
                w = fold_point(momentum_map(function, method, float(b)), w)
                if w is None:
                    break
            if w is None:
                break
            out[float(beta)], here = w, float(beta)
    return out


def _iterate(step, eta: np.ndarray, beta: np.ndarray, x: np.ndarray, y: np.ndarray,
             steps: int, method: str) -> np.ndarray:
    """Fraction-ready mask: the orbit ends with minimal period 4 (broadcast shapes)."""
    with np.errstate(all="ignore"):
        def once(x, y):
            u = x if method == "momentum" else x + beta * (x - y)
            xn = (x - eta * step(u) + beta * (x - y)) if method == "momentum" \
                else u - eta * step(u)
            return np.where(np.abs(xn) < 1e8, xn, np.nan), x
        for _ in range(steps):
            x, y = once(x, y)
        hist = [x]
        for _ in range(4):
            x, y = once(x, y)
            hist.append(x)
        tol = 1e-6 * (1 + np.abs(hist[0]))
        return (np.abs(hist[4] - hist[0]) < tol) & (np.abs(hist[2] - hist[0]) > 1e-4)


def basin_agreement(function="f1", etas=(1.5, 10.0, 18), betas=(0.6, 0.9, 7),
                    options: BasinOptions | None = None) -> BasinAgreement:
    """Continuation vs iteration on the (eta, beta) grid (see the module docstring);
    ``etas`` / ``betas``: (lo, hi, n) or arrays."""
    opts = options if options is not None else BasinOptions()
    if not isinstance(opts, BasinOptions):
        raise BifurcationError(f"options={opts!r} must be a BasinOptions")
    eta = _grid("etas", etas)
    beta = _grid("betas", betas)
    land = as_landscape(function)
    expr = land.expr  # resolved once: every map below is built from the expression
    folds = _folds(expr, opts.method, beta, opts)
    step = sp.lambdify(land.variables[0], derivative(expr, land.variables[0]), "numpy")
    fold_eta = np.array([folds[float(b)][2] if float(b) in folds else np.nan for b in beta])
    stable = np.full((beta.size, 2), np.nan)
    predicted = np.zeros((eta.size, beta.size), bool)
    near = np.zeros((eta.size, beta.size), bool)
    for j, b in enumerate(beta):
        if float(b) not in folds:
            continue
        w = folds[float(b)]
        mmap = momentum_map(expr, opts.method, float(b))
        # a member of the pair just past the fold (Newton is singular at the fold itself)
        offsets = np.linspace(-0.2, 0.2, 5) * (1 + np.max(np.abs(w[:2])))
        starts = w[:2] + np.array([(a, c) for a in offsets for c in offsets])
        pair = find_momentum_cycles(mmap, float(w[2]) + 0.02, 4, starts)
        if not pair:
            continue
        branch = continue_momentum_cycle(mmap, 4, pair[0][0], float(w[2]) + 0.02,
                                         (w[2] - 1.0, eta[-1] + 0.5), max_step=0.1)
        good = branch.eta[branch.stable]
        if not good.size:
            continue
        stable[j] = good.min(), good.max()
        predicted[:, j] = (eta >= good.min()) & (eta <= good.max())
        for i in np.nonzero(predicted[:, j])[0]:
            k = int(np.argmin(np.where(branch.stable, np.abs(branch.eta - eta[i]), np.inf)))
            z0 = np.array([branch.points[k, 0], branch.points[k, -1]])
            cycles = find_momentum_cycles(mmap, float(eta[i]), 4, z0[None, :])
            if cycles and cycles[0][1] < 1:
                z = cycles[0][0] * (1 + 1e-3)
                near[i, j] = bool(_iterate(step, eta[i], b, np.array([z[0]]),
                                           np.array([z[1]]), opts.steps, opts.method)[0])
    g = np.linspace(-opts.span, opts.span, opts.points)
    x0, v0 = (a.ravel() for a in np.meshgrid(g, g))
    found = _iterate(step, eta[:, None, None], beta[None, :, None], x0[None, None, :],
                     (x0 - v0)[None, None, :], opts.steps, opts.method).mean(axis=2)
    sim = None
    if opts.simulator:
        from theory.dynamics import simulate_momentum

        sweep = simulate_momentum(function, eta, beta, g, opts.steps, method=opts.method)
        sim = np.asarray(sweep.fraction("periodic", period=4))
    return BasinAgreement(opts.method, eta, beta, fold_eta, stable, predicted, found, near,
                          float(opts.margin), sim)


def _grid(name: str, value) -> np.ndarray:
    if isinstance(value, tuple) and len(value) == 3:
        lo, hi, n = value
        arr = np.linspace(float(lo), float(hi), whole_number(name, n, minimum=1,
                                                             maximum=1000,
                                                             error=BifurcationError))
    else:
        arr = np.atleast_1d(np.asarray(value, dtype=float))
    if arr.ndim != 1 or not arr.size or not np.all(np.isfinite(arr)) or np.any(arr <= 0):
        raise BifurcationError(f"{name}={value!r} must be positive finite numbers")
    return np.sort(arr)
