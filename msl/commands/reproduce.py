"""``msl reproduce``: every figure and claim of the paper, regenerated and checked.

Stages: those of ``msl.reproduction.stages.STAGES`` (``msl reproduce --help`` lists them).
A finished stage is skipped on a re-run (``--force`` redoes it), so an interrupted
reproduction resumes.  ``report.json`` (deterministic for a seed) and
``report.md`` collect every claim with the numbers that decide it and a verdict.
"""

from __future__ import annotations

import argparse
import sys


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "reproduce",
        help="reproduce the paper's figures and check its claims (the main job)",
        description="Every figure and claim of the paper, regenerated and checked; writes "
                    "report.md and report.json (verdict and deciding numbers per claim).",
    )
    _list_stages_in_help(parser)
    parser.add_argument("--out", default="msl-output",
                        help="output folder (default: %(default)s)")
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", dest="preset", action="store_const", const="quick",
                      help="the quick preset: about a minute on a 2-core CPU (default)")
    size.add_argument("--full", dest="preset", action="store_const", const="full",
                      help="larger grids, longer runs, all of the digits data")
    parser.set_defaults(preset="quick")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="override a size of the preset (repeatable; default: none), e.g. "
                             "--set eos_steps=1000; keys: "
                             "fig_4_2_steps, phase_steps, eos_lr, eos_steps, sharpness_every, "
                             "slice_points, scales_radii, n_random, n_train, n_test, "
                             "decay_factor, multiscale_steps, multiscale_n_train")
    parser.add_argument("--only", nargs="+", metavar="STAGE",
                        help="run only these stages or groups (comma- or space-separated; listed "
                         "below); default: every stage")
    parser.add_argument("--force", action="store_true", help="redo finished stages")
    parser.add_argument("--seed", type=int, default=0,
                        help="seed of the empirical stages (default: %(default)s)")
    parser.add_argument("--device", default="cpu",
                        help="torch device of the empirical stages: cpu (default) or cuda[:N]; "
                             "without a GPU, cuda falls back to the CPU with a message")
    parser.add_argument("--pdf", action="store_true", help="also write PDF figures")
    parser.add_argument("--strict", action="store_true",
                        help="exit 1 when a claim of the selected stages is not confirmed")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    parser.set_defaults(run=run)


def stages_epilog() -> str:
    """The stages and groups ``--only`` takes, from :mod:`msl.stage_names` (the names and
    titles of STAGES without its imports; never by hand)."""
    from msl.stage_names import GROUPS, STAGE_TITLES

    stages = "; ".join(f"{name}: {title}" for name, title in STAGE_TITLES.items())
    groups = "; ".join(f"{name}: {' '.join(members)}" for name, members in GROUPS.items())
    return f"Stages for --only ({len(STAGE_TITLES)}, in order): {stages}. Groups: {groups}."


def _list_stages_in_help(parser: argparse.ArgumentParser) -> None:
    """Add the stage list when --help is printed (built when asked: ``msl --help`` does not
    format this parser's help)."""
    plain = parser.format_help

    def format_help() -> str:
        parser.epilog = stages_epilog()
        return plain()

    parser.format_help = format_help  # type: ignore[method-assign]


def run(args: argparse.Namespace) -> int:
    from msl.reproduction import preset, reproduce, select

    chosen = preset(args.preset).with_overrides(args.set)
    stages = select(args.only)
    device = "cpu"
    if any(s.empirical for s in stages) and args.device != "cpu":
        from empirical import available_device

        device, message = available_device(args.device)
        if message:
            print(f"msl reproduce: {message}", file=sys.stderr)
    report = reproduce(args.out, chosen, stages=[s.name for s in stages], seed=args.seed,
                       device=device, force=args.force, pdf=args.pdf,
                       progress=not args.no_progress)
    t = report["totals"]
    ran = {s.name for s in stages}
    unconfirmed = [c["source"] for st in report["stages"] if st["name"] in ran
                   for c in st["claims"] if c["verdict"] == "not confirmed"]
    print(f"{t['confirmed']} claims confirmed, {t['not confirmed']} not confirmed, "
          f"{t['not applicable']} not applicable; report: {args.out}/report.md "
          f"(numbers in {args.out}/report.json)")
    return 1 if args.strict and unconfirmed else 0
