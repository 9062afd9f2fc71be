"""How big a reproduction is: the ``quick`` preset (the default; minutes on a 2-core CPU)
and the ``full`` one (larger grids, longer runs, all of the digits data)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from theory.errors import MslValueError
from theory.figures.phase_diagrams import Sweep


class PresetError(MslValueError):
    """An unknown preset name or an invalid preset field."""


@dataclass(frozen=True)
class Preset:
    """Sizes of every stage of ``msl reproduce``.

    Attributes:
        name: ``quick`` or ``full`` (or a custom name for a reduced test setting).
        fig_4_2_steps: GD steps on the Fig. 4.2 valley (the drift slows down near its stop).
        phase_sweeps: the learning-rate x initial-point grids of the phase diagrams.
        n_train, n_test: digits examples for the empirical stages (1,797 in all).
        eos_lr, eos_steps, sharpness_every: the edge-of-stability run (Fig. 2.1 left);
            Figs. 3.1 and 3.2 are measured at its last iterate.
        slice_points: points on the gradient-direction slice (Fig. 3.1).
        scales_radii, scales_random: radii and random directions of the wide slices
            (Fig. 3.2).
    """

    name: str
    fig_4_2_steps: int
    phase_sweeps: tuple[Sweep, ...]
    n_train: int
    n_test: int
    eos_lr: float
    eos_steps: int
    sharpness_every: int
    slice_points: int
    scales_radii: int
    scales_random: int

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.type == "int" and (not isinstance(value, int) or value <= 0):
                raise PresetError(f"{f.name}={value!r}: must be a positive integer")
        if not self.eos_lr > 0:
            raise PresetError(f"eos_lr={self.eos_lr!r}: must be positive")
        if self.n_train + self.n_test > 1797:
            raise PresetError(f"n_train + n_test = {self.n_train + self.n_test}: digits has "
                              "1,797 examples")

    def replace(self, **changes) -> Preset:
        return dataclasses.replace(self, **changes)

    def with_overrides(self, assignments: list[str]) -> Preset:
        """This preset with ``KEY=VALUE`` overrides of its scalar fields (``msl reproduce
        --set``); the name records them, e.g. ``quick+eos_steps=1000``."""
        scalars = {f.name: f.type for f in dataclasses.fields(self) if f.type in ("int",
                                                                                 "float")}
        changes: dict = {}
        for item in assignments:
            key, sep, text = str(item).partition("=")
            key = key.strip()
            if not sep or key not in scalars:
                raise PresetError(f"--set {item!r}: expected KEY=VALUE with KEY one of "
                                  f"{', '.join(scalars)}")
            try:
                changes[key] = int(text) if scalars[key] == "int" else float(text)
            except ValueError:
                raise PresetError(f"--set {item!r}: {text!r} is not a valid "
                                  f"{scalars[key]}") from None
        if not changes:
            return self
        name = self.name + "".join(f"+{k}={v}" for k, v in changes.items())
        return self.replace(name=name, **changes)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


QUICK = Preset(
    name="quick",
    fig_4_2_steps=20_000,
    phase_sweeps=(
        Sweep("f1", (0.5, 6.0, 111), (-5.0, 5.0, 80), 2000),
        Sweep("f2", (0.1, 3.0, 117), (-5.0, 5.0, 80), 2000),
    ),
    n_train=1000,
    n_test=500,
    eos_lr=0.3,
    eos_steps=3000,
    sharpness_every=20,
    slice_points=41,
    scales_radii=81,
    scales_random=2,
)

FULL = Preset(
    name="full",
    fig_4_2_steps=100_000,
    phase_sweeps=(
        Sweep("f1", (0.5, 6.0, 551), (-5.0, 5.0, 400), 10_000),
        Sweep("f2", (0.1, 3.0, 581), (-5.0, 5.0, 400), 10_000),
    ),
    n_train=1297,
    n_test=500,
    eos_lr=0.3,
    eos_steps=6000,
    sharpness_every=20,
    slice_points=81,
    scales_radii=161,
    scales_random=4,
)

PRESETS = {p.name: p for p in (QUICK, FULL)}


def preset(name: str) -> Preset:
    try:
        return PRESETS[name]
    except KeyError:
        raise PresetError(f"preset={name!r}: choose from {', '.join(PRESETS)}") from None
