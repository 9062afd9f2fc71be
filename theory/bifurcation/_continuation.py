"""Continuation of cycles of the GD map in eta: the fixed point, the 2-cycle, each doubling.

A p-cycle is a curve of zeros of F(x, eta) = g^p(x) - x in the (x, eta) plane.
:func:`continue_branch` follows it by pseudo-arclength continuation: the tangent
t ~ (E, 1 - D) (D = (g^p)', E = d g^p/d eta) is kept oriented, the predictor is z + h t, the
corrector Newton on (F, t . (z - z_pred)) = 0; the step h grows after an easy correction,
shrinks after a hard one and is halved after a failure or a jump of the multiplier of more
than ``max_multiplier_jump`` (so no event is stepped over).  Along the branch the
multiplier D is watched: D + 1 changing sign is a flip, D - 1 a fold; each is located by
Newton on the extended system and certified (:mod:`theory.bifurcation._certify`).

:func:`continue_cascade` starts at the minimum (the fixed point), and at every flip switches
to the 2p-cycle born there: at x_k + s (s small) it solves g^{2p}(x, eta) = x for eta
(Newton from eta_k), which lands on the new branch (at distance O(s^2) in eta, the old one
is O(s) away), and continues it.  The flip points give the Feigenbaum ratios
(eta_k - eta_{k-1}) / (eta_{k+1} - eta_k).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from theory.bifurcation._certify import enclose_bifurcation, extended_newton
from theory.bifurcation._errors import BifurcationError
from theory.bifurcation._flip import flip_criterion
from theory.bifurcation._maps import GDMap, gd_map
from theory.validation import positive_real, real, whole_number

__all__ = ["BifurcationPoint", "Branch", "Cascade", "ContinuationOptions", "continue_branch",
           "continue_cascade"]


@dataclass(frozen=True)
class ContinuationOptions:
    """Settings of a continuation, validated on construction.

    ``eta`` (A, B): the parameter window; ``doublings``: how many flips to follow;
    ``step``/``min_step``/``max_step``: arclength steps; ``max_steps`` per branch;
    ``certify``: Krawczyk enclosures of the bifurcation points.
    """

    eta: tuple[float, float]
    doublings: int = 5
    step: float = 1e-2
    min_step: float = 1e-9
    max_step: float = 5e-2
    max_steps: int = 4000
    max_multiplier_jump: float = 0.4
    certify: bool = True

    def __post_init__(self) -> None:
        err = BifurcationError
        try:
            lo, hi = (float(v) for v in self.eta)
        except (TypeError, ValueError):
            raise err(f"eta={self.eta!r} must be a pair (A, B)") from None
        lo = real("eta", lo, error=err)
        hi = real("eta", hi, error=err)
        if not 0 < lo < hi:
            raise err(f"eta={self.eta!r} must satisfy 0 < A < B")
        object.__setattr__(self, "eta", (lo, hi))
        object.__setattr__(self, "doublings", whole_number("doublings", self.doublings,
                                                           minimum=0, maximum=10, error=err))
        for name in ("step", "min_step", "max_step", "max_multiplier_jump"):
            object.__setattr__(self, name, positive_real(name, getattr(self, name), error=err))
        if not self.min_step <= self.step <= self.max_step:
            raise err(f"step={self.step!r} must lie in [min_step, max_step]")
        object.__setattr__(self, "max_steps", whole_number("max_steps", self.max_steps,
                                                           minimum=1, error=err))
        if not isinstance(self.certify, bool):
            raise err(f"certify={self.certify!r} must be True or False")


@dataclass(frozen=True)
class BifurcationPoint:
    """A flip (multiplier -1) or fold (+1) of the ``period``-cycle at (x, eta)."""

    kind: str
    period: int
    eta: float
    x: float
    eta_enclosure: tuple[float, float] | None = None
    x_enclosure: tuple[float, float] | None = None

    @property
    def certified(self) -> bool:
        return self.eta_enclosure is not None

    def to_dict(self) -> dict:
        return {"kind": self.kind, "period": self.period, "eta": self.eta, "x": self.x,
                "eta_enclosure": None if self.eta_enclosure is None else
                list(self.eta_enclosure),
                "x_enclosure": None if self.x_enclosure is None else list(self.x_enclosure),
                "certified": self.certified}


@dataclass(frozen=True)
class Branch:
    """A continued p-cycle: ``eta`` (n,), ``points`` (n, p) its orbit, ``multiplier`` (n,)."""

    period: int
    eta: np.ndarray
    points: np.ndarray
    multiplier: np.ndarray

    @property
    def stable(self) -> np.ndarray:
        return np.abs(self.multiplier) < 1

    def to_dict(self) -> dict:
        return {"period": self.period, "eta": self.eta.tolist(),
                "points": self.points.tolist(), "multiplier": self.multiplier.tolist()}


@dataclass(frozen=True)
class Cascade:
    """Branches and bifurcation points of a continuation from the minimum."""

    function: str
    options: ContinuationOptions
    branches: tuple[Branch, ...]
    points: tuple[BifurcationPoint, ...]
    verdict: str = ""
    notes: tuple[str, ...] = field(default=())

    @property
    def flips(self) -> tuple[BifurcationPoint, ...]:
        """The flips of the cascade's chain, by period (1 -> 2, 2 -> 4, ...)."""
        chain = {}
        for p in self.points:
            if p.kind == "flip" and p.period not in chain:
                chain[p.period] = p
        return tuple(chain[k] for k in sorted(chain))

    @property
    def feigenbaum_ratios(self) -> tuple[float, ...]:
        e = [p.eta for p in self.flips]
        return tuple((e[k] - e[k - 1]) / (e[k + 1] - e[k]) for k in range(1, len(e) - 1))

    @property
    def accumulation(self) -> float | None:
        """eta_inf ~ eta_n + (eta_n - eta_{n-1}) / (delta - 1) with the last ratio delta."""
        e, ratios = [p.eta for p in self.flips], self.feigenbaum_ratios
        if not ratios:
            return None
        return e[-1] + (e[-1] - e[-2]) / (ratios[-1] - 1)

    def to_dict(self) -> dict:
        return {"function": self.function, "eta": list(self.options.eta),
                "verdict": self.verdict, "branches": [b.to_dict() for b in self.branches],
                "points": [p.to_dict() for p in self.points],
                "flips": [p.to_dict() for p in self.flips],
                "feigenbaum_ratios": list(self.feigenbaum_ratios),
                "accumulation": self.accumulation, "notes": list(self.notes)}


