"""Phase diagrams over the learning rate: class/period maps and bifurcation diagrams.

The theory of Section 4.1 is drawn over the simulations when the function is a
:class:`theory.Subquadratic`: the threshold ``eta = 2/f''(0)`` (Theorem 4.1), the fixed point
0 (stable below the threshold), and the period-2 orbit ``{+-x_eta}`` of Lemma 4.1, solid where
it is stable (cycle multiplier ``(1 - eta f''(x_eta))^2 < 1``) and dashed where it is not.

matplotlib is imported inside the functions (Agg backend), so importing :mod:`theory` stays
light.
"""

from __future__ import annotations

import numpy as np

from theory.dynamics._result import SimulationResult
from theory.dynamics._support import (
    CHAOTIC,
    CONVERGED,
    DIVERGED,
    DRIFTING,
    PERIODIC,
    UNDECIDED,
)
from theory.plotting import pyplot as _pyplot
from theory.plotting import save_figure

__all__ = [
    "MAP_CATEGORIES",
    "map_categories",
    "plot_bifurcation",
    "plot_class_map",
    "plot_lyapunov_map",
    "save_figure",
    "theory_curves",
]

#: categories of the class/period map (label, colour)
MAP_CATEGORIES = (
    ("converged", "#d9d9d9"),
    ("period 2", "#1f77b4"),
    ("period 3", "#2ca02c"),
    ("period 4", "#17becf"),
    ("period 5-8", "#9467bd"),
    ("period > 8", "#8c564b"),
    ("chaotic", "#ff7f0e"),
    ("diverged", "#000000"),
    ("undecided", "#e377c2"),
    ("drifting", "#bcbd22"),
)

_CLASS_STYLE = {
    CONVERGED: ("converged", "#7f7f7f"),
    PERIODIC: ("periodic", "#1f77b4"),
    CHAOTIC: ("chaotic", "#ff7f0e"),
    UNDECIDED: ("undecided", "#e377c2"),
    DRIFTING: ("drifting", "#bcbd22"),
}


def map_categories(result: SimulationResult) -> np.ndarray:
    """(n_eta, n_x0) indices into :data:`MAP_CATEGORIES`."""
    c, p = result.classes, result.period
    out = np.full(c.shape, 8, dtype=np.int64)
    out[c == CONVERGED] = 0
    periodic = c == PERIODIC
    out[periodic & (p == 2)] = 1
    out[periodic & (p == 3)] = 2
    out[periodic & (p == 4)] = 3
    out[periodic & (p >= 5) & (p <= 8)] = 4
    out[periodic & (p > 8)] = 5
    out[c == CHAOTIC] = 6
    out[c == DIVERGED] = 7
    out[c == UNDECIDED] = 8
    out[c == DRIFTING] = 9
    return out


def _edges(centres: np.ndarray) -> np.ndarray:
    """Cell edges around sorted-or-not 1-D centres (for pcolormesh)."""
    c = np.asarray(centres, dtype=float)
    if c.size == 1:
        half = 0.5 * max(abs(c[0]) * 0.05, 1e-3)
        return np.array([c[0] - half, c[0] + half])
    mid = 0.5 * (c[1:] + c[:-1])
    return np.concatenate([[2 * c[0] - mid[0]], mid, [2 * c[-1] - mid[-1]]])


def _x0_axis(result: SimulationResult, component: int | None) -> tuple[np.ndarray, str]:
    """Initial-point coordinate for the vertical axis and its label."""
    if result.dim == 1:
        return result.x0[:, 0], r"initial point $x_0$"
    if component is not None:
        return result.x0[:, component], rf"initial point $x_{{0,{component + 1}}}$"
    return np.arange(result.x0.shape[0]), "initial point (index)"


def _threshold(theory) -> float | None:
    threshold = getattr(theory, "threshold", None)
    try:
        return None if threshold is None else float(threshold)
    except (TypeError, ValueError):
        return None


def _title(result: SimulationResult, what: str) -> str:
    sched = result.schedule
    decay = (
        ""
        if not sched.boundaries
        else f", schedule x{list(sched.factors)} at {list(sched.boundaries)}"
    )
    return f"{what}: GD on {result.function}, T = {result.steps} steps{decay}"


