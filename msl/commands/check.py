"""``msl check [FUNCTION ...] [--claim CLAIM] [--json]``: the claims of Section 4, checked.

With no FUNCTION, every catalog function (and a separable example for Theorem 4.2) against
every claim that applies; prints the claim x function table (hypotheses, conclusion,
certified or not).  A FUNCTION is a catalog name, an expression in x, or MODULE:ATTRIBUTE --
a user's Python file or importable module and the function or family (list, dict, or
zero-argument callable) it defines; importing it runs its code (see
:mod:`proofs_check.user_functions`).  Exit code 0 when every claim whose hypotheses hold
has its conclusion confirmed, 1 otherwise, 2 for bad input (also: a missing file or
attribute, or an attribute that is not a function).
"""

from __future__ import annotations

import argparse
import json
import sys

from proofs_check.claim_names import CLAIM_KEYS, DEFAULT_BUDGET


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "check",
        help="check Lemma 4.1, Theorems 4.1-4.3 and the quasistatic flow (4.8) on functions",
        description="Check the hypotheses, the proofs' inequalities and the conclusions of "
        "Lemma 4.1, Theorems 4.1-4.3 and the quasistatic flow (4.8) on concrete functions, "
        "with interval certificates where a float would only suggest. Exit code 0 when every "
        "claim whose hypotheses hold has its conclusion confirmed, 1 otherwise.",
    )
    parser.add_argument("functions", metavar="FUNCTION", nargs="*",
                        help="catalog name (f1, f2(C=5), fig4.2, two_layer_2d, ...), an "
                             "expression in x, or MODULE:ATTRIBUTE (a Python file or module "
                             "and the function, list or dict of functions it defines, e.g. "
                             "my_functions.py:FAMILY; importing it runs its code); default: "
                             "the whole catalog")
    parser.add_argument("--claim", action="append", choices=CLAIM_KEYS, dest="claims",
                        help="only this claim (repeatable); default: every claim that applies")
    parser.add_argument("--json", action="store_true", help="print the full results as JSON")
    parser.add_argument("--budget", type=_seconds, default=DEFAULT_BUDGET, metavar="SECONDS",
                        help="time budget per claim and function; a claim that runs longer "
                             f"is reported 'unknown (budget)' (default {DEFAULT_BUDGET:g})")
    parser.set_defaults(run=run)


def _seconds(text: str) -> float:
    """argparse type of --budget: a finite number of seconds > 0."""
    import math

    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be a number of seconds > 0")
    return value


def run(args: argparse.Namespace) -> int:
    from proofs_check import (
        CatalogReport,
        applicable_claims,
        check_catalog,
        check_function,
        resolve_targets,
    )

    if not args.functions and not args.claims:
        report = check_catalog(progress=sys.stderr.isatty(), budget=args.budget)
    else:
        names = list(args.functions)
        if not names:
            from theory import catalog

            names = list(catalog.names())
        results: list = []
        for label, obj in resolve_targets(names):
            claims = list(applicable_claims(obj))
            if args.claims:
                claims = [c for c in claims if c in args.claims]
                if not claims and args.functions:
                    from proofs_check import CheckInputError

                    raise CheckInputError(
                        f"--claim {', '.join(args.claims)} does not apply to {label!r} "
                        f"(applicable: {', '.join(applicable_claims(obj)) or 'none'})")
            results += check_function(obj, claims, name=label, budget=args.budget)
        report = CatalogReport(tuple(results))
    if args.json:
        print(json.dumps(report.to_dict(), indent=1))
    else:
        print(report.table())
    return 0 if report.ok else 1
