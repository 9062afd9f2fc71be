"""How many CPU threads PyTorch uses for the library's own loops (issue 22).

The built-in experiments (``run_eos``, ``run_slice``, ``run_lr_decay``, ...) train and probe
small networks (the digits MLP: 64 units wide), where torch's default, one thread per core,
is slower than one thread, and on a busy machine catastrophically so (OpenMP threads waiting
for a core: ``run_eos`` took 466 s from Python against 15 s for ``msl eos``, which uses one
thread).  So these functions run with :func:`library_threads` threads, 1 unless the
environment variable ``MSL_TORCH_THREADS`` says otherwise (a whole number, or ``keep`` for
torch's own setting), and give torch back the caller's thread count when they return.
Functions that run *your* model (``hessian``, ``SharpnessMonitor``) leave torch alone.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import ParamSpec, TypeVar

from empirical.errors import ExperimentError

ENV = "MSL_TORCH_THREADS"
_P = ParamSpec("_P")
_R = TypeVar("_R")


def library_threads() -> int | None:
    """Threads for the library's own loops: ``MSL_TORCH_THREADS`` (a whole number >= 1, or
    ``keep``: None, torch's setting unchanged); 1 when it is not set."""
    text = os.environ.get(ENV, "").strip()
    if not text:
        return 1
    if text.lower() == "keep":
        return None
    if not text.isdigit() or int(text) < 1:
        raise ExperimentError(f"{ENV}={text!r}: must be a whole number >= 1 or 'keep'")
    return int(text)


@contextmanager
def torch_threads(n: int | None) -> Iterator[None]:
    """Run the body with ``torch.set_num_threads(n)`` (None: unchanged) and restore the
    caller's count afterwards, also on an exception."""
    import torch

    before = torch.get_num_threads()
    if n is not None and n != before:
        torch.set_num_threads(n)
    try:
        yield
    finally:
        if torch.get_num_threads() != before:
            torch.set_num_threads(before)


def with_library_threads(func: Callable[_P, _R]) -> Callable[_P, _R]:
    """Decorate a built-in experiment: it runs with :func:`library_threads` threads."""

    @functools.wraps(func)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        with torch_threads(library_threads()):
            return func(*args, **kwargs)

    return wrapper
