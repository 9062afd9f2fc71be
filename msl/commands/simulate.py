"""``msl simulate FUNCTION --eta ETA --x0 A:B:N --steps T [--json]``: fates of GD orbits.

Runs GD (4.1) from every initial point of the grid and prints how many orbits converge,
settle on a period-p orbit, are chaotic, diverge, stay undecided or drift, the periods found, the
distinct attractor values of the periodic orbits (rounded to 1e-8: +-x_eta for f1 above the
threshold, Theorem 4.1) and the median Lyapunov exponent.
"""

from __future__ import annotations

import argparse
import json
import re
import sys

#: grids such as ``-5:5:101`` and expressions such as ``-x**2+x**4`` start with a minus
#: sign: let argparse read every single-dash word that is not an option as a value
_NEGATIVE_VALUE = re.compile(r"^-[^-]")


def add_grid_arguments(parser: argparse.ArgumentParser, *, eta_help: str) -> None:
    """Arguments shared with ``msl phase-diagram``."""
    parser._negative_number_matcher = _NEGATIVE_VALUE  # "--x0 -5:5:101" is a value
    parser.add_argument(
        "function", metavar="FUNCTION", help="catalog name (f1, f2, f3, ...) or an expression in x"
    )
    parser.add_argument("--eta", required=True, metavar="ETA", help=eta_help)
    parser.add_argument(
        "--x0",
        required=True,
        metavar="A:B:N",
        help="initial points: N points from A to B (or one number)",
    )
    parser.add_argument(
        "--steps", type=int, default=1000, metavar="T",
        help="number of steps of the optimizer (>= 1; default 1000)"
    )
    parser.add_argument(
        "--period-max",
        type=int,
        default=64,
        metavar="P",
        help="longest period looked for (default 64)",
    )
    parser.add_argument(
        "--direction",
        default=None,
        metavar="V1,V2,...",
        help="for a d-dimensional function: initial points are s * direction "
        "for s on the --x0 grid (default: all ones)",
    )
    parser.add_argument(
        "--no-early-exit", action="store_true", help="run every orbit for all T steps"
    )
    parser.add_argument(
        "--device",
        default="cpu",
        metavar="DEVICE",
        help="cpu (the Numba kernel, default), cuda or cuda:N (the PyTorch kernel on a GPU; "
        "same classification, docs/gpu.md), or torch-cpu (that kernel on the CPU)",
    )
    parser.add_argument(
        "--engine",
        choices=("auto", "numba", "numpy"),
        default="auto",
        help="GD engine: the function's compiled kernel (numba), whole-array NumPy (numpy: "
        "nothing to compile, slower), or auto (default): NumPy for a small sweep of a "
        "function whose kernel is not compiled yet, else the kernel",
    )
    parser.add_argument(
        "--scheduler",
        default=None,
        metavar="SCHEDULER",
        help="run the chunks as Dask tasks: local:N (N worker processes on this machine) or "
        "a scheduler address tcp://host:8786 (needs the 'cluster' extra; docs/distributed.md)",
    )
    parser.add_argument(
        "--store",
        default=None,
        metavar="DIR",
        help="chunk store: finished chunks are saved there, and the same command run again "
        "computes only the missing ones",
    )


def check_gd_only(args: argparse.Namespace) -> None:
    """--scheduler and --store run the single-state maps only (not the momentum and SGD
    branches)."""
    from theory.errors import GridError
    from theory.optimizers import MAPS

    single = ", ".join(name for name, m in MAPS.items() if m.single_state)
    for flag in ("scheduler", "store"):
        if getattr(args, flag, None) is not None:
            raise GridError(f"--{flag} works with the single-state optimizers only "
                            f"({single}; no --beta/--sigma); got --optimizer {args.optimizer}")


