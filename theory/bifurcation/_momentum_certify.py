"""Certified cycles and folds of heavy ball / Nesterov on a 1-D function (the 2-state map).

The map H(x, y) (y = x_{t-1}) is the one of :mod:`theory.bifurcation._momentum`.  With
s = +1 and q = p, a p-cycle is a zero of F(z) = s H^q(z) - z in R^2.  For an **even** f,
H is odd (H(-z) = -H(z)), and a *symmetric* p-cycle (p = 2q) satisfies H^q(z) = -z: then
s = -1 halves the composition (``symmetric=True``); its points are z, H z, ...,
H^{q-1} z, -z, ..., and its monodromy is DH^p(z) = DH^q(-z) DH^q(z).  Heavy ball's 4-cycle
on f1 is of this kind ((a, b, -a, -b)).

* :func:`enclose_momentum_cycle` -- Krawczyk in R^2: with m a zero refined at 160 bits,
  Y ~ DF(m)^{-1} and a box Z around m, K(Z) = m - Y F(m) + (I - Y DF(Z))(Z - m) inside the
  interior of Z proves that F has one and only one zero in Z (Moore, Kearfott & Cloud,
  Sec. 8.2; DF(Z) by forward differentiation in balls, :mod:`theory.bifurcation._ad`).
  The period is minimal when the p orbit boxes are pairwise disjoint; the monodromy
  M = DH^p over K is enclosed, and the cycle is certified stable when Jury's conditions
  det M < 1 and |tr M| < 1 + det M (equivalent to spectral radius < 1 for 2x2) hold on
  the whole enclosure, unstable when one fails on all of it, undecided (None) otherwise.
* :func:`enclose_momentum_fold` -- the same in (x, y, eta) on the extended system
  G(z, eta) = (s H^q(z) - z, det(s DH^q(z) - I)); its Jacobian needs the second
  derivatives of H^q (second-order forward differentiation).  For the symmetric 4-cycle
  det(-DH^2 - I) = 0 says DH^2 has eigenvalue -1, so DH^4 = (DH^2)^2 has eigenvalue +1: a
  fold of the 4-cycle.  A regular zero (a quadratic, transversal fold) is enclosed with
  its eta.

The certificate needs f to be C^2 (cycles) or C^3 (folds) on the orbit's boxes: for a
function with kinks (f1 at 0), the boxes are checked to avoid every real zero of the
arguments of Abs and sign.  ``beta`` is a float taken as exact; ``eta`` a float (exact) or
a string / sympy number (enclosed, the proof then holds for every eta in its ball).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import sympy as sp
from flint import arb, arb_mat

from theory.bifurcation._ad import Jet2, seeds
from theory.bifurcation._cycles import parameter_ball
from theory.bifurcation._errors import BifurcationError
from theory.bifurcation._intervals import precision
from theory.bifurcation._maps import GDMap, gd_map
from theory.validation import choice, fraction, whole_number

__all__ = ["MomentumCycleEnclosure", "MomentumFoldEnclosure", "enclose_fold_threshold_crossing",
           "enclose_momentum_cycle", "enclose_momentum_fold"]

Interval = tuple[float, float]


def _bounds(ball: arb) -> Interval:
    lo, hi = ball.lower(), ball.upper()
    return (math.nextafter(float(lo.mid()) - float(lo.rad()), -math.inf),
            math.nextafter(float(hi.mid()) + float(hi.rad()), math.inf))


@dataclass(frozen=True)
class MomentumCycleEnclosure:
    """A proven p-cycle of the 2-state map: ``state`` = boxes of (x_t, x_{t-1}) at one
    point, ``points`` the x values along the orbit, ``trace`` / ``det`` / ``spectral_radius``
    of the monodromy DH^p over the box; ``stable`` True / False / None (undecided).
    ``unique``: the only zero in ``state`` of the system solved (H^p(z) = z, or
    H^{p/2}(z) = -z when ``symmetric``); ``minimal``: the p orbit boxes are disjoint."""

    method: str
    beta: float
    eta: float
    period: int
    state: tuple[Interval, Interval]
    points: tuple[Interval, ...]
    trace: Interval
    det: Interval
    spectral_radius: Interval
    unique: bool
    minimal: bool
    stable: bool | None
    symmetric: bool

    @property
    def width(self) -> float:
        return max(hi - lo for lo, hi in self.state)

    @property
    def midpoint(self) -> tuple[float, float]:
        (a, b), (c, d) = self.state
        return 0.5 * (a + b), 0.5 * (c + d)

    def to_dict(self) -> dict:
        return {"method": self.method, "beta": self.beta, "eta": self.eta,
                "period": self.period, "state": [list(i) for i in self.state],
                "points": [list(i) for i in self.points], "trace": list(self.trace),
                "det": list(self.det), "spectral_radius": list(self.spectral_radius),
                "unique": self.unique, "minimal": self.minimal, "stable": self.stable,
                "symmetric": self.symmetric, "width": self.width}


@dataclass(frozen=True)
class MomentumFoldEnclosure:
    """A proven fold of the p-cycle at ``beta``: the only zero of the extended system in
    the box ``state`` x ``eta``."""

    method: str
    beta: float
    period: int
    eta: Interval
    state: tuple[Interval, Interval]
    symmetric: bool
    beta_enclosure: Interval | None = None  # set where beta is an unknown (a crossing)

    def to_dict(self) -> dict:
        return {"method": self.method, "beta": self.beta, "period": self.period,
                "eta": list(self.eta), "state": [list(i) for i in self.state],
                "symmetric": self.symmetric,
                "beta_enclosure": None if self.beta_enclosure is None
                else list(self.beta_enclosure)}


class _Balls:
    """H in balls with forward derivatives in the seed variables."""

    def __init__(self, gmap: GDMap, method: str, beta: float):
        self.gmap, self.method = gmap, method
        self.beta = arb(beta)
        self.funcs = gmap.ball_functions
        self.kinks = _kinks(gmap.expr, gmap.x)

    def step(self, x, y, eta, order: int, beta=None):
        d1, d2, d3 = self.funcs
        beta = self.beta if beta is None else beta
        u = x if self.method == "momentum" else x + (x - y) * beta
        uv = u.v
        self._check(uv)
        fu = u.compose(d1(uv), d2(uv), d3(uv) if order == 2 else None)
        if self.method == "momentum":
            return x - fu * eta + (x - y) * beta, x
        return u - fu * eta, x

    def _check(self, ball: arb) -> None:
        for k in self.kinks:
            if ball.contains(k):
                raise BifurcationError(f"an orbit box {ball.str(5)} holds the kink x = "
                                       f"{float(k.mid()):g} of the function; no certificate")

    def iterate(self, z, eta, steps: int, order: int, beta=None):
        """(X, Y) jets after ``steps`` steps and the x balls visited (z: (x, y) jets)."""
        x, y = z
        xs = []
        for _ in range(steps):
            xs.append(x.v)
            x, y = self.step(x, y, eta, order, beta)
        return (x, y), xs


def _kinks(expr: sp.Expr, x: sp.Symbol) -> list[arb]:
    out: list[arb] = []
    for atom in expr.atoms(sp.Abs, sp.sign):
        arg = atom.args[0]
        if not arg.has(x):
            continue
        try:
            roots = sp.Poly(arg, x).real_roots()
        except (sp.PolynomialError, sp.GeneratorsNeeded, NotImplementedError):
            raise BifurcationError(f"cannot locate the kinks of {atom}; no certificate"
                                   ) from None
        out.extend(arb(str(sp.N(r, 60))) for r in roots)
    return out


def _newton(residual, m: list[arb], steps: int = 8) -> list[arb]:
    for _ in range(steps):
        val, jac = residual(m, 1)
        step = arb_mat([[j.mid() for j in row] for row in jac]).solve(
            arb_mat([[v.mid()] for v in val]))
        m = [arb((mi - step[i, 0]).mid()) for i, mi in enumerate(m)]
    return m


def _krawczyk(residual, m: list[arb], order: int) -> list[arb] | None:
    n = len(m)
    val, jac = residual(m, order)
    y = arb_mat([[j.mid() for j in row] for row in jac]).inv()
    y = arb_mat([[y[i, j].mid() for j in range(n)] for i in range(n)])
    fm = y * arb_mat([[v] for v in val])
    for radius in (1e-30, 1e-24, 1e-18, 1e-14, 1e-10):
        z = [arb(mi.mid(), radius * (1 + float(abs(mi).mid()))) for mi in m]
        try:
            _, jz = residual(z, order)
        except BifurcationError:
            return None
        r = arb_mat([[int(i == j) for j in range(n)] for i in range(n)]) - y * arb_mat(jz)
        k = [m[i] - fm[i, 0] + sum((r[i, j] * (z[j] - m[j]) for j in range(n)), arb(0))
             for i in range(n)]
        if all(z[i].contains_interior(k[i]) for i in range(n)):
            return k
    return None


def _setup(function, method: str, beta, period):
    method = choice("method", method, ("momentum", "nesterov"), error=BifurcationError)
    beta = fraction("beta", beta, error=BifurcationError)
    period = whole_number("period", period, minimum=1, maximum=64, error=BifurcationError)
    gmap = function if isinstance(function, GDMap) else gd_map(function)
    return _Balls(gmap, method, beta), method, beta, period


def _reduced(balls: _Balls, period: int, symmetric: bool) -> tuple[int, int]:
    if not symmetric:
        return period, 1
    x = balls.gmap.x
    if period % 2 or sp.simplify(balls.gmap.expr.subs(x, -x) - balls.gmap.expr) != 0:
        raise BifurcationError(f"symmetric=True needs an even period (got {period}) and an "
                               "even function")
    return period // 2, -1


def _float_cycle(balls: _Balls, z0, eta: float, q: int, s: int) -> np.ndarray:
    """Newton in floats on s H^q(z) = z (a start for the ball refinement)."""
    from theory.bifurcation._momentum import MomentumMap

    mmap = MomentumMap(balls.gmap.expr, balls.gmap.x, balls.method, float(balls.beta.mid()))
    z = np.asarray(z0, dtype=float)
    for _ in range(50):
        try:
            value, jac, _ = mmap.jet(z, eta, q)
            step = np.linalg.solve(s * jac - np.eye(2), s * value - z)
        except (np.linalg.LinAlgError, OverflowError, ValueError, ZeroDivisionError):
            break
        z = z - step
        if not np.all(np.isfinite(z)):
            break
        if np.max(np.abs(step)) < 1e-14 * (1 + np.max(np.abs(z))):
            return z
    period = 2 * q if s < 0 else q
    raise BifurcationError(f"z0={list(np.asarray(z0, float))}: Newton finds no {period}-cycle "
                           f"of {balls.method} near it at eta={eta}")


def _monodromy(balls: _Balls, box: list[arb], eta: arb, period: int):
    z = seeds(box, order=1)
    (x, y), xs = balls.iterate(z, eta, period, 1)
    return ((x.g[0], x.g[1]), (y.g[0], y.g[1])), xs


def _radius(tr: arb, det: arb) -> Interval:
    disc = tr * tr / 4 - det
    if disc > 0:
        root = disc.sqrt()
        return _bounds(abs(tr) / 2 + root)
    if disc < 0:
        return _bounds(det.sqrt())
    hi = max(_bounds(abs(tr) / 2)[1] + math.sqrt(max(_bounds(disc)[1], 0.0)),
             math.sqrt(max(_bounds(det)[1], 0.0)))
    return 0.0, math.nextafter(hi, math.inf)


def enclose_momentum_cycle(function, method: str, beta: float, eta, z0, period: int, *,
                           symmetric: bool = False) -> MomentumCycleEnclosure:
    """Prove the p-cycle of heavy ball (``method="momentum"``) or Nesterov through a state
    near ``z0`` = (x_t, x_{t-1}) (see the module docstring)."""
    balls, method, beta, period = _setup(function, method, beta, period)
    q, s = _reduced(balls, period, symmetric)
    with precision():
        eta_ball = parameter_ball(eta)

        def residual(w: list[arb], order: int):
            (x, y), _ = balls.iterate(seeds(w, order=1), eta_ball, q, 1)
            val = [x.v * s - w[0], y.v * s - w[1]]
            jac = [[x.g[0] * s - 1, x.g[1] * s], [y.g[0] * s, y.g[1] * s - 1]]
            return val, jac

        start = _float_cycle(balls, z0, float(eta_ball.mid()), q, s)
        try:
            m = _newton(residual, [arb(float(v)) for v in start])
            k = _krawczyk(residual, m, 1)
        except BifurcationError:  # a kink on the orbit: say so
            raise
        except (ZeroDivisionError, ValueError):  # a singular Jacobian at the midpoint
            k = None
        if k is None:
            raise BifurcationError(f"z0={list(np.asarray(z0, float))}: no Krawczyk enclosure"
                                   f" of a {period}-cycle of {method} at eta={eta!r}")
        (mono, xs) = _monodromy(balls, k, eta_ball, period)
        states = _orbit_boxes(balls, k, eta_ball, period)
        minimal = all(not _overlap(states[i], states[j])
                      for i in range(period) for j in range(i + 1, period))
        (a, b), (c, d) = mono
        tr, det = a + d, a * d - b * c
        margin = 1 + det - abs(tr)
        stable = True if (det < 1 and margin > 0) else (
            False if (det > 1 or margin < 0) else None)
        return MomentumCycleEnclosure(
            method=method, beta=beta, eta=float(eta_ball.mid()), period=period,
            state=(_bounds(k[0]), _bounds(k[1])), points=tuple(_bounds(v) for v in xs),
            trace=_bounds(tr), det=_bounds(det), spectral_radius=_radius(tr, det),
            unique=True, minimal=minimal, stable=stable, symmetric=symmetric)


def _orbit_boxes(balls: _Balls, k: list[arb], eta: arb, period: int) -> list[tuple[arb, arb]]:
    x, y = (Jet2.constant(v, 0, 1) for v in k)
    out: list[tuple[arb, arb]] = []
    for _ in range(period):
        out.append((x.v, y.v))
        x, y = balls.step(x, y, eta, 1)
    return out


def _overlap(a: tuple[arb, arb], b: tuple[arb, arb]) -> bool:
    return a[0].overlaps(b[0]) and a[1].overlaps(b[1])


def enclose_momentum_fold(function, method: str, beta: float, guess, period: int = 4, *,
                          symmetric: bool = False) -> MomentumFoldEnclosure:
    """Prove the fold of the p-cycle near ``guess`` = (x, y, eta) at ``beta``: the unique
    zero of (s H^q(z) - z, det(s DH^q(z) - I)) in a box (module docstring)."""
    balls, method, beta, period = _setup(function, method, beta, period)
    q, s = _reduced(balls, period, symmetric)

    return _fold_system(balls, method, beta, period, q, s, guess, symmetric, None)


def enclose_fold_threshold_crossing(function, beta_guess: float, guess, period: int = 4, *,
                                    curvature: float = 1.0, symmetric: bool = False
                                    ) -> MomentumFoldEnclosure:
    """Heavy ball: prove the point where the p-cycle's fold curve meets the threshold line
    eta = 2 (1 + beta) / ``curvature`` (f''(x*)): the unique zero of the fold system with
    eta tied to beta, in (x, y, beta) near (``guess`` (x, y), ``beta_guess``).  The result's
    ``beta`` is the midpoint and :attr:`MomentumFoldEnclosure.beta_enclosure` its ball."""
    balls, method, beta, period = _setup(function, "momentum", beta_guess, period)
    q, s = _reduced(balls, period, symmetric)
    return _fold_system(balls, method, beta, period, q, s,
                        (*tuple(guess)[:2], beta_guess), symmetric,
                        arb(2) / arb(float(curvature)))


def _fold_system(balls: _Balls, method: str, beta: float, period: int, q: int, s: int, guess,
                 symmetric: bool, line: arb | None) -> MomentumFoldEnclosure:
    """Krawczyk on (s H^q(z) - z, det(s DH^q(z) - I)) in (x, y, eta) (``line`` None) or in
    (x, y, beta) with eta = line (1 + beta)."""

    def residual(w: list[arb], order: int):
        x, y, t = seeds(w, order=2)
        if line is None:
            (hx, hy), _ = balls.iterate((x, y), t, q, 2)
        else:
            (hx, hy), _ = balls.iterate((x, y), (t + 1) * line, q, 2, beta=t)
        assert hx.h is not None and hy.h is not None
        b = [[hx.g[0] * s - 1, hx.g[1] * s], [hy.g[0] * s, hy.g[1] * s - 1]]
        db = [[[hx.h[0][k] * s for k in range(3)], [hx.h[1][k] * s for k in range(3)]],
              [[hy.h[0][k] * s for k in range(3)], [hy.h[1][k] * s for k in range(3)]]]
        det = b[0][0] * b[1][1] - b[0][1] * b[1][0]
        ddet = [db[0][0][k] * b[1][1] + b[0][0] * db[1][1][k] - db[0][1][k] * b[1][0]
                - b[0][1] * db[1][0][k] for k in range(3)]
        val = [hx.v * s - w[0], hy.v * s - w[1], det]
        jac = [[hx.g[0] * s - 1, hx.g[1] * s, hx.g[2] * s],
               [hy.g[0] * s, hy.g[1] * s - 1, hy.g[2] * s], ddet]
        return val, jac

    with precision():
        g = np.asarray(guess, dtype=float)
        if g.shape != (3,) or not np.all(np.isfinite(g)):
            raise BifurcationError(f"guess={guess!r} must be three finite numbers")
        try:
            m = _newton(residual, [arb(float(v)) for v in g], steps=12)
        except (BifurcationError, ZeroDivisionError, ValueError):
            m = None
        try:
            k = None if m is None else _krawczyk(residual, m, 2)
        except (ZeroDivisionError, ValueError):
            k = None
        if k is None:
            raise BifurcationError(f"guess={list(g)}: no Krawczyk enclosure of a fold of the "
                                   f"{period}-cycle of {method} at beta={beta}")
        if line is None:
            return MomentumFoldEnclosure(method=method, beta=beta, period=period,
                                         eta=_bounds(k[2]), state=(_bounds(k[0]), _bounds(k[1])),
                                         symmetric=symmetric)
        return MomentumFoldEnclosure(method=method, beta=float(k[2].mid()), period=period,
                                     eta=_bounds((k[2] + 1) * line),
                                     state=(_bounds(k[0]), _bounds(k[1])), symmetric=symmetric,
                                     beta_enclosure=_bounds(k[2]))
