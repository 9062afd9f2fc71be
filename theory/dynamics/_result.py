"""The result of a GD sweep: per-point fates over a grid of learning rates x initial points."""

from __future__ import annotations

import json
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from theory.dynamics._support import CLASS_NAMES, PERIODIC
from theory.errors import GridError
from theory.schedule import Schedule
from theory.validation import json_safe

__all__ = ["SimulationResult"]

_ARRAYS = ("eta", "x0", "final_state", "classes", "period", "lyapunov", "decided_step")
_OPTIONAL = ("tail", "loss")


def _frozen(a: np.ndarray | None) -> np.ndarray | None:
    if a is None:
        return None
    # a read-only view: the array given (perhaps the caller's) stays writeable
    a = np.asarray(a).view()
    a.setflags(write=False)
    return a


def _json_number(value: float):
    """A JSON-safe float (the project's rule: None for nan, a string for +-inf)."""
    return json_safe(float(value))


def class_counts(classes: np.ndarray) -> dict[str, int]:
    """Number of points with each code of :data:`CLASS_NAMES` (all keys present)."""
    codes = np.bincount(np.asarray(classes).ravel().astype(np.int64),
                        minlength=len(CLASS_NAMES))
    return {name: int(codes[i]) for i, name in enumerate(CLASS_NAMES)}


