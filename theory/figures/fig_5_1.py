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
from theory.figures._claims import Claim
from theory.plotting import pyplot, save_figure
from theory.schedule import Schedule
from theory.trajectory import GDPath, gd_path

#: "converged" in the claims: within this distance of the global minimum (0, 0)
NEAR_MINIMUM = 0.1


@dataclass(frozen=True)
class Decay:
    """One decay at step ``at``: the loss there, and at the end (``after`` steps later) the
    loss and the distance to the global minimum at the origin; ``steps_to_minimum`` is the
    number of steps after the decay until that distance is below :data:`NEAR_MINIMUM`
    (-1: not within the run)."""

    at: int
    path: GDPath
    loss_at_decay: float
    final_loss: float
    final_distance: float
    steps_to_minimum: int


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
        distance = np.linalg.norm(path.x[at:], axis=1)
        near = np.flatnonzero(distance < NEAR_MINIMUM)
        decays.append(Decay(int(at), path, float(path.loss[at]), float(path.loss[-1]),
                            float(distance[-1]), int(near[0]) if near.size else -1))
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
        right.axvline(decay.at, color="r", lw=0.5, label="learning-rate decay"
                      if decay is data.decays[0] else None)
    middle.set_xlabel("$x_1$")
    middle.set_ylabel("$x_2$")
    middle.legend(fontsize=8)
    right.set_xlabel("iteration")
    right.set_ylabel("loss")
    right.legend(fontsize=8)
    fig.suptitle("Fig. 5.1: learning-rate decay at different steps on two valleys (5.1)")
    return save_figure(fig, Path(out_dir) / "fig_5_1", pdf=pdf)


def claims(data: Fig51) -> list[Claim]:
    """The caption's iteration 466; the text's "the loss values when the learning rate is
    decayed are similar" (within 10%) and "the three trajectories take drastically
    different amount of time to converge": only the latest decay gets within
    :data:`NEAR_MINIMUM` of the minimum in the 500 steps after it."""
    after = len(data.decays[0].path.loss) - 1 - data.decays[0].at
    at_decay = [d.loss_at_decay for d in data.decays]
    spread = max(at_decay) / min(at_decay)
    distances = ", ".join(f"{d.final_distance:.3g} (decay at {d.at})" for d in data.decays)
    late, early = data.decays[-1], data.decays[:-1]
    numbers = {f"distance_after_decay_at_{d.at}": d.final_distance for d in data.decays}
    numbers |= {f"steps_to_minimum_after_decay_at_{d.at}": d.steps_to_minimum
                for d in data.decays}
    return [
        Claim.tested(
            "Fig. 5.1 caption", "x1 first exceeds -4 at iteration 466",
            f"iteration {data.first_above_minus_4}", holds=data.first_above_minus_4 == 466,
            criterion="first t with x1 > -4 equals 466",
            numbers={"first_above_minus_4": data.first_above_minus_4}),
        Claim.tested(
            "Fig. 5.1, Section 5", "the loss values when the learning rate is decayed are "
            "similar", "losses at the decay " + ", ".join(f"{v:.4g}" for v in at_decay),
            holds=spread < 1.1, criterion="max / min of the three losses < 1.1",
            numbers={"max_over_min": spread,
                     **{f"loss_at_decay_{d.at}": d.loss_at_decay for d in data.decays}}),
        Claim.tested(
            "Fig. 5.1, Section 5", "decaying too early leaves GD on the large valley; the "
            "three runs take drastically different times to converge",
            f"distance to the minimum {after} steps after the decay: {distances}",
            holds=(0 <= late.steps_to_minimum <= after
                   and all(d.steps_to_minimum < 0 for d in early)),
            criterion=f"only the latest decay gets within {NEAR_MINIMUM:g} of (0, 0) within "
                      f"{after} steps",
            numbers={"after": after, "near_minimum": NEAR_MINIMUM, **numbers}),
    ]
