"""Entry point of the ``msl`` command.

Sub-commands are registered from :data:`COMMANDS` (module names inside
:mod:`msl.commands`).  Each module defines ``register(subparsers)``, which adds a parser
and sets ``run=callable(args) -> int``.  Command modules import the heavy packages
(sympy, numba, torch) inside ``run`` only, so ``msl --help`` stays fast and the theory
commands never import torch.

Exit codes: 0 success, 1 a check failed (``msl check``), 2 bad input or an output folder
that cannot be written (read-only, full disk, a file where a folder should be): one line on
stderr, no traceback.
"""

from __future__ import annotations

import argparse
import importlib
import re
import sys

from msl._os_errors import output_problem
from theory.errors import MslValueError

#: sub-command modules, in the order ``msl --help`` lists them
COMMANDS = (
    "periodic_point",
    "simulate",
    "phase_diagram",
    "check",
    "eos",
    "slice",
    "scales",
    "lr_decay",
    "homogeneity",
    "geometry",
    "central_flow",
    "reproduce",
    "bifurcation",
)


#: a single-dash word that is not an option of the parser (``-h`` is found first) is a
#: value: an expression such as ``-x**2+x**4`` (FUNCTION) or a grid such as ``-5:5:101``.
#: argparse reads only words matching this as values; the sub-commands have no short
#: options besides ``-h``, and ``--...`` stays an option.
VALUE_WITH_MINUS = re.compile(r"^-[^-]")


class _Formatter(argparse.HelpFormatter):
    """Every option's help says its default (unless it already does, or has none)."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        default = action.default
        if (action.option_strings and "default" not in text.lower()
                and not isinstance(action, argparse._StoreConstAction)
                and not (default is None or default is False or default == []
                         or default is argparse.SUPPRESS)):
            text += " (default: %(default)s)"
        return text


class _Parser(argparse.ArgumentParser):
    """argparse parser whose errors are one line and exit code 2, and that reads a
    single-dash word which is not one of its options as a value (:data:`VALUE_WITH_MINUS`)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", _Formatter)
        super().__init__(*args, **kwargs)
        self._negative_number_matcher = VALUE_WITH_MINUS

    def error(self, message: str):  # pragma: no cover - exercised through the CLI tests
        self.exit(2, f"msl: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="msl",
        description="Multiscale structure of neural network loss landscapes "
        "(Ma, Kunin, Wu & Ying, 2022): theory, checks and experiments.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for name in COMMANDS:
        importlib.import_module(f"msl.commands.{name}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if getattr(args, "out", None) is not None:
            from theory.files import folder_lock, output_directory

            output_directory(args.out, "--out")  # before any work: see theory.files
            with folder_lock(args.out, "--out"):  # one writer per output folder
                return int(args.run(args) or 0)
        return int(args.run(args) or 0)
    except MslValueError as exc:
        print(f"msl: error: {_one_line(str(exc))}", file=sys.stderr)
        return 2
    except OSError as exc:  # read-only folder, full disk, a file where a folder should be
        message = output_problem(exc)
        if message is None:
            raise
        print(f"msl: error: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        kept = (" (finished work in --out is kept; run again to resume)"
                if getattr(args, "out", None) else "")
        print(f"msl: interrupted{kept}", file=sys.stderr)
        return 130
    finally:
        experiment_args = sys.modules.get("msl._experiment_args")
        if experiment_args is not None:
            experiment_args.restore_torch()


def _one_line(text: str, limit: int = 2000) -> str:
    """An error message on one line, at most ``limit`` characters."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."
