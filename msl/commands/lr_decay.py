"""``msl lr-decay``: learning-rate decay at two times (Fig. 2.1 right, Fig. 3.2 right)."""

from __future__ import annotations

from pathlib import Path

from msl._experiment_args import add_output_arguments, add_problem_arguments


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "lr-decay",
        help="the same GD run with the learning rate decayed at two different steps",
        description="GD at --lr; at each of two steps the run branches and continues at "
        "lr * factor.  Training loss, test accuracy and the principal directions of the "
        "parameter path before and after each decay.",
    )
    add_problem_arguments(p, lr=0.3)
    p.add_argument("--factor", type=float, default=0.1, help="decay factor (default 0.1)")
    p.add_argument("--decay-steps", type=int, nargs=2, default=[1000, 2000],
                   metavar=("T1", "T2"), help="the two steps at which a branch decays")
    p.add_argument("--total-steps", type=int, default=3000,
                   help="GD steps of every branch")
    p.add_argument("--eval-every", type=int, default=50,
                   help="test accuracy and loss every so many steps")
    p.add_argument("--snapshot-every", type=int, default=20,
                   help="keep the parameters every so many steps (path PCA)")
    add_output_arguments(p, "lr_decay")
    p.set_defaults(run=run)


def run(args) -> int:
    from msl._experiment_args import emit, setup_torch, spec_from_args

    setup_torch(args)
    from empirical import plot_lr_decay, run_lr_decay

    res = run_lr_decay(spec_from_args(args), lr=args.lr, factor=args.factor,
                       decay_steps=tuple(args.decay_steps), total_steps=args.total_steps,
                       eval_every=args.eval_every, snapshot_every=args.snapshot_every,
                       out_dir=args.out, progress=not args.no_progress)
    fig = plot_lr_decay(res, Path(args.out) / "lr_decay.png")
    s = res.summary()
    lines = [f"no decay: loss {s['no_decay']['final_loss']:.4g}, test accuracy "
             f"{s['no_decay']['final_test_accuracy']:.3f}"]
    for t in res.decay_steps:
        d = s[f"decay_at_{t}"]
        lines.append(f"decay at {t}: loss {d['final_loss']:.4g}, test accuracy "
                     f"{d['final_test_accuracy']:.3f}")
    cos = res.pca.cosines
    lines.append(f"|cos| between first principal directions: large-lr vs early decay "
                 f"{cos[0, 1]:.3f}, large-lr vs late decay {cos[0, 2]:.3f}, early vs late "
                 f"{cos[1, 2]:.3f}")
    from empirical import write_series

    series = write_series(args.out, "lr_decay", res)
    lines.append(f"series: {series['json']} (+ {len(series) - 1} CSV tables)")
    return emit(args, "lr_decay", s, fig, lines)
