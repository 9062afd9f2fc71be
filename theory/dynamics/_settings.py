"""The kernel settings of one chunk as one typed record (issue 19).

Every engine's ``run`` takes ``run(X0, ETA, S, OUT)``: the grids, a :class:`KernelSettings`
(scalars and small arrays of the resolved :class:`~theory.dynamics.SimulationOptions`, a
Numba-supported namedtuple: the compiled kernels read ``S.steps``, ``S.bounds``, ...) and a
:class:`KernelOutputs` (the chunk's output arrays, filled in place).  Before, the kernels
took 27 positional arguments.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

__all__ = ["KernelOutputs", "KernelSettings", "kernel_outputs", "kernel_settings",
           "tangent_start"]


class KernelSettings(NamedTuple):
    """What a kernel needs besides the grids and the outputs (types fixed: one compiled
    signature).  ``params`` holds the optimizer's hyperparameters in its map's order."""

    start: np.int64
    stop: np.int64
    steps: np.int64
    bounds: np.ndarray
    factors: np.ndarray
    block: np.int64
    history: np.int64
    period_max: np.int64
    rtol: float
    atol: float
    bound: float
    lyapunov: bool
    lyap_from: np.int64
    early_exit: bool
    chaos_threshold: float
    cycle_steps: np.int64
    vinit: np.ndarray
    tail_from: np.int64
    params: np.ndarray


class KernelOutputs(NamedTuple):
    """The output arrays of a chunk (indexed by point - start): final state, class code,
    period, Lyapunov exponent, decision step, tail (points, K, d), loss (points, T + 1)."""

    final_state: np.ndarray
    classes: np.ndarray
    period: np.ndarray
    lyapunov: np.ndarray
    decided_step: np.ndarray
    tail: np.ndarray
    loss: np.ndarray


def tangent_start(dim: int) -> np.ndarray:
    """The initial tangent vector (1, 1 + phi^-1, 1 + 2 phi^-1, ...) / norm."""
    vinit = 1.0 + 0.6180339887498949 * np.arange(dim, dtype=float)
    return vinit / np.linalg.norm(vinit)


def kernel_settings(options, dim: int, start: int, stop: int,
                    cycle_steps: int) -> KernelSettings:
    """The record of the resolved ``options`` (a SimulationOptions) for points [start, stop)."""
    o = options
    return KernelSettings(
        np.int64(start), np.int64(stop), np.int64(o.steps),
        np.asarray(o.schedule.boundaries, dtype=np.int64),
        np.asarray(o.schedule.factors, dtype=np.float64),
        np.int64(o.block), np.int64(o.history), np.int64(o.period_max),
        float(o.rtol), float(o.atol), float(o.bound), bool(o.lyapunov),
        np.int64(o.transient), bool(o.early_exit), float(o.chaos_threshold),
        np.int64(cycle_steps), tangent_start(dim), np.int64(o.tail_from),
        np.array([v for _, v in o.params], dtype=np.float64),
    )


def kernel_outputs(chunk_out: dict) -> KernelOutputs:
    """The record of a chunk's output arrays (``chunk_outputs`` of :mod:`._simulate`)."""
    return KernelOutputs(*(chunk_out[name] for name in KernelOutputs._fields))