def plot_class_map(result: SimulationResult, theory=None, *, component: int | None = None):
    """Class/period map over (eta, x0): converged, period 2, 3, 4, 5-8, >8, chaotic,
    diverged, undecided; the threshold 2/f''(0) dashed when ``theory`` is a Subquadratic."""
    plt = _pyplot()
    from matplotlib.colors import BoundaryNorm, ListedColormap
    from matplotlib.patches import Patch

    cats = map_categories(result)
    y, ylabel = _x0_axis(result, component)
    order = np.argsort(y, kind="stable")
    cmap = ListedColormap([colour for _, colour in MAP_CATEGORIES])
    norm = BoundaryNorm(np.arange(len(MAP_CATEGORIES) + 1) - 0.5, cmap.N)
    fig, ax = plt.subplots(figsize=(8, 5), layout="constrained")
    ax.pcolormesh(
        _edges(result.eta),
        _edges(y[order]),
        cats[:, order].T,
        cmap=cmap,
        norm=norm,
        shading="flat",
        rasterized=True,
    )
    present = sorted(set(np.unique(cats).tolist()))
    handles = [
        Patch(
            facecolor=MAP_CATEGORIES[i][1], edgecolor="k", linewidth=0.3, label=MAP_CATEGORIES[i][0]
        )
        for i in present
    ]
    threshold = _threshold(theory)
    if threshold is not None and result.eta.min() <= threshold <= result.eta.max():
        line = ax.axvline(
            threshold,
            color="red",
            linestyle="--",
            linewidth=1.2,
            label=rf"$2/f''(0) = {threshold:.4g}$",
        )
        handles.append(line)
    ax.set_xlabel(r"learning rate $\eta$")
    ax.set_ylabel(ylabel)
    ax.set_title(_title(result, "Fate of each orbit"), fontsize=10)
    ax.legend(
        handles=handles, loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=8, frameon=False
    )
    return fig


def plot_lyapunov_map(result: SimulationResult, theory=None, *, component: int | None = None):
    """Largest Lyapunov exponent over (eta, x0) (red: expanding, blue: contracting; grey:
    diverged, where it is undefined)."""
    plt = _pyplot()
    from matplotlib.colors import TwoSlopeNorm

    y, ylabel = _x0_axis(result, component)
    order = np.argsort(y, kind="stable")
    lam = np.ma.masked_invalid(result.lyapunov[:, order].T)
    finite = result.lyapunov[np.isfinite(result.lyapunov)]
    lo = float(min(-1e-3, finite.min())) if finite.size else -1.0
    hi = float(max(1e-3, finite.max())) if finite.size else 1.0
    cmap = plt.get_cmap("RdBu_r").with_extremes(bad="#bdbdbd")
    fig, ax = plt.subplots(figsize=(8, 5), layout="constrained")
    mesh = ax.pcolormesh(
        _edges(result.eta),
        _edges(y[order]),
        lam,
        cmap=cmap,
        norm=TwoSlopeNorm(0.0, lo, hi),
        shading="flat",
        rasterized=True,
    )
    fig.colorbar(mesh, ax=ax, label=r"Lyapunov exponent $\lambda$ (per step)")
    threshold = _threshold(theory)
    if threshold is not None and result.eta.min() <= threshold <= result.eta.max():
        ax.axvline(
            threshold,
            color="k",
            linestyle="--",
            linewidth=1.0,
            label=rf"$2/f''(0) = {threshold:.4g}$",
        )
        ax.legend(loc="upper left", fontsize=8)
    ax.set_xlabel(r"learning rate $\eta$")
    ax.set_ylabel(ylabel)
    ax.set_title(_title(result, "Lyapunov exponent"), fontsize=10)
    return fig


def theory_curves(theory, eta_min: float, eta_max: float, n: int = 400) -> dict:
    """Section 4.1 overlay data: threshold, and x_eta with its stability on a fine eta grid.

    Returns ``{"threshold": float, "eta": array, "x_eta": array (nan where no orbit),
    "stable": bool array}``; empty dict when ``theory`` is not a Subquadratic.
    """
    threshold = _threshold(theory)
    if threshold is None or not hasattr(theory, "periodic_point"):
        return {}
    from theory.errors import MslValueError

    lo = max(eta_min, threshold)
    etas = np.linspace(lo, eta_max, n)[1:] if eta_max > lo else np.array([])
    x_eta = np.full(etas.shape, np.nan)
    stable = np.zeros(etas.shape, dtype=bool)
    for i, e in enumerate(etas):
        try:
            x_eta[i] = theory.periodic_point(float(e))
            stable[i] = theory.cycle_multiplier(float(e)) < 1.0
        except (MslValueError, ArithmeticError, ValueError):
            continue
    return {"threshold": threshold, "eta": etas, "x_eta": x_eta, "stable": stable}


def _runs(mask: np.ndarray) -> list[slice]:
    """Maximal runs of True in a boolean array, as slices."""
    out, start = [], None
    for i, m in enumerate(mask):
        if m and start is None:
            start = i
        if not m and start is not None:
            out.append(slice(start, i))
            start = None
    if start is not None:
        out.append(slice(start, len(mask)))
    return out


#: the resolution figures are saved at (:func:`theory.plotting.save_figure`)
SAVE_DPI = 150


