"""Block-wise classification (``_support.classify_block``) against a per-point reference.

The simulator classifies a whole block of points at once from the history ring buffer
(divergence in one pass over the rows, periods with the row indices computed once).  Here
it is compared with :func:`reference_period`, a plain Python transcription of the rules in
the docstring of :mod:`theory.dynamics._support` (docs/simulator.md) that works on one orbit
at a time, indexed by time rather than by ring-buffer row, on randomized blocks: fixed
points, period-p cycles (also longer than ``period_max``), perturbations of a cycle just
inside and just outside the tolerance (growing, constant or shrinking: the growth and
separation conditions), geometric spirals, random (chaotic-looking) orbits, and NaN, +-inf
and beyond-``bound`` iterates inside and outside the window.  Ring rows that hold no
iterate of the window are NaN, so a read outside the window would show as divergence.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from theory.dynamics._options import history_length
from theory.dynamics._support import (
    DIVERGED_MARK,
    MIN_WINDOW,
    NOISE_FRACTION,
    SEPARATION,
    classify_block,
)

# ---------------------------------------------------------------- per-point reference


def reference_period(window, m, bound, period_max, rtol, atol) -> int:
    """DIVERGED_MARK, the minimal period p <= period_max, or 0, for one orbit.

    ``window`` is x_{t-m_div+1}, ..., x_t (shape (m_div, d)); periods are looked for in its
    last ``m`` rows.  Straight from the rules: diverged if an iterate is non-finite or has
    max_k |x_k| > bound; else the minimal p with m - p >= max(2p, MIN_WINDOW) such that the
    lag-p recurrence error is within tolerance at the last W times, does not grow (last <=
    first, or below NOISE_FRACTION * tolerance), and, for p >= 2, the lag-q errors at time t
    exceed SEPARATION * tolerance for every proper divisor q of p.
    """
    for x in window:
        for v in x:
            if not math.isfinite(v) or abs(v) > bound:
                return DIVERGED_MARK
    orbit = [list(x) for x in window[len(window) - m :]] if m > 0 else []

    def error(back: int, lag: int) -> tuple[float, float]:
        """(|x_tau - x_{tau-lag}|_inf, tolerance) at tau = t - back."""
        a = orbit[m - 1 - back]
        b = orbit[m - 1 - back - lag]
        d = max(abs(u - v) for u, v in zip(a, b, strict=True))
        scale = max(max(abs(u), abs(v)) for u, v in zip(a, b, strict=True))
        return d, atol + rtol * scale

    for p in range(1, period_max + 1):
        if m - p < max(2 * p, MIN_WINDOW):
            return 0
        w = min(m - p, max(2 * p, MIN_WINDOW, period_max))
        errors = [error(back, p) for back in range(w)]  # tau = t, t - 1, ..., t - w + 1
        if not all(d <= tol for d, tol in errors):
            continue
        d_last, tol_last = errors[0]
        d_first = errors[-1][0]
        if not (d_last <= d_first or d_last <= NOISE_FRACTION * tol_last):
            continue
        if all(
            error(0, q)[0] > SEPARATION * error(0, q)[1] for q in range(1, p) if p % q == 0
        ):
            return p
    return 0


# ---------------------------------------------------------------------- test cases


@dataclass(frozen=True)
class Orbit:
    """Recipe for x_0..x_t of one point (see :func:`make_orbit`)."""

    kind: str  # "cycle", "spiral" or "random"
    period: int  # cycle length (kind "cycle")
    values: tuple[float, ...]  # cycle values / spiral centre and amplitude / random range
    jitter_ulps: int  # +-ulp noise added to every iterate
    miss: float  # perturbation amplitude as a multiple of the tolerance (0: none)
    growth: float  # per-step growth of the perturbation (or spiral ratio)
    corrupt_back: int  # a corrupted iterate at time t - corrupt_back; -1 for none
    corrupt_value: float  # nan or +-inf; |v| >= 1: v * bound; |v| < 1: a kick v (1 + |x|)


@dataclass(frozen=True)
class Block:
    """A block of orbits, classified at time t from the last m_div (m) iterates."""

    dim: int
    period_max: int
    t: int
    m_div: int
    m: int
    bound: float
    rtol: float
    atol: float
    orbits: tuple[Orbit, ...]


def make_orbit(o: Orbit, t: int, dim: int, bound: float, rtol: float, atol: float, seed: int):
    """x_0, ..., x_t, shape (t + 1, dim)."""
    rng = np.random.default_rng(seed)
    tau = np.arange(t + 1)
    if o.kind == "cycle":
        cyc = np.array(o.values[: o.period * dim], dtype=float).reshape(o.period, dim)
        x = cyc[tau % o.period]
    elif o.kind == "spiral":  # centre + amp * growth^tau (|growth| < 1: converging)
        x = o.values[0] + o.values[1] * o.growth ** tau[:, None] * np.ones((1, dim))
    else:
        x = rng.uniform(-abs(o.values[0]) - 1.0, abs(o.values[0]) + 1.0, size=(t + 1, dim))
    if o.miss:
        # lag-p error of about miss * tolerance, alternating every `period` steps and growing
        # by `growth` per step: just inside or just outside the recurrence tolerance
        tol = atol + rtol * np.max(np.abs(x), axis=1, keepdims=True)
        sign = (-1.0) ** (tau // max(o.period, 1))
        x = x + (0.5 * o.miss * tol) * sign[:, None] * o.growth ** (tau - t)[:, None]
    if o.jitter_ulps:
        x = x + rng.integers(-o.jitter_ulps, o.jitter_ulps + 1, size=x.shape) * np.spacing(x)
    if 0 <= o.corrupt_back <= t:
        v = o.corrupt_value
        k = rng.integers(dim)
        if abs(v) < 1.0:  # a finite glitch
            x[t - o.corrupt_back, k] += v * (1.0 + abs(x[t - o.corrupt_back, k]))
        else:  # nan, +-inf, beyond bound
            x[t - o.corrupt_back, k] = v * bound
    return x


def ring(orbits, t: int, H: int) -> np.ndarray:
    """HIST (H + 1, d, n) as the simulator keeps it at time t; rows without an iterate of the
    last min(H, t + 1) times (and the sink row H) are NaN."""
    dim = orbits[0].shape[1]
    hist = np.full((H + 1, dim, len(orbits)), np.nan)
    for tau in range(max(0, t - H + 1), t + 1):
        for i, x in enumerate(orbits):
            hist[tau % H, :, i] = x[tau]
    return hist


floats = st.floats(-3.0, 3.0, allow_nan=False, allow_infinity=False)


@st.composite
def orbit_recipes(draw, dim: int, period_max: int, H: int) -> Orbit:
    kind = draw(st.sampled_from(["cycle", "cycle", "cycle", "spiral", "random"]))
    period = draw(st.integers(1, period_max + 2))
    n_values = max(period * dim, 2)
    values = tuple(draw(st.lists(floats, min_size=n_values, max_size=n_values)))
    if kind == "spiral":
        growth = draw(st.sampled_from([-1.05, -0.99, -0.82, 0.5, 0.9, 0.99, 1.02]))
    else:
        growth = draw(st.sampled_from([0.95, 1.0, 1.0, 1.05]))
    # multiples of the tolerance on both sides of 1, NOISE_FRACTION and SEPARATION
    miss = draw(st.sampled_from([0.0, 0.0, 0.0, 0.005, 0.02, 0.5, 0.99, 1.01, 2.0, 700.0, 1.5e3]))
    corrupt = draw(st.sampled_from([False, False, False, True]))
    # mostly near the window's edge: H iterates are kept, m_div <= H are checked
    back = draw(st.one_of(st.integers(0, H + 2), st.integers(0, 400)))
    return Orbit(
        kind=kind,
        period=period,
        values=values,
        jitter_ulps=draw(st.sampled_from([0, 0, 2, 50])),
        miss=miss if kind != "random" else 0.0,
        growth=growth,
        corrupt_back=back if corrupt else -1,
        corrupt_value=draw(
            st.sampled_from([math.nan, math.inf, -math.inf, 2.0, -1.5, 1e-8, -3e-11, 1e-3])
        ),
    )


@st.composite
def blocks(draw) -> Block:
    dim = draw(st.integers(1, 2))
    period_max = draw(st.integers(1, 8))
    H = history_length(period_max)
    # mostly a full window (as in the simulator), sometimes a short or partial one
    t = draw(st.one_of(st.integers(H - 1, 3 * H), st.integers(0, 3 * H)))
    full = min(H, t + 1)
    m_div = draw(st.one_of(st.just(full), st.just(full), st.integers(0, full)))
    m = draw(st.one_of(st.just(m_div), st.just(m_div), st.integers(0, m_div)))
    orbits = tuple(draw(st.lists(orbit_recipes(dim, period_max, H), min_size=1, max_size=12)))
    return Block(
        dim=dim,
        period_max=period_max,
        t=t,
        m_div=m_div,
        m=m,
        bound=draw(st.sampled_from([10.0, 1e10, math.inf])),
        rtol=draw(st.sampled_from([1e-10, 1e-6, 0.0, 0.25])),
        atol=draw(st.sampled_from([1e-12, 1e-8])),
        orbits=orbits,
    )


def _check(block: Block, seed: int) -> np.ndarray:
    H = history_length(block.period_max)
    xs = [
        make_orbit(o, block.t, block.dim, block.bound, block.rtol, block.atol, seed + j)
        for j, o in enumerate(block.orbits)
    ]
    hist = ring(xs, block.t, H)
    n = len(xs)
    got = np.full(n, -99, np.int64)
    classify_block(hist, block.t, block.m_div, block.m, n, block.bound, block.period_max,
                   block.rtol, block.atol, got)
    want = [
        reference_period(x[block.t + 1 - block.m_div :], block.m, block.bound, block.period_max,
                         block.rtol, block.atol)
        for x in xs
    ]
    assert got.tolist() == want, (got.tolist(), want)
    return got


def _cycle(values, miss=0.0, growth=1.0, back=-1, value=0.0, jitter=0, period=2):
    return Orbit("cycle", period, tuple(values), jitter, miss, growth, back, value)


#: hand-made blocks whose answers are known by construction (asserted in
#: test_pinned_blocks_have_the_answers_known_by_construction), each also compared with the
#: reference by the property test
PINNED = {
    # a 2-cycle, a fixed point jittering by ulps, NaN just outside / just inside the m_div
    # window, inside m_div but outside the period window m, +inf and -inf with bound = inf,
    # a random orbit
    "window": (
        Block(1, 4, 100, 32, 20, math.inf, 1e-10, 1e-12, (
            _cycle((1.25, -0.75)),
            _cycle((0.3, 0.3), jitter=2, period=1),
            _cycle((1.25, -0.75), back=32, value=math.nan),
            _cycle((1.25, -0.75), back=31, value=math.nan),
            _cycle((1.25, -0.75), back=25, value=math.nan),
            _cycle((1.25, -0.75), back=0, value=math.inf),
            _cycle((1.25, -0.75), back=5, value=-math.inf),
            Orbit("random", 1, (2.0, 0.0), 0, 0.0, 1.0, -1, 0.0),
        )),
        [2, 1, 2, DIVERGED_MARK, DIVERGED_MARK, DIVERGED_MARK, DIVERGED_MARK, 0],
    ),
    # 2-D: lag-2 errors just inside / just outside the tolerance (then period 4 is found,
    # unless its lag-2 separation is below SEPARATION * tolerance); beyond bound
    "tolerance": (
        Block(2, 8, 57, 32, 32, 10.0, 1e-10, 1e-12, (
            _cycle((1.0, 2.0, -1.0, 0.5), miss=0.99),
            _cycle((1.0, 2.0, -1.0, 0.5), miss=1.01),
            _cycle((1.0, 2.0, -1.0, 0.5), miss=700.0),
            _cycle((1.0, 2.0, -1.0, 0.5), miss=1.5e3),
            _cycle((1.0, 2.0, -1.0, 0.5), back=3, value=1.5),
        )),
        [2, 0, 0, 4, DIVERGED_MARK],
    ),
    # fixed point with growing steps: below the rounding floor NOISE_FRACTION * tolerance
    # (converged) or above it (drift, undecided); shrinking steps (converged)
    "growth": (
        Block(1, 3, 40, 32, 32, 1e10, 1e-6, 1e-12, (
            _cycle((2.0, 2.0), miss=0.005, growth=1.05, period=1),
            _cycle((2.0, 2.0), miss=0.02, growth=1.05, period=1),
            _cycle((2.0, 2.0), miss=0.3, growth=0.95, period=1),
        )),
        [1, 0, 1],
    ),
    # a 2-cycle kicked at t - 1 by 100 tolerances (the lag-2 error at t - 1 fails), at
    # t - 30 (before the window) and at t - 1 by half a tolerance
    "glitch": (
        Block(1, 4, 100, 32, 32, 1e10, 1e-10, 1e-12, (
            _cycle((1.25, -0.75), back=1, value=1e-8),
            _cycle((1.25, -0.75), back=30, value=1e-8),
            _cycle((1.25, -0.75), back=1, value=-3e-11),
        )),
        [0, 2, 2],
    ),
    # the shortest windows: MIN_WINDOW + 1 iterates decide a fixed point (m - 1 >=
    # MIN_WINDOW checks) but not a 2-cycle (m - 2 < max(4, MIN_WINDOW))
    "short": (
        Block(1, 2, 300, 32, MIN_WINDOW + 1, 1e10, 1e-10, 1e-12, (
            _cycle((0.5, 0.5), period=1),
            _cycle((1.25, -0.75)),
        )),
        [1, 0],
    ),
}


@given(blocks(), st.integers(0, 2**32 - 1))
@example(PINNED["window"][0], 0)
@example(PINNED["tolerance"][0], 0)
@example(PINNED["growth"][0], 0)
@example(PINNED["short"][0], 0)
@example(PINNED["glitch"][0], 0)
def test_block_classification_agrees_with_the_per_point_reference(block, seed):
    _check(block, seed)


@pytest.mark.parametrize("name", sorted(PINNED))
def test_pinned_blocks_have_the_answers_known_by_construction(name):
    block, expected = PINNED[name]
    assert _check(block, 0).tolist() == expected
