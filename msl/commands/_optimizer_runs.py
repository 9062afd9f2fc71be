"""The non-GD branches of ``msl periodic-point``, ``msl simulate`` and ``msl phase-diagram``
(``--optimizer momentum|nesterov|sgd``; GD keeps its own code path, unchanged)."""

from __future__ import annotations

import argparse
import json
import sys

__all__ = ["periodic_point", "phase_diagram", "simulate"]


def periodic_point(args: argparse.Namespace) -> int:
    """Same JSON keys as GD: threshold, x_eta, closed_form, cycle_multiplier (the spectral
    radius of the two-step Jacobian on (x_t, x_{t-1})), stable; plus optimizer, beta and
    spectral_radius."""
    from msl._optimizer_args import optimizer_from_args
    from theory import resolve_function
    from theory.optimizers import OptimizerError, periodic_orbit, periodic_point_expr, threshold

    optimizer = optimizer_from_args(args)
    if not optimizer.deterministic:
        raise OptimizerError("--optimizer sgd has no periodic orbit; periodic-point takes gd, "
                             "momentum or nesterov")
    f = resolve_function(args.function, require_subquadratic=True)
    orbit = periodic_orbit(f, optimizer, args.eta)
    closed = periodic_point_expr(f, optimizer)
    record = {
        "function": f.name,
        "optimizer": optimizer.name,
        "beta": optimizer.beta,
        "eta": orbit.eta,
        "threshold": threshold(f, optimizer),
        "x_eta": orbit.x_eta,
        "closed_form": None if closed is None else str(closed),
        "cycle_multiplier": orbit.spectral_radius,
        "spectral_radius": orbit.spectral_radius,
        "one_minus_multiplier": 1.0 - orbit.spectral_radius,
        "stability": orbit.stability or ("stable" if orbit.stable else "unstable"),
        "stable": orbit.stable,
    }
    if args.json:
        print(json.dumps(record))
        return 0
    print(f"function          {record['function']}")
    print(f"optimizer         {optimizer.name} (beta = {optimizer.beta:g})")
    print(f"threshold         {record['threshold']:.12g}")
    print(f"eta               {orbit.eta:.12g}")
    print(f"x_eta             {orbit.x_eta:.16g}")
    print(f"closed form       {record['closed_form'] or '(none found)'}")
    verdict = "stable" if orbit.stable else "unstable"
    print(f"spectral radius   {orbit.spectral_radius:.12g} ({verdict}; two-step Jacobian on "
          "(x_t, x_{t-1}))")
    return 0


def _momentum_sweep(args: argparse.Namespace, beta):
    from msl._theory_args import parse_grid, resolve_cli_function
    from theory.dynamics import SimulationOptions, simulate_momentum

    options = SimulationOptions(steps=args.steps, period_max=args.period_max,
                                early_exit=not args.no_early_exit)
    function = resolve_cli_function(args.function)
    sweep = simulate_momentum(function, parse_grid(args.eta, "--eta"), beta,
                              parse_grid(args.x0, "--x0"), options=options,
                              method=args.optimizer, progress=sys.stderr.isatty())
    return function, sweep


def simulate(args: argparse.Namespace) -> int:
    """The summary of GD's ``msl simulate`` (same keys, same table) for momentum, Nesterov
    and SGD (msl/commands/_summary_tables.py)."""
    import numpy as np

    from msl._optimizer_args import optimizer_from_args
    from msl._theory_args import parse_grid, resolve_cli_function
    from msl.commands._summary_tables import momentum_summary, print_table, sgd_summary
    from theory.validation import json_safe

    optimizer = optimizer_from_args(args)
    if optimizer.deterministic:
        from theory.resolver import as_landscape

        function, sweep = _momentum_sweep(args, [optimizer.beta])
        landscape = as_landscape(function)
        summary = momentum_summary(
            sweep, optimizer.beta,
            lambda x: np.asarray(landscape.gradient(x[:, None]), dtype=float).reshape(x.shape))
        name, steps = sweep.metadata["function"], sweep.metadata["steps"]
    else:
        from theory.dynamics import simulate_sgd

        function = resolve_cli_function(args.function)
        eta, x0 = parse_grid(args.eta, "--eta"), parse_grid(args.x0, "--x0")
        if isinstance(args.replicas, int) and args.replicas >= 2:  # refused before the line
            from theory.dynamics import check_sgd_size

            check_sgd_size(args.replicas, eta.size * x0.size * args.steps)
        print(f"msl simulate: SGD, {eta.size * x0.size * args.replicas:,} runs "
              f"({eta.size} eta x {x0.size} x0 x {args.replicas} replicas) of {args.steps:,} "
              "steps ...", file=sys.stderr, flush=True)
        result = simulate_sgd(function, eta, x0, args.steps, sigma=optimizer.sigma,
                              replicas=args.replicas, seed=optimizer.seed,
                              noise=optimizer.noise, data=optimizer.data)
        name, steps = str(args.function), args.steps
        summary = sgd_summary(result, name, steps, args.replicas, optimizer.sigma)
    if args.json:
        print(json.dumps(json_safe(summary)))
        return 0
    print_table(summary, function=name, steps=steps,
                unit="runs" if summary["optimizer"] == "sgd" else "points")
    return 0


