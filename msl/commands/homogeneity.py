"""``msl homogeneity``: Section 6's homogeneity relations and input rescaling."""

from __future__ import annotations

from pathlib import Path


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "homogeneity",
        help="Section 6: ReLU homogeneity relations to float precision; inputs rescaled "
             "by 10 and 100 give separate scales",
        description="Checks l1(W1..WL) = l2(k^(-1/L) W1..WL) and l1 = l2(W1/k, W2..WL) for "
        "inputs x2 = k x1 on bias-free ReLU networks (with tanh/bias controls), then trains "
        "a bias-free ReLU MLP on digits whose input groups are multiplied by --scales and "
        "measures the per-group curvature and slice widths against an unscaled control.",
    )
    p.add_argument("--depth", type=int, default=3, help="hidden layers of the checked nets")
    p.add_argument("--width", type=int, default=32)
    p.add_argument("--ks", type=float, nargs="+", default=[10.0, 100.0],
                   help="input factors k of the relation checks")
    p.add_argument("--dtype", choices=("float32", "float64"), default="float64")
    p.add_argument("--scales", type=float, nargs="+", default=[1.0, 10.0, 100.0],
                   help="factors of the input groups of the rescaling experiment")
    p.add_argument("--n-train", type=int, default=600)
    p.add_argument("--steps", type=int, default=300, help="GD steps before measuring")
    p.add_argument("--level", type=float, default=0.1, help="loss rise that defines a width")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default="runs/homogeneity")
    p.add_argument("--json", action="store_true")
    p.add_argument("--no-progress", action="store_true")
    p.add_argument("--threads", type=int, default=1)
    p.set_defaults(run=run)


def run(args) -> int:
    from msl._experiment_args import emit, setup_torch

    setup_torch(args)
    from empirical import ProblemSpec, check_homogeneity, input_rescaling, plot_homogeneity

    checks = check_homogeneity(depth=args.depth, width=args.width, ks=tuple(args.ks),
                               dtype=args.dtype, seed=args.seed)
    spec = ProblemSpec(activation="relu", bias=False, dtype="float64", n_train=args.n_train,
                       n_test=0, seed=args.seed)
    resc = input_rescaling(spec, scales=tuple(args.scales), steps=args.steps, level=args.level,
                           progress=not args.no_progress)
    fig = plot_homogeneity(checks, resc, Path(args.out) / "homogeneity.png")
    lines = [f"relation checks ({args.dtype}, tolerance {checks.checks[0].tolerance:.2g}):"]
    for check in checks.checks:
        bias = " + bias" if check.bias else ""
        lines.append(f"  ({check.relation}) {check.activation}{bias}, k={check.k:g}: "
                     f"max rel. error {check.max_rel_error:.2e} -> "
                     f"{'holds' if check.holds else 'fails'} (expected "
                     f"{'to hold' if check.expected_to_hold else 'to fail'})")
    r, c = resc.rescaled, resc.control

    def fmt(values) -> str:
        return "[" + ", ".join(f"{x:.3g}" for x in values) + "]"

    lines += [
        f"rescaled inputs x{list(r.scales)}: group sharpness {fmt(r.group_sharpness)}, "
        f"widths {fmt(r.widths)} (spread {r.width_spread:.1f}x)",
        f"control: group sharpness {fmt(c.group_sharpness)}, widths {fmt(c.widths)} "
        f"(spread {c.width_spread:.2f}x)",
        f"all relations as expected: {'yes' if checks.all_as_expected else 'NO'}; "
        f"separate scales from rescaling: {'yes' if resc.separate_scales else 'no'}",
    ]
    summary = {"experiment": "homogeneity", "relations": checks.summary(),
               "rescaling": resc.summary()}
    return emit(args, "homogeneity", summary, fig, lines)
