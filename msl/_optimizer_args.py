"""``--optimizer {gd,momentum,nesterov,sgd} --beta B --sigma S --seed N`` (issue 13).

Shared by ``msl periodic-point``, ``msl simulate`` and ``msl phase-diagram``; the value object
is built (and validated) by :func:`theory.optimizers.make_optimizer`, so a bad value is one
line on stderr and exit code 2: beta outside [0, 1), sigma < 0, sigma with a deterministic
optimizer, beta with gd or sgd.
"""

from __future__ import annotations

import argparse

__all__ = ["OPTIMIZER_CHOICES", "add_optimizer_arguments", "optimizer_from_args"]

OPTIMIZER_CHOICES = ("gd", "momentum", "nesterov", "sgd")  # theory.optimizers.OPTIMIZER_NAMES


def add_optimizer_arguments(parser: argparse.ArgumentParser, *, beta_grid: bool = False,
                            stochastic: bool = True) -> None:
    choices = OPTIMIZER_CHOICES if stochastic else OPTIMIZER_CHOICES[:3]
    group = parser.add_argument_group("optimizer (default: plain GD, eq. 4.1)")
    group.add_argument("--optimizer", choices=choices, default="gd",
                       help="gd (4.1), momentum (heavy ball), nesterov"
                       + (", or sgd (GD plus seeded Gaussian gradient noise)" if stochastic
                          else ""))
    group.add_argument("--beta", default=None, metavar="A:B:N" if beta_grid else "B",
                       help="momentum coefficient in [0, 1)"
                       + (" or a grid A:B:N" if beta_grid else "")
                       + " (momentum, nesterov)")
    if stochastic:
        group.add_argument("--sigma", type=float, default=None, metavar="S",
                           help="gradient-noise scale >= 0 (sgd)")
        group.add_argument("--seed", type=int, default=0, metavar="N",
                           help="random seed of sgd (default 0)")
        group.add_argument("--replicas", type=int, default=64, metavar="R",
                           help="sgd runs per (eta, x0) (default 64)")
        group.add_argument("--noise", choices=("additive", "interpolation", "label"),
                           default="additive",
                           help="sgd noise: additive sigma (default), interpolation (scaled "
                           "by sqrt(2 f), vanishing at the minimum) or label noise on the "
                           "Section 6 inputs --data")
        group.add_argument("--data", default=None, metavar="X1,X2,...",
                           help="Section 6 inputs x_i > 0 of --noise label")


def optimizer_from_args(args: argparse.Namespace, *, beta=None):
    """The optimizer value object (``beta`` overrides ``args.beta``, e.g. one value of a grid)."""
    from theory.optimizers import make_optimizer

    b = args.beta if beta is None else beta
    if isinstance(b, str):
        from msl._theory_args import parse_grid

        grid = parse_grid(b, "--beta")
        if grid.size > 1:  # never sweep silently the first value only (issue 20)
            from theory.optimizers import OptimizerError

            raise OptimizerError(
                f"--beta {b!r} is a grid of {grid.size} values, but this command takes one "
                "momentum coefficient; give one value (msl phase-diagram sweeps a --beta grid)")
        b = float(grid[0])
    data = getattr(args, "data", None)
    if data:
        from theory.optimizers import OptimizerError

        try:
            data = tuple(float(v) for v in data.split(","))
        except ValueError:
            raise OptimizerError(f"--data {args.data!r} is not a comma-separated list of "
                                 "numbers") from None
    return make_optimizer(args.optimizer, beta=b, sigma=getattr(args, "sigma", None),
                          seed=getattr(args, "seed", 0),
                          noise=getattr(args, "noise", "additive"), data=data or ())