def _tangent(jet) -> np.ndarray:
    t = np.array([jet.d_eta, 1.0 - jet.d_x])
    return t / np.hypot(*t)


def _correct(gmap: GDMap, z: np.ndarray, t: np.ndarray, period: int):
    """Newton on (g^p(x) - x, t . (z - z_pred)) from the predictor z; (z, jet, iterations)."""
    pred = z.copy()
    for it in range(1, 9):
        try:
            jet = gmap.jet(float(z[0]), float(z[1]), period)
        except (OverflowError, ZeroDivisionError, ValueError):
            return None
        f = jet.value - z[0]
        n = t @ (z - pred)
        a, b, c, d = jet.d_x - 1, jet.d_eta, t[0], t[1]
        det = a * d - b * c
        if det == 0 or not math.isfinite(det):
            return None
        step = np.array([(d * f - b * n) / det, (-c * f + a * n) / det])
        z = z - step
        if not np.all(np.isfinite(z)):
            return None
        if abs(step[0]) <= 1e-13 * (1 + abs(z[0])) and abs(step[1]) <= 1e-13 * (1 + z[1]):
            return z, gmap.jet(float(z[0]), float(z[1]), period), it
    return None


def _event(gmap: GDMap, period: int, za, zb, ma, mb, target: float, certify: bool,
           kind: str) -> BifurcationPoint | None:
    ga, gb = ma - target, mb - target
    w = ga / (ga - gb)
    guess = (1 - w) * za + w * zb
    root = extended_newton(gmap, float(guess[0]), float(guess[1]), period, target)
    if root is None:
        return None
    enc = enclose_bifurcation(gmap, root[0], root[1], period, target) if certify else None
    return BifurcationPoint(kind=kind, period=period, eta=float(root[1]), x=float(root[0]),
                            x_enclosure=None if enc is None else enc[0],
                            eta_enclosure=None if enc is None else enc[1])


def continue_branch(gmap: GDMap, period: int, start: tuple[float, float], direction: float,
                    options: ContinuationOptions
                    ) -> tuple[Branch, list[BifurcationPoint]]:
    """Follow the p-cycle through ``start`` = (x, eta); ``direction`` orients the first
    tangent (its sign times the tangent's x-component for a new branch, eta otherwise)."""
    lo, hi = options.eta
    z = np.asarray(start, dtype=float)
    jet = gmap.jet(float(z[0]), float(z[1]), period)
    t = _tangent(jet)
    if (t[1] if period == 1 else t[0]) * direction < 0:
        t = -t
    h = options.step
    etas, orbits, mults = [z[1]], [jet.orbit], [jet.d_x]
    events: list[BifurcationPoint] = []
    for _ in range(options.max_steps):
        res = _correct(gmap, z + h * t, t, period)
        if res is not None and abs(res[1].d_x - mults[-1]) > options.max_multiplier_jump \
                and h > options.min_step:
            res = None
        if res is None:
            h /= 2
            if h < options.min_step:
                break
            continue
        znew, jet, its = res
        for target, kind in ((-1.0, "flip"), (1.0, "fold")):
            if (mults[-1] - target) * (jet.d_x - target) < 0:
                ev = _event(gmap, period, z, znew, mults[-1], jet.d_x, target,
                            options.certify, kind)
                if ev is not None:
                    events.append(ev)
        tnew = _tangent(jet)
        t = tnew if tnew @ t >= 0 else -tnew
        z = znew
        etas.append(z[1])
        orbits.append(jet.orbit)
        mults.append(jet.d_x)
        if not lo <= z[1] <= hi or max(abs(v) for v in jet.orbit) > 1e6:
            break
        h = min(h * 1.5, options.max_step) if its <= 3 else h * (0.7 if its > 5 else 1.0)
    branch = Branch(period=period, eta=np.array(etas), points=np.array(orbits, dtype=float),
                    multiplier=np.array(mults))
    return branch, events


