"""``msl bifurcation FUNCTION --eta A:B [--json] [--out DIR]``: flips, cycles, cascade (issue 21).

The certified flip criterion at the minimum (3 f'''^2 - f'' f'''' and its verdict), the
branches continued from the fixed point through the doublings with their bifurcation points
(Krawczyk enclosures), the Feigenbaum ratios, the accumulation point against the
simulator's first positive Lyapunov exponent, and with ``--out`` a plot (stable solid,
unstable dashed over the simulated attractors) and ``bifurcation.json``.
"""

from __future__ import annotations

import argparse
import json


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "bifurcation",
        help="certified flip at 2/f''(x*) (any minimum), continued cycles, route to chaos",
        description="Beyond the paper (issue 21): the flip bifurcation of GD at the minimum "
        "x* of a 1-D function (supercritical iff 3 f'''^2 - f'' f'''' > 0, certified), its "
        "cycles continued in eta through the period doublings, each flip point enclosed, "
        "the Feigenbaum ratios and the onset of chaos.",
    )
    parser.add_argument("function", metavar="FUNCTION",
                        help="catalog name or an expression in x (any smooth minimum)")
    parser.add_argument("--eta", required=True, metavar="A:B",
                        help="learning-rate window 0 < A < B of the continuation")
    parser.add_argument("--doublings", type=int, default=5, metavar="N",
                        help="flips to follow (default 5)")
    parser.add_argument("--minimum", type=float, default=None, metavar="X",
                        help="approximate minimiser (default: 0, or the polynomial's nearest)")
    parser.add_argument("--optimizer", choices=("gd", "momentum", "nesterov"), default="gd",
                        help="gd (4.1, default); momentum / nesterov (with --beta): the "
                        "4-cycle found by iteration continued in eta, each fold certified "
                        "(Krawczyk in the 2-state map); --out draws the continued 2- and "
                        "4-cycles")
    parser.add_argument("--beta", type=float, default=None, metavar="B",
                        help="momentum coefficient in [0, 1) (momentum, nesterov)")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.add_argument("--out", default=None, metavar="DIR",
                        help="write bifurcation.png and bifurcation.json there")
    parser.set_defaults(run=run)


def _window(text: str) -> tuple[float, float]:
    from theory.bifurcation import BifurcationError

    parts = text.split(":")
    try:
        lo, hi = (float(p) for p in parts)
    except ValueError:
        raise BifurcationError(f"--eta={text!r} must be A:B with 0 < A < B") from None
    if not 0 < lo < hi < float("inf"):
        raise BifurcationError(f"--eta={text!r} must be A:B with 0 < A < B")
    return lo, hi


def _interval(pair) -> str:
    return "not certified" if pair is None else f"[{pair[0]:.17g}, {pair[1]:.17g}]"


def _print(data, rows) -> None:
    crit, cascade = data.criterion, data.cascade
    print(f"function           {data.function}")
    print(f"minimum x*         {crit.minimum[0]:.16g}")
    print(f"threshold 2/f''    {crit.threshold:.16g}")
    lo, hi = crit.quantity_enclosure
    print(f"3f'''^2 - f''f'''' {crit.quantity:.12g} in [{lo:.12g}, {hi:.12g}] "
          f"({crit.certified_by})")
    print(f"flip               {crit.verdict}")
    print("branches")
    for b in cascade.branches:
        stable = b.eta[b.stable]
        where = (f"stable on [{stable.min():.8g}, {stable.max():.8g}]" if stable.size
                 else "unstable")
        print(f"  period {b.period:<4d} eta [{b.eta.min():.8g}, {b.eta.max():.8g}] {where}")
    print("bifurcation points")
    for p in cascade.points:
        print(f"  {p.kind:<4s} of period {p.period:<4d} eta = {p.eta:.16g} "
              f"{_interval(p.eta_enclosure)}")
    if cascade.feigenbaum_ratios:
        print("Feigenbaum ratios  " + ", ".join(f"{r:.6f}" for r in cascade.feigenbaum_ratios))
        print(f"accumulation       {cascade.accumulation:.10g}")
    if data.scan is not None:
        print(f"Lyapunov onset     {data.scan.onset}")
    for c in rows:
        print(f"[{c.verdict.value}] {c.paper}: {c.measured}")


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from theory.figures import bifurcation as figure
    from theory.files import atomic_write_text
    from theory.validation import json_safe

    window = _window(args.eta)
    if args.optimizer != "gd" or args.beta is not None:
        return _momentum(args, window)
    data = figure.compute(args.function, window, doublings=args.doublings,
                          minimum=args.minimum)
    rows = figure.claims(data)
    record = {**data.to_dict(), "claims": [c.as_dict() for c in rows]}
    if args.out is not None:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        record["plots"] = [str(p) for p in figure.plot(data, out)]
        atomic_write_text(out / "bifurcation.json",
                          json.dumps(json_safe(record), indent=1) + "\n")
    if args.json:
        print(json.dumps(json_safe(record)))
    else:
        _print(data, rows)
    return 0


