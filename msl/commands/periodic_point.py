"""``msl periodic-point FUNCTION --eta ETA [--json]``: the period-2 orbit of GD (Lemma 4.1)."""

from __future__ import annotations

import argparse
import json


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "periodic-point",
        help="x_eta, the threshold 2/f''(0) and the stability of the period-2 orbit",
        description="The positive point x_eta of GD's period-2 orbit {+x_eta, -x_eta}: the "
        "root of eta f'(x) = 2x other than 0 (Lemma 4.1), with the cycle multiplier "
        "(1 - eta f''(x_eta))^2.",
    )
    parser.add_argument("function", metavar="FUNCTION",
                        help="catalog name (f1, f2, f2(C=5), log_cosh, ...) or an expression in x")
    parser.add_argument("--eta", required=True, type=float, help="learning rate (> 2/f''(0))")
    parser.add_argument("--json", action="store_true", help="print JSON")
    from msl._optimizer_args import add_optimizer_arguments

    add_optimizer_arguments(parser, stochastic=False)  # sgd has no periodic orbit
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from msl._optimizer_args import single_state

    if not single_state(args):
        from msl.commands._optimizer_runs import periodic_point

        return periodic_point(args)
    from msl._optimizer_args import map_settings

    if map_settings(args)["optimizer"] != "gd":  # (validates e.g. --weight-decay with gd)
        return _map_threshold(args)
    from theory import resolve_function

    f = resolve_function(args.function, require_subquadratic=True)
    orbit = f.periodic_orbit(args.eta)
    closed = f.periodic_point_expr()
    record = {
        "function": f.name,
        "eta": orbit.eta,
        "threshold": float(f.threshold),
        "x_eta": orbit.x_eta,
        "closed_form": None if closed is None else str(closed),
        "cycle_multiplier": orbit.multiplier,
        "one_minus_multiplier": orbit.one_minus_multiplier,
        "stability": orbit.stability,
        "stable": None if orbit.marginal else orbit.stable,
    }
    if args.json:
        print(json.dumps(record))
    else:
        print(f"function          {record['function']}")
        print(f"threshold 2/f''(0) {f.threshold} = {record['threshold']:.12g}")
        print(f"eta               {orbit.eta:.12g}")
        print(f"x_eta             {orbit.x_eta:.16g}")
        print(f"closed form       {record['closed_form'] or '(none found)'}")
        print(f"cycle multiplier  {orbit.multiplier:.12g} ({_verdict(orbit)})")
    return 0


def _verdict(orbit) -> str:
    """stable / unstable, with 1 - multiplier (computed without cancellation) where the
    multiplier prints as 1; or marginal with the precision that could not decide."""
    margin = orbit.one_minus_multiplier
    text = "< 1e-308" if margin == 0 else f"= {margin:.6g}"
    if orbit.marginal:
        return f"marginal at {orbit.precision}: 1 - multiplier {text}, stability undecided"
    return orbit.stability + (f": 1 - multiplier {text}" if abs(margin) < 1e-6 else "")


def _map_threshold(args: argparse.Namespace) -> int:
    """A single-state map other than GD (gd-wd, normalized-gd, ...): its learning-rate
    threshold at f''(0), derived from the registry's symbolic sharpness threshold (None
    where the map has none); the period-2 orbit is GD's alone here."""
    from msl._optimizer_args import map_settings
    from theory import resolve_function
    from theory.optimizers import get_map, learning_rate_threshold

    settings = map_settings(args)
    m = get_map(settings["optimizer"])
    f = resolve_function(args.function, require_subquadratic=True)
    curvature = float(f.curvature_at_zero)
    threshold = learning_rate_threshold(m.name, curvature, settings["params"])
    record = {"function": f.name, "optimizer": m.name, **settings["params"], "eta": args.eta,
              "curvature": curvature, "sharpness_threshold": m.sharpness_threshold,
              "threshold": threshold,
              "stable_minimum": None if threshold is None else bool(args.eta < threshold)}
    if args.json:
        print(json.dumps(record))
        return 0
    print(f"function          {f.name}   (f''(0) = {curvature:.12g})")
    print(f"optimizer         {m.name}: {m.summary}")
    for name, value in settings["params"].items():
        print(f"{name:<17} {value:g}")
    if threshold is None:
        print("threshold         (none: the minimum is not a stable fixed point of this map)")
    else:
        print(f"threshold         {threshold:.12g}  (sharpness < {m.sharpness_threshold})")
        verdict = "stable" if args.eta < threshold else "unstable"
        print(f"eta               {args.eta:.12g}: the minimum is {verdict}")
    return 0
