"""Readable ticks on log and symlog axes (:func:`theory.plotting.log_axis`).

matplotlib's defaults label only powers of ten: an axis spanning less than two decades can
show one label or none, and one spanning many decades on a short axis crowds them.  Here,
at every draw, from the axis's view limits and length:

* two or more powers of ten in view: major ticks at ``10^k`` labelled ``10^k``, every
  ``s``-th decade when they would not fit (``s`` from the axis length and label size);
  minor ticks unlabelled (``m 10^k`` for a few decades, the skipped decades for many);
* fewer: plain numbers (``1, 2, 5 x 10^k``, then ``1..9 x 10^k``, thinned to fit), or for a
  range under a factor of a few, evenly spaced values, so there are always two labels;
* symlog: ``0`` and ``+-10^k`` outside the linear range, thinned the same way.
"""

from __future__ import annotations

import math

import numpy as np
from matplotlib import rcParams, ticker

#: label spacing in label font sizes: an x label such as 10^{-12} is ~2.5 em wide, a y
#: label ~1.3 em tall (matplotlib's own get_tick_space uses 3 and 2)
_X_SPACING, _Y_SPACING = 3.8, 2.0
_TOL = 1e-9


def _budget(axis) -> int:
    """How many labels fit along ``axis`` (at least 2)."""
    try:
        space = axis.get_tick_space()  # length / (3 or 2 label sizes), in whole labels
    except (AttributeError, ValueError):
        return 6
    if axis.axis_name == "x":
        space = int(space * 3 / _X_SPACING)
    return max(2, min(int(space), 12))


def _inside(values, lo: float, hi: float) -> list[float]:
    return [v for v in values if lo * (1 - _TOL) <= v <= hi * (1 + _TOL)]


def _thin(values: list[float], budget: int) -> list[float]:
    step = math.ceil(len(values) / budget)
    return values[::step]


def _linear(lo: float, hi: float, budget: int) -> list[float]:
    locator = ticker.MaxNLocator(nbins=max(budget - 1, 1), steps=[1, 2, 2.5, 5, 10])
    return [float(v) for v in locator.tick_values(lo, hi) if lo - _TOL * abs(lo) <= v
            <= hi + _TOL * abs(hi)]


def _decades(ks: list[int], budget: int) -> list[int]:
    """Every s-th exponent, s as small as fits ``budget``; aligned to multiples of s when
    that still leaves two."""
    stride = math.ceil(len(ks) / budget)
    aligned = [k for k in ks if k % stride == 0]
    return aligned if len(aligned) >= 2 else ks[::stride]


def log_ticks(lo: float, hi: float, budget: int) -> tuple[list[float], list[float]]:
    """(major, minor) tick values for a log axis showing ``[lo, hi]`` (``0 < lo < hi``)."""
    lo, hi = min(lo, hi), max(lo, hi)
    if not (lo > 0 and math.isfinite(hi)):
        return [], []
    k0 = math.ceil(math.log10(lo) - _TOL)
    k1 = math.floor(math.log10(hi) + _TOL)
    if k1 - k0 + 1 >= 2:
        ks = _decades(list(range(k0, k1 + 1)), budget)
        major = [10.0**k for k in ks]
        if ks == list(range(k0, k1 + 1)) and len(ks) <= 6:
            minor = _inside([m * 10.0**k for k in range(k0 - 1, k1 + 1) for m in range(2, 10)],
                            lo, hi)
        else:  # the skipped decades (at most ~60 of them)
            step = max(1, math.ceil((k1 - k0 + 1) / 60))
            minor = [10.0**k for k in range(k0, k1 + 1) if k not in ks and k % step == 0]
        return major, minor
    e0, e1 = math.floor(math.log10(lo)), math.floor(math.log10(hi))
    every = _inside([m * 10.0**k for k in range(e0, e1 + 1) for m in range(1, 10)], lo, hi)
    for mults in ((1, 2, 5), tuple(range(1, 10))):
        major = _inside([m * 10.0**k for k in range(e0, e1 + 1) for m in mults], lo, hi)
        if 2 <= len(major) <= budget:
            return major, [v for v in every if v not in major]
    if len(every) > budget:
        major = _thin(every, budget)
        return major, [v for v in every if v not in major]
    return _linear(lo, hi, budget), []