@dataclass(frozen=True, eq=False)
class SimulationResult:
    """Fates of GD ``x_{t+1} = x_t - eta_t grad f(x_t)`` (4.1) on a grid eta x x0.

    Arrays (``n_eta = len(eta)``, ``n_x0 = len(x0)``, ``d`` the dimension; the ``d`` axis is
    kept also in 1-D):

    * ``eta`` (n_eta,), ``x0`` (n_x0, d) -- the grids;
    * ``final_state`` (n_eta, n_x0, d) -- x at step ``steps`` (converged/periodic points that
      stopped early: read off their cycle, in phase with ``steps``; diverged points: the last
      iterate computed);
    * ``classes`` (n_eta, n_x0) int8 -- codes into :data:`CLASS_NAMES`;
    * ``period`` -- 1 for converged, p >= 2 for periodic, 1 for an undecided point whose
      float orbit stalled (reason "step below float resolution"), 0 otherwise;
    * ``lyapunov`` -- largest Lyapunov exponent: of the cycle for converged/periodic points,
      the running average over steps ``transient..steps-1`` otherwise; nan for diverged
      points (and for non-periodic points when ``lyapunov=False``);
    * ``decided_step`` -- the step at which the fate was known (``steps`` if never early);
    * ``tail`` (n_eta, n_x0, K, d) -- x_{steps-K+1}, ..., x_steps, when ``keep_last=K``;
    * ``loss`` (n_eta, n_x0, steps+1) -- f(x_t), when ``record_loss``.

    ``metadata`` holds the function (name, expression, variables), steps, schedule, every
    tolerance and setting, and the package version.  Save with :meth:`save` (``.npz`` for
    numpy, ``.nc`` for xarray) and read back with :meth:`load`.
    """

    eta: np.ndarray
    x0: np.ndarray
    final_state: np.ndarray
    classes: np.ndarray
    period: np.ndarray
    lyapunov: np.ndarray
    decided_step: np.ndarray
    metadata: dict = field(default_factory=dict)
    tail: np.ndarray | None = None
    loss: np.ndarray | None = None

    def __post_init__(self):
        for name in (*_ARRAYS, *_OPTIONAL):
            object.__setattr__(self, name, _frozen(getattr(self, name)))
        n_eta, n_x0 = self.eta.shape[0], self.x0.shape[0]
        if self.classes.shape != (n_eta, n_x0):
            raise GridError(
                f"classes has shape {self.classes.shape}; expected {(n_eta, n_x0)} (eta x x0)"
            )
        if self.final_state.shape != (n_eta, n_x0, self.x0.shape[1]):
            raise GridError(f"final_state has shape {self.final_state.shape}")
        object.__setattr__(self, "metadata", dict(self.metadata))

    # -------------------------------------------------------------- metadata
    @property
    def steps(self) -> int:
        return int(self.metadata["steps"])

    @property
    def dim(self) -> int:
        return int(self.x0.shape[1])

    @property
    def function(self) -> str:
        return str(self.metadata["function"])

    @property
    def schedule(self) -> Schedule:
        s = self.metadata["schedule"]
        return Schedule(tuple(s["boundaries"]), tuple(s["factors"]))

    # --------------------------------------------------------------- queries
    @property
    def class_names(self) -> np.ndarray:
        """(n_eta, n_x0) array of class names."""
        return np.asarray(CLASS_NAMES, dtype=object)[self.classes]

    def mask(self, name: str) -> np.ndarray:
        """Boolean (n_eta, n_x0) mask of the points in class ``name``."""
        if name not in CLASS_NAMES:
            raise GridError(f"class name {name!r} is not one of {', '.join(CLASS_NAMES)}")
        return self.classes == CLASS_NAMES.index(name)

    def counts(self) -> dict[str, int]:
        """Number of points in each class of CLASS_NAMES (all keys present)."""
        return class_counts(self.classes)

    def period_counts(self) -> dict[int, int]:
        """period -> number of periodic points (p >= 2), sorted by period."""
        periods = self.period[self.classes == PERIODIC]
        return dict(sorted(Counter(int(p) for p in periods.ravel()).items()))

    def undecided_reasons(self) -> np.ndarray:
        """Why each undecided point is undecided: a code of
        :data:`theory.dynamics.UNDECIDED_REASONS` per point (0: not undecided)."""
        from theory.dynamics._reasons import undecided_reasons

        return undecided_reasons(self)

    def undecided_reason_counts(self) -> dict[str, int]:
        """Reason text -> number of undecided points (only reasons that occur)."""
        from theory.dynamics._reasons import UNDECIDED_REASONS

        codes = Counter(int(c) for c in self.undecided_reasons().ravel() if c)
        return {UNDECIDED_REASONS[c]: n for c, n in sorted(codes.items())}

    def lyapunov_median(self) -> float:
        """Median Lyapunov exponent over the points where it is defined (not nan)."""
        values = self.lyapunov[~np.isnan(self.lyapunov)]
        return float(np.median(values)) if values.size else float("nan")

    # ------------------------------------------------------------------- I/O
    def _metadata_json(self) -> str:
        return json.dumps(self.metadata, sort_keys=True)

    def save(self, path: str | os.PathLike) -> Path:
        """Write to ``path``: ``.npz`` (numpy.load) or ``.nc`` (xarray.open_dataset)."""
        path = Path(path)
        if path.suffix == ".nc":
            return self._save_netcdf(path)
        if path.suffix != ".npz":
            raise GridError(f"path={str(path)!r} must end in .npz (numpy) or .nc (xarray)")
        arrays = {name: getattr(self, name) for name in _ARRAYS}
        for name in _OPTIONAL:
            if getattr(self, name) is not None:
                arrays[name] = getattr(self, name)
        arrays["metadata_json"] = np.array(self._metadata_json())
        path.parent.mkdir(parents=True, exist_ok=True)
        from theory.files import atomic_savez

        return atomic_savez(path, **arrays)

    def to_xarray(self):
        """An ``xarray.Dataset`` with dims (eta, x0, dim[, tail][, time]) and the metadata."""
        import xarray as xr

        dims = ("eta", "x0_index")
        data = {
            "x0": (("x0_index", "dim"), self.x0),
            "final_state": ((*dims, "dim"), self.final_state),
            "classes": (dims, self.classes.astype(np.int8)),
            "period": (dims, self.period.astype(np.int32)),
            "lyapunov": (dims, self.lyapunov),
            "decided_step": (dims, self.decided_step.astype(np.int32)),
        }
        if self.tail is not None:
            data["tail"] = ((*dims, "tail", "dim"), self.tail)
        if self.loss is not None:
            data["loss"] = ((*dims, "time"), self.loss)
        attrs = {
            "metadata_json": self._metadata_json(),
            "class_names": " ".join(CLASS_NAMES),
            "function": self.function,
        }
        return xr.Dataset(data, coords={"eta": self.eta}, attrs=attrs)

    def _save_netcdf(self, path: Path) -> Path:
        from theory.files import atomic_write

        path.parent.mkdir(parents=True, exist_ok=True)
        dataset = self.to_xarray()
        return atomic_write(path, lambda tmp: dataset.to_netcdf(tmp, engine="scipy"))

    @classmethod
    def load(cls, path: str | os.PathLike) -> SimulationResult:
        """Read a result written by :meth:`save` (``.npz``, or ``.nc`` with xarray)."""
        path = Path(path)
        if not path.exists():
            raise GridError(f"path={str(path)!r} does not exist")
        if path.suffix == ".nc":
            import xarray as xr

            with xr.open_dataset(path, engine="scipy") as ds:
                ds = ds.load()
                fields = {
                    "eta": ds["eta"].values,
                    "x0": ds["x0"].values,
                    "final_state": ds["final_state"].values,
                    "classes": ds["classes"].values.astype(np.int8),
                    "period": ds["period"].values.astype(np.int32),
                    "lyapunov": ds["lyapunov"].values,
                    "decided_step": ds["decided_step"].values.astype(np.int32),
                    "tail": ds["tail"].values if "tail" in ds else None,
                    "loss": ds["loss"].values if "loss" in ds else None,
                    "metadata": json.loads(ds.attrs["metadata_json"]),
                }
            return cls(**fields)
        with np.load(path, allow_pickle=False) as data:
            fields = {name: data[name] for name in _ARRAYS}
            for name in _OPTIONAL:
                fields[name] = data[name] if name in data.files else None
            fields["metadata"] = json.loads(str(data["metadata_json"]))
        return cls(**fields)

    def summary(self) -> dict:
        """counts, periods, lyapunov_median (JSON-ready; see also :func:`attractor_values`)."""
        return {
            "counts": self.counts(),
            "periods": {str(p): c for p, c in self.period_counts().items()},
            "lyapunov_median": _json_number(self.lyapunov_median()),
        }
