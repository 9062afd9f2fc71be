"""Fig. 4.2: GD on the flattening valley f1(x2/(1 + 0.01 x1)) against the quasistatic flow
(4.8).  Initialisation (1, 1), learning rate 3."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from theory import catalog, quasistatic
from theory.figures._claims import Claim
from theory.plotting import pyplot, save_figure
from theory.trajectory import GDPath, gd_path


@dataclass(frozen=True)
class Fig42:
    """GD path, the flow (4.8) from the same x1, and how far apart they are.

    ``x1_deviation``: max |x1_GD - x1_flow| / x1_flow; ``y_deviation``: the same for |x2|
    against the amplitude y of (4.7), after the first 200 steps (the transient onto the
    orbit); ``x1_stop``: where the flow halts, eta h(x1)^2 f1''(0) = 2 (the prediction);
    ``x1_extrapolated_stop``: where GD's own drift stops, measured: the intercept at
    |x2| = 0 of a quadratic fit of x1 against |x2| over the last quarter of the run (near
    the halting point the amplitude |x2| vanishes linearly in x1* - x1, so GD reaches it
    only as t -> infinity); ``drift_speed``: the mean |x1_{t+1} - x1_t| over the last 100
    steps.
    """

    eta: float
    gd: GDPath
    flow: quasistatic.QuasistaticTrajectory
    x1_deviation: float
    y_deviation: float
    x1_stop: float
    x1_extrapolated_stop: float
    drift_speed: float


def compute(steps: int = 20000, eta: float = 3.0, start=(1.0, 1.0)) -> Fig42:
    valley = catalog.fig_4_2()
    path = gd_path(valley, start, eta, steps)
    flow = quasistatic.quasistatic_flow(valley, [start[0]], eta, steps)
    x1_dev = float(np.max(np.abs(path.x[:, 0] - flow.x[:, 0]) / np.abs(flow.x[:, 0])))
    late = slice(200, None)
    y_dev = float(np.max(np.abs(np.abs(path.x[late, 1]) - flow.y[late]) / flow.y[late]))
    # h(x1) = 1/(1 + 0.01 x1) equals the halting level at x1*
    x1_stop = 100 * (1 / quasistatic.halting_level(valley, eta) - 1)
    tail = path.x[3 * steps // 4:]
    extrapolated = np.polynomial.polynomial.polyfit(np.abs(tail[:, 1]), tail[:, 0], 2)[0]
    speed = float(np.mean(np.abs(np.diff(path.x[-101:, 0]))))
    return Fig42(eta, path, flow, x1_dev, y_dev, float(x1_stop), float(extrapolated), speed)


def plot(data: Fig42, out_dir: str | Path, *, pdf: bool = False) -> list[Path]:
    fig, (left, middle, right) = pyplot().subplots(1, 3, figsize=(15, 4.2))
    x1 = np.linspace(min(data.gd.x[:, 0].min(), 0) - 2, data.x1_stop + 5, 300)
    x2 = np.linspace(-1.3, 1.3, 200)
    grid = np.stack(np.meshgrid(x1, x2), axis=-1)
    values = catalog.fig_4_2().landscape.value(grid)
    left.contourf(x1, x2, values, levels=30, cmap="viridis")
    left.plot(data.gd.x[:12, 0], data.gd.x[:12, 1], "w-", lw=0.6, label="GD, first 12 steps")
    left.scatter(data.gd.x[::25, 0], data.gd.x[::25, 1], s=3, c="w", label="GD, every 25th")
    left.axvline(data.x1_stop, color="r", ls="--", label="flow halts")
    left.set_xlabel("$x_1$")
    left.set_ylabel("$x_2$")
    left.legend(fontsize=8)
    t = np.arange(len(data.gd.loss))
    middle.plot(t, data.gd.x[:, 0], label="GD")
    middle.plot(t, data.flow.x[:, 0], "--", label="quasistatic (4.8)")
    middle.axhline(data.x1_stop, color="r", ls=":", label="predicted halting point")
    middle.axhline(data.x1_extrapolated_stop, color="k", ls="-.", lw=0.8,
                   label="GD's drift, extrapolated to $|x_2| = 0$")
    middle.set_xlabel("iteration")
    middle.set_ylabel("$x_1$")
    middle.legend(fontsize=8)
    right.plot(t, np.abs(data.gd.x[:, 1]), label="GD $|x_2|$")
    right.plot(t, data.flow.y, "--", label="quasistatic $y$ (4.7)")
    right.set_xlabel("iteration")
    right.set_ylabel("$|x_2|$")
    right.legend(fontsize=8)
    fig.suptitle(f"Fig. 4.2: flattening valley, $\\eta$ = {data.eta:g}; "
                 f"max relative gap in $x_1$: {data.x1_deviation:.2%}")
    return save_figure(fig, Path(out_dir) / "fig_4_2", pdf=pdf)


def claims(data: Fig42) -> list[Claim]:
    """(4.8) within 1% of GD in x1 and |x2|; GD's x1 never passes the halting point, and
    its drift, extrapolated to zero amplitude, stops within 1% of it."""
    steps = len(data.gd.loss) - 1
    stop_gap = abs(data.x1_extrapolated_stop - data.x1_stop) / data.x1_stop
    passed = float(data.gd.x[:, 0].max())
    return [
        Claim.tested(
            "Fig. 4.2", "the quasistatic flow (4.8) is a very good approximation of GD",
            f"max relative gap {data.x1_deviation:.2%} in x1, {data.y_deviation:.2%} in |x2| "
            f"over {steps} steps", holds=data.x1_deviation < 0.01 and data.y_deviation < 0.01,
            criterion="max relative gap < 1% in x1 and in |x2| (after 200 steps)",
            numbers={"steps": steps, "x1_gap": data.x1_deviation,
                     "x2_gap": data.y_deviation}),
        Claim.tested(
            "Fig. 4.2, Section 4.4", "the flatness-driven drift slows down and stops where "
            "eta h(x1)^2 f''(0) = 2, i.e. at x1* = 100 (sqrt(3/2) - 1)",
            f"GD's drift extrapolates to a stop at x1 = {data.x1_extrapolated_stop:.4f} "
            f"against x1* = {data.x1_stop:.4f} (x1 = {data.gd.x[-1, 0]:.3f} after {steps} "
            f"steps, moving {data.drift_speed:.1e} per step); never beyond x1*",
            holds=stop_gap < 0.01 and passed < data.x1_stop,
            criterion="extrapolated stop within 1% of x1* and max x1 < x1*",
            numbers={"steps": steps, "predicted_stop": data.x1_stop,
                     "extrapolated_stop": data.x1_extrapolated_stop, "relative_gap": stop_gap,
                     "final_x1": float(data.gd.x[-1, 0]), "max_x1": passed,
                     "drift_speed": data.drift_speed}),
    ]