def _momentum(args: argparse.Namespace, window: tuple[float, float]) -> int:
    from theory.bifurcation import BifurcationError, period_four_window
    from theory.validation import json_safe

    if args.optimizer == "gd" or args.beta is None:
        raise BifurcationError(f"--optimizer={args.optimizer!r} with --beta={args.beta!r}: "
                               "--beta goes with --optimizer momentum or nesterov")
    branch = period_four_window(args.function, args.optimizer, args.beta, window,
                                probe_eta=0.5 * sum(window))
    record = {"function": args.function, "optimizer": args.optimizer, "beta": args.beta,
              "eta": list(window), "threshold": None, "period_4": None}
    if branch is not None:
        stable = branch.eta[branch.stable]
        record["period_4"] = {
            "folds": list(branch.folds),
            "fold_enclosures": [_certified_fold(args, state) for state in branch.fold_states],
            "stable_eta": [float(stable.min()), float(stable.max())] if stable.size else None,
            "eta": branch.eta.tolist(), "points": branch.points.tolist(),
            "radius": branch.radius.tolist()}
    if args.out is not None:
        record["plots"] = _momentum_plot(args, window)
        from pathlib import Path

        from theory.files import atomic_write_text

        atomic_write_text(Path(args.out) / "bifurcation.json",
                          json.dumps(json_safe(record), indent=1) + "\n")
    if args.json:
        print(json.dumps(json_safe(record)))
    elif branch is None:
        print(f"{args.optimizer} beta={args.beta}: no 4-cycle found at eta={0.5 * sum(window)}")
    else:
        print(f"{args.optimizer} beta={args.beta}: 4-cycle continued over eta "
              f"[{branch.eta.min():.6g}, {branch.eta.max():.6g}]")
        for fold, box in zip(branch.folds, record["period_4"]["fold_enclosures"],
                             strict=True):
            proof = "not certified" if box is None else \
                f"certified in [{box[0]:.15g}, {box[1]:.15g}]"
            print(f"  fold (4-cycles born / die) at eta = {fold:.8g}: {proof}")
        if record["period_4"]["stable_eta"]:
            lo, hi = record["period_4"]["stable_eta"]
            print(f"  stable on eta [{lo:.6g}, {hi:.6g}]")
    return 0


def _certified_fold(args: argparse.Namespace, state) -> list[float] | None:
    """The fold near ``state`` = (x, y, eta): refined by Newton, then a Krawczyk enclosure
    of its eta (theory.bifurcation.enclose_momentum_fold); None where either fails."""
    from theory.bifurcation import (
        BifurcationError,
        enclose_momentum_fold,
        fold_point,
        momentum_map,
    )

    try:
        guess = fold_point(momentum_map(args.function, args.optimizer, args.beta), state)
        if guess is None:
            return None
        box = enclose_momentum_fold(args.function, args.optimizer, args.beta, guess, 4)
    except BifurcationError:
        return None
    return list(box.eta)


def _momentum_plot(args: argparse.Namespace, window: tuple[float, float]) -> list[str]:
    """bifurcation.png: the continued 2- and 4-cycles (x against eta; stable solid,
    unstable dashed) of theory.bifurcation.momentum_branches."""
    from pathlib import Path

    from theory.bifurcation import draw_branches, momentum_branches
    from theory.plotting import pyplot, save_figure

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    fig, ax = pyplot().subplots(figsize=(6.4, 4.2))
    handles = draw_branches(ax, momentum_branches(args.function, args.optimizer, args.beta,
                                                  window))
    ax.set_xlabel("learning rate eta")
    ax.set_ylabel("x on the cycle")
    ax.set_title(f"{args.optimizer} (beta = {args.beta:g}) on {args.function}: continued "
                 "cycles", fontsize=10)
    if handles:
        ax.legend(handles=handles, fontsize=8)
    return [str(p) for p in save_figure(fig, out / "bifurcation")]
