"""A fused CUDA step for the GPU sweep kernel: one thread per orbit, many steps per launch.

The PyTorch kernel (:mod:`theory.dynamics._gpu_kernel`) spends a GD step on about 25
element-wise tensor operations, each a pass over memory (docs/gpu.md).  On a CUDA device,
when numba's CUDA target is importable, the steps between two events (at most 16: the
renormalisation interval) run instead as one numba-cuda kernel launch on the same tensors
(``__cuda_array_interface__``, torch's current stream): each thread loads its orbit's state,
tangent vector and learning rate into registers, applies the steps (with the same repair of
removable singularities), writes each new iterate to the history ring, and stores the state
back.  The derivative functions are the Numba kernels' text (:func:`_codegen._scalar_function`
and :func:`_codegen._safe_function`), compiled as CUDA device functions; everything else
(classification, finishing, recording) stays in PyTorch.

``MSL_GPU_FUSED=0`` turns it off (the plain PyTorch step); ``MSL_GPU_FUSED=sim`` with
``NUMBA_ENABLE_CUDASIM=1`` runs it in numba's CUDA simulator on ``device="torch-cpu"`` (the
tests).  numba.cuda is imported only here.
"""

from __future__ import annotations

import math
import os
import re
from types import ModuleType

from theory.dynamics._codegen import _safe_function, _scalar_function, derivative_exprs

__all__ = ["FusedSteps", "fused_mode", "fused_source"]

#: threads per block of the step kernel
THREADS = 128

_HEADER = '''\
import math
from numba import cuda


@cuda.jit(device=True)
def not_finite(u):
    return not (abs(u) < math.inf)


@cuda.jit(device=True)
def _sign(u):
    return 1.0 if u > 0.0 else (-1.0 if u < 0.0 else u * 0.0)


@cuda.jit(device=True)
def _max(a, b):
    return a if (a > b or a != a) else b


@cuda.jit(device=True)
def _min(a, b):
    return a if (a < b or a != a) else b


@cuda.jit(device=True)
def _cbrt(u):
    return math.copysign(abs(u) ** (1.0 / 3.0), u)
'''


def fused_mode() -> str:
    """"on" (default), "off" (``MSL_GPU_FUSED=0``) or "sim" (the CUDA simulator, tests)."""
    value = os.environ.get("MSL_GPU_FUSED", "1").strip().lower()
    return {"0": "off", "off": "off", "sim": "sim"}.get(value, "on")


def _kernel(d: int) -> str:
    ks = range(d)
    xs = ", ".join(f"x_{k}" for k in ks)
    gs = "".join(f"g_{k}, " for k in ks)
    hs = "".join(f"h_{j}_{k}, " for j in ks for k in ks if j <= k)

    def h(j, k):
        return f"h_{min(j, k)}_{max(j, k)}"

    tangent = [f"w_{k} = v_{k} - e * ({' + '.join(f'{h(k, j)} * v_{j}' for j in ks)})"
               for k in ks]
    update = [f"y_{k} = x_{k} - e * g_{k}" for k in ks]
    x_ok = " and ".join(f"math.isfinite(x_{k})" for k in ks)
    y_bad = " or ".join(f"not_finite(y_{k})" for k in ks)
    w_bad = " or ".join(f"not_finite(w_{k})" for k in ks)
    # rule 1 of theory.dynamics._float_rules: NaN after the repair from a state within bound
    flag = [f"if ({' or '.join(f'y_{k} != y_{k}' for k in ks)}) and "
            f"({' and '.join(f'abs(x_{k}) <= bound' for k in ks)}):", "    FLAG[i] = 1"]

    def block(lines, pad):
        return "\n".join(" " * pad + line for line in lines)

    return f'''

@cuda.jit
def steps(X, V, E, HIST, s0, s1, keep, lyap, FLAG, bound):
    """GD steps s0..s1-1 of orbit i = thread (state X[i], tangent V[i], rate E[i]);
    x_(s+1) to HIST[(s + 1) % H, i] if keep; FLAG[i] = 1 for a NaN state from one within
    bound after the repair (derivative not representable)."""
    i = cuda.grid(1)
    if i >= X.shape[0]:
        return
    H = HIST.shape[0]
{block([f"x_{k} = X[i, {k}]" for k in ks], 4)}
{block([f"v_{k} = V[i, {k}]" for k in ks], 4)}
    e = E[i]
    for s in range(s0, s1):
        if lyap:
            {gs}{hs}= grad_hess({xs})
{block(tangent + update, 12)}
            if ({y_bad} or {w_bad}) and {x_ok}:
                {gs}{hs}= grad_hess_safe({xs})
{block(tangent + update + flag, 16)}
{block([f"v_{k} = w_{k}" for k in ks], 12)}
        else:
            {gs}= grad({xs})
{block(update, 12)}
            if ({y_bad}) and {x_ok}:
                {gs}= grad_safe({xs})
{block(update + flag, 16)}
{block([f"x_{k} = y_{k}" for k in ks], 8)}
        if keep:
            row = (s + 1) % H
{block([f"HIST[row, i, {k}] = x_{k}" for k in ks], 12)}
{block([f"X[i, {k}] = x_{k}" for k in ks], 4)}
{block([f"V[i, {k}] = v_{k}" for k in ks], 4)}
'''


