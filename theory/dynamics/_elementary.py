"""Branch-free, SIMD-vectorisable elementary functions for the compiled GD kernels.

The simulator of Section 4 (Fig. 4.1, phase diagrams over the learning rate) spends nearly
all of its time in the elementary functions of the generated gradients, e.g.
``f1'(x) = sign(x) log(1 + |x|)``.  Numba lowers ``math.log``/``np.log1p`` to calls into
libm; the llvmlite wheels from PyPI ship without Intel SVML, so LLVM cannot vectorise a loop
that contains those calls and every point costs a scalar libm call.  The functions here are
written in plain arithmetic on float64 and on the float64 bit pattern (a bitcast intrinsic):
no calls, no loops, no data-dependent branches, so that when a kernel iterates over a block of
points in its inner loop LLVM turns the whole body into AVX2/AVX-512 vector code.

Algorithms (all classical, accuracy checked in ``tests/dynamics/test_elementary.py``):

* :func:`log`, :func:`log1p`: fdlibm/musl reduction ``x = 2**k (1 + f)`` with
  ``sqrt(2)/2 <= 1 + f < sqrt(2)``, then ``log(1 + f) = f - f**2/2 + s (f**2/2 + R(s**2))``,
  ``s = f / (2 + f)``, R the fdlibm degree-14 minimax polynomial; < 1 ulp in fdlibm, a few ulp
  here at most.
* :func:`exp`: ``x = k ln2 + r``, ``|r| <= ln2/2`` (Cody-Waite two-part ln2), degree-13 Taylor
  polynomial, scaling by ``2**k`` split into two exact powers so that overflow to inf and
  gradual underflow come out right.
* :func:`expm1`: same reduction, ``expm1(x) = 2**k expm1(r) + (2**k - 1)``.
* :func:`tanh`, :func:`sinh`, :func:`cosh`: from :func:`expm1` / :func:`exp`.
* :func:`sqrt`: the hardware instruction (``llvm.sqrt``, already vectorisable, correctly
  rounded).
* :func:`split_exponent`: ``x = m * 2**e`` with ``1 <= m < 2``, for renormalising a running
  product (the Lyapunov sum of |1 - eta f''(x_t)| without a log per step).

Special values follow C99/numpy: ``log(0) = -inf``, ``log(x < 0) = nan``, ``log(inf) = inf``,
``log1p(-1) = -inf``, ``exp(-inf) = 0``, ``exp(inf) = inf``, nan in gives nan out; subnormal
arguments and results are handled.

Floating-point flags.  The functions are compiled with ``error_model="numpy"`` (no
ZeroDivisionError branches) and are correct under the fast-math flags
``{"contract", "arcp", "nsz", "afn"}`` (:data:`SAFE_FASTMATH`).  Do **not** compile a kernel
that inlines them with ``fastmath=True``: measured, log(1e300) and expm1 then lose all or
~145 ulp of accuracy and nan/inf arguments give wrong results (``"nnan"``/``"ninf"`` delete the
special-value selects; a diverged orbit must stay non-finite so that the simulator can classify
it; ``"reassoc"`` licenses LLVM to undo the two-part ln2 argument reduction).  Vectorisation
of a loop over points needs none of the unsafe flags.

Generated kernels call these as ``_el.log(x)`` etc. and must themselves be compiled with
``error_model="numpy"`` for their inner loop to vectorise.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.core.extending import intrinsic

__all__ = [
    "ELEMENTARY_NAMES",
    "SAFE_FASTMATH",
    "bits_to_float",
    "cosh",
    "exp",
    "expm1",
    "float_to_bits",
    "log",
    "log1p",
    "select",
    "sinh",
    "split_exponent",
    "sqrt",
    "tanh",
]

#: fast-math flags under which every function here keeps its accuracy and special values.
SAFE_FASTMATH = frozenset({"contract", "arcp", "nsz", "afn"})

#: the elementary functions a generated kernel may call (name -> function in this module).
ELEMENTARY_NAMES = ("log", "log1p", "exp", "expm1", "sqrt", "tanh", "sinh", "cosh")

_JIT: dict[str, Any] = {"cache": True, "inline": "always", "error_model": "numpy",
                        "fastmath": set(SAFE_FASTMATH)}


# --------------------------------------------------------------------------------------------
# bit casts (pure LLVM bitcast: free, and vectorisable)


@intrinsic
def float_to_bits(typingctx, x):
    """The IEEE-754 bit pattern of a float64, as an int64 (a bitcast, not a conversion)."""
    if isinstance(x, types.Float) and x.bitwidth == 64:

        def codegen(context, builder, signature, args):
            return builder.bitcast(args[0], ir.IntType(64))

        return types.int64(types.float64), codegen
    return None


@intrinsic
def select(typingctx, cond, a, b):
    """``a if cond else b`` as one LLVM ``select`` (no branch, so loops stay vectorisable).

    Both arms are evaluated; they must be both floats (result float64) or both integers
    (result int64).
    """
    if not isinstance(cond, types.Boolean):
        return None
    if isinstance(a, types.Float) and isinstance(b, types.Float):
        out = types.float64
    elif isinstance(a, types.Integer) and isinstance(b, types.Integer):
        out = types.int64
    else:
        return None

    def codegen(context, builder, signature, args):
        _, a_t, b_t = signature.args
        va = context.cast(builder, args[1], a_t, out)
        vb = context.cast(builder, args[2], b_t, out)
        return builder.select(args[0], va, vb)

    return out(cond, a, b), codegen


@intrinsic
def bits_to_float(typingctx, i):
    """The float64 whose IEEE-754 bit pattern is the int64 ``i`` (a bitcast)."""
    if isinstance(i, types.Integer) and i.bitwidth == 64:

        def codegen(context, builder, signature, args):
            return builder.bitcast(args[0], ir.DoubleType())

        return types.float64(i), codegen
    return None


# --------------------------------------------------------------------------------------------
# constants

_LN2_HI = 6.93147180369123816490e-01  # 0x3fe62e42fee00000: 32 significant bits, k*_LN2_HI exact
_LN2_LO = 1.90821492927058770002e-10  # 0x3dea39ef35793c76
_INV_LN2 = 1.44269504088896338700e00

# fdlibm log: minimax R(z) ~ log((1+s)/(1-s)) series, |error| < 2**-58.45 on [0, 0.1716]
_LG1 = 6.666666666666735130e-01
_LG2 = 3.999999999940941908e-01
_LG3 = 2.857142874366239149e-01
_LG4 = 2.222219843214978396e-01
_LG5 = 1.818357216161805012e-01
_LG6 = 1.531383769920937332e-01
_LG7 = 1.479819860511658591e-01

_MANT_MASK = 0x000FFFFFFFFFFFFF
_ABS_MASK = 0x7FFFFFFFFFFFFFFF
_ONE_BITS = 0x3FF0000000000000
# musl: shifts the mantissa so that the reduced value lands in [sqrt(2)/2, sqrt(2))
_SQRT_HALF_HI = 0x3FE6A09E00000000
_REDUCE_SHIFT = 0x3FF0000000000000 - 0x3FE6A09E00000000
# 2**52 + 2**51: adding it to a small integer stored in the low mantissa bits gives the integer
_EXP_MAGIC_BITS = 0x4330000000000000  # 2**52 as a bit pattern
_TWO52 = 4503599627370496.0
_TWO54 = 18014398509481984.0
_DBL_MIN = 2.2250738585072014e-308


@njit(**_JIT)
def _small_int_to_float(k):
    """float(k) for |k| < 2**31 by the exponent trick (vectorises without AVX-512DQ)."""
    return bits_to_float(_EXP_MAGIC_BITS + (k + 0x80000000)) - (_TWO52 + 2147483648.0)


@njit(**_JIT)
def _pow2(k):
    """2.0**k for an int64 -1022 <= k <= 1023 (builds the exponent field directly)."""
    return bits_to_float((k + 1023) << 52)


@njit(**_JIT)
def _log_kernel(f):
    """(hfsq, s*(hfsq + R)) for log(1 + f), sqrt(2)/2 - 1 <= f < sqrt(2) - 1 (fdlibm)."""
    hfsq = 0.5 * f * f
    s = f / (2.0 + f)
    z = s * s
    w = z * z
    t1 = w * (_LG2 + w * (_LG4 + w * _LG6))
    t2 = z * (_LG1 + w * (_LG3 + w * (_LG5 + w * _LG7)))
    return hfsq, s * (hfsq + t2 + t1)


# --------------------------------------------------------------------------------------------
# public functions


@njit(**_JIT)
def log(x):
    """Natural logarithm of a float64 (a few ulp; log(0) = -inf, log(x<0) = nan)."""
    tiny = x < _DBL_MIN
    xs = select(tiny, x * _TWO54, x)  # subnormals -> normal range
    ix = float_to_bits(xs) + _REDUCE_SHIFT
    k = (ix >> 52) - 1023 - select(tiny, 54, 0)
    m = bits_to_float((ix & _MANT_MASK) + _SQRT_HALF_HI)
    f = m - 1.0
    hfsq, tail = _log_kernel(f)
    dk = _small_int_to_float(k)
    r = tail + dk * _LN2_LO - hfsq + f + dk * _LN2_HI
    # special values: x <= 0, inf, nan
    special = select(x == 0.0, -np.inf, select(x == np.inf, x, np.nan))
    return select((x > 0.0) & (x < np.inf), r, special)


@njit(**_JIT)
def log1p(x):
    """log(1 + x) of a float64, accurate also for tiny x (a few ulp; log1p(-1) = -inf)."""
    u = 1.0 + x
    iu = float_to_bits(u) + _REDUCE_SHIFT
    k = (iu >> 52) - 1023
    # correction term c ~ log(1+x) - log(u), divided by u; negligible once k >= 54
    c = select(k >= 2, 1.0 - (u - x), x - (u - 1.0)) / u
    c = select(k < 54, c, 0.0)
    fr = bits_to_float((iu & _MANT_MASK) + _SQRT_HALF_HI) - 1.0
    # 1 + x already in [sqrt(2)/2, sqrt(2)): use x itself (exact), no correction
    f = select(k == 0, x, fr)
    c = select(k == 0, 0.0, c)
    hfsq, tail = _log_kernel(f)
    dk = _small_int_to_float(k)
    r = tail + (dk * _LN2_LO + c) - hfsq + f + dk * _LN2_HI
    r = select(x == 0.0, x, r)  # log1p(-0.0) = -0.0
    special = select(x == -1.0, -np.inf, select(x == np.inf, x, np.nan))
    return select((x > -1.0) & (x < np.inf), r, special)


@njit(**_JIT)
def _reduce_ln2(x):
    """(k, r) with x = k ln2 + r, |r| <= ln2/2 (+ rounding), k an int64 (x finite, |x|<1e3)."""
    kd = np.floor(x * _INV_LN2 + 0.5)
    r = (x - kd * _LN2_HI) - kd * _LN2_LO
    return int(kd), r


@njit(**_JIT)
def _expm1_poly(r):
    """expm1(r) for |r| <= 0.35: degree-13 Taylor polynomial (truncation < 2**-58 relative)."""
    p = 1.0 / 6227020800.0
    p = 1.0 / 479001600.0 + r * p
    p = 1.0 / 39916800.0 + r * p
    p = 1.0 / 3628800.0 + r * p
    p = 1.0 / 362880.0 + r * p
    p = 1.0 / 40320.0 + r * p
    p = 1.0 / 5040.0 + r * p
    p = 1.0 / 720.0 + r * p
    p = 1.0 / 120.0 + r * p
    p = 1.0 / 24.0 + r * p
    p = 1.0 / 6.0 + r * p
    p = 0.5 + r * p
    return r + (r * r) * p


@njit(**_JIT)
def exp(x):
    """e**x of a float64 (a few ulp; overflow to inf, gradual underflow to 0)."""
    xc = select(x > -746.0, x, -746.0)  # nan also lands here; fixed below
    xc = select(xc < 710.0, xc, 710.0)
    k, r = _reduce_ln2(xc)
    p = 1.0 + _expm1_poly(r)
    k1 = k >> 1
    y = (p * _pow2(k1)) * _pow2(k - k1)
    return select(x == x, y, x)


@njit(**_JIT)
def expm1(x):
    """e**x - 1 of a float64, accurate also for tiny x (a few ulp)."""
    xc = select(x > -40.0, x, -40.0)  # expm1(x < -38) rounds to -1
    xc = select(xc < 710.0, xc, 710.0)
    k, r = _reduce_ln2(xc)
    p = _expm1_poly(r)
    kc = select(k < 1000, k, 1000)
    t = _pow2(kc)
    y = (t * p + (t - 1.0)) * _pow2(k - kc)
    y = select(x == 0.0, x, y)  # keeps the sign of -0.0
    return select(x == x, y, x)


@njit(**_JIT)
def sqrt(x):
    """Square root (hardware instruction, correctly rounded; sqrt(x<0) = nan)."""
    return np.sqrt(x)


@njit(**_JIT)
def tanh(x):
    """Hyperbolic tangent of a float64 (a few ulp)."""
    a = abs(x)
    a = select(a < 22.0, a, 22.0)  # tanh(22) rounds to 1; nan stays nan via the final select
    t = expm1(2.0 * a)
    y = t / (t + 2.0)
    y = math.copysign(y, x)
    return select(x == x, y, x)


@njit(**_JIT)
def sinh(x):
    """Hyperbolic sine of a float64 (a few ulp; overflows to +-inf only when it must)."""
    a = abs(x)
    am = select(a < 709.0, a, 709.0)
    t = expm1(am)
    small = 0.5 * (t + t / (t + 1.0))
    h = exp(0.5 * a)
    big = (0.5 * h) * h
    y = select(a < 709.0, small, big)
    y = math.copysign(y, x)
    return select(x == x, y, x)


@njit(**_JIT)
def cosh(x):
    """Hyperbolic cosine of a float64 (a few ulp; overflows to inf only when it must)."""
    a = abs(x)
    am = select(a < 709.0, a, 709.0)
    e = exp(am)
    small = 0.5 * e + 0.5 / e
    h = exp(0.5 * a)
    big = (0.5 * h) * h
    y = select(a < 709.0, small, big)
    return select(x == x, y, x)


@njit(**_JIT)
def split_exponent(x):
    """(m, e) with x = m * 2**e, 1 <= m < 2 and e a float64, for a normal x > 0.

    Used to renormalise a running product (e.g. the Lyapunov product of |1 - eta f''(x_t)|):
    ``log(prod) = e*ln2 + log(m)``.  Zero, subnormal, inf and nan are the caller's business
    (renormalise before the product leaves the normal range).
    """
    ix = float_to_bits(x) & _ABS_MASK
    m = bits_to_float((ix & _MANT_MASK) | _ONE_BITS)
    e = _small_int_to_float((ix >> 52) - 1023)
    return m, e
