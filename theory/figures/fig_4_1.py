"""Fig. 4.1: GD with learning-rate decay on f1 (convex), f2 and f3 (non-convex).

Caption: (left) f1, x0 = -5, eta = 5, then 3 and 1 at iterations 100 and 150; (middle) f2
of (6.2) with C = 3, x0 = -5, eta = 2, then 0.5 and 0.2 at iterations 500 and 700 (chaotic);
(right) f3, x0 = (-3, 3), eta = 1, then 0.3 and 0.1 at iterations 200 and 400 (chaotic).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from theory import catalog
from theory.figures._claims import Claim
from theory.plotting import pyplot, save_figure
from theory.schedule import Schedule
from theory.subquadratic import Subquadratic
from theory.trajectory import GDPath, gd_path


@dataclass(frozen=True)
class PanelSpec:
    name: str
    function: Callable
    x0: tuple[float, ...]
    rates: tuple[float, ...]
    boundaries: tuple[int, ...]
    steps: int


PANELS = (
    PanelSpec("f1", catalog.f1, (-5.0,), (5.0, 3.0, 1.0), (100, 150), 250),
    PanelSpec("f2", catalog.f2, (-5.0,), (2.0, 0.5, 0.2), (500, 700), 900),
    PanelSpec("f3", catalog.f3, (-3.0, 3.0), (1.0, 0.3, 0.1), (200, 400), 600),
)


@dataclass(frozen=True)
class Phase:
    """One constant-rate stretch of a panel: what theory predicts and what GD did.

    ``x_eta`` is the period-2 point for 1-D functions above their threshold (None below it
    or in 2-D); ``abs_range`` is (min, max) of |x_t| (1-D) or ||x_t|| (2-D) over the last
    half of the stretch; ``lyapunov`` is the mean of log|1 - eta f''(x_t)| (1-D) or of the
    log of the spectral radius of I - eta H(x_t) (2-D) over that half: a positive value
    means the stretch is chaotic.
    """

    eta: float
    start: int
    stop: int
    above_threshold: bool
    x_eta: float | None
    stable: bool | None
    abs_range: tuple[float, float]
    lyapunov: float


@dataclass(frozen=True)
class Panel:
    spec: PanelSpec
    path: GDPath
    threshold: float
    phases: tuple[Phase, ...]


def _threshold(function) -> float:
    if isinstance(function, Subquadratic):
        return float(function.threshold)
    top = np.linalg.eigvalsh(function.hessian(np.zeros((1, function.dim)))[0]).max()
    return float(2 / top)


def _phase(function, path: GDPath, eta: float, start: int, stop: int, threshold: float) -> Phase:
    tail = slice(start + (stop - start) // 2, stop + 1)
    x = path.x[tail]
    size = np.abs(x[:, 0]) if x.shape[1] == 1 else np.linalg.norm(x, axis=1)
    above = eta > threshold
    x_eta = stable = None
    if isinstance(function, Subquadratic):
        multipliers = np.abs(1 - eta * function.d2f(x[:, 0]))
        if above:
            orbit = function.periodic_orbit(eta)
            x_eta, stable = orbit.x_eta, orbit.stable
    else:
        hessians = function.hessian(x)
        jacobians = np.eye(x.shape[1]) - eta * hessians
        multipliers = np.max(np.abs(np.linalg.eigvals(jacobians)), axis=-1)
    with np.errstate(divide="ignore"):
        lyapunov = float(np.mean(np.log(multipliers)))
    return Phase(eta, start, stop, bool(above), x_eta, stable,
                 (float(size.min()), float(size.max())), lyapunov)


def compute(panels: Sequence[PanelSpec] = PANELS) -> tuple[Panel, ...]:
    """Run the three GD paths of Fig. 4.1 and measure each constant-rate stretch."""
    out = []
    for spec in panels:
        function = spec.function()
        path = gd_path(function, spec.x0, spec.rates[0], spec.steps,
                       Schedule.from_rates(spec.rates, spec.boundaries))
        threshold = _threshold(function)
        edges = (0, *spec.boundaries, spec.steps)
        phases = tuple(
            _phase(function, path, eta, edges[j], edges[j + 1], threshold)
            for j, eta in enumerate(spec.rates)
        )
        out.append(Panel(spec, path, threshold, phases))
    return tuple(out)


def plot(panels: Sequence[Panel], out_dir: str | Path, *, pdf: bool = False) -> list[Path]:
    fig, axes = pyplot().subplots(2, len(panels), figsize=(5 * len(panels), 6.5),
                                  sharex="col")
    axes = np.atleast_2d(axes).reshape(2, len(panels))
    for k, panel in enumerate(panels):
        top, bottom = axes[0, k], axes[1, k]
        t = np.arange(len(panel.path.loss))
        for i in range(panel.path.x.shape[1]):
            label = f"$x_{{{i + 1}}}$" if panel.path.x.shape[1] > 1 else "$x_t$"
            top.plot(t, panel.path.x[:, i], lw=0.8, marker=".", ms=2, label=label)
        for phase in panel.phases:
            if phase.x_eta is not None:
                style = "-" if phase.stable else ":"
                for sign in (1, -1):
                    top.hlines(sign * phase.x_eta, phase.start, phase.stop, colors="k",
                               linestyles=style, lw=1.2,
                               label=(f"$\\pm x_\\eta$ ({'stable' if phase.stable else 'unstable'})"
                                      if sign == 1 and phase is panel.phases[0] else None))
        for n, b in enumerate(panel.spec.boundaries):
            top.axvline(b, color="r", lw=0.8, label="learning-rate decay" if n == 0 else None)
            bottom.axvline(b, color="r", lw=0.8)
        rates = ", ".join(f"{r:g}" for r in panel.spec.rates)
        top.set_title(f"{panel.spec.name}: $\\eta$ = {rates}; threshold {panel.threshold:.3g}")
        top.legend(loc="best", fontsize=8)
        bottom.semilogy(t, np.maximum(panel.path.loss, 1e-300), lw=0.8)
        losses = np.asarray(panel.path.loss, dtype=float)
        positive = losses[np.isfinite(losses) & (losses > 1e-16)]
        if positive.size:  # autoscaled to the data; below 1e-16 is rounding noise
            bottom.set_ylim(max(1e-16, positive.min() / 3), positive.max() * 3)
        bottom.set_xlabel("iteration $t$")
        bottom.set_ylabel("$f(x_t)$")
        top.set_ylabel("$x_t$")
    fig.suptitle("Fig. 4.1: GD on subquadratic functions with learning-rate decay")
    fig.tight_layout()  # room for the 10^k labels and each panel's y label
    return save_figure(fig, Path(out_dir) / "fig_4_1", pdf=pdf)


def claims(panels: Sequence[Panel]) -> list[Claim]:
    """Per stretch: on {+-x_eta} (relative 1e-6) for a stable orbit, chaotic (Lyapunov
    exponent > 0.1) and bounded (|x| < 10) for an unstable one or in 2-D above the threshold,
    |x| < 1e-10 below the threshold."""
    out = []
    for panel in panels:
        for phase in panel.phases:
            source = f"Fig. 4.1, {panel.spec.name}, eta = {phase.eta:g}"
            low, high = phase.abs_range
            numbers = {"eta": phase.eta, "threshold": panel.threshold, "start": phase.start,
                       "stop": phase.stop, "min_abs_x": low, "max_abs_x": high,
                       "lyapunov": phase.lyapunov}
            if not phase.above_threshold:
                out.append(Claim.tested(
                    source, "GD converges to the minimum (eta below the threshold 2/f''(0))",
                    f"|x| <= {high:.2g} over the second half of the stretch",
                    holds=high < 1e-10, criterion="max |x| < 1e-10", numbers=numbers))
            elif phase.stable and phase.x_eta is not None:
                gap = max(abs(low - phase.x_eta), abs(high - phase.x_eta)) / phase.x_eta
                out.append(Claim.tested(
                    source, f"GD settles on the period-2 orbit +-x_eta = {phase.x_eta:.6g} "
                    "(Lemma 4.1, Theorem 4.1)", f"|x| in [{low:.10g}, {high:.10g}]",
                    holds=gap < 1e-6, criterion="max relative gap of |x| to x_eta < 1e-6",
                    numbers={**numbers, "x_eta": phase.x_eta, "relative_gap": gap}))
            else:
                out.append(Claim.tested(
                    source, "above the threshold GD neither converges nor settles: chaotic "
                    "but bounded", f"Lyapunov exponent {phase.lyapunov:.3f}, |x| in "
                    f"[{low:.2g}, {high:.2g}]", holds=phase.lyapunov > 0.1 and high < 10,
                    criterion="Lyapunov exponent > 0.1 and max |x| < 10",
                    numbers={**numbers, "x_eta": phase.x_eta}))
    return out