def phase_diagram(args: argparse.Namespace) -> int:
    """Momentum over (eta, beta): sweep.npz, phase_diagram.png (period-2 fraction with the
    derived threshold curve), bifurcation.png (with x_eta(eta, beta); with --branches the
    continued 2- and 4-cycles, stable solid / unstable dashed), summary.csv."""
    from pathlib import Path

    import numpy as np

    from msl._theory_args import parse_grid
    from theory.dynamics import (
        plot_momentum_bifurcation,
        plot_momentum_phase_diagram,
        save_figure,
    )
    from theory.errors import GridError
    from theory.optimizers import OptimizerError, make_optimizer

    if args.optimizer == "sgd":
        raise OptimizerError("msl phase-diagram takes gd, momentum or nesterov (sgd outcomes "
                             "are distributions: use msl simulate --optimizer sgd)")
    if args.beta is None:
        raise OptimizerError(f"--optimizer {args.optimizer} needs --beta B or a grid A:B:N")
    betas = parse_grid(args.beta, "--beta")
    for b in betas:
        make_optimizer(args.optimizer, beta=float(b))  # the named error for beta outside [0,1)
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise GridError(f"--out {args.out!r} exists and is not a directory")
    out.mkdir(parents=True, exist_ok=True)
    _, sweep = _momentum_sweep(args, betas)
    from theory import resolve_function

    f = resolve_function(args.function, require_subquadratic=True)
    written = [sweep.save(out / "sweep.npz")]
    written += save_figure(plot_momentum_phase_diagram(sweep, f), out / "phase_diagram",
                           pdf=args.pdf)
    shown = betas if betas.size <= 4 else betas[np.linspace(0, betas.size - 1, 4).astype(int)]
    fig = plot_momentum_bifurcation(sweep, f, betas=shown)
    if getattr(args, "branches", False):  # continued 2- and 4-cycles (issue 21)
        from theory.bifurcation import draw_branches, momentum_branches

        window = (float(sweep.eta.min()), float(sweep.eta.max()))
        for n, b in enumerate(shown):
            draw_branches(fig.axes[0], momentum_branches(f.expr, args.optimizer, float(b),
                                                         window),
                          colours=[f"C{n % 10}"], absolute=True, lw=1.0)
    written += save_figure(fig, out / "bifurcation", pdf=args.pdf)
    rows = ["eta,beta,converged,period2,other"]
    conv, two = sweep.fraction("converged"), sweep.fraction("periodic", period=2)
    for i, e in enumerate(sweep.eta):
        for j, b in enumerate(sweep.beta):
            rows.append(f"{e:.10g},{b:.10g},{conv[i, j]:.6g},{two[i, j]:.6g},"
                        f"{1 - conv[i, j] - two[i, j]:.6g}")
    from theory.files import atomic_write_text

    atomic_write_text(out / "summary.csv", "\n".join(rows) + "\n")
    written.append(out / "summary.csv")
    print(f"{sweep.metadata['function']} ({args.optimizer}): "
          + ", ".join(f"{k} {v}" for k, v in sweep.class_counts().items()))
    for path in written:
        print(path)
    return 0
