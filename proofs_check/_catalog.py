"""Every claim that applies, on one function or on the whole catalog."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import sympy as sp

from proofs_check._budget import valid_budget, within_budget
from proofs_check._inputs import CheckInputError, any_function
from proofs_check._results import ClaimResult
from proofs_check._separable import decomposition
from proofs_check.claim_names import CLAIM_TITLES
from proofs_check.lemma_4_1 import check_lemma_4_1
from proofs_check.lemma_4_1_generalised import check_lemma_4_1_generalised
from proofs_check.quasistatic_4_8 import check_quasistatic_4_8
from proofs_check.theorem_4_1 import check_theorem_4_1
from proofs_check.theorem_4_2 import check_theorem_4_2
from proofs_check.theorem_4_3 import check_theorem_4_3
from theory import FunctionLike, Landscape, Subquadratic, X, catalog
from theory.catalog import Separable, Valley

#: claim key -> (paper name, check function)
CLAIMS: dict[str, tuple[str, Callable[..., ClaimResult]]] = {
    "lemma_4_1": (CLAIM_TITLES["lemma_4_1"], check_lemma_4_1),
    "theorem_4_1": (CLAIM_TITLES["theorem_4_1"], check_theorem_4_1),
    "theorem_4_2": (CLAIM_TITLES["theorem_4_2"], check_theorem_4_2),
    "theorem_4_3": (CLAIM_TITLES["theorem_4_3"], check_theorem_4_3),
    "quasistatic_4_8": (CLAIM_TITLES["quasistatic_4_8"], check_quasistatic_4_8),
    "lemma_4_1_generalised": (CLAIM_TITLES["lemma_4_1_generalised"],
                              check_lemma_4_1_generalised),
}


def separable_example() -> Separable:
    """A separable function (4.4) whose components satisfy Theorem 4.1, with three distinct
    thresholds (2, 1/2, 1/8), along a seeded random orthonormal basis (Theorem 4.2)."""
    u = sp.Abs(4 * X)
    functions = [
        catalog.f1(),
        Subquadratic(sp.sqrt(1 + 4 * X**2) - 1, name="pseudo_huber(2x)"),
        Subquadratic((1 + u) * sp.log(1 + u) - u, name="f1(4x)"),
    ]
    return catalog.separable(functions, catalog.random_orthonormal_basis(3, seed=0))


#: extra rows of the catalog table: functions built from catalog functions
EXAMPLES: dict[str, Callable[[], object]] = {
    "separable(f1, pseudo_huber(2x), f1(4x))": separable_example,
}


def applicable_claims(obj) -> tuple[str, ...]:
    """The claims whose setting fits the object (their hypotheses are checked, not assumed)."""
    if isinstance(obj, Subquadratic):
        return ("lemma_4_1", "theorem_4_1", "theorem_4_3", "lemma_4_1_generalised")
    if isinstance(obj, Landscape) and len(obj.variables) == 1:  # asymmetric 1-D (issue 21)
        return ("theorem_4_3", "lemma_4_1_generalised")
    if isinstance(obj, Valley):
        return ("quasistatic_4_8", "theorem_4_3")
    if isinstance(obj, (Separable, Landscape)) and decomposition(obj) is not None:
        return ("theorem_4_2", "theorem_4_3")
    if isinstance(obj, FunctionLike):  # any other landscape (TwoValley, a user's own kind)
        return ("theorem_4_3",)
    return ()


def check_function(function, claims: Iterable[str] | None = None, *, name: str | None = None,
                   budget: float | None = None) -> tuple[ClaimResult, ...]:
    """Every applicable claim (or the given claim keys) on one function.

    ``budget``: seconds per claim; a claim that runs longer is reported "unknown (budget)"
    (:mod:`proofs_check._budget`).  ``None``: no limit."""
    budget = valid_budget(budget)
    obj = any_function(function)
    keys = applicable_claims(obj) if claims is None else tuple(claims)
    unknown = [k for k in keys if k not in CLAIMS]
    if unknown:
        raise CheckInputError(f"claims={unknown} are not among {list(CLAIMS)}")
    out = []
    for key in keys:
        if key not in applicable_claims(obj):
            raise CheckInputError(
                f"claim {key!r} does not apply to {getattr(obj, 'name', function)!r} (a "
                f"{type(obj).__name__}); applicable: {list(applicable_claims(obj))}")
        label = name or getattr(obj, "name", str(function))
        result = within_budget(lambda key=key: CLAIMS[key][1](obj),  # type: ignore[misc]
                               CLAIMS[key][0], str(label), budget)
        if name is not None:
            result = _renamed(result, name)
        out.append(result)
    return tuple(out)


def _renamed(result: ClaimResult, name: str) -> ClaimResult:
    return ClaimResult(result.claim, name, result.etas, result.hypotheses, result.constants,
                       result.proof_steps, result.conclusion, result.notes)


@dataclass(frozen=True)
class CatalogReport:
    """The claim x function results of :func:`check_catalog`."""

    results: tuple[ClaimResult, ...]

    @property
    def ok(self) -> bool:
        """Every claim whose hypotheses hold has its conclusion confirmed."""
        return all(r.ok for r in self.results)

    def to_dict(self) -> dict:
        return {"ok": self.ok, "results": [r.to_dict() for r in self.results]}

    def claims(self) -> list:
        """Every row as a report :class:`theory.figures.Claim` (see
        :meth:`ClaimResult.as_claim`)."""
        return [r.as_claim() for r in self.results]

    def table(self) -> str:
        from proofs_check._table import format_table

        return format_table(self.results)


def check_catalog(names: Sequence[str] | None = None, *, include_examples: bool = True,
                  progress: bool = False, budget: float | None = None) -> CatalogReport:
    """Check every claim that applies on every catalog function (or on ``names``: catalog
    names, expressions, or the names of :data:`EXAMPLES`), as ``msl check`` does."""
    budget = valid_budget(budget)
    entries: list[tuple[str, Callable[[], object]]] = []
    if names is None:
        entries += [(n, (lambda n=n: catalog.get(n)))  # type: ignore[misc]
                    for n in catalog.names()]
        if include_examples:
            entries += list(EXAMPLES.items())
    else:
        for n in names:
            if n in EXAMPLES:
                entries.append((n, EXAMPLES[n]))
            else:
                entries.append((n, (lambda n=n: any_function(n))))  # type: ignore[misc]
    objects = [(label, make()) for label, make in entries]
    jobs = [(label, obj, key) for label, obj in objects for key in applicable_claims(obj)]
    if not jobs:
        raise CheckInputError(f"no claim of Section 4 applies to {[label for label, _ in objects]}")
    iterator = jobs
    if progress:
        from tqdm import tqdm

        iterator = tqdm(jobs, desc="msl check", unit="claim", leave=False)
    results = []
    for label, obj, key in iterator:
        result = within_budget(lambda key=key, obj=obj: CLAIMS[key][1](obj),  # type: ignore[misc]
                               CLAIMS[key][0],
                               label, budget)
        results.append(_renamed(result, label))
    return CatalogReport(tuple(results))
