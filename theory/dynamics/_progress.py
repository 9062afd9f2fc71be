"""Progress of a chunked sweep: a tqdm bar, nothing, or the caller's callback."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

__all__ = ["chunk_progress"]


@contextlib.contextmanager
def chunk_progress(progress: bool | Callable[[int, int], None], n_points: int, n_chunks: int,
                   desc: str) -> Iterator[Callable[[int, int], None]]:
    """Yield ``done(chunk, points)``, called after each finished chunk: it advances a tqdm
    bar of ``n_points`` (``progress=True``), does nothing (``False``) or calls
    ``progress(chunk + 1, n_chunks)``.  The bar is closed however the sweep ends."""
    bar = None
    if progress is True:
        from tqdm.auto import tqdm

        bar = tqdm(total=n_points, unit="pt", desc=desc, smoothing=0.1)

    def done(chunk: int, points: int) -> None:
        if bar is not None:
            bar.update(points)
        elif callable(progress):
            progress(chunk + 1, n_chunks)

    try:
        yield done
    finally:
        if bar is not None:
            bar.close()
