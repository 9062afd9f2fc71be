"""Hand-written Numba kernels for f1/f2: what the generated kernels can reach (exploration).

These are not the package's simulator: they are the measuring stick used to choose the kernel
layout of :mod:`theory.dynamics` (see docs/performance.md).  Layout, as in the simulator:
``prange`` over blocks of points; within a block the step loop is outside and the loop over
points inside, in a *separate* ``@njit`` function (a loop written directly in the ``prange``
body is not vectorised by Numba 0.68 / LLVM), compiled with ``error_model="numpy"`` and the
safe fast-math flags, and calling the branch-free elementary functions of
:mod:`theory.dynamics._elementary`.

Variants of the Lyapunov sum ``sum_t log|1 - eta f''(x_t)|``:

* ``log``: one vectorised :func:`_el.log` per point per step;
* ``libm``: as ``log`` but with ``math.log``/``math.log1p`` (calls into libm: without SVML in
  the PyPI llvmlite these stay scalar calls and the loop is not vectorised);
* ``prod``: a running product of ``|1 - eta f''|`` renormalised every step by exponent
  extraction (:func:`_el.split_exponent`: two integer ops and a select), one log per point
  at the end.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from theory.dynamics import _elementary as _el

__all__ = ["BLOCK", "gd_f1", "gd_f2"]

BLOCK = 512
_JIT = {"cache": True, "error_model": "numpy", "fastmath": set(_el.SAFE_FASTMATH)}
_LN2 = 0.6931471805599453


@njit(**_JIT)
def _f1_block(x, eta, steps):
    for _ in range(steps):
        for i in range(x.shape[0]):
            xi = x[i]
            x[i] = xi - eta * math.copysign(_el.log1p(abs(xi)), xi)


@njit(**_JIT)
def _f1_block_lyap_log(x, lsum, eta, steps):
    for _ in range(steps):
        for i in range(x.shape[0]):
            xi = x[i]
            a = abs(xi)
            lsum[i] += _el.log(abs(1.0 - eta / (1.0 + a)))
            x[i] = xi - eta * math.copysign(_el.log1p(a), xi)


@njit(**_JIT)
def _f1_block_libm(x, eta, steps):
    for _ in range(steps):
        for i in range(x.shape[0]):
            xi = x[i]
            x[i] = xi - eta * math.copysign(math.log1p(abs(xi)), xi)


@njit(**_JIT)
def _f1_block_lyap_libm(x, lsum, eta, steps):
    for _ in range(steps):
        for i in range(x.shape[0]):
            xi = x[i]
            a = abs(xi)
            lsum[i] += math.log(abs(1.0 - eta / (1.0 + a)))
            x[i] = xi - eta * math.copysign(math.log1p(a), xi)


@njit(**_JIT)
def _renorm(prod, expo, i):
    """prod[i] -> mantissa in [1, 2), exponent added to expo[i]; 0/inf/nan kept as they are."""
    p = prod[i]
    m, e = _el.split_exponent(p)
    ok = (p > 0.0) & (p < np.inf)
    prod[i] = _el.select(ok, m, p)
    expo[i] += _el.select(ok, e, 0.0)


@njit(**_JIT)
def _f1_block_lyap_prod(x, lsum, eta, steps):
    n = x.shape[0]
    prod = np.ones(n)
    expo = np.zeros(n)
    for _ in range(steps):
        for i in range(n):
            xi = x[i]
            a = abs(xi)
            prod[i] *= abs(1.0 - eta / (1.0 + a))
            _renorm(prod, expo, i)
            x[i] = xi - eta * math.copysign(_el.log1p(a), xi)
    for i in range(n):
        lsum[i] += expo[i] * _LN2 + _el.log(prod[i])


@njit(**_JIT)
def _f2_grad_hess(xi, C):
    a = abs(xi)
    inner = a <= 1.0 / C
    g = _el.select(inner, (2.0 * C * C / 3.0) * xi, math.copysign(2.0 / (3.0 * C * a * a), xi))
    h = _el.select(inner, 2.0 * C * C / 3.0, -4.0 / (3.0 * C * a * a * a))
    return g, h


@njit(**_JIT)
def _f2_grad_hess_ternary(xi, C):
    """The same as :func:`_f2_grad_hess`, written with ``if/else`` expressions (as printed)."""
    a = abs(xi)
    g = (2.0 * C * C / 3.0) * xi if a <= 1.0 / C else math.copysign(2.0 / (3.0 * C * a * a), xi)
    h = 2.0 * C * C / 3.0 if a <= 1.0 / C else -4.0 / (3.0 * C * a * a * a)
    return g, h


@njit(**_JIT)
def _f2_block(x, eta, steps, C):
    for _ in range(steps):
        for i in range(x.shape[0]):
            xi = x[i]
            g, _h = _f2_grad_hess(xi, C)
            x[i] = xi - eta * g


@njit(**_JIT)
def _f2_block_lyap_log(x, lsum, eta, steps, C):
    for _ in range(steps):
        for i in range(x.shape[0]):
            xi = x[i]
            g, h = _f2_grad_hess(xi, C)
            lsum[i] += _el.log(abs(1.0 - eta * h))
            x[i] = xi - eta * g


@njit(**_JIT)
def _f2_block_lyap_prod(x, lsum, eta, steps, C):
    n = x.shape[0]
    prod = np.ones(n)
    expo = np.zeros(n)
    for _ in range(steps):
        for i in range(n):
            xi = x[i]
            g, h = _f2_grad_hess(xi, C)
            prod[i] *= abs(1.0 - eta * h)
            _renorm(prod, expo, i)
            x[i] = xi - eta * g
    for i in range(n):
        lsum[i] += expo[i] * _LN2 + _el.log(prod[i])


@njit(**_JIT)
def _f2_block_lyap_prod_ternary(x, lsum, eta, steps, C):
    n = x.shape[0]
    prod = np.ones(n)
    expo = np.zeros(n)
    for _ in range(steps):
        for i in range(n):
            xi = x[i]
            g, h = _f2_grad_hess_ternary(xi, C)
            prod[i] *= abs(1.0 - eta * h)
            _renorm(prod, expo, i)
            x[i] = xi - eta * g
    for i in range(n):
        lsum[i] += expo[i] * _LN2 + _el.log(prod[i])


@njit(**_JIT)
def _f2_block_lyap_libm(x, lsum, eta, steps, C):
    for _ in range(steps):
        for i in range(x.shape[0]):
            xi = x[i]
            g, h = _f2_grad_hess(xi, C)
            lsum[i] += math.log(abs(1.0 - eta * h))
            x[i] = xi - eta * g


# --- parallel drivers: prange over blocks, the block functions above inside ----------------


@njit(parallel=True, **_JIT)
def _par_f1(x, lsum, eta, steps, mode, block):
    nb = (x.shape[0] + block - 1) // block
    for b in prange(nb):
        lo = b * block
        hi = min(lo + block, x.shape[0])
        if mode == 0:
            _f1_block(x[lo:hi], eta, steps)
        elif mode == 1:
            _f1_block_lyap_log(x[lo:hi], lsum[lo:hi], eta, steps)
        elif mode == 4:
            _f1_block_lyap_libm(x[lo:hi], lsum[lo:hi], eta, steps)
        elif mode == -4:
            _f1_block_libm(x[lo:hi], eta, steps)
        else:
            _f1_block_lyap_prod(x[lo:hi], lsum[lo:hi], eta, steps)


@njit(parallel=True, **_JIT)
def _par_f2(x, lsum, eta, steps, C, mode, block):
    nb = (x.shape[0] + block - 1) // block
    for b in prange(nb):
        lo = b * block
        hi = min(lo + block, x.shape[0])
        if mode == 0:
            _f2_block(x[lo:hi], eta, steps, C)
        elif mode == 1:
            _f2_block_lyap_log(x[lo:hi], lsum[lo:hi], eta, steps, C)
        elif mode == 2:
            _f2_block_lyap_prod(x[lo:hi], lsum[lo:hi], eta, steps, C)
        elif mode == 4:
            _f2_block_lyap_libm(x[lo:hi], lsum[lo:hi], eta, steps, C)
        else:
            _f2_block_lyap_prod_ternary(x[lo:hi], lsum[lo:hi], eta, steps, C)


_MODES = {None: 0, "log": 1, "prod": 2, "prod-ternary": 3, "libm": 4}


def gd_f1(x, eta, steps, lyap=None, *, lyap_mode="prod", block=BLOCK):
    """GD on f1 in place (and the Lyapunov sum into ``lyap`` if given)."""
    mode = 0 if lyap is None else _MODES[lyap_mode]
    if lyap is None and lyap_mode == "libm":
        mode = -4
    lsum = lyap if lyap is not None else np.zeros(1)
    _par_f1(x, lsum, float(eta), int(steps), mode, int(block))


def gd_f2(x, eta, steps, C, lyap=None, *, lyap_mode="prod", block=BLOCK):
    """GD on f2 (eq. 6.2) in place (and the Lyapunov sum into ``lyap`` if given)."""
    mode = 0 if lyap is None else _MODES[lyap_mode]
    lsum = lyap if lyap is not None else np.zeros(1)
    _par_f2(x, lsum, float(eta), int(steps), float(C), mode, int(block))
