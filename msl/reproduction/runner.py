"""Run the stages, resume finished ones, and write the report."""

from __future__ import annotations

import json
import shutil
import sys
import time
from collections.abc import Iterable
from pathlib import Path

from msl.reproduction import folder, prewarm
from msl.reproduction import report as _report
from msl.reproduction.presets import Preset
from msl.reproduction.stages import GROUPS, STAGES, Context, Stage
from theory.errors import MslValueError
from theory.files import (
    folder_lock,
    make_folders,
    output_directory,
    refuse_foreign_links,
    scan_for_links,
)


class StageError(MslValueError):
    """A stage name that does not exist."""


class SeedError(MslValueError):
    """A seed that is not a non-negative integer."""


def select(names: Iterable[str] | None) -> tuple[Stage, ...]:
    """The stages named (stage names, or the groups of :data:`GROUPS`; comma-separated
    entries are split), in the order of :data:`STAGES`; all of them for ``None``."""
    if names is None:
        return STAGES
    wanted: set[str] = set()
    known = {s.name for s in STAGES}
    for entry in names:
        for name in (n.strip() for n in str(entry).split(",")):
            if not name:
                continue
            if name in GROUPS:
                wanted.update(GROUPS[name])
            elif name in known:
                wanted.add(name)
            else:
                raise StageError(f"--only {name!r}: unknown stage; choose from "
                                 f"{', '.join(known | set(GROUPS))}")
    if not wanted:
        raise StageError(f"--only {list(names)!r}: names no stage")
    return tuple(s for s in STAGES if s.name in wanted)


def _fingerprint(stage: Stage, preset: Preset, seed: int, device: str) -> dict:
    settings = stage.settings(preset)
    if stage.empirical:
        settings = {**settings, "seed": seed, "device": device}
    return json.loads(json.dumps(settings))


def _relative(path: Path, root: Path) -> str:
    path = Path(path)
    return str(path.relative_to(root)) if path.is_relative_to(root) else str(path)


def _run_stage(stage: Stage, ctx: Context, fingerprint: dict) -> dict:
    output = stage.run(ctx)
    return {"name": stage.name, "title": stage.title, "caption": stage.caption,
            "settings": fingerprint,
            "claims": [c.as_dict() for c in output.claims],
            "figures": [_relative(p, ctx.root) for p in output.figures],
            "files": [_relative(p, ctx.root) for p in output.files]}


def _finished(root: Path, name: str) -> dict | None:
    """The summary of a stage that finished in ``root`` (``None``: none, or damaged)."""
    if not (root / name / "summary.json").exists():
        return None
    return folder.finished_summary(root, name)


def _one_stage(stage: Stage, prefix: str, ctx: Context, fingerprint: dict, *, force: bool,
               log, done: dict, seconds: dict) -> None:
    """Skip ``stage`` if it finished before with these settings, else (re)run it into
    ``ctx.out`` and record its summary in ``done`` and its time in ``seconds``."""
    root = ctx.root
    summary_path = root / stage.name / "summary.json"
    if summary_path.exists():
        summary = folder.finished_summary(root, stage.name)
        if summary is None:
            log(f"{prefix}: its summary or a file it lists is damaged or missing; "
                "redoing it")
        elif summary.get("settings") == fingerprint and not force:
            log(f"{prefix}: done before with these settings; skipped (--force redoes it)")
            done[stage.name] = summary
            return
        elif summary.get("settings") != fingerprint:
            log(f"{prefix}: settings changed since the last run; redoing it")
        # a finished stage is redone from scratch; an unfinished one (no summary)
        # keeps its checkpoints and resumes
        refuse_foreign_links(root / stage.name)  # a link placed there is refused, not
        scan_for_links(root / stage.name)        # deleted by rmtree
        shutil.rmtree(root / stage.name)
    log(f"{prefix}: {stage.title} ...")
    start = time.perf_counter()
    summary = _run_stage(stage, ctx, fingerprint)
    seconds[stage.name] = round(time.perf_counter() - start, 1)
    make_folders(summary_path.parent)  # a stage folder replaced by a link is refused
    folder.write_json(summary_path, summary)  # atomic: an interrupted stage leaves none
    folder.write_json(root / "timings.json", seconds)
    done[stage.name] = summary
    verdicts = [c["verdict"] for c in summary["claims"]]
    log(f"{prefix}: finished in {seconds[stage.name]} s; {_report.stage_line(verdicts)}")


def reproduce(out: str | Path, preset: Preset, *, stages: Iterable[str] | None = None,
              seed: int = 0, device: str = "cpu", force: bool = False, pdf: bool = False,
              progress: bool = True, log=None) -> dict:
    """Run the selected stages into ``out`` and write ``report.json`` / ``report.md``.

    A stage that finished before with the same settings (its ``<stage>/summary.json``) is
    not redone unless ``force``; one whose settings changed is redone.  The report covers
    every finished stage in ``out`` whose settings match this run.  ``device`` is the torch
    device of the empirical stages (already resolved: "cpu" or "cuda[:N]").  Returns the
    report dict (the content of ``report.json``).
    """
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise SeedError(f"seed={seed!r}: must be a non-negative integer")
    log = log or (lambda message: print(message, file=sys.stderr, flush=True))
    root = output_directory(out)  # refuses system folders and other people's folders
    selected = select(stages)
    with folder_lock(root, "--out"):  # one run per folder; a killed run's lock is taken over
        return _reproduce(root, preset, selected, seed=seed, device=device, force=force,
                          pdf=pdf, progress=progress, log=log)


def _reproduce(root: Path, preset: Preset, selected: tuple[Stage, ...], *, seed: int,
               device: str, force: bool, pdf: bool, progress: bool, log) -> dict:
    settings = {"preset": preset.name, "seed": seed, "device": device,
                "preset_settings": json.loads(json.dumps(preset.to_dict()))}
    folder.prepare(root, settings, force=force)
    done: dict[str, dict] = {}
    seconds = folder.read_timings(root)
    fingerprints = {s.name: _fingerprint(s, preset, seed, device) for s in selected}
    pending = [s.name for s in selected if force or (_finished(root, s.name) or {}).get(
        "settings") != fingerprints[s.name]]
    # from a cold kernel cache, compile the phase/momentum kernels on the other core while
    # the stages before them run (msl/reproduction/prewarm.py; the numbers do not change)
    helper = prewarm.start(preset, pending)
    # with a helper, the kernel stages run last, so that it has every other stage's time to
    # finish (the report keeps the order of STAGES)
    order = sorted(selected, key=lambda s: s.name in prewarm.KERNEL_STAGES) if helper \
        else selected
    try:
        for k, stage in enumerate(order, 1):
            if stage.name in prewarm.KERNEL_STAGES:
                prewarm.wait(helper)
            ctx = Context(root, root / stage.name, preset, seed, device, pdf, progress)
            _one_stage(stage, f"[{k}/{len(selected)}] {stage.name}", ctx,
                       fingerprints[stage.name], force=force, log=log, done=done,
                       seconds=seconds)
    finally:
        prewarm.stop(helper)
    # stages not selected this time, finished earlier with matching settings, stay in
    for stage in STAGES:
        if stage.name not in done:
            summary = folder.finished_summary(root, stage.name)
            if summary is not None and summary.get("settings") == _fingerprint(
                    stage, preset, seed, device):
                done[stage.name] = summary
    ordered = [done[s.name] for s in STAGES if s.name in done]
    result = _report.build(settings, ordered)
    _report.write_json(root, result)
    _report.write_markdown(root, result, seconds)
    return result
