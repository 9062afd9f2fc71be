"""Check the claims of Section 4 of Ma, Kunin, Wu & Ying (2022) on concrete functions.

One module per claim -- :mod:`~proofs_check.lemma_4_1`, :mod:`~proofs_check.theorem_4_1`,
:mod:`~proofs_check.theorem_4_2`, :mod:`~proofs_check.theorem_4_3`,
:mod:`~proofs_check.quasistatic_4_8` -- each with a ``check_*`` function returning a frozen
:class:`ClaimResult`: the claim's hypotheses (holds / fails / unknown, with evidence), the
constants its proof constructs, the proof's own inequalities, and the conclusion (with the
simulations, limits or counterexamples behind it).

One-dimensional statements are certified with interval arithmetic on python-flint's Arb on
a stated range [0, R]; what cannot be certified is *unknown*, never *holds*.  See
docs/proofs.md.

:func:`check_catalog` runs every claim that applies on every catalog function (``msl
check``); :func:`format_table` prints the claim x function table; :func:`load_functions`
loads a user's functions from ``module:attribute`` (``msl check my_functions.py:FAMILY``).

For property-based tests: :mod:`proofs_check.strategies` (Hypothesis strategies; the only
module that imports Hypothesis), :mod:`proofs_check.families` (the functions they draw),
:mod:`proofs_check.testing` (certified hypotheses, ``assert_theorem_4_1``) and the pytest
plugin :mod:`proofs_check.pytest_plugin` (see docs/conjectures.md).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from theory.lazy import lazy_exports

#: defining module -> the public names it defines (imported on first use, so ``import
#: proofs_check`` loads neither sympy, numba nor python-flint)
_EXPORTS = {
    "_catalog": ("CLAIMS", "EXAMPLES", "CatalogReport", "applicable_claims", "check_catalog",
        "check_function"),
    "_certify": ("IntervalCertificate",),
    "_inputs": ("CheckInputError",),
    "_onedim": ("DEFAULT_RADIUS",),
    "_results": ("Check", "ClaimResult", "Constant", "Status"),
    "_table": ("format_table",),
    "lemma_4_1": ("check_lemma_4_1",),
    "lemma_4_1_generalised": ("check_lemma_4_1_generalised",),
    "momentum_4_1": ("check_lemma_4_1_momentum", "simulate_theorem_4_1_momentum"),
    "quasistatic_4_8": ("check_quasistatic_4_8",),
    "theorem_4_1": ("check_theorem_4_1",),
    "theorem_4_2": ("check_theorem_4_2",),
    "theorem_4_3": ("check_theorem_4_3",),
    "user_functions": ("load_functions", "resolve_targets"),
}

__all__ = sorted(name for names in _EXPORTS.values() for name in names)


if TYPE_CHECKING:  # the real names, for type checkers (tests/architecture/test_front_doors.py)
    from proofs_check._catalog import (
        CLAIMS,
        EXAMPLES,
        CatalogReport,
        applicable_claims,
        check_catalog,
        check_function,
    )
    from proofs_check._certify import IntervalCertificate
    from proofs_check._inputs import CheckInputError
    from proofs_check._onedim import DEFAULT_RADIUS
    from proofs_check._results import Check, ClaimResult, Constant, Status
    from proofs_check._table import format_table
    from proofs_check.lemma_4_1 import check_lemma_4_1
    from proofs_check.lemma_4_1_generalised import check_lemma_4_1_generalised
    from proofs_check.momentum_4_1 import check_lemma_4_1_momentum, simulate_theorem_4_1_momentum
    from proofs_check.quasistatic_4_8 import check_quasistatic_4_8
    from proofs_check.theorem_4_1 import check_theorem_4_1
    from proofs_check.theorem_4_2 import check_theorem_4_2
    from proofs_check.theorem_4_3 import check_theorem_4_3
    from proofs_check.user_functions import load_functions, resolve_targets


__getattr__, __dir__ = lazy_exports(__name__, globals(), _EXPORTS)
