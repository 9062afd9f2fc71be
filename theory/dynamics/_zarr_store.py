"""A chunk store in Zarr: the sweep's outputs as arrays over the flat grid, filled chunk by chunk.

Chosen by a store path ending in ``.zarr`` (``store="runs/f2.zarr"``, ``--store f2.zarr``);
needs the ``zarr`` package (the ``cluster`` extra).  Layout of the group::

    eta, x0                   the grids (written when the store is created)
    final_state, classes, period, lyapunov, decided_step, tail, loss
                              one array per output over the n_eta * n_x0 flat points
                              (point = i_eta * n_x0 + i_x0), Zarr chunks = sweep chunks
    done                      one uint8 per sweep chunk: 1 once all its outputs are written
    attrs                     fingerprint, description (function, settings), n_eta, n_x0
    result.npz                the assembled result, once the sweep is complete

A chunk counts as finished only when its ``done`` entry reads 1, and that entry is written
after the chunk's data, so a chunk torn by a killed process is computed again; a ``done``
entry that cannot be read counts as 0.  Unlike the ``.npz`` store, the arrays stay after the
sweep: ``zarr.open_group(path)["classes"][:].reshape(n_eta, n_x0)`` reads the classes of a
sweep still running or finished (unfinished chunks hold the fill values).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from theory.dynamics._errors import StoreMismatchError
from theory.errors import GridError

__all__ = ["ZarrChunkStore"]

_METADATA = ("zarr.json", ".zgroup")  # a Zarr v3 / v2 group


def _zarr(directory: Path):
    try:
        import zarr
    except ImportError:
        raise GridError(
            f"store={str(directory)!r} is a Zarr store (.zarr), which needs the zarr package: "
            "pip install 'multiscale-landscapes[cluster]' (or give a store path without "
            ".zarr for the .npz chunk store)") from None
    return zarr


class ZarrChunkStore:
    """The chunk store of one sweep (``fingerprint``) as a Zarr group (see the module)."""

    def __init__(self, directory: str | os.PathLike, fingerprint: str, description: dict,
                 outputs: dict[str, np.ndarray], chunk_size: int,
                 grids: dict[str, np.ndarray]):
        self.directory = Path(directory)
        self.fingerprint = fingerprint
        self.chunk_size = int(chunk_size)
        self._zarr = _zarr(self.directory)
        self._arrays: dict = {}
        where = repr(str(self.directory))
        if self.directory.exists():
            if not self.directory.is_dir():
                raise StoreMismatchError(f"store={where} exists and is not a directory")
            if any(self.directory.iterdir()) and not any(
                    (self.directory / name).exists() for name in _METADATA):
                raise StoreMismatchError(
                    f"store={where} is a non-empty directory that is not a Zarr store; use "
                    "another path")
        try:
            group = self._zarr.open_group(str(self.directory), mode="a")
            held = group.attrs.get("fingerprint")
        except Exception as exc:  # damaged metadata: never guess whose data it is
            raise StoreMismatchError(
                f"store={where} cannot be read as a Zarr store ({type(exc).__name__}); "
                "delete it to start the sweep again") from None
        if held is not None and held != fingerprint:
            raise StoreMismatchError(
                f"store={where} holds a different sweep "
                f"({dict(group.attrs).get('description', {}).get('function', '?')}, other "
                "grids or settings); use another path or delete this one")
        self._n_points = outputs["classes"].shape[0]
        self._n_chunks = -(-self._n_points // self.chunk_size)
        if held is None:  # new (or creation interrupted): create every array, then sign
            for name, array in {**grids, **outputs}.items():
                chunks = (self.chunk_size if name in outputs else max(1, array.shape[0]),
                          *(max(1, n) for n in array.shape[1:]))
                created = self._open(name, mode="w", shape=array.shape, chunks=chunks,
                                     dtype=array.dtype, fill_value=0)
                if name in grids:
                    created[...] = array
            self._open("done", mode="w", shape=(self._n_chunks,), chunks=(1,),
                       dtype=np.uint8, fill_value=0)
            group.attrs.update({
                "n_eta": int(grids["eta"].shape[0]),
                "n_x0": int(grids["x0"].shape[0]),
                "description": json.loads(json.dumps(description)),
                "fingerprint": fingerprint,  # last: a store without it is recreated
            })
        self._names = tuple(outputs)

    def _open(self, name: str, **kwargs):
        if not kwargs and name in self._arrays:
            return self._arrays[name]
        array = self._zarr.open_array(str(self.directory / name), **{"mode": "r+", **kwargs})
        self._arrays[name] = array
        return array

    @property
    def result_path(self) -> Path:
        return self.directory / "result.npz"

    def _bounds(self, index: int) -> tuple[int, int]:
        start = index * self.chunk_size
        return start, min(self._n_points, start + self.chunk_size)

    def has(self, index: int) -> bool:
        try:
            return int(self._open("done")[index]) == 1
        except Exception:  # a torn or missing marker: the chunk is redone
            return False

    def load(self, index: int) -> dict[str, np.ndarray] | None:
        """The arrays of chunk ``index``; ``None`` (redo it) when they cannot be read."""
        start, stop = self._bounds(index)
        try:
            return {name: np.asarray(self._open(name)[start:stop]) for name in self._names}
        except Exception:
            return None

    def save(self, index: int, arrays: dict[str, np.ndarray]) -> None:
        start, stop = self._bounds(index)
        for name in self._names:
            self._open(name)[start:stop] = arrays[name]
        self._open("done")[index] = 1  # after the data: a torn chunk is never "done"

    def remove_chunks(self) -> None:
        """Nothing: the arrays are the readable dataset (``result.npz`` is beside them)."""
