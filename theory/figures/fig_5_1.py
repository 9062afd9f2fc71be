"""Fig. 5.1: learning-rate decay on two valleys at two scales (5.1).

GD from (-20, 3) at eta = 2.5, decayed to 0.25 at step 650, 700 or 750; 500 iterations
after each decay.  The caption's "before drop" curve starts at iteration 466, when x1 first
exceeds -4.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from theory import catalog
from theory._plotting import pyplot, save_figure
from theory.figures._claims import Claim
from theory.schedule import Schedule
from theory.trajectory import GDPath, gd_path


@dataclass(frozen=True)
class Decay:
    at: int
    path: GDPath
    loss_at_decay: float
    final_loss: float


@dataclass(frozen=True)
class Fig51:
    start: tuple[float, float]
    first_above_minus_4: int
    decays: tuple[Decay, ...]


def compute(decay_steps: Sequence[int] = (650, 700, 750), after: int = 500,
            start=(-20.0, 3.0), rates=(2.5, 0.25)) -> Fig51:
    landscape = catalog.fig_5_1().landscape
    decays = []
    first = -1
    for at in decay_steps:
        path = gd_path(landscape, start, rates[0], at + after,
                       Schedule.from_rates(rates, (at,)))
        above = np.flatnonzero(path.x[:, 0] > -4)
        first = int(above[0]) if above.size else -1
        decays.append(Decay(int(at), path, float(path.loss[at]), float(path.loss[-1])))
    return Fig51(tuple(start), first, tuple(decays))


def plot(data: Fig51, out_dir: str | Path, *, pdf: bool = False) -> list[Path]:
    landscape = catalog.fig_5_1().landscape
    fig, (left, middle, right) = pyplot().subplots(1, 3, figsize=(15, 4.2))
    x1 = np.linspace(-22, 6, 400)
    x2 = np.linspace(-4, 4, 300)
    values = landscape.value(np.stack(np.meshgrid(x1, x2), axis=-1))
    left.contourf(x1, x2, np.log10(values + 1e-3), levels=30, cmap="viridis")
    left.set_title("landscape, $\\log_{10}(f + 10^{-3})$")
    left.set_xlabel("$x_1$")
    left.set_ylabel("$x_2$")
    first = data.decays[-1]
    begin = max(data.first_above_minus_4, 0)
    middle.plot(first.path.x[begin:first.at + 1, 0], first.path.x[begin:first.at + 1, 1],
                color="0.6", lw=0.5, label=f"before drop (from {begin})")
    for decay in data.decays:
        seg = decay.path.x[decay.at:]
        middle.plot(seg[:, 0], seg[:, 1], lw=0.8, label=f"decay at {decay.at}")
        right.semilogy(np.arange(len(decay.path.loss)), decay.path.loss, lw=0.8,
                       label=f"decay at {decay.at}")
        right.axvline(decay.at, color="r", lw=0.5)
    middle.set_xlabel("$x_1$")
    middle.set_ylabel("$x_2$")
    middle.legend(fontsize=8)
    right.set_xlabel("iteration")
    right.set_ylabel("loss")
    right.legend(fontsize=8)
    fig.suptitle("Fig. 5.1: learning-rate decay at different steps on two valleys (5.1)")
    return save_figure(fig, Path(out_dir) / "fig_5_1", pdf=pdf)


def claims(data: Fig51) -> list[Claim]:
    """The caption's iteration 466, and the latest decay ending at less than half the loss
    of the earlier ones."""
    early = min(d.final_loss for d in data.decays[:-1])
    late = data.decays[-1]
    losses = ", ".join(f"{d.final_loss:.3g} (decay at {d.at})" for d in data.decays)
    return [
        Claim("Fig. 5.1 caption", "x1 first exceeds -4 at iteration 466",
              f"iteration {data.first_above_minus_4}", data.first_above_minus_4 == 466),
        Claim("Fig. 5.1, Section 5", "decaying too early leaves GD on the large valley; a "
              "later decay reaches the small valley", f"final losses {losses}",
              late.final_loss < 0.5 * early),
    ]
