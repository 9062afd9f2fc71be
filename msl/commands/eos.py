"""``msl eos``: edge of stability on real data (Section 2.1, Fig. 2.1 left), with plain GD
(resumable) or, via ``--optimizer``, heavy ball, Nesterov or SGD (issue 13)."""

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
    p.add_argument("--checkpoint-every", type=int, default=250,
                   help="save a resumable checkpoint in --out every so many steps")
    add_output_arguments(p, "eos")
    g = p.add_argument_group("optimizer (issue 13; default: plain GD)")
    g.add_argument("--optimizer", choices=("gd", "momentum", "nesterov", "sgd"), default="gd",
                   help="gd (default; threshold 2/eta), heavy-ball momentum ((2 + 2 beta)/eta), "
                   "nesterov (2(1 + beta)/((1 + 2 beta) eta)) or sgd (GD plus seeded additive "
                   "Gaussian gradient noise, not minibatching; 2/eta)")
    g.add_argument("--beta", type=float, default=None, metavar="B",
                   help="momentum in [0, 1) (momentum, nesterov)")
    g.add_argument("--sigma", type=float, default=None, metavar="S",
                   help="std >= 0 of the Gaussian noise added to the full-batch gradient (sgd; "
                   "seeded by --seed)")
    p.set_defaults(run=run)


def run(args) -> int:
    if args.optimizer != "gd" or args.beta is not None or args.sigma is not None:
        from theory.optimizers import make_optimizer  # (sympy: only off plain GD's path)

        optimizer = make_optimizer(args.optimizer, beta=args.beta, sigma=args.sigma,
                                   seed=args.seed)  # the named errors, before any work
        if optimizer.name != "gd":
            return _run_optimizer(args, optimizer)
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
    from empirical import write_series

    series = write_series(args.out, "eos", result)
    lines.append(f"series: {series['json']} (+ {len(series) - 1} CSV tables)")
    return emit(args, "eos", result.summary(), fig, lines)


def _run_optimizer(args, optimizer) -> int:
    from msl._experiment_args import emit, setup_torch, spec_from_args

    setup_torch(args)
    from empirical import plot_optimizer_eos, run_optimizer_eos

    result = run_optimizer_eos(spec_from_args(args), optimizer=optimizer, lr=args.lr,
                               steps=args.steps, sharpness_every=args.sharpness_every,
                               band=args.band, progress=not args.no_progress)
    name = f"eos_{optimizer.name}"
    fig = plot_optimizer_eos(result, Path(args.out) / f"{name}.png")
    v = result.verdict
    setting = (f"sigma = {result.sigma:g} (additive noise, seed {result.seed})"
               if result.optimizer == "sgd" else f"beta = {result.beta:g}")
    lines = [
        f"{result.optimizer} eta = {result.lr:g}, {setting}: threshold on the sharpness "
        f"{result.threshold:.4g} (GD's 2/eta = {2 / result.lr:.4g})",
        f"sharpness {result.sharpness[0]:.4g} at step 0, {result.sharpness[-1]:.4g} at step "
        f"{result.steps}; reaches the threshold (within {v.band:.0%}) at step "
        f"{v.first_reach_step}",
        f"edge of stability: {'yes' if v.edge_of_stability else 'no'}",
    ]
    summary = {**result.summary(), **result.write_csv(args.out, name)}
    return emit(args, name, summary, fig, lines)
