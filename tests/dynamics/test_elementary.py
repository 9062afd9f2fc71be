"""Accuracy of the vectorisable elementary functions of ``theory.dynamics._elementary``.

References: mpmath at 200 bits (the exact value; the error is measured in units in the last
place of the correctly rounded result) and numpy (special values, signed zeros).  The
functions are checked twice: called one value at a time, and inlined into a loop over an array
compiled with the kernels' flags (error_model="numpy", SAFE_FASTMATH), which is how the
generated GD kernels of Section 4 use them (and where LLVM vectorises and contracts to FMA).
"""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from numba import njit

from theory.dynamics import _elementary as el

_KERNEL_FLAGS = {"error_model": "numpy", "fastmath": set(el.SAFE_FASTMATH)}

# maximum error in ulp asserted for each function.  Measured maxima over 50,000-75,000
# log-uniform arguments per function: log 0.77, log1p 0.72, exp 0.93, expm1 1.70, sqrt 0.5,
# tanh 2.25, sinh 2.54, cosh 2.37 (sinh/cosh near |x| = 709, where exp(|x|/2) is squared).
ULP_BOUND = {
    "log": 1.0,
    "log1p": 1.0,
    "exp": 1.5,
    "expm1": 2.0,
    "cosh": 3.0,
    "sinh": 3.0,
    "tanh": 3.0,
    "sqrt": 0.5,
}

_MP = {
    "log": mpmath.log,
    "log1p": mpmath.log1p,
    "exp": mpmath.exp,
    "expm1": mpmath.expm1,
    "cosh": mpmath.cosh,
    "sinh": mpmath.sinh,
    "tanh": mpmath.tanh,
    "sqrt": mpmath.sqrt,
}
_NP = {
    "log": np.log,
    "log1p": np.log1p,
    "exp": np.exp,
    "expm1": np.expm1,
    "cosh": np.cosh,
    "sinh": np.sinh,
    "tanh": np.tanh,
    "sqrt": np.sqrt,
}


def _make_loop(fn):
    @njit(**_KERNEL_FLAGS)
    def loop(xs, out):
        for i in range(xs.shape[0]):
            out[i] = fn(xs[i])

    return loop


_LOOPS = {name: _make_loop(getattr(el, name)) for name in el.ELEMENTARY_NAMES}


def _in_loop(name, xs):
    out = np.empty_like(xs)
    _LOOPS[name](xs, out)
    return out


def _ulp_errors(name, xs, got):
    """|got - f(x)| / ulp(f(x)) with f(x) from mpmath at 200 bits (finite references only)."""
    errs = np.empty(xs.size)
    with mpmath.workprec(200):
        for j, (x, g) in enumerate(zip(xs.tolist(), got.tolist(), strict=True)):
            exact = _MP[name](mpmath.mpf(x))
            rounded = float(exact)
            if not math.isfinite(rounded):
                errs[j] = 0.0 if g == rounded else np.inf
                continue
            ulp = math.ulp(abs(rounded)) if rounded != 0.0 else 5e-324
            errs[j] = float(abs(mpmath.mpf(g) - exact) / ulp)
    return errs


def _log_uniform(rng, lo, hi, n, signed=True):
    mags = 10.0 ** rng.uniform(lo, hi, n)
    if signed:
        mags *= rng.choice([-1.0, 1.0], n)
    return mags


