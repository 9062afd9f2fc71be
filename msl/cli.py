"""Entry point of the ``msl`` command.

Sub-commands are registered from :data:`COMMANDS` (module names inside
:mod:`msl.commands`).  Each module defines ``register(subparsers)``, which adds a parser
and sets ``run=callable(args) -> int``.  Command modules import the heavy packages
(sympy, numba, torch) inside ``run`` only, so ``msl --help`` stays fast and the theory
commands never import torch.

Exit codes: 0 success, 1 a check failed (``msl check``), 2 bad input (one line on stderr,
no traceback).
"""

from __future__ import annotations

import argparse
import importlib
import sys

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
    "reproduce",
)


class _Parser(argparse.ArgumentParser):
    """argparse parser whose errors are one line and exit code 2."""

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
        return int(args.run(args) or 0)
    except MslValueError as exc:
        print(f"msl: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("msl: interrupted (finished chunks are kept; run again to resume)", file=sys.stderr)
        return 130
