"""``msl eos``: edge of stability on real data (Section 2.1, Fig. 2.1 left)."""

from __future__ import annotations

from pathlib import Path

from msl._experiment_args import add_output_arguments, add_problem_arguments


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "eos",
        help="edge of stability: sharpness reaches 2/eta and hovers while the loss falls",
        description="Full-batch GD at constant eta with the sharpness (top Hessian eigenvalue, "
        "Lanczos) every few steps; reports when it reaches 2/eta, how long it stays near it "
        "and whether the loss keeps falling (Fig. 2.1 left).",
    )
    add_problem_arguments(p, lr=0.3, steps=3000)
    p.add_argument("--sharpness-every", type=int, default=20,
                   help="measure the sharpness every so many steps (default 20)")
    p.add_argument("--band", type=float, default=0.1,
                   help="relative band around 2/eta counted as 'near' (default 0.1)")
    p.add_argument("--checkpoint-every", type=int, default=250)
    add_output_arguments(p, "eos")
    p.set_defaults(run=run)


def run(args) -> int:
    from msl._experiment_args import emit, setup_torch, spec_from_args

    setup_torch(args)
    from empirical import plot_eos, run_eos

    result = run_eos(spec_from_args(args), lr=args.lr, steps=args.steps,
                     sharpness_every=args.sharpness_every, band=args.band, out_dir=args.out,
                     checkpoint_every=args.checkpoint_every, progress=not args.no_progress)
    fig = plot_eos(result, Path(args.out) / "eos.png")
    v = result.verdict
    lines = [
        f"2/eta = {v.threshold:.4g}; sharpness {v.initial_sharpness:.4g} at step 0, "
        f"{result.trace.sharpness[-1]:.4g} at step {result.steps}",
        f"reaches 2/eta (within {v.band:.0%}) at step {v.first_reach_step}; "
        f"exceeds it at step {v.first_cross_step}",
    ]
    if v.first_reach_step is not None:
        lines.append(f"after that: {v.fraction_in_band:.0%} of {v.n_after} measurements within "
                     f"the band; loss {v.loss_at_reach:.4g} -> {v.final_loss:.4g} "
                     f"(ratio {v.loss_ratio_after:.3f}), rising on {v.loss_up_fraction:.0%} "
                     "of steps")
    lines.append(f"edge of stability: {'yes' if v.edge_of_stability else 'no'}")
    return emit(args, "eos", result.summary(), fig, lines)