def symlog_ticks(lo: float, hi: float, linthresh: float,
                 budget: int) -> tuple[list[float], list[float]]:
    """(major, minor) for a symlog axis: 0 and +-10^k beyond ``linthresh``."""
    lo, hi = min(lo, hi), max(lo, hi)
    k_lin = math.ceil(math.log10(linthresh) - _TOL)
    pos = (list(range(k_lin, math.floor(math.log10(hi) + _TOL) + 1))
           if hi >= linthresh else [])
    neg = (list(range(k_lin, math.floor(math.log10(-lo) + _TOL) + 1))
           if lo <= -linthresh else [])
    zero = [0.0] if lo <= 0 <= hi else []
    if len(pos) + len(neg) + len(zero) < 2:
        return _linear(lo, hi, budget), []
    stride = 1
    while True:
        keep_pos = [k for k in pos if k % stride == 0] or pos[-1:]
        keep_neg = [k for k in neg if k % stride == 0] or neg[-1:]
        if len(keep_pos) + len(keep_neg) + len(zero) <= budget or stride > 400:
            break
        stride += 1
    major = sorted([-(10.0**k) for k in keep_neg] + zero + [10.0**k for k in keep_pos])
    step = max(1, math.ceil((len(pos) + len(neg)) / 60))
    minor = sorted([-(10.0**k) for k in neg if k not in keep_neg and k % step == 0]
                   + [10.0**k for k in pos if k not in keep_pos and k % step == 0])
    return major, minor


class ReadableLocator(ticker.Locator):
    """Major (or minor) ticks of :func:`log_ticks` / :func:`symlog_ticks`, computed at
    draw time from the view limits and the axis length."""

    def __init__(self, minor: bool = False):
        self.minor = minor

    def __call__(self):
        vmin, vmax = self.axis.get_view_interval()
        return self.tick_values(vmin, vmax)

    def tick_values(self, vmin, vmax):
        if not (math.isfinite(vmin) and math.isfinite(vmax)) or vmin == vmax:
            return np.array([float(vmin)]) if math.isfinite(vmin) and not self.minor else (
                np.array([]))
        budget = _budget(self.axis) if self.axis is not None else 6
        transform = self.axis.get_transform() if self.axis is not None else None
        linthresh = getattr(transform, "linthresh", None)
        if linthresh is not None:
            major, minor = symlog_ticks(float(vmin), float(vmax), float(linthresh), budget)
        else:
            major, minor = log_ticks(float(vmin), float(vmax), budget)
        return np.asarray(minor if self.minor else major, dtype=float)


def _is_power(v: float) -> bool:
    if v == 0:
        return True
    k = math.log10(abs(v))
    return abs(k - round(k)) < 1e-9


def _minus(text: str) -> str:
    return text.replace("-", "\N{MINUS SIGN}") if rcParams["axes.unicode_minus"] else text


def _shortest(v: float) -> str:
    """``v`` positional (no exponent) with the fewest significant digits that give it
    back to 1e-6."""
    for digits in range(1, 16):
        text = np.format_float_positional(v, precision=digits, unique=False,
                                          fractional=False, trim="-")
        if math.isclose(float(text), v, rel_tol=1e-6):
            return text
    return repr(v)


class ReadableFormatter(ticker.Formatter):
    """``10^k`` labels when every tick is a power of ten (``-10^k`` and ``0`` on a symlog
    axis); otherwise plain numbers between 1e-3 and 1e4, else ``m x 10^k``."""

    def __init__(self) -> None:
        self.labels: dict[float, str] = {}

    def set_locs(self, locs) -> None:
        values = [float(v) for v in locs]
        self.labels = dict(zip(values, _labels(values), strict=True))

    def __call__(self, x, pos=None):
        x = float(x)
        if x not in self.labels:
            self.labels[x] = _labels([x])[0]
        return self.labels[x]


def _power(v: float) -> str:
    if v == 0:
        return "$0$"
    k = round(math.log10(abs(v)))
    return f"$-10^{{{k}}}$" if v < 0 else f"$10^{{{k}}}$"


def _labels(values: list[float]) -> list[str]:
    if not values:
        return []
    if all(_is_power(v) for v in values):
        return [_power(v) for v in values]
    if all(v == 0 or 1e-3 <= abs(v) < 1e4 for v in values):
        return [_minus(_shortest(v)) for v in values]
    out = []
    for v in values:
        if _is_power(v):
            out.append(_power(v))
        else:
            k = math.floor(math.log10(abs(v)))
            out.append(f"${_shortest(v / 10.0**k)}\\times10^{{{k}}}$")
    return out


def apply(axis) -> None:
    """Readable locators and formatters on one log/symlog ``axis`` (XAxis or YAxis)."""
    axis.set_major_locator(ReadableLocator())
    axis.set_minor_locator(ReadableLocator(minor=True))
    axis.set_major_formatter(ReadableFormatter())
    axis.set_minor_formatter(ticker.NullFormatter())
