"""Cycles of heavy-ball and Nesterov momentum on a 1-D function, continued in eta (issue 21).

The 2-state map H(x, y) (y = x_{t-1}) is

* heavy ball: x' = x - eta f'(x) + beta (x - y), y' = x;
* Nesterov:   u = x + beta (x - y), x' = u - eta f'(u), y' = x.

A p-cycle is a curve of zeros of F(z, eta) = H^p(z) - z in (x, y, eta) space;
:func:`continue_momentum_cycle` follows it by pseudo-arclength continuation (tangent: the
null vector of [DH^p - I | dH^p/deta], Newton corrector on (F, t . (w - w_pred)), step
control as in :mod:`theory.bifurcation._continuation`).  Folds are where the tangent's eta
component changes sign (located by a parabola through the three points around it), flips
where det(DH^p + I) changes sign; stability is the spectral radius of DH^p below 1.  These
points are numerical; :mod:`theory.bifurcation._momentum_certify` proves cycles and folds.

:func:`period_four_window` finds the eta-window in which a 4-cycle exists at a given beta
(both ends are folds for heavy ball on f1: a pair of 4-cycles, one stable, born together
and coexisting with the 2-cycle or the minimum).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import sympy as sp

from theory._sympy_utils import derivative
from theory.bifurcation._errors import BifurcationError
from theory.resolver import as_landscape
from theory.validation import choice, fraction

__all__ = ["MomentumBranch", "MomentumMap", "continue_momentum_cycle", "find_momentum_cycles",
           "fold_curve", "fold_point", "momentum_branches", "momentum_map",
           "period_four_window"]


class MomentumMap:
    """H for ``method`` ("momentum" or "nesterov") with coefficient ``beta`` in [0, 1) on
    f(x) (beta = 0 is GD written on the 2-state)."""

    def __init__(self, expr: sp.Expr, x: sp.Symbol, method: str, beta: float):
        self.method = choice("method", method, ("momentum", "nesterov"),
                             error=BifurcationError)
        self.beta = 0.0 if (isinstance(beta, (int, float)) and not isinstance(beta, bool)
                            and beta == 0) else fraction("beta", beta, error=BifurcationError)
        self.d1, self.d2 = (sp.lambdify(x, derivative(expr, *([x] * k)), modules=["math"])
                            for k in (1, 2))

    def jet(self, z: np.ndarray, eta: float, period: int):
        """(H^p(z), DH^p (2x2), dH^p/deta (2,)) in floats."""
        x, y = float(z[0]), float(z[1])
        jac, e = np.eye(2), np.zeros(2)
        b = self.beta
        for _ in range(period):
            if self.method == "momentum":
                u, du = x, np.array([1.0, 0.0])
                g1, g2 = self.d1(u), self.d2(u)
                xn = x - eta * g1 + b * (x - y)
                step = np.array([[1 - eta * g2 + b, -b], [1.0, 0.0]])
            else:
                u = x + b * (x - y)
                g1, g2 = self.d1(u), self.d2(u)
                xn = u - eta * g1
                du = np.array([1 + b, -b])
                step = np.array([(1 - eta * g2) * du, [1.0, 0.0]])
            e = step @ e + np.array([-g1, 0.0])
            jac = step @ jac
            x, y = xn, x
        return np.array([x, y]), jac, e

    def iterate(self, x0: np.ndarray, eta: float, steps: int) -> np.ndarray:
        """Vectorised orbits from x_{-1} = x_0 = x0 (NumPy), the last two states (n, 2)."""
        d1 = np.vectorize(self.d1, otypes=[float])
        x = np.asarray(x0, dtype=float).copy()
        y = x.copy()
        b = self.beta
        with np.errstate(all="ignore"):
            for _ in range(steps):
                u = x if self.method == "momentum" else x + b * (x - y)
                xn = (x - eta * d1(u) + b * (x - y)) if self.method == "momentum" \
                    else u - eta * d1(u)
                y, x = x, np.where(np.abs(xn) < 1e6, xn, np.nan)
        return np.stack([x, y], axis=-1)


def momentum_map(function, method: str, beta: float) -> MomentumMap:
    land = as_landscape(function)
    if len(land.variables) != 1:
        raise BifurcationError(f"function has {len(land.variables)} variables; momentum "
                               "cycles are one-dimensional")
    return MomentumMap(land.expr, land.variables[0], method, beta)


@dataclass(frozen=True)
class MomentumBranch:
    """A continued p-cycle: ``eta`` (n,), ``points`` (n, p) its x values, ``radius`` (n,)
    the spectral radius of DH^p, ``folds`` the eta of its folds."""

    period: int
    eta: np.ndarray
    points: np.ndarray
    radius: np.ndarray
    folds: tuple[float, ...]
    fold_states: tuple[tuple[float, float, float], ...] = ()
    #: eta where det(DH^p + I) changes sign along the branch (an eigenvalue crosses -1:
    #: a flip, where a 2p-cycle branches off), linearly interpolated
    flips: tuple[float, ...] = ()

    @property
    def stable(self) -> np.ndarray:
        return self.radius < 1


def _tangent(jac: np.ndarray, e: np.ndarray) -> np.ndarray:
    a = np.hstack([jac - np.eye(2), e[:, None]])
    t = np.cross(a[0], a[1])
    return t / np.linalg.norm(t)


def _correct(mmap: MomentumMap, w: np.ndarray, t: np.ndarray, period: int):
    pred = w.copy()
    for it in range(1, 10):
        try:
            value, jac, e = mmap.jet(w[:2], w[2], period)
        except (OverflowError, ValueError, ZeroDivisionError):
            return None
        rhs = np.concatenate([value - w[:2], [t @ (w - pred)]])
        mat = np.vstack([np.hstack([jac - np.eye(2), e[:, None]]), t])
        try:
            step = np.linalg.solve(mat, rhs)
        except np.linalg.LinAlgError:
            return None
        w = w - step
        if not np.all(np.isfinite(w)):
            return None
        if np.max(np.abs(step)) <= 1e-12 * (1 + np.max(np.abs(w))):
            return w, mmap.jet(w[:2], w[2], period), it
    return None


def continue_momentum_cycle(mmap: MomentumMap, period: int, z0, eta0: float,
                            eta_window: tuple[float, float], *, step: float = 0.02,
                            max_step: float = 0.1, max_steps: int = 3000) -> MomentumBranch:
    """Follow the p-cycle through (z0, eta0) both ways until it leaves ``eta_window``."""
    res = _correct(mmap, np.array([*np.asarray(z0, float), eta0]),
                   np.array([0.0, 0.0, 1.0]), period)
    if res is None:
        raise BifurcationError(f"z0={list(z0)}: no {period}-cycle of {mmap.method} near it "
                               f"at eta={eta0}")
    start, jet0, _ = res
    halves = []
    for sign in (1.0, -1.0):
        w, (_, jac, e) = start, jet0
        t = sign * _tangent(jac, e)
        h, rows = step, [(w, jac)]
        for _ in range(max_steps):
            got = _correct(mmap, w + h * t, t, period)
            if got is None:
                h /= 2
                if h < 1e-9:
                    break
                continue
            w, (_, jac, e), its = got
            tn = _tangent(jac, e)
            t = tn if tn @ t >= 0 else -tn
            rows.append((w, jac))
            if not eta_window[0] <= w[2] <= eta_window[1] or np.max(np.abs(w[:2])) > 1e6:
                break
            h = min(h * 1.5, max_step) if its <= 3 else h * 0.7
        halves.append(rows)
    rows = halves[1][::-1] + halves[0][1:]
    eta = np.array([w[2] for w, _ in rows])
    points = np.array([_orbit(mmap, w, period) for w, _ in rows])
    radius = np.array([max(abs(np.linalg.eigvals(j))) for _, j in rows])
    folds: list[float] = []
    states: list[tuple[float, float, float]] = []
    for i in range(1, len(eta) - 1):
        if (eta[i] - eta[i - 1]) * (eta[i + 1] - eta[i]) < 0:
            folds.append(_vertex(eta[i - 1:i + 2], [p[0] for p in points[i - 1:i + 2]]))
            x, y, e = (float(v) for v in rows[i][0])
            states.append((x, y, e))
    flip = np.array([np.linalg.det(j + np.eye(2)) for _, j in rows])
    flips = tuple(float(eta[i] - flip[i] * (eta[i + 1] - eta[i]) / (flip[i + 1] - flip[i]))
                  for i in range(len(eta) - 1) if flip[i] * flip[i + 1] < 0)
    return MomentumBranch(period, eta, points, radius, tuple(folds), tuple(states), flips)


def _vertex(etas, xs) -> float:
    """The extreme eta of the parabola eta(x) through three points (a fold's location)."""
    coef = np.polyfit(xs, etas, 2)
    if coef[0] == 0 or not np.all(np.isfinite(coef)):
        return float(etas[1])
    xv = -coef[1] / (2 * coef[0])
    return float(np.polyval(coef, xv))


def _orbit(mmap: MomentumMap, w: np.ndarray, period: int) -> np.ndarray:
    out, z = [], w[:2]
    for _ in range(period):
        out.append(z[0])
        z = mmap.jet(z, w[2], 1)[0]
    return np.array(out)


def period_four_window(function="f1", method: str = "momentum", beta: float = 0.85,
                       eta_window: tuple[float, float] = (1.0, 14.0), *,
                       probe_eta: float | None = None) -> MomentumBranch | None:
    """The continued 4-cycle(s) at ``beta`` (None when the simulator finds none at
    ``probe_eta``, default: the middle of the window), with its folds."""
    mmap = momentum_map(function, method, beta)
    eta0 = probe_eta if probe_eta is not None else 0.5 * sum(eta_window)
    ends = mmap.iterate(np.linspace(-4, 4, 41), eta0, 6000)
    for x, y in ends:
        if not (math.isfinite(x) and math.isfinite(y)):
            continue
        value = mmap.jet(np.array([x, y]), eta0, 4)[0]
        two = mmap.jet(np.array([x, y]), eta0, 2)[0]
        if np.max(np.abs(value - [x, y])) < 1e-8 and np.max(np.abs(two - [x, y])) > 1e-4:
            return continue_momentum_cycle(mmap, 4, (x, y), eta0, eta_window)
    return None


def _fold_residual(mmap: MomentumMap, w: np.ndarray) -> np.ndarray:
    value, jac, _ = mmap.jet(w[:2], w[2], 4)
    return np.concatenate([value - w[:2], [np.linalg.det(jac - np.eye(2))]])


def fold_point(mmap: MomentumMap, guess) -> np.ndarray | None:
    """Newton (finite-difference Jacobian) on (H^4(z) - z, det(DH^4 - I)) = 0 in (x, y, eta)."""
    w = np.asarray(guess, dtype=float)
    for _ in range(40):
        try:
            r = _fold_residual(mmap, w)
            jac = np.empty((3, 3))
            for k in range(3):
                dw = np.zeros(3)
                dw[k] = 1e-7 * (1 + abs(w[k]))
                jac[:, k] = (_fold_residual(mmap, w + dw) - _fold_residual(mmap, w - dw)) / (
                    2 * dw[k])
            step = np.linalg.solve(jac, r)
        except (np.linalg.LinAlgError, OverflowError, ValueError, ZeroDivisionError):
            return None
        w = w - step
        if not np.all(np.isfinite(w)):
            return None
        if np.max(np.abs(step)) < 1e-12 * (1 + np.max(np.abs(w))):
            return w
    return w if np.max(np.abs(_fold_residual(mmap, w))) < 1e-9 else None


def fold_curve(function, method: str, betas, start: np.ndarray) -> list[tuple[float, float]]:
    """The fold where the 4-cycles are born, followed over ``betas`` (in order) from the
    fold point ``start`` = (x, y, eta) at betas[0]; stops where Newton fails (near the cusp
    where the 4-cycles end)."""
    out, w = [], np.asarray(start, dtype=float)
    for beta in betas:
        got = fold_point(momentum_map(function, method, float(beta)), w)
        if got is None:
            break
        out.append((float(beta), float(got[2])))
        w = got
    return out


def _newton_cycle(mmap: MomentumMap, z: np.ndarray, eta: float, q: int, s: float
                  ) -> np.ndarray | None:
    for _ in range(40):
        try:
            value, jac, _ = mmap.jet(z, eta, q)
            step = np.linalg.solve(s * jac - np.eye(2), s * value - z)
        except (np.linalg.LinAlgError, OverflowError, ValueError, ZeroDivisionError):
            return None
        z = z - step
        if not np.all(np.isfinite(z)) or np.max(np.abs(z)) > 1e4:
            return None
        if np.max(np.abs(step)) < 1e-13 * (1 + np.max(np.abs(z))):
            return z
    return None


def find_momentum_cycles(mmap: MomentumMap, eta: float, period: int, starts, *,
                         symmetric: bool = False) -> list[tuple[np.ndarray, float]]:
    """Every p-cycle (minimal period) Newton reaches from the states ``starts`` (n, 2):
    one state of each as (z, spectral radius of DH^p), from the most stable.
    ``symmetric``: solve H^{p/2}(z) = -z (the symmetric cycles of an even f)."""
    q, s = (period // 2, -1.0) if symmetric else (period, 1.0)
    found: list[tuple[np.ndarray, float, np.ndarray]] = []
    for start in np.asarray(starts, dtype=float).reshape(-1, 2):
        z = _newton_cycle(mmap, start.copy(), eta, q, s)
        if z is None:
            continue
        orbit = [z]
        for _ in range(period - 1):
            orbit.append(mmap.jet(orbit[-1], eta, 1)[0])
        scale = 1e-7 * (1 + np.max(np.abs(z)))
        if any(np.max(np.abs(orbit[k] - z)) < scale for k in range(1, period)
               if period % k == 0):
            continue  # a shorter period
        if any(np.min(np.max(np.abs(o - z), axis=1)) < 1e-6 * (1 + np.max(np.abs(z)))
               for _, _, o in found):
            continue
        jac = mmap.jet(z, eta, period)[1]
        found.append((z, float(max(abs(np.linalg.eigvals(jac)))), np.array(orbit)))
    return sorted(((z, r) for z, r, _ in found), key=lambda item: item[1])


def momentum_branches(function, method: str, beta: float, eta_window: tuple[float, float], *,
                      span: float = 20.0, probes: int = 4) -> list[MomentumBranch]:
    """The continued 2-cycle and 4-cycle branches of ``method`` at ``beta`` over
    ``eta_window``, for drawing over a simulated bifurcation diagram.

    Cycles are searched by Newton from a 9 x 9 grid of states in [-span, span]^2: the most
    stable 2-cycle at the window's top, continued down to where it leaves the window or
    ends on the minimum; the 4-cycles at ``probes`` etas across the window, the first found
    continued both ways (through its fold: the pair).  Empty where none is found."""
    lo, hi = (float(v) for v in eta_window)
    if not 0 < lo < hi:
        raise BifurcationError(f"eta_window={eta_window!r} must be 0 < A < B")
    mmap = momentum_map(function, method, beta)
    out: list[MomentumBranch] = []
    grid = np.linspace(-span, span, 9)
    starts = np.array([(a, c) for a in grid for c in grid])
    twos = find_momentum_cycles(mmap, hi, 2, starts)
    if twos:
        try:
            branch = continue_momentum_cycle(mmap, 2, twos[0][0], hi, (lo, hi))
        except BifurcationError:
            branch = None
        if branch is not None:  # past the flip the branch runs onto the minimum: cut
            keep = np.max(np.abs(branch.points), axis=1) > 1e-8
            out.append(MomentumBranch(2, branch.eta[keep], branch.points[keep],
                                      branch.radius[keep], branch.folds, (), branch.flips))
    for eta in np.linspace(hi, lo, probes + 2)[:-1]:
        found = find_momentum_cycles(mmap, float(eta), 4, starts)
        if found:
            try:
                out.append(continue_momentum_cycle(mmap, 4, found[0][0], float(eta), (lo, hi)))
            except BifurcationError:
                continue
            break
    return out
