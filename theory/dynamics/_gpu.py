"""``simulate(..., device=...)``: which kernel runs a sweep (docs/gpu.md).

* ``"cpu"`` (default) -- the Numba kernel (:mod:`theory.dynamics._template`);
* ``"cuda"``, ``"cuda:N"`` -- the PyTorch kernel (:mod:`theory.dynamics._gpu_kernel`) on a
  CUDA device, generated from the same sympy derivatives (:mod:`._gpu_source`);
* ``"torch-cpu"`` -- the same PyTorch kernel on the CPU: what the tests compare with the
  Numba kernel orbit by orbit, and the stand-in for a GPU in ``benchmarks/gpu_check.py``
  (slower than ``"cpu"``; not meant for production sweeps).

The choice is validated before any work, with a :class:`DeviceError` naming ``device`` when
the value is unknown, PyTorch is missing, or CUDA (or device N) is not there.  torch is
imported only here, and only for a device other than ``"cpu"``.
"""

from __future__ import annotations

import hashlib
import re
import threading
import warnings
from dataclasses import replace
from types import SimpleNamespace

from theory.dynamics._compile import CompiledLandscape
from theory.dynamics._errors import DeviceError

__all__ = ["DEVICES", "device_chunk_size", "device_kernels", "validate_device"]

#: the accepted values of ``device`` (``cuda:N`` for device N)
DEVICES = ("cpu", "cuda", "cuda:N", "torch-cpu")
#: default work per chunk on a torch device, in point-steps (2^30: about 10^6 orbits of
#: 1,000 steps, a history ring of 1.6 GB in 1-D; large enough to keep a GPU busy)
GPU_CHUNK_WORK = 2**30
#: and at most this much device memory per chunk for the per-orbit arrays (the kernel's
#: temporaries come on top: a few times the state, and slabs of 2^24 history elements)
GPU_CHUNK_BYTES = 2**32

_CUDA = re.compile(r"^cuda(:\d+)?$")
_LOCK = threading.Lock()
_KERNELS: dict[tuple[str, str, str], CompiledLandscape] = {}


def validate_device(device) -> str:
    """``device`` normalised (lower case, stripped); :class:`DeviceError` if it is not one of
    :data:`DEVICES` or if PyTorch or the CUDA device it names is not available."""
    if not isinstance(device, str):
        raise DeviceError(f"device={device!r} must be a string: one of {', '.join(DEVICES)}")
    name = device.strip().lower()
    if name == "cpu":
        return name
    if name != "torch-cpu" and not _CUDA.match(name):
        raise DeviceError(f"device={device!r} is not known: use one of {', '.join(DEVICES)}")
    try:
        import torch
    except ImportError:
        raise DeviceError(
            f"device={device!r} needs PyTorch, which is not installed: pip install "
            "'multiscale-landscapes[gpu]' (with a CUDA build of torch for a GPU), or use "
            "device='cpu'") from None
    if name == "torch-cpu":
        return name
    if not torch.cuda.is_available():
        raise DeviceError(
            f"device={device!r}: CUDA is not available (torch {torch.__version__}"
            f"{', a CPU-only build' if torch.version.cuda is None else ''}; no GPU found); "
            "use device='cpu'")
    index = int(name.split(":")[1]) if ":" in name else 0
    count = torch.cuda.device_count()
    if index >= count:
        raise DeviceError(
            f"device={device!r}: there are only {count} CUDA device(s) (cuda:0..cuda:{count - 1})")
    return name


def device_chunk_size(options, dim: int) -> int:
    """Default points per chunk on a torch device: :data:`GPU_CHUNK_WORK` point-steps, and
    at most :data:`GPU_CHUNK_BYTES` of per-orbit device memory (history ring, state, tail
    and loss records: a recorded loss curve of 2,001 steps alone is 16 kB per orbit)."""
    per_orbit = 8 * dim * (options.history + options.keep_last + 12) + 64
    if options.record_loss:
        per_orbit += 8 * (options.steps + 1)
    by_memory = GPU_CHUNK_BYTES // per_orbit
    return max(4 * options.block, min(GPU_CHUNK_WORK // options.steps, by_memory))


def _fused_steps(landscape, device: str):
    """The fused CUDA step of ``landscape`` (:mod:`._gpu_fused`) for a CUDA device, or in
    the CUDA simulator for "torch-cpu" with ``MSL_GPU_FUSED=sim``; None where it is off
    (``MSL_GPU_FUSED=0``) or cannot be built (then with a warning that says why: the
    PyTorch step gives the same results, only slower)."""
    from theory.dynamics._gpu_fused import FusedSteps, fused_mode

    mode = fused_mode()
    if mode == "off" or (device == "torch-cpu") != (mode == "sim"):
        return None
    try:
        index = int(device.split(":")[1]) if ":" in device else 0
        return FusedSteps(landscape, simulator=mode == "sim", device_index=index)
    except Exception as exc:  # no numba-cuda, no driver, or a function it cannot type
        warnings.warn(f"fused CUDA step unavailable for {landscape.name!r} "
                      f"({type(exc).__name__}: {str(exc).strip()[:200]}); using the PyTorch "
                      "step (same results, slower)", RuntimeWarning, stacklevel=3)
        return None


def device_kernels(function, compiled: CompiledLandscape, device: str) -> CompiledLandscape:
    """``compiled`` with its ``run`` replaced by the PyTorch kernel on ``device`` (a validated
    name other than "cpu"), keyed ``torch-<hash>`` (the generated code and torch version) or,
    with the fused CUDA step, ``torch-fused-<hash>`` (also its CUDA source).

    Built once per (kernel, device, ``MSL_GPU_FUSED``) and process: printing the torch code
    is ~0.1 s of sympy work; the fused step is compiled here (about a second per function).
    """
    import torch

    from theory.dynamics._gpu_fused import fused_mode
    from theory.dynamics._gpu_kernel import TorchSweepKernel
    from theory.dynamics._gpu_source import torch_functions
    from theory.resolver import as_landscape

    cache_key = (compiled.key, device, fused_mode())
    with _LOCK:
        cached = _KERNELS.get(cache_key)
    if cached is None:
        landscape = as_landscape(function)
        source, namespace = torch_functions(landscape)
        where = "cpu" if device == "torch-cpu" else device
        # the fused CUDA step prints GD's step; other maps run the PyTorch step
        fused = _fused_steps(landscape, device) if compiled.optimizer == "gd" else None
        texts = [source.split("\n", 1)[1], torch.__version__]
        if compiled.optimizer != "gd":  # GD keeps the keys it had before issue 19
            texts.append(compiled.optimizer)
        if fused is not None:
            texts.append(fused.source)
        key = ("torch-fused-" if fused is not None else "torch-") + hashlib.sha256(
            "\0".join(texts).encode()).hexdigest()[:20]
        kernel = TorchSweepKernel(compiled.dim, namespace, where, fused=fused,
                                  optimizer=compiled.optimizer)
        module = SimpleNamespace(run=kernel.run, kernel=kernel, source=source,
                                 __name__=f"msl_torch_{key}")
        cached = replace(compiled, key=key, module=module)  # type: ignore[arg-type]
        with _LOCK:
            _KERNELS[cache_key] = cached
    if (cached.name, cached.expr, cached.variables) != (compiled.name, compiled.expr,
                                                        compiled.variables):
        cached = replace(cached, name=compiled.name, expr=compiled.expr,
                         variables=compiled.variables)
    return cached
