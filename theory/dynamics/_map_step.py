"""A map's step and tangent step as array functions for the NumPy and PyTorch engines.

The text of :class:`theory.optimizers.IteratedMap` (``update``, ``tangent``, their
preludes) is the same the Numba kernels print (:mod:`._codegen`); here it becomes two
Python functions over whole arrays (one entry per point), in the backend's ``sqrt`` and
``select``:

* ``step(x, g, e, P)`` -> the new state, coordinate by coordinate;
* ``tangent(x, g, v, hv, e, P)`` -> J v (``hv``: the rows of Hess f(x) v).

``x``, ``g``, ``v``, ``hv`` are sequences of d arrays (tensors); ``e`` the learning rates;
``P`` the hyperparameters in the map's order.  Plain GD prints ``x_k - e * g_k`` and
``v_k - e * (hv_k)``: the NumPy engine's arithmetic, operation for operation.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import NamedTuple

from theory.optimizers._maps import get_map

__all__ = ["ArrayStep", "array_step", "array_step_source"]

_LOCK = threading.Lock()
_CACHE: dict[tuple[str, int, str], ArrayStep] = {}


class ArrayStep(NamedTuple):
    """The step and tangent step of one map in dimension ``dim`` on one backend."""

    name: str
    dim: int
    step: Callable
    tangent: Callable


def array_step_source(optimizer: str, d: int) -> str:
    """The text of ``step`` and ``tangent`` of map ``optimizer`` in dimension ``d``."""
    m = get_map(optimizer)
    if m.update is None or m.tangent is None:
        raise ValueError(f"optimizer {m.name!r} has no single-state step")
    ks = range(d)

    def hv(k: int) -> str:
        return f"hv_{k}"

    def unpack(prefix: str, name: str) -> str:
        names = ", ".join(f"{prefix}_{k}" for k in ks)
        return f"    {names}, = {name}"

    hyper = [f"    {name} = P[{j}]" for j, name in enumerate(m.hyper_names)]
    prelude = [f"    {line}" for line in m.prelude(d)]
    step_values = ", ".join(m.update(k, d) for k in ks)
    tangent_values = ", ".join(m.tangent(k, d, hv) for k in ks)
    lines = [
        "def step(x, g, e, P):",
        unpack("x", "x"), unpack("g", "g"), *hyper, *prelude,
        f"    return ({step_values},)",
        "",
        "",
        "def tangent(x, g, v, hv, e, P):",
        unpack("x", "x"), unpack("g", "g"), unpack("v", "v"), unpack("hv", "hv"),
        *hyper, *prelude, *(f"    {line}" for line in m.tangent_prelude(d, hv)),
        f"    return ({tangent_values},)",
    ]
    return "\n".join(lines) + "\n"


def _namespace(backend: str) -> dict:
    if backend == "numpy":
        import numpy as np

        return {"sqrt": np.sqrt, "select": np.where}
    if backend == "torch":
        import torch

        def select(cond, a, b):
            return torch.where(cond, a, b)

        return {"sqrt": torch.sqrt, "select": select}
    raise ValueError(f"backend={backend!r} is not 'numpy' or 'torch'")


def array_step(optimizer: str, d: int, backend: str = "numpy") -> ArrayStep:
    """The :class:`ArrayStep` of map ``optimizer`` in dimension ``d`` for ``backend``
    (``"numpy"`` or ``"torch"``), built once per process."""
    name = get_map(optimizer).name
    key = (name, d, backend)
    with _LOCK:
        if key in _CACHE:
            return _CACHE[key]
    namespace = _namespace(backend)
    exec(compile(array_step_source(name, d), f"<msl map step {name} d={d}>", "exec"),
         namespace)
    made = ArrayStep(name, d, namespace["step"], namespace["tangent"])
    with _LOCK:
        _CACHE[key] = made
    return made
