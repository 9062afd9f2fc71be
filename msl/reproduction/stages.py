"""The stages of ``msl reproduce``: one per figure of the paper, plus the phase diagrams and
the catalog check.  Each stage calls the packages' public figure modules
(``compute`` -> ``plot`` -> ``claims``) and returns its claims and figure files.

The captions say in our words what each figure of the paper shows; the gallery
(``docs/gallery.md``) and ``report.md`` use them.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from msl import stage_names
from msl.reproduction.beyond_gd import stages as _beyond_gd_stages
from msl.reproduction.bifurcation_stage import stage as _bifurcation_stage
from msl.reproduction.presets import Preset


@dataclass(frozen=True)
class Context:
    """What a stage gets: its own folder ``out``, the run's ``root``, the preset, the seed
    of the empirical stages, their torch device, and output options."""

    root: Path
    out: Path
    preset: Preset
    seed: int
    device: str
    pdf: bool
    progress: bool


@dataclass(frozen=True)
class StageOutput:
    claims: list                     # theory.figures.Claim
    figures: list[Path]              # PNG (and PDF) files
    files: tuple[Path, ...] = ()     # other results a reader may want (tables, JSON)


@dataclass(frozen=True)
class Stage:
    """``name`` (what ``--only`` takes), ``caption`` (the paper's figure in our words),
    ``run``, and ``settings(preset)``: the part of the preset the stage depends on (a
    finished stage is redone when it changes).  Its ``title`` is
    :data:`msl.stage_names.STAGE_TITLES`' entry (one place, read by ``--help`` too)."""

    name: str
    caption: str
    run: Callable[[Context], StageOutput]
    settings: Callable[[Preset], dict]
    empirical: bool = False

    @property
    def title(self) -> str:
        return stage_names.STAGE_TITLES[self.name]


def _figure(module, ctx: Context, **kwargs) -> StageOutput:
    """compute -> claims, plot, and the raw series where the module writes them
    (``series(data, out)``: CSV/JSON beside the PNG)."""
    data = module.compute(**kwargs)
    series = getattr(module, "series", None)
    files = tuple(series(data, ctx.out)) if series is not None else ()
    return StageOutput(module.claims(data), module.plot(data, ctx.out, pdf=ctx.pdf), files)


def _theory_stage(figure: str, options: Callable[[Context], dict] = lambda ctx: {}
                  ) -> Callable[[Context], StageOutput]:
    """The stage of ``theory.figures.<figure>``, with ``options(ctx)`` for its compute."""
    def run(ctx: Context) -> StageOutput:
        import importlib

        module = importlib.import_module(f"theory.figures.{figure}")
        return _figure(module, ctx, **options(ctx))

    return run


def _check(ctx: Context) -> StageOutput:
    from proofs_check import check_catalog

    report = check_catalog(progress=ctx.progress)
    from theory.files import atomic_write_text, make_folders

    make_folders(ctx.out)
    atomic_write_text(ctx.out / "table.txt", report.table() + "\n")
    atomic_write_text(ctx.out / "results.json", json.dumps(report.to_dict(), indent=1))
    return StageOutput(report.claims(), [], (ctx.out / "table.txt", ctx.out / "results.json"))


def _empirical_kwargs(ctx: Context, figure: str) -> dict:
    setting = ctx.preset.empirical.replace(seed=ctx.seed, device=ctx.device)
    # the empirical stages share one edge-of-stability run (resumable checkpoint)
    kwargs = {**setting.options(figure), "run_dir": ctx.root / "fig2.1" / "run",
              "progress": ctx.progress}
    if figure == "fig_3_2_multiscale":  # the Section 6 run is its own
        kwargs["multiscale_run_dir"] = ctx.out / "run"
    return kwargs


def _empirical_stage(figure: str) -> Callable[[Context], StageOutput]:
    def run(ctx: Context) -> StageOutput:
        import importlib

        import torch

        threads = torch.get_num_threads()
        torch.set_num_threads(1)  # faster than 2 threads on a busy 2-core machine (measured)
        try:  # restored after: the setting is process-wide (OpenMP) and would slow others
            module = importlib.import_module(f"empirical.figures.{figure}")
            return _figure(module, ctx, **_empirical_kwargs(ctx, figure))
        finally:
            torch.set_num_threads(threads)

    return run


def _empirical_settings(figure: str) -> Callable[[Preset], dict]:
    def settings(p: Preset) -> dict:
        options = p.empirical.options(figure)
        return {k: (x.to_dict() if hasattr(x, "to_dict") else x) for k, x in options.items()}

    return settings


def _none(p: Preset) -> dict:
    return {}


STAGES: tuple[Stage, ...] = (
    Stage("fig2.1",
          "Full-batch GD on a tanh MLP (digits): the sharpness, the top Hessian eigenvalue, "
          "rises until it reaches 2/eta and then hovers there, while the training loss "
          "keeps falling.", _empirical_stage("fig_2_1"), _empirical_settings("fig_2_1"),
          empirical=True),
    Stage("fig3.1",
          "The loss along the gradient direction at the point where GD oscillates: convex "
          "around the minimum of the slice and growing slower than a quadratic; the second "
          "differences (second row) fall away from the minimum.", _empirical_stage("fig_3_1"),
          _empirical_settings("fig_3_1"), empirical=True),
    Stage("fig3.2",
          "Wide-range slices along the gradient and along random filter-normalised "
          "directions: a small sharp well inside a large flat well shows as a rise, a rim, "
          "then a second rise.", _empirical_stage("fig_3_2"), _empirical_settings("fig_3_2"),
          empirical=True),
    Stage("fig2.1-right",
          "The edge-of-stability run with its learning rate decayed tenfold at a third or at "
          "two thirds of its length: the paper says the later decay generalises better "
          "(higher test accuracy at the end), both decays coming after the test accuracy "
          "has nearly stopped rising, and that the decay finds a lower training loss.",
          _empirical_stage("fig_2_1_right"), _empirical_settings("fig_2_1_right"),
          empirical=True),
    Stage("fig3.2-right",
          "The same runs projected on the first principal directions of the path before the "
          "decays, after the early decay and after the late decay (orthonormalised): the "
          "paper says the two decayed runs move along very different directions, both "
          "unlike the large-learning-rate one.", _empirical_stage("fig_3_2_right"),
          _empirical_settings("fig_3_2_right"), empirical=True),
    Stage("fig3.2-multiscale",
          "Fig. 3.2's wide slices along random directions, on the same network trained on "
          "inputs whose norms sit at 1, 10 and 100, where Section 6 says separate scales "
          "should appear, next to the digits run.", _empirical_stage("fig_3_2_multiscale"),
          _empirical_settings("fig_3_2_multiscale"), empirical=True),
    Stage("fig4.1",
          "GD on f1 from -5 with eta 5 -> 3 -> 1 (iterations 100, 150) settles on the "
          "period-2 orbit +-x_eta of each rate above 2, then converges; on f2 (C = 3) from -5 "
          "with eta 2 -> 0.5 -> 0.2 (500, 700) and on f3 from (-3, 3) with eta "
          "1 -> 0.3 -> 0.1 (200, 400) it is chaotic but bounded until the rate is below the "
          "threshold.", _theory_stage("fig_4_1"), _none),
    Stage("fig4.2",
          "GD on f1(x2/(1 + 0.01 x1)) from (1, 1) with eta = 3 bounces across the valley "
          "and drifts towards its flatter part; the quasistatic flow (4.8) follows it, and "
          "the drift stops where eta h(x1)^2 f1''(0) = 2.", _theory_stage(
              "fig_4_2", lambda ctx: {"steps": ctx.preset.fig_4_2_steps}),
          lambda p: {"fig_4_2_steps": p.fig_4_2_steps}),
    Stage("fig5.1",
          "GD from (-20, 3) with eta = 2.5 moves down a large flat valley; decayed to 0.25 "
          "at step 650, 700 or 750 it reaches the small sharp valley at the global minimum "
          "only when the decay comes late enough.", _theory_stage("fig_5_1"), _none),
    Stage("fig6.1",
          "The Section 6 network's loss: inputs at a few separate magnitudes give separate "
          "scales; a continuum of magnitudes (uniform inputs, (6.2)) gives a subquadratic "
          "loss; two outputs at different scales give two valleys.",
          _theory_stage("fig_6_1"), _none),
    Stage("phase",
          "Every orbit of GD on a grid of learning rates x initial points, classified, with "
          "the threshold 2/f''(0) and the period-2 points +-x_eta drawn over it: f1 "
          "converges below 2 and lands on +-x_eta above; f2 is chaotic above its "
          "threshold.", _theory_stage(
              "phase_diagrams", lambda ctx: {"sweeps": ctx.preset.phase_sweeps,
                                             "store_dir": ctx.out / "sweeps",
                                             "progress": ctx.progress}),
          lambda p: {"phase_sweeps": [dataclasses.asdict(s) for s in p.phase_sweeps]}),
    Stage("check",
          "Each claim of Section 4 on each catalog function: hypotheses (certified by "
          "interval arithmetic where possible), the proof's constants, and the conclusion. "
          "Where the hypotheses fail the paper claims nothing.", _check, _none),
)
# issue 13: momentum, Remarks 4.1-4.2, before the catalog check
STAGES = STAGES[:-1] + _beyond_gd_stages(Stage, _theory_stage) + STAGES[-1:]
# issue 21: the flip and the cascade, before the catalog check
STAGES = (*STAGES[:-1], _bifurcation_stage(Stage, _theory_stage), *STAGES[-1:])

#: names accepted by ``--only`` besides the stage names (``msl reproduce --help`` lists
#: them without importing this module; tests/cli/test_stage_names.py checks them)
GROUPS = stage_names.GROUPS
