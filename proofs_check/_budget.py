"""A time budget per claim: a check that runs past it is reported "unknown (budget)".

``msl check`` gives every (claim, function) pair
:data:`proofs_check.claim_names.DEFAULT_BUDGET` seconds (``--budget``
to change).  The limit is :func:`theory.limits.time_limit` (SIGALRM, main thread): interval
certification can recurse for minutes on functions such as ``x**2*(2+cos(x))``; instead of
running on, the row says that nothing was decided within the budget.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from proofs_check._inputs import CheckInputError
from proofs_check._results import Check, ClaimResult, Status
from theory.limits import time_limit

#: the name of the Check that marks a claim stopped by its budget
BUDGET_CHECK = "time budget"


def valid_budget(value) -> float | None:
    """``None`` (no limit) or a finite number of seconds > 0."""
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise CheckInputError(f"budget={value!r} is not a number of seconds") from None
    if not math.isfinite(number) or number <= 0:
        raise CheckInputError(f"budget={value!r} must be a finite number of seconds > 0")
    return number


def over_budget(claim: str, function: str, budget: float) -> ClaimResult:
    """The result of a claim stopped after ``budget`` seconds: nothing decided."""
    evidence = f"unknown (budget): stopped after {budget:g} s without a verdict"
    check = Check(BUDGET_CHECK, f"{claim} decided within {budget:g} s", Status.UNKNOWN,
                  "none", False, evidence)
    return ClaimResult(claim, function, (), (check,), (), (), check,
                       (f"{claim} on {function} ran past its time budget of {budget:g} s",))


def within_budget(run: Callable[[], ClaimResult], claim: str, function: str,
                  budget: float | None) -> ClaimResult:
    """``run()``, or :func:`over_budget` when it takes longer than ``budget`` seconds."""
    if budget is None:
        return run()
    try:
        with time_limit(budget):
            return run()
    except TimeoutError:
        return over_budget(claim, function, budget)
