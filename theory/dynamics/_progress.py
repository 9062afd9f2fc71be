"""Progress of a chunked sweep: a tqdm bar, nothing, or the caller's callback."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

__all__ = ["chunk_progress", "compile_notice"]


def compile_notice(compiled) -> bool:
    """Say on stderr that the kernel of ``compiled`` is being compiled (the first sweep of a
    function sits at 0% for 10-20 s otherwise: issue 22); True when it said so."""
    import sys

    from theory.dynamics._engine import kernel_is_compiled

    if kernel_is_compiled(compiled):
        return False
    print(f"compiling the GD kernel for {compiled.name} (first time, ~20 s; cached on disk "
          "afterwards) ...", file=sys.stderr, flush=True)
    return True


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
