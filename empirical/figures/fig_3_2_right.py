"""Fig. 3.2 (right): the parameter path before and after each learning-rate decay, projected
on its principal directions (Section 3.2).

The same three runs as :mod:`~empirical.figures.fig_2_1_right` (one edge-of-stability run,
two branches decayed at ``t1 < t2``; the branches are reused from its checkpoints).  As
in the paper's caption, the axes are the first principal components of the large-learning-
rate segment ``[t1, t2]``, of the branch decayed at ``t1`` and of the branch decayed at
``t2``, orthonormalised in that order; the paths are drawn relative to the parameters at
``t1``.  The paper: "the iterator goes along very different directions when the learning
rate is decayed at different epochs, ... different from the large-scale structure
reflected by the blue curves picked by large learning rate".

"Very different" is decided on the absolute cosines between those principal directions:
at most :data:`MAX_ABS_COSINE` (an angle of at least 60 degrees).
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import numpy as np

from empirical._eos import DEFAULT_LR, DEFAULT_STEPS
from empirical._lr_decay import LrDecayResult
from empirical._spec import ProblemSpec
from empirical.figures import fig_2_1_right
from theory.figures import Claim
from theory.files import atomic_write_text
from theory.plotting import pyplot, save_figure
from theory.validation import json_safe

NAME = "fig_3_2_right"
SOURCE = "Section 3.2, Fig. 3.2 right"
#: "very different directions": |cos| between first principal directions at most this
MAX_ABS_COSINE = 0.5


def compute(spec: ProblemSpec | None = None, *, lr: float = DEFAULT_LR,
            steps: int = DEFAULT_STEPS, run_dir=None, progress: bool = True,
            sharpness_every: int = 20, decay_at=(1 / 3, 2 / 3), factor: float = 0.1
            ) -> LrDecayResult:
    """The runs of :func:`fig_2_1_right.compute` (reused from ``run_dir``)."""
    return fig_2_1_right.compute(spec, lr=lr, steps=steps, run_dir=run_dir,
                                 progress=progress, sharpness_every=sharpness_every,
                                 decay_at=decay_at, factor=factor)


def _padded(projection: np.ndarray) -> np.ndarray:
    pts = np.zeros((projection.shape[0], 3))
    pts[:, : projection.shape[1]] = projection
    return pts


def plot(data: LrDecayResult, out_dir: str | Path, *, pdf: bool = False) -> list[Path]:
    """The three path segments in the 3-D principal basis (left) and two of its planes."""
    pca = data.pca
    fig = pyplot().figure(figsize=(13, 4.0))
    ax3 = fig.add_subplot(1, 3, 1, projection="3d")
    planes = (fig.add_subplot(1, 3, 2), fig.add_subplot(1, 3, 3))
    axis = ("PC1 before decay", f"PC1 decayed at {data.decay_steps[0]}",
            f"PC1 decayed at {data.decay_steps[1]}")
    for proj, colour, name in zip(pca.projections, fig_2_1_right.COLOURS, pca.names,
                                  strict=True):
        pts = _padded(proj)
        ax3.plot(pts[:, 0], pts[:, 1], pts[:, 2], lw=1.2, color=colour, label=name)
        ax3.scatter(*pts[-1], color=colour, s=12)
        for ax, (i, j) in zip(planes, ((0, 1), (0, 2)), strict=True):
            ax.plot(pts[:, i], pts[:, j], lw=1.2, color=colour, label=name)
            ax.scatter(pts[-1, i], pts[-1, j], color=colour, s=12)
            ax.set_xlabel(axis[i])
            ax.set_ylabel(axis[j])
    ax3.set_xlabel(axis[0], fontsize=8)
    ax3.set_ylabel(axis[1], fontsize=8)
    ax3.set_zlabel(axis[2], fontsize=8)
    ax3.legend(fontsize=7)
    c = pca.cosines
    fig.suptitle(f"Fig. 3.2 (right): the path before and after each decay on its principal "
                 f"directions; |cos| {c[0, 1]:.2f} (before vs decayed at {data.decay_steps[0]}), "
                 f"{c[0, 2]:.2f} (before vs {data.decay_steps[1]}), {c[1, 2]:.2f} (the two "
                 "decays)", fontsize=10, y=1.02)
    fig.tight_layout()
    return save_figure(fig, Path(out_dir) / NAME, pdf=pdf)


def series(data: LrDecayResult, out_dir: str | Path) -> list[Path]:
    """The projected paths as CSV (segment, step, x, y, z) and the principal directions'
    cosines and explained variances as JSON."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    t1, t2 = data.decay_steps
    every = int(data.base.snap_steps[1] - data.base.snap_steps[0])
    starts = (t1, t1, t2)
    table = out / f"{NAME}_projections.csv"
    text = io.StringIO(newline="")
    writer = csv.writer(text)
    writer.writerow(["segment", "step", "pc_before", "pc_decay_t1", "pc_decay_t2"])
    for name, proj, start in zip(data.pca.names, data.pca.projections, starts, strict=True):
        for k, row in enumerate(_padded(proj)):
            writer.writerow([name, start + k * every, *(float(x) for x in row)])
    atomic_write_text(table, text.getvalue())
    info = out / f"{NAME}_pca.json"
    atomic_write_text(info, json.dumps(json_safe({
        "segments": list(data.pca.names), "decay_steps": [t1, t2],
        "explained_variance_share": data.pca.explained.tolist(),
        "abs_cosines": data.pca.cosines.tolist()}), indent=1) + "\n")
    return [table, info]


def claims(data: LrDecayResult) -> list[Claim]:
    """(a) the branches decayed at ``t1`` and ``t2`` move along very different directions;
    (b) both differ from the large-learning-rate direction before the decays."""
    t1, t2 = data.decay_steps
    c = data.pca.cosines
    share = data.pca.explained
    base = {"t1": t1, "t2": t2, "max_abs_cosine": MAX_ABS_COSINE,
            "explained_before": float(share[0]), "explained_decay_t1": float(share[1]),
            "explained_decay_t2": float(share[2])}
    between = float(c[1, 2])
    out = [Claim.tested(
        SOURCE, "after decays at different times the iterates go along very different "
        "directions",
        f"|cos| between the first principal directions of the branches decayed at {t1} and "
        f"{t2}: {between:.3f} (angle {np.degrees(np.arccos(min(between, 1.0))):.0f} deg; "
        f"they explain {share[1]:.0%} and {share[2]:.0%} of each branch's variance)",
        holds=between <= MAX_ABS_COSINE,
        criterion=f"|cos(PC1 decayed at t1, PC1 decayed at t2)| <= {MAX_ABS_COSINE:g}",
        numbers={**base, "abs_cos_decay_t1_decay_t2": between})]
    before = [float(c[0, 1]), float(c[0, 2])]
    out.append(Claim.tested(
        SOURCE, "the directions after the decays differ from the large-scale direction "
        "picked by the large learning rate",
        f"|cos| between the large-learning-rate direction (steps {t1}-{t2}, "
        f"{share[0]:.0%} of its variance) and the decayed branches': {before[0]:.3f} "
        f"(at {t1}), {before[1]:.3f} (at {t2})",
        holds=max(before) <= MAX_ABS_COSINE,
        criterion=f"|cos(PC1 before decay, PC1 of each decayed branch)| <= "
                  f"{MAX_ABS_COSINE:g}",
        numbers={**base, "abs_cos_before_decay_t1": before[0],
                 "abs_cos_before_decay_t2": before[1]}))
    return out