def _as_cuda(text: str, d: int) -> str:
    """A Numba kernel module's scalar function as a CUDA device function (the builtin
    ``max`` of several floats is not typed by the CUDA target: nested ``_max``; its
    arguments are finite there)."""
    text = re.sub(r"^@njit\(.*\)$", "@cuda.jit(device=True)", text, flags=re.M)
    scale = "max(" + ", ".join(["0.0", *(f"abs(x_{k})" for k in range(d))]) + ")"
    nested = "0.0"
    for k in range(d):
        nested = f"_max({nested}, abs(x_{k}))"
    return text.replace(scale, nested)


def fused_source(landscape) -> str:
    """The CUDA module text: derivative device functions and the ``steps`` kernel."""
    d = landscape.dim
    variables = list(landscape.variables)
    exprs = derivative_exprs(landscape.expr, landscape.gradient_exprs, landscape.hessian_exprs)
    docs = {"grad": "grad f(x).", "grad_hess": "(grad f(x), upper Hessian triangle)."}
    functions = [_scalar_function(name, variables, exprs[name], docs[name]) for name in docs]
    functions += [_safe_function(name, d, len(exprs[name])) for name in docs]
    return "\n\n\n".join([_HEADER, *(_as_cuda(f, d) for f in functions)]) + _kernel(d)


class FusedSteps:
    """The compiled ``steps`` kernel of one landscape (numba.cuda; raises what numba raises
    when the CUDA target or the compilation fails)."""

    def __init__(self, landscape, simulator: bool = False, device_index: int = 0):
        from numba import cuda

        self._cuda = cuda
        self._simulator = simulator
        self._device_index = device_index
        self.source = fused_source(landscape)
        namespace = {
            "_el": _module("_el", log=math.log, log1p=math.log1p, exp=math.exp,
                           expm1=math.expm1, sqrt=math.sqrt, tanh=math.tanh,
                           sinh=math.sinh, cosh=math.cosh),
        }
        exec(compile(self.source, f"<cuda steps of {landscape.name}>", "exec"), namespace)
        namespace["np"] = _module("np", floor=math.floor, ceil=math.ceil,
                                  cbrt=namespace["_cbrt"])
        self._steps = namespace["steps"]
        if not simulator:  # compile now, so that a failure falls back before any work
            from numba import types

            array = types.float64
            with cuda.gpus[device_index]:  # numba's context on torch's device
                self._steps.compile((array[:, ::1], array[:, ::1], array[::1],
                                     array[:, :, ::1], types.int64, types.int64,
                                     types.boolean, types.boolean, types.uint8[::1],
                                     types.float64))

    def __call__(self, X, V, E, HIST, s0: int, s1: int, keep: bool, lyap: bool, FLAG,
                 bound: float) -> None:
        """Steps s0..s1-1 of every orbit, in place on the torch tensors X, V (n, d), E (n,),
        HIST (H, n, d) and FLAG (n,) uint8 (contiguous)."""
        n = X.shape[0]
        if n == 0 or s1 <= s0:
            return
        blocks = (n + THREADS - 1) // THREADS
        if self._simulator:  # CPU tensors: the simulator works on numpy views of them;
            # it runs a Python thread per CUDA thread, so no idle ones
            args = [t.numpy() for t in (X, V, E, HIST)]
            threads = min(THREADS, n)
            self._steps[(n + threads - 1) // threads, threads](  # type: ignore[index]
                *args, int(s0), int(s1), bool(keep), bool(lyap), FLAG.numpy(), float(bound))
            return
        import torch

        cuda = self._cuda
        with cuda.gpus[self._device_index]:
            stream = cuda.external_stream(torch.cuda.current_stream(X.device).cuda_stream)
            args = [cuda.as_cuda_array(t) for t in (X, V, E, HIST)]
            self._steps[blocks, THREADS, stream](  # type: ignore[index]
                *args, int(s0), int(s1), bool(keep), bool(lyap), cuda.as_cuda_array(FLAG),
                float(bound))


def _module(name: str, **attributes) -> ModuleType:
    module = ModuleType(f"msl_cuda_{name}")
    for key, value in attributes.items():
        setattr(module, key, value)
    return module
