"""Memory estimate of a GD sweep, checked before anything is allocated or compiled."""

from __future__ import annotations

from theory.limits import check_memory

#: float64 arrays per point held by the kernel besides the history ring (state, tangent, ...)
_WORK_VECTORS = 8


def simulation_bytes(n_eta: int, n_x0: int, dim: int, *, steps: int, keep_last: int,
                     record_loss: bool, block: int, history: int) -> float:
    """Bytes of the result arrays plus one block's work arrays (an estimate from below)."""
    n_points = float(n_eta) * float(n_x0)
    per_point = 8 * dim + 1 + 4 + 8 + 4 + 8 * keep_last * dim + (8 * (steps + 1) if record_loss
                                                                   else 0)
    grids = 8.0 * (n_eta + n_x0 * dim)
    work = 8.0 * block * dim * (history + _WORK_VECTORS)
    return n_points * per_point + grids + work


def check_simulation_memory(n_eta: int, n_x0: int, dim: int, *, steps: int, keep_last: int,
                            record_loss: bool, block: int, history: int) -> None:
    """Raise :class:`~theory.errors.ResourceLimitError` for a sweep too large for memory."""
    estimate = simulation_bytes(n_eta, n_x0, dim, steps=steps, keep_last=keep_last,
                                record_loss=record_loss, block=block, history=history)
    check_memory(
        f"simulate with {n_eta} learning rates x {n_x0} initial points in {dim} dimension(s) "
        f"(steps={steps}, keep_last={keep_last}, record_loss={record_loss}, a history of "
        f"{history} iterates for period_max)",
        estimate,
        hint="use smaller grids, fewer kept iterates or a smaller period_max",
    )
