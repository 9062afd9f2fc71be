"""``msl slice``: the gradient-direction landscape and its subquadratic verdict (Fig. 3.1)."""

from __future__ import annotations

from pathlib import Path

from msl._experiment_args import add_output_arguments, add_problem_arguments


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "slice",
        help="loss along the normalised gradient at a GD point: subquadratic or quadratic?",
        description="Runs (or reuses from --out) the GD run of 'msl eos', then slices the "
        "loss along the normalised gradient at one of its points (default: the last), with "
        "second differences, the growth exponent p of L - L_min ~ |t|^p and the centre "
        "check against u^T H u (Fig. 3.1).  --model linear gives a purely quadratic loss.",
    )
    add_problem_arguments(p, lr=0.3, steps=3000)
    p.add_argument("--sharpness-every", type=int, default=20,
                   help="sharpness every so many steps of the (reused) GD run")
    p.add_argument("--at-step", type=int, default=None,
                   help="slice at this snapshot step of the run (default: the last step)")
    p.add_argument("--radius", type=float, default=None,
                   help="half-width of the grid (default max(0.1 ||theta||, 3 |t*|))")
    p.add_argument("--n-points", type=int, default=41, help="grid points (odd)")
    add_output_arguments(p, "slice")
    p.set_defaults(run=run)


def run(args) -> int:
    from msl._experiment_args import emit, setup_torch, spec_from_args

    setup_torch(args)
    from empirical import plot_slice, run_slice

    exp = run_slice(spec_from_args(args), lr=args.lr, steps=args.steps,
                    sharpness_every=args.sharpness_every, at_step=args.at_step,
                    radius=args.radius, n_points=args.n_points, out_dir=args.out,
                    progress=not args.no_progress)
    s = exp.slice
    fig = plot_slice(s, Path(args.out) / "slice.png", lr=args.lr,
                     title=f"{args.model}, step {exp.step}: ")
    lines = [
        f"slice at step {exp.step} along the normalised gradient (||g|| = {s.grad_norm:.4g}), "
        f"t in [{s.t[0]:.4g}, {s.t[-1]:.4g}], line minimum at t* = {s.t_min:.4g}",
        f"growth exponent p = {s.fit.p:.4f}, {s.fit.confidence:.0%} CI "
        f"[{s.fit.p_low:.4f}, {s.fit.p_high:.4f}] ({s.fit.n_points} points)",
        f"second differences vs |t - t*|: Spearman {s.d2_spearman:.3f}, outer/inner ratio "
        f"{s.d2_outer_inner_ratio:.3f}",
        f"centre check: second difference {s.centre_curvature:.6g} vs u^T H u {s.uhu:.6g} "
        f"(rel. error {s.centre_rel_error:.2e}): {'ok' if s.centre_matches else 'MISMATCH'}",
        f"verdict: {s.verdict}",
    ]
    from empirical import write_series

    series = write_series(args.out, "slice", exp)
    lines.append(f"series: {series['json']} (+ {len(series) - 1} CSV tables)")
    return emit(args, "slice", exp.summary(), fig, lines)