def sweep(args: argparse.Namespace, *, keep_last: int = 0, store=None):
    """Parse the shared arguments and run :func:`theory.dynamics.simulate` (in the chunk store
    ``--store``, else ``store``; on ``--scheduler`` if given)."""
    import numpy as np

    from msl._optimizer_args import map_settings
    from msl._theory_args import parse_grid, resolve_cli_function
    from theory.dynamics import InitialPointError, compile_landscape, simulate

    optimizer = map_settings(args)  # a bad hyperparameter fails before any work
    eta = parse_grid(args.eta, "--eta")
    s = parse_grid(args.x0, "--x0")
    function = resolve_cli_function(args.function)
    dim = compile_landscape(function).dim
    if dim == 1:
        x0 = s
    else:
        if args.direction is None:
            direction = np.ones(dim)
        else:
            try:
                direction = np.array([float(v) for v in args.direction.split(",")])
            except ValueError:
                raise InitialPointError(
                    f"--direction {args.direction!r} is not a comma-separated list of numbers"
                ) from None
            if direction.shape != (dim,):
                raise InitialPointError(
                    f"--direction {args.direction!r} has {direction.size} entries; "
                    f"{args.function!r} has {dim} variables"
                )
        x0 = s[:, None] * direction[None, :]
    result = simulate(
        function,
        eta,
        x0,
        args.steps,
        period_max=args.period_max,
        keep_last=keep_last,
        early_exit=not args.no_early_exit,
        engine=args.engine,
        store=args.store if args.store is not None else store,
        scheduler=args.scheduler,
        progress=sys.stderr.isatty(),
        device=args.device,
        **optimizer,
    )
    return function, result


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "simulate",
        help="classify GD orbits (converged, periodic, chaotic, diverged, undecided, drifting)",
        description=__doc__.split("\n\n", 1)[1],
    )
    add_grid_arguments(parser, eta_help="learning rate (> 0), or a grid A:B:N")
    parser.add_argument("--json", action="store_true", help="print JSON")
    from msl._optimizer_args import add_optimizer_arguments

    add_optimizer_arguments(parser)
    parser.set_defaults(run=run)


def check_gd_device(args: argparse.Namespace) -> None:
    """--device other than cpu runs the single-state maps (momentum and SGD: on the CPU)."""
    if args.device.strip().lower() != "cpu":
        from theory.dynamics import DeviceError

        raise DeviceError(
            f"--device {args.device!r}: GPU sweeps run the single-state optimizers; --optimizer "
            f"{args.optimizer}{' with --beta/--sigma' if args.optimizer == 'gd' else ''} "
            "runs on the CPU (drop --device)")


def run(args: argparse.Namespace) -> int:
    from msl._optimizer_args import single_state

    if not single_state(args):
        from msl.commands import _optimizer_runs

        check_gd_device(args)
        check_gd_only(args)
        return _optimizer_runs.simulate(args)
    from theory.dynamics import compile_landscape, summarize

    function, result = sweep(args)
    landscape = compile_landscape(function)  # cached: the same object
    from theory.resolver import as_landscape

    summary = summarize(result, as_landscape(function))
    del landscape
    if args.json:
        print(json.dumps(summary))
        return 0
    n = sum(summary["counts"].values())
    print(f"function  {result.function}   steps {result.steps}   points {n}")
    for name, count in summary["counts"].items():
        print(f"  {name:<10} {count:>9}  ({100.0 * count / n:5.1f}%)")
    if summary["periods"]:
        periods = ", ".join(f"{p}: {c}" for p, c in summary["periods"].items())
        print(f"periods   {periods}")
    if summary["attractor"]:
        shown = summary["attractor"][:12]
        more = "" if len(summary["attractor"]) <= 12 else f" ... ({len(summary['attractor'])})"
        print(f"attractor {shown}{more}")
    for reason, count in summary["undecided_reasons"].items():
        print(f"  undecided ({count}): {reason}")
    print(f"median Lyapunov exponent {summary['lyapunov_median']}")
    return 0
