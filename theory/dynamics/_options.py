"""The settings of a sweep as one frozen, validated value object.

:class:`SimulationOptions` holds everything :func:`~theory.dynamics.simulate` needs besides
the function and the grids: the number of GD steps (4.1), the learning-rate schedule, the
classification tolerances (docs/simulator.md) and the work layout.  It is validated when it
is built, resolved against the grids once (:meth:`SimulationOptions.resolved` fills the
defaults that depend on them), handed whole to the chunk runner and written into every
result's metadata (:meth:`SimulationOptions.to_dict`), so a result says how it was made.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field

import numpy as np

from theory import validation
from theory.dynamics._support import MIN_WINDOW
from theory.errors import GridError
from theory.schedule import Schedule

__all__ = ["DEFAULT_BLOCK", "ENGINES", "RENORM", "SimulationOptions", "history_length"]

#: steps between renormalisations of the tangent vector (must match the template)
RENORM = 16
#: default number of points per block (points in the inner loop of a step)
DEFAULT_BLOCK = 512
#: default work per chunk, in point-steps (progress and resume granularity)
CHUNK_WORK = 2**26
#: longest period a sweep may look for (the history ring holds 3 periods per point)
MAX_PERIOD = 2**20
#: tangent steps along a cycle for its exponent (d > 1; d = 1 is exact)
CYCLE_STEPS = 64
#: the engines of a sweep (theory.dynamics._engine: the rule of "auto")
ENGINES = ("auto", "numba", "numpy")
#: the classes of :data:`theory.dynamics.CLASS_NAMES`, recorded in the metadata
_CLASSES = ("converged", "periodic", "chaotic", "diverged", "undecided", "drifting")


def _maps() -> dict:
    from theory.optimizers._maps import MAPS

    return MAPS


def history_length(period_max: int) -> int:
    """Length H of the history ring buffer (a multiple of the renormalisation interval).

    Periods up to ``period_max`` need ``m - p >= max(2p, MIN_WINDOW)`` iterates (see
    :func:`theory.dynamics._support.find_period`), so H >= 3 * period_max.
    """
    need = max(3 * period_max, MIN_WINDOW + 1)
    return -(-need // RENORM) * RENORM


def _whole(name: str, value, minimum: int) -> int:
    return validation.whole_number(name, value, minimum=minimum, error=GridError)


def _real(name: str, value, *, allow_inf: bool = False) -> float:
    return validation.real(name, value, minimum=0.0, allow_inf=allow_inf, error=GridError)


@dataclass(frozen=True)
class SimulationOptions:
    """How to run and classify GD (4.1) on a grid (see :func:`theory.dynamics.simulate`).

    steps : number of GD steps T >= 1 (iterates x_0, ..., x_T).
    schedule : piecewise-constant learning-rate factors (default: constant).
    period_max : longest period looked for (p = 1 is convergence).
    rtol, atol : recurrence tolerance ``|x_t - x_{t-p}|_inf <= atol + rtol * scale``.
    bound : an orbit with ``max_k |x_k| > bound`` is diverged (default, filled by
        :meth:`resolved`: ``1e10 * max(1, max|x0|)``; ``inf`` leaves only non-finite values).
    chaos_threshold : a finite non-periodic orbit is chaotic when it is recurrent and its
        Lyapunov exponent is significantly above this (a lower confidence bound exceeds it);
        one whose exponent exceeds it but that is not recurrent is drifting
        (docs/simulator.md, :func:`theory.dynamics._support.chaos_class`).
    transient : steps excluded from the running Lyapunov average (default: half of the
        steps after the last schedule change).
    lyapunov : estimate Lyapunov exponents of non-periodic orbits (off: they are undecided).
    keep_last : record the last K iterates (for bifurcation diagrams).
    record_loss : record f(x_t) for t = 0..T.
    early_exit : stop a point once its fate is known (off: every point runs all T steps).
    chunk_size : points per kernel call (progress and resume unit; default from the work).
    block : points per block (the inner loop of a step).
    optimizer : the map iterated: ``"gd"`` (default) or another name of
        :data:`theory.optimizers.MAPS` with a single-state step (momentum and SGD have sweeps
        of their own); its hyperparameters in ``params`` (a mapping, kept as
        ``(name, value)`` pairs in the map's order).
    engine : ``"auto"`` (default), ``"numba"`` (the function's compiled kernel) or
        ``"numpy"`` (whole-array NumPy, nothing to compile, ~10-30x slower): ``"auto"``
        runs small sweeps (points x steps <= 2e8 per function and process) of a function
        whose kernel is not compiled yet on NumPy, everything else compiled
        (:mod:`theory.dynamics._engine`);
        the result's ``metadata["engine"]`` says which one ran.
    """

    steps: int
    schedule: Schedule = field(default_factory=Schedule)
    period_max: int = 64
    rtol: float = 1e-10
    atol: float = 1e-12
    bound: float | None = None
    chaos_threshold: float = 1e-3
    transient: int | None = None
    lyapunov: bool = True
    keep_last: int = 0
    record_loss: bool = False
    early_exit: bool = True
    chunk_size: int | None = None
    block: int = DEFAULT_BLOCK
    engine: str = "auto"
    optimizer: str = "gd"
    params: tuple[tuple[str, float], ...] = ()

    def __post_init__(self) -> None:
        put = object.__setattr__
        self._put_optimizer(put)
        steps = _whole("steps", self.steps, 1)
        if steps > 2**31 - 2:
            raise GridError(f"steps={steps} is too large (at most {2**31 - 2})")
        put(self, "steps", steps)
        schedule = Schedule() if self.schedule is None else self.schedule
        if not isinstance(schedule, Schedule):
            raise GridError(f"schedule={schedule!r} must be a theory.dynamics.Schedule")
        schedule.validate_for(steps)
        put(self, "schedule", schedule)
        put(self, "period_max", _whole("period_max", self.period_max, 1))
        if self.period_max > MAX_PERIOD:
            raise GridError(f"period_max={self.period_max} is too large (at most {MAX_PERIOD})")
        put(self, "rtol", _real("rtol", self.rtol))
        put(self, "atol", _real("atol", self.atol))
        if self.rtol == 0 and self.atol == 0:
            raise GridError(
                "rtol=0 and atol=0: at least one recurrence tolerance must be positive")
        if self.bound is not None:
            bound = _real("bound", self.bound, allow_inf=True)
            if bound <= 0:
                raise GridError(f"bound={self.bound!r} must be positive")
            put(self, "bound", bound)
        put(self, "chaos_threshold", _real("chaos_threshold", self.chaos_threshold))
        if self.transient is not None:
            transient = _whole("transient", self.transient, 0)
            if transient >= steps:
                raise GridError(f"transient={transient} must be smaller than steps={steps}")
            put(self, "transient", transient)
        keep_last = _whole("keep_last", self.keep_last, 0)
        if keep_last > steps + 1:
            raise GridError(
                f"keep_last={keep_last} exceeds the {steps + 1} iterates x_0..x_{steps}")
        put(self, "keep_last", keep_last)
        for name in ("lyapunov", "record_loss", "early_exit"):
            put(self, name, bool(getattr(self, name)))
        put(self, "block", _whole("block", self.block, 1))
        put(self, "engine", validation.choice("engine", self.engine, ENGINES, error=GridError))
        if self.chunk_size is not None:
            put(self, "chunk_size", _whole("chunk_size", self.chunk_size, 1))

    def _put_optimizer(self, put) -> None:
        from theory.optimizers._maps import get_map, hyper_values
        from theory.optimizers._values import OptimizerError

        try:
            m = get_map(self.optimizer)
            if not m.single_state:
                raise OptimizerError(
                    f"optimizer={self.optimizer!r} has a sweep of its own "
                    "(simulate_momentum, simulate_sgd); simulate takes "
                    + ", ".join(n for n, v in _maps().items() if v.single_state))
            params = self.params
            given = dict(params.items() if hasattr(params, "items") else params)
            put(self, "params", hyper_values(m.name, given))
        except OptimizerError as exc:
            raise GridError(str(exc)) from None
        put(self, "optimizer", m.name)

    # ------------------------------------------------------------------ derived
    @classmethod
    def field_names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in dataclasses.fields(cls))

    def replace(self, **changes) -> SimulationOptions:
        """A copy with ``changes`` (validated again)."""
        return dataclasses.replace(self, **changes)

    def resolved(self, n_points: int, x0_grid: np.ndarray) -> SimulationOptions:
        """The options with every default that depends on the grids filled in: ``bound``
        from the largest initial point, ``transient`` from the schedule, ``chunk_size``
        from the work per chunk (capped at the number of points)."""
        bound = self.bound
        if bound is None:
            bound = 1e10 * max(1.0, float(np.max(np.abs(x0_grid))))
        transient = self.transient
        if transient is None:
            last = self.schedule.last_boundary
            transient = last + (self.steps - last) // 2
        chunk = self.chunk_size
        if chunk is None:
            chunk = max(4 * self.block, CHUNK_WORK // self.steps)
        return self.replace(bound=bound, transient=transient,
                            chunk_size=min(chunk, n_points))

    @property
    def history(self) -> int:
        """Length of the history ring buffer (:func:`history_length`)."""
        return history_length(self.period_max)

    @property
    def tail_from(self) -> int:
        """First recorded step of the tail (``steps + 1``: none)."""
        return self.steps - self.keep_last + 1 if self.keep_last else self.steps + 1

    def to_dict(self) -> dict:
        """The sweep-defining settings as JSON (the result's metadata, the store's
        fingerprint); ``block`` is a work layout that never changes the numbers."""
        bound = self.bound
        return {
            "steps": self.steps,
            "schedule": self.schedule.to_dict(),
            "period_max": self.period_max,
            "rtol": self.rtol,
            "atol": self.atol,
            "bound": bound if bound is None or math.isfinite(bound) else "inf",
            "chaos_threshold": self.chaos_threshold,
            "transient": self.transient,
            "lyapunov": self.lyapunov,
            "keep_last": self.keep_last,
            "record_loss": self.record_loss,
            "early_exit": self.early_exit,
            "chunk_size": self.chunk_size,
            "classes": list(_CLASSES),
            # GD sweeps keep the metadata (and store fingerprints) they had before issue 19
            **({} if self.optimizer == "gd" else
               {"optimizer": self.optimizer, "params": dict(self.params)}),
        }
