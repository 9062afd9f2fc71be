"""How big a reproduction is: the ``quick`` preset (the default; a minute or two on a 2-core
CPU) and the ``full`` one (larger grids, longer runs, all of the digits data).

A :class:`Preset` holds the sizes of the theory stages and the :class:`empirical.figures.
Setting` of the empirical ones (importing it does not load torch).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from empirical.figures import FULL as EMPIRICAL_FULL
from empirical.figures import QUICK as EMPIRICAL_QUICK
from empirical.figures import Setting
from msl.reproduction.beyond_gd import BEYOND_GD_FULL, BEYOND_GD_QUICK, BeyondGDSizes
from msl.reproduction.bifurcation_stage import (
    BIFURCATION_FULL,
    BIFURCATION_QUICK,
    BifurcationSizes,
)
from theory.errors import MslValueError
from theory.figures.phase_diagrams import Sweep
from theory.limits import SET_BOUNDS, check_bound


class PresetError(MslValueError):
    """An unknown preset name, or an invalid ``--set`` override."""


#: ``--set`` keys -> (where the value goes, its type); "spec." keys go to the ProblemSpec
OVERRIDES = {
    "fig_4_2_steps": ("fig_4_2_steps", int),
    "phase_steps": ("phase_steps", int),
    "eos_lr": ("empirical.lr", float),
    "eos_steps": ("empirical.steps", int),
    "sharpness_every": ("empirical.sharpness_every", int),
    "slice_points": ("empirical.slice_points", int),
    "scales_radii": ("empirical.scales_radii", int),
    "n_random": ("empirical.n_random", int),
    "n_train": ("empirical.spec.n_train", int),
    "n_test": ("empirical.spec.n_test", int),
    "decay_factor": ("empirical.decay_factor", float),
    "multiscale_steps": ("empirical.multiscale_steps", int),
    "multiscale_n_train": ("empirical.multiscale_n_train", int),
}


@dataclass(frozen=True)
class Preset:
    """Sizes of every stage of ``msl reproduce``.

    Attributes:
        name: ``quick`` or ``full``; ``--set`` overrides are appended to it
            (``quick+eos_steps=1000``), so a report says what it ran.
        fig_4_2_steps: GD steps on the Fig. 4.2 valley (the drift slows down near its stop).
        phase_sweeps: the learning-rate x initial-point grids of the phase diagrams.
        empirical: data, network, edge-of-stability run and grids of Figs. 2.1, 3.1, 3.2.
        beyond_gd: sizes of the momentum / Remark 4.1 / Remark 4.2 stages (issue 13).
        bifurcation: the function, window and grids of the bifurcation stage (issue 21).
    """

    name: str
    fig_4_2_steps: int
    phase_sweeps: tuple[Sweep, ...]
    empirical: Setting
    beyond_gd: BeyondGDSizes = BEYOND_GD_QUICK
    bifurcation: BifurcationSizes = BIFURCATION_QUICK

    def __post_init__(self) -> None:
        if not isinstance(self.fig_4_2_steps, int) or self.fig_4_2_steps < 10:
            raise PresetError(f"fig_4_2_steps={self.fig_4_2_steps!r}: must be an integer "
                              ">= 10")
        for sweep in self.phase_sweeps:
            if not isinstance(sweep.steps, int) or sweep.steps < 40:
                raise PresetError(f"phase_steps={sweep.steps!r}: must be an integer >= 40 "
                                  "(the classifier keeps the last 32 iterates)")
        spec = self.empirical.spec
        if spec.data == "digits" and spec.n_train + spec.n_test > 1797:
            raise PresetError(f"n_train + n_test = {spec.n_train + spec.n_test}: digits has "
                              "1,797 examples")

    def replace(self, **changes) -> Preset:
        return dataclasses.replace(self, **changes)

    def with_overrides(self, assignments: list[str]) -> Preset:
        """This preset with ``KEY=VALUE`` overrides (``msl reproduce --set``; keys in
        :data:`OVERRIDES`)."""
        preset = self
        applied = []
        for item in assignments:
            key, sep, text = str(item).partition("=")
            key = key.strip()
            if not sep or key not in OVERRIDES:
                raise PresetError(f"--set {item!r}: expected KEY=VALUE with KEY one of "
                                  f"{', '.join(OVERRIDES)}")
            target, kind = OVERRIDES[key]
            try:
                value = kind(text)
            except ValueError:
                raise PresetError(f"--set {item!r}: {text!r} is not a valid "
                                  f"{kind.__name__}") from None
            try:
                if key in SET_BOUNDS:  # refused up front, with the estimate
                    check_bound(SET_BOUNDS[key], value, name=key)
                preset = preset._set(target, value)
            except MslValueError as exc:
                raise PresetError(f"--set {item!r}: {exc}") from None
            applied.append(f"+{key}={value}")
        return preset.replace(name=self.name + "".join(applied)) if applied else self

    def _set(self, target: str, value) -> Preset:
        if target == "fig_4_2_steps":
            return self.replace(fig_4_2_steps=value)
        if target == "phase_steps":
            return self.replace(phase_sweeps=tuple(dataclasses.replace(s, steps=value)
                                                   for s in self.phase_sweeps))
        setting = self.empirical
        field = target.removeprefix("empirical.")
        if field.startswith("spec."):
            spec = setting.spec.replace(**{field.removeprefix("spec."): value})
            return self.replace(empirical=setting.replace(spec=spec))
        return self.replace(empirical=setting.replace(**{field: value}))

    def to_dict(self) -> dict:
        return {"name": self.name, "fig_4_2_steps": self.fig_4_2_steps,
                "phase_sweeps": [dataclasses.asdict(s) for s in self.phase_sweeps],
                "empirical": {**{f.name: getattr(self.empirical, f.name)
                                 for f in dataclasses.fields(self.empirical)
                                 if f.name != "spec"},
                              "spec": self.empirical.spec.to_dict()},
                "beyond_gd": self.beyond_gd.to_dict(),
                "bifurcation": self.bifurcation.to_dict()}


QUICK = Preset(
    name="quick",
    fig_4_2_steps=20_000,
    phase_sweeps=(
        Sweep("f1", (0.5, 6.0, 111), (-5.0, 5.0, 80), 2000),
        Sweep("f2", (0.1, 3.0, 117), (-5.0, 5.0, 80), 2000),
    ),
    empirical=EMPIRICAL_QUICK,
)

FULL = Preset(
    name="full",
    fig_4_2_steps=100_000,
    phase_sweeps=(
        # publication scale (issue 12): >= 1,000 learning-rate columns per bifurcation diagram
        Sweep("f1", (0.5, 6.0, 1101), (-5.0, 5.0, 400), 10_000),
        Sweep("f2", (0.1, 3.0, 1161), (-5.0, 5.0, 400), 10_000),
    ),
    empirical=EMPIRICAL_FULL,
    beyond_gd=BEYOND_GD_FULL,
    bifurcation=BIFURCATION_FULL,
)

PRESETS = {p.name: p for p in (QUICK, FULL)}


def preset(name: str) -> Preset:
    try:
        return PRESETS[name]
    except KeyError:
        raise PresetError(f"preset={name!r}: choose from {', '.join(PRESETS)}") from None
