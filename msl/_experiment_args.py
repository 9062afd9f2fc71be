"""Command-line plumbing shared by the ``msl`` experiment commands (no torch import).

The ``msl/commands/*.py`` modules stay thin: they add these arguments, build a
:class:`empirical.ProblemSpec` from them, call the experiment function and hand
the result to :func:`emit`.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from empirical import ACTIVATIONS, DATASETS, DTYPES, LOSSES, MODELS, NORMS, ProblemSpec
from theory.validation import json_safe


def add_problem_arguments(parser: argparse.ArgumentParser, *, lr: float | None = None,
                          steps: int | None = None) -> None:
    """Data, model, loss, seed, device and output options (defaults: ``ProblemSpec()``)."""
    d = ProblemSpec()
    g = parser.add_argument_group("problem")
    g.add_argument("--data", choices=DATASETS, default=d.data,
                   help="digits (scikit-learn, default), cifar10 (needs --data-dir), "
                        "multiscale (synthetic Section 6 data)")
    g.add_argument("--data-dir", default=None,
                   help="folder of a local CIFAR-10 copy (python pickle batches)")
    g.add_argument("--n-train", type=int, default=d.n_train, help="training subset size")
    g.add_argument("--n-test", type=int, default=d.n_test, help="test subset size")
    g.add_argument("--input-scales", type=float, nargs="*", default=[],
                   help="multiply equal groups of inputs by these factors (Section 6)")
    g.add_argument("--model", choices=MODELS, default=d.model)
    g.add_argument("--width", type=int, default=d.width,
                   help="hidden width (MLP) or first channel count (CNN, VGG, ResNet)")
    g.add_argument("--depth", type=int, default=d.depth, help="number of hidden layers (MLP)")
    g.add_argument("--activation", choices=ACTIVATIONS, default=d.activation)
    g.add_argument("--no-bias", action="store_true", help="layers without bias")
    g.add_argument("--norm", choices=NORMS, default=d.norm, help="GroupNorm in the ResNet")
    g.add_argument("--loss", choices=LOSSES, default=d.loss)
    g.add_argument("--seed", type=int, default=d.seed)
    g.add_argument("--dtype", choices=DTYPES, default=d.dtype)
    g.add_argument("--device", default=d.device, help="cpu (default) or cuda")
    g.add_argument("--batch-size", type=int, default=None,
                   help="examples per batch when accumulating the full-batch loss")
    if lr is not None:
        g.add_argument("--lr", type=float, default=lr, help=f"learning rate eta (default {lr})")
    if steps is not None:
        g.add_argument("--steps", type=int, default=steps, help=f"GD steps (default {steps})")


def add_output_arguments(parser: argparse.ArgumentParser, name: str) -> None:
    g = parser.add_argument_group("output")
    g.add_argument("--out", default=f"runs/{name}",
                   help=f"output folder: figure, JSON and checkpoints (default runs/{name}); "
                        "re-running with the same settings resumes")
    g.add_argument("--json", action="store_true", help="print the result as JSON")
    g.add_argument("--no-progress", action="store_true", help="no progress bar")
    g.add_argument("--threads", type=int, default=1,
                   help="torch CPU threads (default 1: fastest for small models)")


def spec_from_args(args: argparse.Namespace) -> ProblemSpec:
    return ProblemSpec(
        data=args.data, n_train=args.n_train, n_test=args.n_test, data_dir=args.data_dir,
        input_scales=tuple(args.input_scales), model=args.model, width=args.width,
        depth=args.depth, activation=args.activation, bias=not args.no_bias, norm=args.norm,
        loss=args.loss, seed=args.seed, dtype=args.dtype, device=args.device,
        batch_size=args.batch_size,
    )


#: torch's thread count before the running command changed it (None: unchanged)
_THREADS_BEFORE: list[int] = []


def setup_torch(args: argparse.Namespace) -> None:
    """Apply ``--threads`` (validated) for this command; :func:`restore_torch` undoes it."""
    from empirical.errors import ExperimentError

    if args.threads < 1:
        raise ExperimentError(f"threads={args.threads}: must be >= 1")
    check_bounds(args)
    import torch

    _THREADS_BEFORE.append(torch.get_num_threads())
    torch.set_num_threads(args.threads)


def check_bounds(args: argparse.Namespace) -> None:
    """Refuse, before any work, the sizes of :data:`theory.limits.BOUNDS` that are too large
    for this machine (``--threads``, ``--steps``, ``--depth``, ``--n-points``,
    ``--n-radii``, ``--n-random``), with the estimate in the message."""
    from theory.limits import check_bound

    check_bound("--threads", args.threads)
    steps = getattr(args, "steps", None)
    if isinstance(steps, int) and steps > 0:
        check_bound("--steps", steps)
    width = getattr(args, "width", None)
    depth = getattr(args, "depth", None)
    if isinstance(depth, int) and isinstance(width, int) and width > 0:
        check_bound("--depth", depth, bytes_scale=width**2,
                    seconds_scale=width**2 * max(1, steps or 1))
    n_random = getattr(args, "n_random", None)
    n_radii = getattr(args, "n_radii", None)
    sizes = (("--n-points", getattr(args, "n_points", None), 1),
             ("--n-random", n_random, n_radii or 1),
             ("--n-radii", n_radii, (n_random or 0) + 1))
    for flag, value, _ in sizes:  # each alone first, so that the message names the culprit
        if isinstance(value, int) and value > 0:
            check_bound(flag, value)
    for flag, value, scale in sizes:  # then together (radii x directions)
        if isinstance(value, int) and value > 0:
            check_bound(flag, value, bytes_scale=scale, seconds_scale=scale)


def restore_torch() -> None:
    """Give torch back the thread count it had before :func:`setup_torch` (the setting is
    process-wide, and OpenMP code that runs later in the process, such as a caller of
    ``msl.cli.main``, would otherwise keep one core)."""
    if _THREADS_BEFORE:
        import torch

        torch.set_num_threads(_THREADS_BEFORE[0])
        _THREADS_BEFORE.clear()


def emit(args: argparse.Namespace, name: str, summary: dict, figure: Path,
         lines: list[str]) -> int:
    """Write ``<out>/<name>.json``, print JSON (``--json``) or ``lines``; exit code 0."""
    from theory.files import atomic_write_text

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    summary = json_safe(dict(summary, figure=str(figure)))
    text = json.dumps(summary, indent=2)
    atomic_write_text(out / f"{name}.json", text + "\n")
    if args.json:
        print(text)
    else:
        for line in lines:
            print(line)
        print(f"figure: {figure}")
        print(f"data:   {out / (name + '.json')}")
    return 0
