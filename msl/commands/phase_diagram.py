"""``msl phase-diagram FUNCTION --eta A:B:N --x0 A:B:N --steps T --out DIR``.

Runs GD (4.1) on the grid learning rate x initial point and writes into DIR: ``result.npz``
(every orbit's class, period, Lyapunov exponent, final state and last iterates, with the
metadata; numpy.load opens it), ``class_map.png`` (fate over (eta, x0)), ``bifurcation.png``
(eta against the attractor, with x_eta, 2/f''(0) and the stability of the period-2 orbit
drawn over it for a one-dimensional subquadratic function) and ``lyapunov_map.png``.
Re-running the same command resumes an interrupted sweep from the chunks saved in DIR (or in
``--store``); ``--scheduler`` runs the chunks on a Dask cluster (docs/distributed.md).
"""

from __future__ import annotations

import argparse

from msl.commands.simulate import add_grid_arguments, check_gd_device, check_gd_only, sweep


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "phase-diagram",
        help="class map and bifurcation diagram over the learning rate (data + figures)",
        description=__doc__.split("\n\n", 1)[1],
    )
    add_grid_arguments(parser, eta_help="learning-rate grid A:B:N (N values from A to B)")
    parser.add_argument("--out", required=True, metavar="DIR", help="output directory")
    parser.add_argument(
        "--keep-last",
        type=int,
        default=32,
        metavar="K",
        help="iterates per orbit drawn in the bifurcation diagram (default 32)",
    )
    parser.add_argument("--pdf", action="store_true", help="also write PDF figures")
    parser.add_argument("--branches", action="store_true",
                        help="draw the continued cycles over the bifurcation diagram (1-D; "
                        "GD: from the minimum through its period doublings; momentum / "
                        "nesterov: the 2- and 4-cycles at the drawn betas; issue 21)")
    from msl._optimizer_args import add_optimizer_arguments

    add_optimizer_arguments(parser, beta_grid=True, stochastic=False)  # sgd: msl simulate
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from msl._optimizer_args import single_state

    if not single_state(args):
        from msl.commands import _optimizer_runs

        check_gd_device(args)
        check_gd_only(args)
        return _optimizer_runs.phase_diagram(args)
    from pathlib import Path

    from theory.dynamics import (
        plot_bifurcation,
        plot_class_map,
        plot_lyapunov_map,
        save_figure,
    )
    from theory.errors import GridError

    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise GridError(f"--out {args.out!r} exists and is not a directory")
    keep_last = max(0, min(args.keep_last, args.steps + 1))
    function, result = sweep(args, keep_last=keep_last, store=out)
    written = [out / "result.npz"]
    if args.store is not None and Path(args.store).resolve() != out.resolve():
        result.save(written[0])  # the sweep's own copy is in its --store
    component = 0 if result.dim > 1 else None
    # Section 4.1's curves (2/f''(0), x_eta) are GD's: other maps are drawn without them
    theory = function if result.metadata.get("optimizer", "gd") == "gd" else None
    written += save_figure(
        plot_class_map(result, theory, component=component), out / "class_map", pdf=args.pdf
    )
    branches = None
    if args.branches and result.dim == 1 and theory is not None:  # GD's cascade only
        from theory.bifurcation import continue_cascade

        branches = continue_cascade(function, (float(result.eta.min()), float(result.eta.max())))
    written += save_figure(plot_bifurcation(result, theory, branches=branches),
                           out / "bifurcation", pdf=args.pdf)
    written += save_figure(
        plot_lyapunov_map(result, theory, component=component), out / "lyapunov_map", pdf=args.pdf
    )
    counts = ", ".join(f"{k} {v}" for k, v in result.counts().items())
    print(f"{result.function}: {counts}")
    for path in written:
        print(path)
    return 0