def _samples(name, rng, n=1500):
    """Arguments spread over the whole useful range of each function (log-uniform)."""
    if name in ("log", "sqrt"):
        return np.concatenate(
            [
                _log_uniform(rng, -323, 308, n, signed=False),  # subnormal .. huge
                1.0 + _log_uniform(rng, -16, -0.5, n // 3),  # near 1 (cancellation)
                rng.uniform(0.5, 2.0, n // 3),
            ]
        )
    if name == "log1p":
        return np.concatenate(
            [
                _log_uniform(rng, -320, 308, n, signed=False),
                -_log_uniform(rng, -320, -1e-9, n // 2, signed=False),  # (-1, 0)
                -1.0 + _log_uniform(rng, -16, -1, n // 4, signed=False),  # just above -1
            ]
        )
    if name == "exp":
        return np.concatenate(
            [
                _log_uniform(rng, -320, 2.85, n),  # |x| up to ~708
                rng.uniform(-745.2, -708.0, n // 4),  # subnormal results
                rng.uniform(700.0, 709.78, n // 4),  # near overflow
            ]
        )
    if name == "expm1":
        return np.concatenate(
            [_log_uniform(rng, -320, 2.85, n), rng.uniform(-1.5, 1.5, n // 2)]
        )
    if name in ("cosh", "sinh"):
        return np.concatenate(
            [_log_uniform(rng, -320, 2.85, n), rng.uniform(705.0, 710.4, n // 4) * rng.choice(
                [-1.0, 1.0], n // 4)]
        )
    if name == "tanh":
        return np.concatenate([_log_uniform(rng, -320, 1.6, n), rng.uniform(-3.0, 3.0, n // 2)])
    raise AssertionError(name)


@pytest.mark.parametrize("name", el.ELEMENTARY_NAMES)
def test_ulp_error_against_mpmath_in_a_vectorised_loop(name, rng):
    xs = _samples(name, rng)
    got = _in_loop(name, xs)
    errs = _ulp_errors(name, xs, got)
    worst = int(np.argmax(errs))
    assert errs[worst] <= ULP_BOUND[name], (
        f"{name}({xs[worst]!r}) = {got[worst]!r}: {errs[worst]:.2f} ulp"
    )


@pytest.mark.parametrize("name", el.ELEMENTARY_NAMES)
def test_scalar_call_is_within_bound(name, rng):
    """Called one value at a time (not vectorised, maybe no FMA) the bound still holds."""
    xs = _samples(name, rng, n=300)
    fn = getattr(el, name)
    got = np.array([fn(float(x)) for x in xs])
    errs = _ulp_errors(name, xs, got)
    assert np.max(errs) <= ULP_BOUND[name]


_SPECIAL = np.array(
    [
        0.0,
        -0.0,
        5e-324,
        -5e-324,
        2.2250738585072014e-308,
        1e-310,
        -1e-310,
        1e-300,
        0.5,
        -0.5,
        1.0,
        -1.0,
        -1.0000000000000002,
        -0.9999999999999999,
        2.0,
        -2.0,
        22.0,
        -22.0,
        40.0,
        -40.0,
        -38.0,
        708.0,
        709.782712893384,
        709.7827128933841,
        710.0,
        710.4758600739439,
        710.476,
        -708.0,
        -745.1332191019411,
        -745.1332191019412,
        -746.0,
        1e15,
        -1e15,
        1e300,
        -1e300,
        1.7976931348623157e308,
        -1.7976931348623157e308,
        np.inf,
        -np.inf,
        np.nan,
    ]
)


def _same(a, b):
    """Equal as floats, nan == nan, and the same sign of zero."""
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    if a == 0.0 and b == 0.0:
        return math.copysign(1.0, a) == math.copysign(1.0, b)
    return a == b


@pytest.mark.parametrize("name", el.ELEMENTARY_NAMES)
def test_special_values_match_numpy(name):
    """0, -0, subnormals, negatives, +-1, overflow edges, huge, inf and nan: as numpy.

    Non-finite and zero results must be identical (value, sign of zero); finite ones within
    the ulp bound of numpy's (numpy's libm is correctly rounded to < 1 ulp on these).
    """
    with np.errstate(all="ignore"):
        expected = _NP[name](_SPECIAL)
    for got_all in (_in_loop(name, _SPECIAL), [getattr(el, name)(float(x)) for x in _SPECIAL]):
        for x, g, e in zip(_SPECIAL.tolist(), list(got_all), expected.tolist(), strict=True):
            if not math.isfinite(e) or e == 0.0 or not math.isfinite(g):
                assert _same(g, e), f"{name}({x!r}) = {g!r}, numpy gives {e!r}"
            else:
                bound = (ULP_BOUND[name] + 1.0) * math.ulp(abs(e))
                assert abs(g - e) <= bound, f"{name}({x!r}) = {g!r}, numpy gives {e!r}"


@given(st.floats(allow_nan=True, allow_infinity=True))
@example(-1.0)
@example(5e-324)
@example(-0.0)
@example(709.7827128933841)
def test_any_float_agrees_with_numpy(x):
    """Any float64 at all: same non-finiteness as numpy, and within bound + 1 ulp of it."""
    for name in el.ELEMENTARY_NAMES:
        with np.errstate(all="ignore"):
            e = float(_NP[name](np.float64(x)))
        g = getattr(el, name)(x)
        if not math.isfinite(e) or e == 0.0:
            assert _same(g, e), f"{name}({x!r}) = {g!r}, numpy gives {e!r}"
        else:
            assert abs(g - e) <= (ULP_BOUND[name] + 1.0) * math.ulp(abs(e)), (name, x, g, e)


@given(
    st.floats(min_value=2.2250738585072014e-308, max_value=1.7976931348623157e308)
)
@example(1.0)
@example(2.2250738585072014e-308)
@example(1.7976931348623157e308)
def test_split_exponent_is_exact(x):
    """x = m * 2**e exactly, 1 <= m < 2, e an integer (as math.frexp, shifted by one)."""
    m, e = el.split_exponent(x)
    assert 1.0 <= m < 2.0
    assert e == int(e)
    assert math.ldexp(m, int(e)) == x
    fm, fe = math.frexp(x)
    assert (m, e) == (2.0 * fm, fe - 1)


@njit(**_KERNEL_FLAGS)
def _bits(x):
    return el.float_to_bits(x)


@njit(**_KERNEL_FLAGS)
def _from_bits(i):
    return el.bits_to_float(i)


@given(st.floats(allow_nan=True, allow_infinity=True))
def test_bitcasts_round_trip_and_match_numpy_view(x):
    bits = _bits(x)
    assert bits == int(np.array([x], dtype=np.float64).view(np.int64)[0])
    back = _from_bits(bits)
    assert _bits(back) == bits
    assert _same(back, x)


@njit(**_KERNEL_FLAGS)
def _select_both(c, a, b, i, j):
    return el.select(c, a, b), el.select(c, i, j)


@pytest.mark.parametrize("cond", [True, False])
def test_select_picks_the_right_arm(cond):
    f, i = _select_both(cond, 1.5, -2.5, 3, -4)
    assert (f, i) == ((1.5, 3) if cond else (-2.5, -4))


@njit(**_KERNEL_FLAGS)
def _gd_f1_block(x, eta, steps):
    for _ in range(steps):
        for i in range(x.shape[0]):
            xi = x[i]
            x[i] = xi - eta * math.copysign(el.log1p(abs(xi)), xi)


def test_loop_over_points_is_vectorised_without_calls():
    """The reason this module exists: a loop calling log1p compiles to SIMD code with the
    function inlined (no call), unlike math.log1p without SVML."""
    x = np.linspace(-5.0, 5.0, 64)
    _gd_f1_block(x, 3.0, 1)
    llvm_ir = _gd_f1_block.inspect_llvm(_gd_f1_block.signatures[0])
    body = llvm_ir.split("define", 2)[1]  # the kernel's own function (first definition)
    assert "x double>" in body, "loop over points not vectorised"
    calls = [line for line in body.splitlines() if "call" in line and "log1p" in line]
    assert not calls, calls
