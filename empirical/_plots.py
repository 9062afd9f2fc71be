"""Figures of the experiments (matplotlib, Agg backend, PNG or PDF by the file suffix)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from theory.plotting import pyplot as _plt


def _save(fig, path, dpi: int = 110) -> Path:
    from theory.files import make_folders
    from theory.plotting import save_one

    path = Path(path)
    make_folders(path.parent)  # a linked subfolder is refused, not followed
    try:
        save_one(fig, path, dpi=dpi, bbox_inches="tight")  # atomic; refuses a symlink
    finally:
        _plt().close(fig)
    return path


def loss_and_sharpness_axes(loss_steps, losses, sharp_steps, sharpness, *, xlabel: str):
    """(fig, loss axis, sharpness axis): the training loss (log scale, blue) and the
    sharpness (orange, twin axis) against the step -- the layout of every EoS figure."""
    fig, ax = _plt().subplots(figsize=(6.4, 3.8))
    ax.plot(loss_steps, losses, color="tab:blue", lw=1, label="training loss")
    ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("training loss", color="tab:blue")
    ax2 = ax.twinx()
    ax2.plot(sharp_steps, sharpness, color="tab:orange", lw=1.5, label="sharpness")
    ax2.set_ylabel("sharpness λ_max", color="tab:orange")
    return fig, ax, ax2


def plot_eos(result, path) -> Path:
    """Fig. 2.1 (left): training loss and sharpness against the step, with ``2/eta``."""
    return _save(eos_figure(result), path)


def eos_figure(result):
    """The figure of :func:`plot_eos`, unsaved (for callers that add titles or formats)."""
    tr, vd = result.trace, result.verdict
    fig, ax, ax2 = loss_and_sharpness_axes(tr.loss_steps, tr.losses, tr.sharp_steps,
                                           tr.sharpness, xlabel="GD step")
    ax2.axhline(vd.threshold, color="tab:orange", ls="--", lw=1, label="2/η")
    ax2.axhspan((1 - vd.band) * vd.threshold, (1 + vd.band) * vd.threshold, color="tab:orange",
                alpha=0.08)
    if vd.first_reach_step is not None:
        ax2.axvline(vd.first_reach_step, color="gray", ls=":", lw=1,
                    label=f"2/η first reached (step {vd.first_reach_step})")
    ax2.set_ylim(0, 1.35 * max(vd.threshold, float(np.max(tr.sharpness))))
    verdict = "edge of stability" if vd.edge_of_stability else "no edge of stability"
    ax.set_title(f"{result.spec.data}, {result.spec.model}, η={result.lr:g}: {verdict}",
                 fontsize=10)
    lines = ax.get_legend_handles_labels()[0] + ax2.get_legend_handles_labels()[0]
    labels = ax.get_legend_handles_labels()[1] + ax2.get_legend_handles_labels()[1]
    ax.legend(lines, labels, loc="center right", fontsize=8)
    return fig


def plot_slice(result, path, *, lr: float | None = None, title: str = "") -> Path:
    """Fig. 3.1: the loss along the normalised gradient and its second differences."""
    return _save(slice_figure(result, lr=lr, title=title), path)


def slice_figure(result, *, lr: float | None = None, title: str = ""):
    """The figure of :func:`plot_slice`, unsaved."""
    plt = _plt()
    fig, (a, b) = plt.subplots(2, 1, figsize=(5.6, 5.4), sharex=True)
    t = result.t
    a.plot(t, result.losses, "o-", ms=2.5, lw=1, label="L(θ + t u)")
    quad = result.loss_min + 0.5 * result.uhu * (t - result.t_min) ** 2
    a.plot(t, quad, "--", lw=1, color="gray", label="quadratic, curvature uᵀHu")
    a.axvline(result.t_min, color="gray", ls=":", lw=1)
    a.set_ylim(min(result.losses) - 0.05 * np.ptp(result.losses),
               max(result.losses) + 0.1 * np.ptp(result.losses))
    a.set_ylabel("loss")
    a.legend(fontsize=8)
    fit = result.fit
    a.set_title(f"{title}verdict: {result.verdict} (p = {fit.p:.3f} "
                f"[{fit.p_low:.3f}, {fit.p_high:.3f}])", fontsize=10)
    h = result.grid_step
    b.plot(t[1:-1], result.second_differences / h**2, "o-", ms=2.5, lw=1,
           label="second difference / h²")
    b.axhline(result.uhu, color="gray", ls="--", lw=1, label="uᵀHu at θ (HVP)")
    if lr:
        b.axhline(2 / lr, color="tab:orange", ls=":", lw=1, label="2/η")
    b.axvline(result.t_min, color="gray", ls=":", lw=1)
    b.set_xlabel("t (distance along the normalised gradient)")
    b.set_ylabel("curvature")
    b.legend(fontsize=8)
    return fig


def plot_scales(result, path) -> Path:
    """Fig. 3.2 (left, middle): wide-range slices and curvature profiles over scales."""
    return _save(scales_figure(result), path)


def scales_figure(result):
    """The figure of :func:`plot_scales`, unsaved."""
    plt = _plt()
    n = len(result.profiles)
    fig, axes = plt.subplots(2, n, figsize=(4.0 * n, 6.0), squeeze=False)
    for j, p in enumerate(result.profiles):
        a, b = axes[0, j], axes[1, j]
        r = p.radii
        a.loglog(r, np.where(p.loss_plus > p.loss0, p.loss_plus - p.loss0, np.nan), lw=1,
                 label="L(θ + r d) - L(θ)")
        a.loglog(r, np.where(p.loss_minus > p.loss0, p.loss_minus - p.loss0, np.nan), lw=1,
                 ls="--", label="L(θ - r d) - L(θ)")
        a.set_title(f"{p.name}: {len(p.wells)} well(s)", fontsize=10)
        a.set_xlabel("r (filter-normalised)")
        a.set_ylabel("loss rise")
        a.legend(fontsize=7)
        b.loglog(r, np.where(p.curvature > 0, p.curvature, np.nan), lw=1.5)
        for k, w in enumerate(p.wells):
            b.axvline(w.inner_radius, color="tab:green", ls=":", lw=1,
                      label="well: inner radius" if k == 0 else None)
            if np.isfinite(w.rim_radius):
                b.axvline(w.rim_radius, color="tab:red", ls=":", lw=1,
                          label="well: rim radius" if k == 0 else None)
        if p.wells:
            b.legend(fontsize=7)
        b.set_xlabel("r")
        b.set_ylabel("secant curvature c(r)")
    fig.tight_layout()
    return fig


def plot_lr_decay(result, path) -> Path:
    """Fig. 2.1 (right) and Fig. 3.2 (right): loss, test accuracy and path projections."""
    plt = _plt()
    fig = plt.figure(figsize=(12, 3.8))
    a = fig.add_subplot(1, 3, 1)
    b = fig.add_subplot(1, 3, 2)
    c = fig.add_subplot(1, 3, 3, projection="3d")
    runs = [("no decay", result.base, "tab:blue")] + [
        (f"decay at {t}", br, col)
        for t, br, col in zip(result.decay_steps, result.branches, ("tab:orange", "tab:red"),
                              strict=True)]
    for name, tr, col in runs:
        a.plot(tr.loss_steps, tr.losses, lw=1, color=col, label=name)
        b.plot(tr.eval_steps, tr.test_accuracy, lw=1, color=col, label=name)
    for n, t in enumerate(result.decay_steps):
        for ax in (a, b):
            ax.axvline(t, color="gray", ls=":", lw=1,
                       label="learning-rate decay" if n == 0 else None)
    a.set_yscale("log")
    a.set_xlabel("GD step")
    a.set_ylabel("training loss")
    a.legend(fontsize=8)
    b.set_xlabel("GD step")
    b.set_ylabel("test accuracy")
    b.legend(fontsize=8)
    lo = min(float(np.min(tr.test_accuracy[len(tr.test_accuracy) // 3:])) for _, tr, _ in runs)
    b.set_ylim(lo - 0.01, 1.0)
    for proj, col, name in zip(result.pca.projections, ("tab:blue", "tab:orange", "tab:red"),
                               result.pca.names, strict=True):
        pts = np.zeros((proj.shape[0], 3))
        pts[:, : proj.shape[1]] = proj
        c.plot(pts[:, 0], pts[:, 1], pts[:, 2], lw=1.2, color=col, label=name)
    c.set_xlabel("PC1 large lr")
    c.set_ylabel("PC1 early decay")
    c.set_zlabel("PC1 late decay")
    c.legend(fontsize=7)
    fig.tight_layout()
    return _save(fig, path)


def plot_geometry(result, path) -> Path:
    """RSI, error bound and Definition 4.1's cosine along the path."""
    plt = _plt()
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.4))
    for ax, y, name in zip(axes, (result.rsi, result.eb, result.cosine),
                           ("RSI", "error bound EB", "cos(g, θ-θ*) = c"), strict=True):
        ax.plot(result.steps, y, lw=1)
        ax.set_xlabel("GD step")
        ax.set_ylabel(name)
    axes[2].axhline(0, color="gray", lw=0.8)
    axes[2].axhline(result.c_min, color="tab:red", ls="--", lw=1,
                    label=f"c_min = {result.c_min:.3f}")
    axes[2].legend(fontsize=8)
    fig.tight_layout()
    return _save(fig, path)


