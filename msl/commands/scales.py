"""``msl scales``: separate scales and the curvature profile over scales (Fig. 3.2)."""

from __future__ import annotations

from pathlib import Path

from msl._experiment_args import add_output_arguments, add_problem_arguments


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "scales",
        help="wide-range slices (gradient and random, filter-normalised) and the "
             "curvature profile over scales",
        description="Runs (or reuses from --out) the GD run of 'msl eos', then measures "
        "L(theta +- r d) on a log grid of r along the filter-normalised gradient and random "
        "directions (Li et al. 2018) and locates sharp wells inside flat wells (Fig. 3.2).",
    )
    add_problem_arguments(p, lr=0.3, steps=3000)
    p.add_argument("--sharpness-every", type=int, default=20,
                   help="sharpness every so many steps of the (reused) GD run")
    p.add_argument("--at-step", type=int, default=None,
                   help="slice at this step of the run (default: its last step)")
    p.add_argument("--n-random", type=int, default=2, help="random directions (default 2)")
    p.add_argument("--r-min", type=float, default=1e-4,
                   help="smallest radius r of the log grid")
    p.add_argument("--r-max", type=float, default=100.0,
                   help="largest radius r of the log grid")
    p.add_argument("--n-radii", type=int, default=81, help="radii on the log grid")
    add_output_arguments(p, "scales")
    p.set_defaults(run=run)


def run(args) -> int:
    from msl._experiment_args import emit, setup_torch, spec_from_args

    setup_torch(args)
    from empirical import plot_scales, run_scales

    exp = run_scales(spec_from_args(args), lr=args.lr, steps=args.steps,
                     sharpness_every=args.sharpness_every, at_step=args.at_step,
                     n_random=args.n_random, r_min=args.r_min, r_max=args.r_max,
                     n_radii=args.n_radii, out_dir=args.out, progress=not args.no_progress)
    fig = plot_scales(exp.scales, Path(args.out) / "scales.png")
    lines = [f"point: step {exp.step}, ||theta|| = {exp.scales.theta_norm:.4g}"]
    for prof in exp.scales.profiles:
        wells = ", ".join(
            f"[{w.inner_radius:.3g}, {w.rim_radius:.3g}] c={w.curvature:.3g}" for w in prof.wells)
        lines.append(f"{prof.name}: {len(prof.wells)} well(s) {wells}")
    lines.append(f"separate scales: {'yes' if exp.scales.separate_scales else 'no'}")
    from empirical import write_series

    series = write_series(args.out, "scales", exp)
    lines.append(f"series: {series['json']} (+ {len(series) - 1} CSV tables)")
    return emit(args, "scales", exp.summary(), fig, lines)