def bifurcation_width(n_eta: int) -> float:
    """Figure width (inches) of a bifurcation diagram with ``n_eta`` learning-rate columns:
    8 inches, or wider so that every column gets at least one pixel at :data:`SAVE_DPI`
    (publication-scale sweeps of >= 1,000 columns, issue 12)."""
    return max(8.0, 1.15 * n_eta / SAVE_DPI + 1.6)


def plot_bifurcation(
    result: SimulationResult,
    theory=None,
    *,
    component: int = 0,
    max_points: int = 400_000,
    seed: int = 0,
    branches=None,
):
    """eta against the attractor: the last K iterates (``keep_last``; else the final states)
    of every non-diverged orbit, coloured by class, with Section 4.1's theory over it;
    ``branches`` (a :class:`theory.bifurcation.Cascade`): its continued cycles on top."""
    plt = _pyplot()
    from matplotlib.lines import Line2D

    values = result.tail if result.tail is not None else result.final_state[:, :, None, :]
    values = values[..., component]  # (n_eta, n_x0, K)
    K = values.shape[2]
    eta = np.broadcast_to(result.eta[:, None, None], values.shape)
    cls = np.broadcast_to(result.classes[:, :, None], values.shape)
    keep = (cls != DIVERGED) & np.isfinite(values)
    e, v, c = eta[keep], values[keep], cls[keep]
    if e.size > max_points:  # deterministic thinning for huge sweeps
        pick = np.random.default_rng(seed).choice(e.size, max_points, replace=False)
        e, v, c = e[pick], v[pick], c[pick]
    fig, ax = plt.subplots(figsize=(bifurcation_width(result.eta.size), 5),
                           layout="constrained")
    size = 2.0 if e.size < 20_000 else 0.5
    handles = []
    for code, (label, colour) in _CLASS_STYLE.items():
        sel = c == code
        if sel.any():
            ax.scatter(
                e[sel], v[sel], s=size, color=colour, alpha=0.6, linewidths=0, rasterized=True
            )
            handles.append(
                Line2D(
                    [],
                    [],
                    marker="o",
                    linestyle="",
                    color=colour,
                    label=f"GD {label} (last {K} iterates)",
                )
            )
    curves = theory_curves(theory, float(result.eta.min()), float(result.eta.max()))
    if curves:
        threshold = curves["threshold"]
        ax.axvline(threshold, color="red", linestyle=":", linewidth=1.2)
        handles.append(
            Line2D(
                [], [], color="red", linestyle=":", label=rf"threshold $2/f''(0) = {threshold:.4g}$"
            )
        )
        eta_lo = float(result.eta.min())
        eta_hi = float(result.eta.max())
        if eta_lo < threshold:
            ax.plot([eta_lo, min(threshold, eta_hi)], [0, 0], color="k", linewidth=1.5)
        if eta_hi > threshold:
            ax.plot(
                [max(threshold, eta_lo), eta_hi], [0, 0], color="k", linewidth=1.0, linestyle="--"
            )
        handles.append(
            Line2D(
                [],
                [],
                color="k",
                linewidth=1.5,
                label=r"fixed point $x=0$ (solid: stable, dashed: unstable)",
            )
        )
        x_eta, stable, etas = curves["x_eta"], curves["stable"], curves["eta"]
        valid = np.isfinite(x_eta)
        for mask, style in ((valid & stable, "-"), (valid & ~stable, "--")):
            for run in _runs(mask):
                for sign in (1, -1):
                    ax.plot(
                        etas[run], sign * x_eta[run], color="C3", linestyle=style, linewidth=1.5
                    )
        if valid.any():
            handles.append(
                Line2D(
                    [],
                    [],
                    color="C3",
                    linestyle="-",
                    label=r"$\pm x_\eta$, stable period 2 (Lemma 4.1)",
                )
            )
            handles.append(
                Line2D(
                    [],
                    [],
                    color="C3",
                    linestyle="--",
                    label=r"$\pm x_\eta$, unstable ($(1-\eta f''(x_\eta))^2>1$)",
                )
            )
    if branches is not None:  # continued cycles, stable solid / unstable dashed (issue 21)
        from theory.bifurcation import draw_branches

        handles += draw_branches(ax, branches, colours=["k", "C4", "C6", "C8", "C9"], lw=1.0)
    ax.set_xlabel(r"learning rate $\eta$")
    ylabel = r"$x_t$" if result.dim == 1 else rf"$x_{{t,{component + 1}}}$"
    ax.set_ylabel(f"{ylabel} (attractor)")
    ax.set_title(_title(result, "Bifurcation diagram"), fontsize=10)
    ax.legend(handles=handles, loc="upper left", fontsize=8, framealpha=0.85)
    return fig