def _switch(gmap: GDMap, flip: BifurcationPoint, spacing: float) -> tuple[float, float, float]:
    """A point (x, eta) of the 2p-cycle born at ``flip`` and the side (+-1) it lies on."""
    p2 = 2 * flip.period
    for scale in 0.01 * 0.5 ** np.arange(16):
        for side in (1.0, -1.0):
            x = flip.x + side * float(scale) * (1 + abs(flip.x))
            eta = flip.eta
            for _ in range(30):
                try:
                    jet = gmap.jet(x, eta, p2)
                except (OverflowError, ZeroDivisionError, ValueError):
                    break
                if jet.d_eta == 0 or not math.isfinite(jet.d_eta):
                    break
                step = (jet.value - x) / jet.d_eta
                eta -= step
                if abs(step) < 1e-15 * eta:
                    break
            else:
                continue
            if not math.isfinite(eta) or abs(eta - flip.eta) > 0.02 * spacing:
                continue
            try:
                jet = gmap.jet(x, eta, p2)
                half = gmap.iterate(x, eta, flip.period)
            except (OverflowError, ZeroDivisionError, ValueError):
                continue
            if abs(jet.value - x) < 1e-11 * (1 + abs(x)) and abs(half - x) > 1e-3 * scale:
                return x, eta, side
    raise BifurcationError(f"no 2p-cycle found at the flip eta={flip.eta} (period "
                           f"{flip.period})")


def _minimiser(gmap: GDMap, guess: float) -> float:
    """Newton on f' from ``guess`` (floats; f'' > 0 required)."""
    x = guess
    d1, d2 = gmap._float[0], gmap._float[1]
    for _ in range(100):
        step = d1(x) / d2(x)
        x -= step
        if abs(step) <= 1e-15 * (1 + abs(x)):
            break
    if not d2(x) > 0:
        raise BifurcationError(f"minimum={guess!r}: no minimum of f found near it")
    return x


def _from_flip(gmap: GDMap, branch: Branch, flip: BifurcationPoint) -> Branch:
    """``branch`` (the 2p-cycle) with the flip point, where it is born, put first."""
    jet = gmap.jet(flip.x, flip.eta, branch.period)
    return Branch(period=branch.period, eta=np.concatenate([[flip.eta], branch.eta]),
                  points=np.vstack([np.asarray(jet.orbit, float), branch.points]),
                  multiplier=np.concatenate([[jet.d_x], branch.multiplier]))


def continue_cascade(function, eta=(0.5, 3.0), *, minimum=None,
                     options: ContinuationOptions | None = None, **settings) -> Cascade:
    """Continue the fixed point at the minimum of ``function`` over ``eta`` = (A, B) and
    every cycle born by a flip, up to ``doublings`` doublings (see the module docstring).
    ``settings`` are :class:`ContinuationOptions` fields."""
    opts = options if options is not None else ContinuationOptions(eta=eta, **settings)
    gmap = function if isinstance(function, GDMap) else gd_map(function)
    notes: list[str] = []
    try:
        crit = flip_criterion(gmap.expr, minimum=minimum)
        xstar, threshold, verdict = crit.minimum[0], crit.threshold, crit.verdict
    except BifurcationError as exc:  # e.g. a kink at x* (f1): continue without a verdict
        xstar = _minimiser(gmap, 0.0 if minimum is None else float(minimum))
        threshold, verdict = 2.0 / gmap._float[1](xstar), "not decided"
        notes.append(f"flip criterion: {exc}")
    branch, events = continue_branch(gmap, 1, (xstar, opts.eta[0]), 1.0, opts)
    branches, points = [branch], list(events)
    chain = [e for e in events if e.kind == "flip"]
    current = chain[0] if chain else None
    spacing, found = threshold - opts.eta[0], 1 if current else 0
    while current is not None and found < opts.doublings:
        try:
            x, e, side = _switch(gmap, current, max(spacing, 1e-12))
        except BifurcationError as exc:
            notes.append(str(exc))
            break
        branch, events = continue_branch(gmap, 2 * current.period, (x, e), side, opts)
        branches.append(_from_flip(gmap, branch, current))
        points.extend(events)
        chain = [p for p in events if p.kind == "flip"]
        if not chain:
            break
        spacing, current, found = abs(chain[0].eta - current.eta), chain[0], found + 1
    return Cascade(function=gmap.name, options=opts, branches=tuple(branches),
                   points=tuple(points), verdict=verdict, notes=tuple(notes))
