"""``msl geometry``: RSI, error bound and Definition 4.1's constant c along the GD path."""

from __future__ import annotations

from pathlib import Path

from msl._experiment_args import add_output_arguments, add_problem_arguments


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "geometry",
        help="restricted secant inequality, error bound and the constant c of Definition 4.1 "
             "along a GD path",
        description="Runs (or reuses from --out) the GD run of 'msl eos'; theta* is its last "
        "iterate refined by GD with a smaller step.  At each snapshot: RSI, EB and "
        "c = cos(grad, theta - theta*).",
    )
    add_problem_arguments(p, lr=0.3, steps=3000)
    p.add_argument("--sharpness-every", type=int, default=20,
                   help="sharpness every so many steps of the (reused) GD run")
    p.add_argument("--refine-factor", type=float, default=0.1,
                   help="theta*: refine with lr * factor (default 0.1)")
    p.add_argument("--refine-steps", type=int, default=500,
                   help="GD steps at lr * refine-factor that refine theta*")
    add_output_arguments(p, "geometry")
    p.set_defaults(run=run)


def run(args) -> int:
    from msl._experiment_args import emit, setup_torch, spec_from_args

    setup_torch(args)
    from empirical import plot_geometry, run_geometry

    exp = run_geometry(spec_from_args(args), lr=args.lr, steps=args.steps,
                       sharpness_every=args.sharpness_every, refine_factor=args.refine_factor,
                       refine_steps=args.refine_steps, out_dir=args.out,
                       progress=not args.no_progress)
    g = exp.geometry
    fig = plot_geometry(g, Path(args.out) / "geometry.png")
    s = g.summary()
    lines = [
        f"theta*: loss {g.loss_star:.4g}, ||grad|| {g.grad_norm_star:.3g} "
        f"({exp.refine_steps} steps at lr {exp.refine_lr:g})",
        f"c = cos(g, theta - theta*): min {g.c_min:.4f}, median {s['c_median']:.4f}, "
        f"positive at {g.c_positive_fraction:.0%} of {len(g.steps)} points",
        f"RSI: min {s['rsi']['min']:.3g}, median {s['rsi']['median']:.3g}; "
        f"EB: min {s['eb']['min']:.3g}, median {s['eb']['median']:.3g}",
        f"Definition 4.1's inequality along the path: "
        f"{'holds with c = ' + format(g.c_min, '.4f') if g.definition_4_1_holds else 'fails'}",
    ]
    from empirical import write_series

    series = write_series(args.out, "geometry", exp)
    lines.append(f"series: {series['json']} (+ {len(series) - 1} CSV tables)")
    return emit(args, "geometry", exp.summary(), fig, lines)
