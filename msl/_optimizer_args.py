"""``--optimizer NAME --beta B --sigma S --seed N --weight-decay WD`` (issues 13, 19).

The names, aliases and hyperparameter flags come from the optimizer registry
(:data:`theory.optimizers.MAPS`): a map added there appears here without a change.

Shared by ``msl periodic-point``, ``msl simulate`` and ``msl phase-diagram``; the value object
is built (and validated) by :func:`theory.optimizers.make_optimizer`, so a bad value is one
line on stderr and exit code 2: beta outside [0, 1), sigma < 0, sigma with a deterministic
optimizer, beta with gd or sgd.
"""

from __future__ import annotations

import argparse

__all__ = ["OPTIMIZER_CHOICES", "add_optimizer_arguments", "map_settings", "optimizer_from_args",
           "single_state"]


def _choices(stochastic: bool) -> tuple[str, ...]:
    """The names (and aliases) of the registry's maps; without ``stochastic``, only the
    deterministic ones: those whose sweeps give Lyapunov exponents (the capability
    ``lyapunov``), i.e. that have orbits to classify (not sgd)."""
    from theory.optimizers import MAPS

    return tuple(alias for m in MAPS.values() if stochastic or "lyapunov" in m.capabilities
                 for alias in (m.name, *m.aliases))


#: every name --optimizer takes (the registry's names and aliases)
OPTIMIZER_CHOICES = _choices(True)
#: flags added by hand below (their help names the optimizers that take them)
_OWN_FLAGS = ("beta", "sigma")


def add_optimizer_arguments(parser: argparse.ArgumentParser, *, beta_grid: bool = False,
                            stochastic: bool = True) -> None:
    from theory.optimizers import MAPS

    choices = _choices(stochastic)
    group = parser.add_argument_group("optimizer (default: plain GD, eq. 4.1)")
    group.add_argument("--optimizer", choices=choices, default="gd", metavar="NAME",
                       help="; ".join(f"{m.name}: {m.summary}" for m in MAPS.values()
                                      if m.name in choices))
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
    seen = set(_OWN_FLAGS)
    for m in MAPS.values():  # the registry's other hyperparameters (e.g. --weight-decay)
        for h in m.hyper:
            if h.name not in seen:
                seen.add(h.name)
                group.add_argument(h.flag, dest=h.name, type=float, default=None,
                                   metavar=h.name.upper(), help=h.help)


def _given_hyper(args: argparse.Namespace) -> dict[str, float]:
    """The registry hyperparameters given on the command line (not --beta/--sigma)."""
    from theory.optimizers import MAPS

    names = {h.name for m in MAPS.values() for h in m.hyper} - set(_OWN_FLAGS)
    return {n: getattr(args, n) for n in sorted(names) if getattr(args, n, None) is not None}


def single_state(args: argparse.Namespace) -> bool:
    """True when the sweep runs on the shared single-state kernels (gd, gd-wd,
    normalized-gd, ...: every engine and device); False for momentum and SGD (their own
    sweeps), also when --beta or --sigma is given."""
    from theory.optimizers import get_map

    return (get_map(args.optimizer).single_state and getattr(args, "beta", None) is None
            and getattr(args, "sigma", None) is None)


def map_settings(args: argparse.Namespace) -> dict:
    """``optimizer=`` and ``params=`` for :func:`theory.dynamics.simulate` (validated: a
    hyperparameter the optimizer does not take, or one it needs and lacks, is an
    :class:`~theory.optimizers.OptimizerError` naming it)."""
    from theory.optimizers import get_map, hyper_values

    name = get_map(args.optimizer).name
    return {"optimizer": name, "params": dict(hyper_values(name, _given_hyper(args)))}


def optimizer_from_args(args: argparse.Namespace, *, beta=None):
    """The optimizer value object (``beta`` overrides ``args.beta``, e.g. one value of a grid)."""
    from theory.optimizers import make_optimizer

    extra = _given_hyper(args)
    if extra:  # e.g. --weight-decay with momentum: named, never ignored
        from theory.optimizers import hyper_values

        hyper_values(args.optimizer, extra)
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
