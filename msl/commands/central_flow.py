"""``msl central-flow``: GD and its central flow (Cohen et al. 2024) on a network."""

from __future__ import annotations

from pathlib import Path

from msl._experiment_args import add_output_arguments, add_problem_arguments


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "central-flow",
        help="GD's central flow on a network: predicted time-averaged loss and sharpness "
             "beside GD's",
        description="Runs GD and its central flow (Cohen, Damian, Talwalkar, Kolter & Lee, "
        "2024) from the same initialisation: every Hessian eigenvalue above --track x 2/eta "
        "is tracked, and the flow keeps them at or below 2/eta.  Writes the series "
        "(CSV/JSON), a figure and a summary; the toy landscapes are in 'msl reproduce "
        "--only central-flow'.",
    )
    add_problem_arguments(p, lr=0.3, steps=700)
    p.add_argument("--substeps", type=int, default=4, help="Euler substeps per GD step")
    p.add_argument("--track", type=float, default=0.75,
                   help="track eigenvalues above this fraction of 2/eta (default 0.75)")
    p.add_argument("--sharpness-every", type=int, default=10,
                   help="GD's sharpness every N steps")
    p.add_argument("--momentum", type=float, default=0.0,
                   help="heavy-ball momentum beta (threshold (2 + 2 beta)/eta; default 0: GD)")
    p.add_argument("--optimizer", choices=("gd", "scalar_rmsprop", "rmsprop"), default="gd",
                   help="the optimizer and its central flow: gd (torch.optim.SGD, with "
                        "--momentum), scalar_rmsprop, or rmsprop (torch.optim.RMSprop from "
                        "nu = g(w0)^2); RMSProp's threshold is on the preconditioned sharpness")
    p.add_argument("--beta2", type=float, default=0.99,
                   help="RMSProp's second-moment decay (torch's alpha; default 0.99)")
    p.add_argument("--eps", type=float, default=1e-8, help="RMSProp's eps (default 1e-8)")
    add_output_arguments(p, "central-flow")
    p.set_defaults(run=run)


def run(args) -> int:
    from msl._experiment_args import emit, setup_torch, spec_from_args

    setup_torch(args)
    from empirical import (
        CentralFlowSettings,
        build_problem,
        plot_central_flow,
        run_central_flow,
        write_central_flow_series,
    )

    settings = CentralFlowSettings(substeps=args.substeps, track=args.track,
                                   sharpness_every=args.sharpness_every,
                                   momentum=args.momentum, optimizer=args.optimizer,
                                   beta2=args.beta2, eps=args.eps)
    problem = build_problem(spec_from_args(args))
    result = run_central_flow(problem.loss, problem.theta0, args.lr, args.steps, settings)
    out = Path(args.out)
    figure = plot_central_flow(result, out / "central_flow")[0]
    series = write_central_flow_series(out, result)
    s = result.summary()
    lines = [
        f"{args.optimizer} reaches its threshold {result.threshold:.4g} at step {s['eos_step']}"
        if s["eos_step"] is not None
        else f"{args.optimizer} does not reach its threshold in this run",
        f"from step {s['from_step']}: ||w_GD - w_CF|| / ||w_GD - w_0|| <= "
        f"{_fmt(s['max_distance'])}; |predicted loss / 10-step mean of GD's - 1| <= "
        f"{_fmt(s['max_predicted_loss_error'])}",
        f"final: {args.optimizer}'s loss (10-step mean) {s['final_gd_loss_average']:.4g}, "
        f"central flow's prediction {s['final_cf_predicted_loss']:.4g} (averaged over the "
        f"orbit: {s['final_cf_orbit_loss']:.4g}), tr(Sigma) {s['final_sigma2']:.4g}",
        f"series: {series['json']} (+ {len(series) - 1} CSV tables)",
    ]
    return emit(args, "central_flow", s, figure, lines)


def _fmt(value) -> str:
    return "n/a" if value is None else f"{value:.3g}"
