"""Output of a central-flow run: its series as CSV/JSON and its figure."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from empirical._series import write_series
from theory.plotting import pyplot, save_figure


def write_central_flow_series(out_dir, result, name: str = "central_flow") -> dict[str, Path]:
    """``<name>_<table>.csv`` per table of ``result.tables()`` and ``<name>_series.json``
    with all of them, each written atomically (:func:`empirical.write_series`); returns
    ``{table: path}`` plus ``"json"``."""
    return write_series(out_dir, name, result)


def plot_central_flow(result, path_stem, *, pdf: bool = False) -> list[Path]:
    """Four panels: GD's loss (raw, 10-step mean) and the predicted loss; sharpness against
    2/eta; tr(Sigma); ||w_GD - w_CF|| / ||w_GD - w_0||.  Returns the written files."""
    plt = pyplot()
    fig, axes = plt.subplots(1, 4, figsize=(16, 3.6))
    t = result.steps
    ax = axes[0]
    ax.plot(t, result.gd_loss, color="0.75", lw=0.8, label="GD")
    ax.plot(t, result.gd_loss_average, color="C0", label="GD, 10-step mean")
    ax.plot(t, result.cf_predicted_loss, color="C3", ls="--", label="central flow: predicted")
    ax.plot(t, result.cf_loss, color="C2", lw=0.8, label="central flow: L(w)")
    ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_title("training loss")
    ax.legend(fontsize=7)
    ax = axes[1]
    ax.plot(result.gd_sharpness_steps, result.gd_sharpness, ".", ms=3, color="C0", label="GD")
    ax.plot(t, result.cf_sharpness, color="C3", label="central flow")
    ax.axhline(result.threshold, color="k", ls=":", label="threshold")
    ax.set_xlabel("step")
    ax.set_title("sharpness")
    ax.legend(fontsize=7)
    ax = axes[2]
    ax.plot(t, result.cf_sigma2, color="C3")
    ax.set_xlabel("step")
    ax.set_title("tr(Sigma) of the central flow")
    ax = axes[3]
    ax.plot(t, result.distance, color="C1")
    ax.axhline(0.1, color="k", ls=":")
    late = result.distance[5:]
    top = float(np.nanmax(late)) * 1.1 if late.size and np.isfinite(late).any() else 0.0
    ax.set_ylim(0, max(0.15, top))
    ax.set_xlabel("step")
    ax.set_title("||w_GD - w_CF|| / ||w_GD - w_0||")
    fig.tight_layout()
    paths = save_figure(fig, path_stem, pdf=pdf)
    plt.close(fig)
    return paths
