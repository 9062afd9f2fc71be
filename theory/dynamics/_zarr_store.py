"""A chunk store in Zarr: the sweep's outputs as arrays over the flat grid, filled chunk by chunk.

Chosen by a store path ending in ``.zarr`` (``store="runs/f2.zarr"``, ``--store f2.zarr``);
needs the ``zarr`` package (the ``cluster`` extra).  Layout of the group::

    eta, x0                   the grids (written when the store is created)
    final_state, classes, period, lyapunov, decided_step, tail, loss
                              one array per output over the n_eta * n_x0 flat points
                              (point = i_eta * n_x0 + i_x0), Zarr chunks = sweep chunks
    done                      one uint8 per sweep chunk: 1 once all its outputs are written
    digest                    one uint64 per sweep chunk: a hash of the sweep's fingerprint,
                              the chunk's index and its outputs' bytes (0: not written)
    attrs                     fingerprint, description (function, settings), n_eta, n_x0
    result.npz                the assembled result, once the sweep is complete

A chunk counts as finished only when its ``done`` entry reads 1 and its outputs, read back,
hash to its ``digest`` entry; both are written after the chunk's data, so a chunk torn by a
killed process, a deleted or damaged chunk file (which zarr would read as fill values), or
data of another sweep is computed again, never trusted.  Damaged metadata heals too: an
array whose metadata cannot be read or does not fit the sweep is created anew (its chunks
are then redone), and a damaged group ``zarr.json`` is rewritten (the digests still keep
every other sweep's data out).  The store is locked for one sweep at a time, as the
``.npz`` store is (:func:`theory.dynamics._store.lock_store`).  Unlike the ``.npz`` store,
the arrays stay after the sweep:
``zarr.open_group(path)["classes"][:].reshape(n_eta, n_x0)`` reads the classes of a sweep
still running or finished (unfinished chunks hold the fill values).
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np

from theory.dynamics._errors import StoreMismatchError
from theory.dynamics._store import lock_store
from theory.errors import GridError

__all__ = ["ZarrChunkStore"]

_METADATA = ("zarr.json", ".zgroup")  # a Zarr v3 / v2 group
_OURS = (".msl-lock", ".msl-output")  # our own files in a store folder


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
            if any(p.name not in _OURS for p in self.directory.iterdir()) and not any(
                    (self.directory / name).exists() for name in _METADATA):
                raise StoreMismatchError(
                    f"store={where} is a non-empty directory that is not a Zarr store; use "
                    "another path")
        self._lock = lock_store(self.directory)
        try:
            self._prepare(fingerprint, description, outputs, grids)
        except BaseException:
            self.close()
            raise

    def _group(self):
        """The group, its ``zarr.json`` rewritten if it cannot be read (see the module)."""
        try:
            group = self._zarr.open_group(str(self.directory), mode="a")
            return group, group.attrs.get("fingerprint")
        except Exception:  # damaged metadata: start the group's metadata afresh
            for name in (*_METADATA, ".zattrs"):
                (self.directory / name).unlink(missing_ok=True)
        try:
            return self._zarr.open_group(str(self.directory), mode="a"), None
        except Exception as exc:
            raise StoreMismatchError(
                f"store={str(self.directory)!r} cannot be read as a Zarr store "
                f"({type(exc).__name__}); delete it to start the sweep again") from None

    def _prepare(self, fingerprint: str, description: dict, outputs: dict[str, np.ndarray],
                 grids: dict[str, np.ndarray]) -> None:
        group, held = self._group()
        if held is not None and held != fingerprint:
            raise StoreMismatchError(
                f"store={str(self.directory)!r} holds a different sweep "
                f"({dict(group.attrs).get('description', {}).get('function', '?')}, other "
                "grids or settings); use another path or delete this one")
        self._n_points = outputs["classes"].shape[0]
        self._n_chunks = -(-self._n_points // self.chunk_size)
        wanted = {name: (array.shape, array.dtype,
                         (self.chunk_size if name in outputs else max(1, array.shape[0]),
                          *(max(1, n) for n in array.shape[1:])))
                  for name, array in {**grids, **outputs}.items()}
        wanted["done"] = ((self._n_chunks,), np.dtype(np.uint8), (1,))
        wanted["digest"] = ((self._n_chunks,), np.dtype(np.uint64), (1,))
        for name, (shape, dtype, chunks) in wanted.items():
            if held is None or not self._fits(name, shape, dtype, chunks):
                self._open(name, mode="w", shape=shape, chunks=chunks, dtype=dtype,
                           fill_value=0)
        for name, grid in grids.items():
            try:
                same = np.array_equal(np.asarray(self._open(name)[...]), grid)
            except Exception:
                same = False
            if not same:
                self._open(name)[...] = grid
        if held is None:  # sign last: a store without the fingerprint is checked again
            group.attrs.update({
                "n_eta": int(grids["eta"].shape[0]),
                "n_x0": int(grids["x0"].shape[0]),
                "description": json.loads(json.dumps(description)),
                "fingerprint": fingerprint,
            })
        self._names = tuple(outputs)

    def _fits(self, name: str, shape: tuple, dtype, chunks: tuple) -> bool:
        try:
            array = self._open(name)
            return (tuple(array.shape) == tuple(shape) and array.dtype == dtype
                    and tuple(array.chunks) == tuple(chunks))
        except Exception:  # missing or damaged metadata (JSONDecodeError, ...)
            self._arrays.pop(name, None)
            return False

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

    def _digest(self, index: int, arrays: dict[str, np.ndarray]) -> int:
        """The chunk's hash (never 0, the fill value of an unwritten entry)."""
        digest = hashlib.blake2b(digest_size=8)
        digest.update(f"{self.fingerprint}:{index}".encode())
        for name in self._names:
            array = np.ascontiguousarray(arrays[name])
            digest.update(f"{name}:{array.dtype.str}:{array.shape}".encode())
            digest.update(array.tobytes())
        return int.from_bytes(digest.digest(), "little") | 1

    def has(self, index: int) -> bool:
        try:
            return int(self._open("done")[index]) == 1
        except Exception:  # a torn or missing marker: the chunk is redone
            return False

    def load(self, index: int) -> dict[str, np.ndarray] | None:
        """The arrays of chunk ``index``; ``None`` (redo it) when they cannot be read or do
        not hash to the chunk's digest (a deleted chunk file reads as fill values)."""
        start, stop = self._bounds(index)
        try:
            arrays = {name: np.asarray(self._open(name)[start:stop]) for name in self._names}
            stored = int(self._open("digest")[index])
        except Exception:
            return None
        return arrays if stored == self._digest(index, arrays) else None

    def save(self, index: int, arrays: dict[str, np.ndarray]) -> None:
        start, stop = self._bounds(index)
        for name in self._names:
            self._open(name)[start:stop] = arrays[name]
        # after the data: a torn chunk is never "done", and its digest does not match
        self._open("digest")[index] = np.uint64(self._digest(index, arrays))
        self._open("done")[index] = 1

    def remove_chunks(self) -> None:
        """Keep the arrays (the readable dataset; ``result.npz`` is beside them); give the
        store back."""
        self.close()

    def close(self) -> None:
        """Release the store's lock."""
        self._lock.release()
