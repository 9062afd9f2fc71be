"""On-disk chunk store of a sweep: interrupted sweeps resume from the chunks already saved.

Layout of a store directory::

    manifest.json        fingerprint of the sweep (function, grids, settings, chunk size)
    chunk_000000.npz     outputs of points [0, chunk_size) of the flat grid
    chunk_000001.npz     ...
    result.npz           the assembled result, once the sweep is complete

Every file is written to a temporary name and renamed, so a chunk on disk is always
complete.  A store that holds another sweep is refused (:class:`StoreMismatchError`) rather
than mixed.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import numpy as np

from theory.dynamics._errors import StoreMismatchError

__all__ = ["ChunkStore"]


class ChunkStore:
    """A directory of chunk files belonging to one sweep (identified by ``fingerprint``)."""

    def __init__(self, directory: str | os.PathLike, fingerprint: str, description: dict):
        self.directory = Path(directory)
        if self.directory.exists() and not self.directory.is_dir():
            raise StoreMismatchError(f"store={str(self.directory)!r} exists and is not a directory")
        self.directory.mkdir(parents=True, exist_ok=True)
        manifest = self.directory / "manifest.json"
        if manifest.exists():
            try:
                held = json.loads(manifest.read_text())
            except json.JSONDecodeError:
                held = {}
            if held.get("fingerprint") != fingerprint:
                raise StoreMismatchError(
                    f"store={str(self.directory)!r} holds a different sweep "
                    f"({held.get('description', {}).get('function', '?')}, other grids or "
                    "settings); use another directory or delete this one"
                )
        else:
            self._write_text(
                manifest,
                json.dumps(
                    {"fingerprint": fingerprint, "description": description},
                    indent=1,
                    sort_keys=True,
                ),
            )

    @property
    def result_path(self) -> Path:
        return self.directory / "result.npz"

    def chunk_path(self, index: int) -> Path:
        return self.directory / f"chunk_{index:06d}.npz"

    def has(self, index: int) -> bool:
        return self.chunk_path(index).exists()

    def load(self, index: int) -> dict[str, np.ndarray]:
        with np.load(self.chunk_path(index), allow_pickle=False) as data:
            return {name: data[name] for name in data.files}

    def save(self, index: int, arrays: dict[str, np.ndarray]) -> None:
        fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".tmp-", suffix=".npz")
        os.close(fd)
        try:
            np.savez(tmp, **arrays)
            os.replace(tmp, self.chunk_path(index))
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def remove_chunks(self) -> None:
        for path in self.directory.glob("chunk_*.npz"):
            path.unlink(missing_ok=True)

    def _write_text(self, path: Path, text: str) -> None:
        fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".tmp-", suffix=".json")
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
        os.replace(tmp, path)
