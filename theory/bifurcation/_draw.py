"""Continued branches drawn on a matplotlib axis (stable solid, unstable dashed).

Used by :mod:`theory.figures.bifurcation` and, through ``plot_bifurcation(...,
branches=...)``, by ``msl phase-diagram --branches`` over the simulated attractors.
"""

from __future__ import annotations

import numpy as np

__all__ = ["draw_branches"]


def _joined(mask: np.ndarray) -> np.ndarray:
    """``mask`` widened by one point after each run, so the pieces meet at a transition."""
    out = mask.copy()
    out[1:] |= mask[:-1]
    return out


def draw_branches(ax, branches, *, colours=None, lw: float = 1.3,
                  absolute: bool = False) -> list:
    """Draw every point of every branch's cycle against eta; returns legend handles.

    ``branches``: a :class:`~theory.bifurcation.Cascade` or a sequence of
    :class:`~theory.bifurcation.Branch` or :class:`~theory.bifurcation.MomentumBranch`;
    ``absolute``: draw |x| (for diagrams of |x_T|).
    """
    from matplotlib.lines import Line2D

    branches = getattr(branches, "branches", branches)
    if colours is None:
        colours = [f"C{k}" for k in range(10)]
    handles = []
    for k, branch in enumerate(branches):
        colour = colours[k % len(colours)]
        solid, dashed = _joined(branch.stable), _joined(~branch.stable)
        for i in range(branch.points.shape[1]):
            y = np.abs(branch.points[:, i]) if absolute else branch.points[:, i]
            ax.plot(branch.eta, np.where(solid, y, np.nan), "-", color=colour, lw=lw)
            ax.plot(branch.eta, np.where(dashed, y, np.nan), "--", color=colour, lw=0.7 * lw)
        handles.append(Line2D([], [], color=colour, lw=lw,
                              label=f"continued period {branch.period} (solid: stable)"))
    return handles