def plot_homogeneity(checks, rescaling, path) -> Path:
    """Section 6: relation errors (left) and per-group slices with/without rescaling."""
    plt = _plt()
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.8))
    labels = [f"({c.relation}) {c.activation}{'+b' if c.bias else ''} k={c.k:g}"
              for c in checks.checks]
    errs = [max(c.max_rel_error, 1e-18) for c in checks.checks]
    cols = ["tab:green" if c.holds else "tab:red" for c in checks.checks]
    axes[0].barh(range(len(errs)), errs, color=cols)
    axes[0].set_xscale("log")
    axes[0].set_yticks(range(len(errs)), labels, fontsize=7)
    axes[0].axvline(checks.checks[0].tolerance, color="gray", ls="--", lw=1)
    axes[0].set_xlabel(f"max relative error ({checks.dtype})")
    for ax, res, title in ((axes[1], rescaling.rescaled, "inputs × scales"),
                           (axes[2], rescaling.control, "control (no rescaling)")):
        for g, s in enumerate(res.scales):
            ax.loglog(res.radii, np.where(res.rises[g] > 0, res.rises[g], np.nan), lw=1.2,
                      label=f"group {g} (×{s:g}): λ={res.group_sharpness[g]:.3g}")
        ax.axhline(res.level, color="gray", ls=":", lw=1)
        ax.set_xlabel("r along the group's top eigenvector")
        ax.set_ylabel("rise of the group's loss")
        ax.set_title(f"{title}: width spread {res.width_spread:.1f}×", fontsize=10)
        ax.legend(fontsize=7)
    fig.tight_layout()
    return _save(fig, path)
