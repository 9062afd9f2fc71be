"""On-disk chunk store of a sweep: interrupted sweeps resume from the chunks already saved.

Layout of a store directory::

    manifest.json        fingerprint of the sweep (function, grids, settings, chunk size)
    chunk_000000.npz     outputs of points [0, chunk_size) of the flat grid
    chunk_000001.npz     ...
    result.npz           the assembled result, once the sweep is complete

Every file is written to a temporary name and renamed, so a chunk on disk is always
complete; a chunk damaged anyway (a full disk, a bad copy) is redone, never trusted.
A store that holds another sweep is refused (:class:`StoreMismatchError`) rather than
mixed, and so is a store another live sweep is writing (a lock file, ``.msl-lock``, names
the sweep's process; a lock of a killed process is taken over: :mod:`theory._locks`).
A store path ending in ``.zarr`` is a Zarr store instead
(:mod:`theory.dynamics._zarr_store`, same interface): :func:`open_store` chooses.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from theory.dynamics._errors import StoreMismatchError
from theory.files import (
    FolderLockedError,
    atomic_savez,
    atomic_write_text,
    is_msl_folder,
    lock_folder,
    make_folders,
    read_json_dict,
    read_npz,
    remove_stray_temporaries,
    system_folder,
)

__all__ = ["ChunkStore", "lock_store", "open_store", "released_on_error"]

#: name of the array, in every chunk, that holds the sweep's fingerprint
_FINGERPRINT = "store_fingerprint"


class ChunkStore:
    """A directory of chunk files belonging to one sweep (identified by ``fingerprint``).

    Heals what a killed run or a damaged disk leaves: stray ``.tmp-*`` files are removed, a
    truncated or empty ``manifest.json`` is rewritten (every chunk carries the fingerprint
    too, so chunks of another sweep are never used), and a chunk or ``result.npz`` that
    cannot be read, or belongs to another sweep, is redone.
    """

    def __init__(self, directory: str | os.PathLike, fingerprint: str, description: dict):
        self.directory = Path(directory)
        self.fingerprint = fingerprint
        self._lock = lock_store(self.directory)
        try:
            self._open(description)
        except BaseException:
            self.close()
            raise

    def _open(self, description: dict) -> None:
        fingerprint = self.fingerprint
        remove_stray_temporaries(self.directory)
        manifest = self.directory / "manifest.json"
        held = read_json_dict(manifest, required=("fingerprint",))
        if held is not None and held["fingerprint"] != fingerprint:
            raise StoreMismatchError(
                f"store={str(self.directory)!r} holds a different sweep "
                f"({held.get('description', {}).get('function', '?')}, other grids or "
                "settings); use another directory or delete this one"
            )
        if held is None:  # new, or damaged: (re)write it; chunks are checked one by one
            atomic_write_text(manifest, json.dumps(
                {"fingerprint": fingerprint, "description": description},
                indent=1, sort_keys=True,
            ))

    @property
    def result_path(self) -> Path:
        return self.directory / "result.npz"

    def chunk_path(self, index: int) -> Path:
        return self.directory / f"chunk_{index:06d}.npz"

    def has(self, index: int) -> bool:
        return self.chunk_path(index).exists()

    def load(self, index: int) -> dict[str, np.ndarray] | None:
        """The arrays of chunk ``index``; ``None`` (redo it) when it is missing, damaged or
        from another sweep."""
        arrays = read_npz(self.chunk_path(index), required=(_FINGERPRINT,))
        if arrays is None or str(arrays.pop(_FINGERPRINT)) != self.fingerprint:
            return None
        return arrays

    def save(self, index: int, arrays: dict[str, np.ndarray]) -> None:
        atomic_savez(self.chunk_path(index), **arrays, **{_FINGERPRINT: np.array(
            self.fingerprint)})

    def remove_chunks(self) -> None:
        """Delete the chunk files (the sweep is assembled) and give the store back."""
        for path in self.directory.glob("chunk_*.npz"):
            path.unlink(missing_ok=True)
        self.close()

    def close(self) -> None:
        """Release the store's lock (another sweep may then open it)."""
        self._lock.release()


def lock_store(directory: Path):
    """Create ``directory`` if needed and lock it for this sweep (:func:`theory.files.
    lock_folder`): a system folder, a file, or a non-empty folder that holds no store
    is refused, and a live sweep in it refuses this one (:class:`StoreMismatchError`)."""
    where = repr(str(directory))
    if directory.exists() and not directory.is_dir():
        raise StoreMismatchError(f"store={where} exists and is not a directory")
    if system_folder(directory) is not None:
        raise StoreMismatchError(f"store={where} is the system folder "
                                 f"{system_folder(directory)!r}; give a folder of its own")
    if directory.is_dir() and any(directory.iterdir()) and not (
            is_msl_folder(directory) or any(directory.glob("chunk_*.npz"))):
        raise StoreMismatchError(
            f"store={where} is a non-empty folder that holds no chunk store (no "
            "manifest.json); give a new or empty folder, so that no file of yours is mixed "
            "with the sweep's")
    make_folders(directory)  # a link below an output folder: refused, nothing created there
    try:
        return lock_folder(directory, "store")
    except FolderLockedError as exc:
        raise StoreMismatchError(str(exc)) from None


class _Closing:
    """Releases a store's lock when the block it guards ends with an exception (an
    interrupted sweep); a finished sweep releases it in ``remove_chunks``."""

    def __init__(self, store) -> None:
        self.store = store

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind, value, traceback) -> None:
        if kind is not None and self.store is not None:
            self.store.close()


def released_on_error(store) -> _Closing:
    """``with ..., released_on_error(store):`` (``store`` may be None)."""
    return _Closing(store)


def open_store(directory: str | os.PathLike, fingerprint: str, description: dict,
               outputs: dict[str, np.ndarray], chunk_size: int, grids: dict[str, np.ndarray]):
    """The chunk store at ``directory``: Zarr for a path ending in ``.zarr``, else ``.npz``
    files (:class:`ChunkStore`).  ``outputs`` are the sweep's (empty) flat output arrays,
    ``grids`` its ``eta`` and ``x0``."""
    if Path(directory).suffix == ".zarr":
        from theory.dynamics._zarr_store import ZarrChunkStore

        return ZarrChunkStore(directory, fingerprint, description, outputs, chunk_size, grids)
    return ChunkStore(directory, fingerprint, description)
