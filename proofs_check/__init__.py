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
check``); :func:`format_table` prints the claim x function table.
"""

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
from proofs_check.quasistatic_4_8 import check_quasistatic_4_8
from proofs_check.theorem_4_1 import check_theorem_4_1
from proofs_check.theorem_4_2 import check_theorem_4_2
from proofs_check.theorem_4_3 import check_theorem_4_3

__all__ = [
    "CLAIMS",
    "DEFAULT_RADIUS",
    "EXAMPLES",
    "CatalogReport",
    "Check",
    "CheckInputError",
    "ClaimResult",
    "Constant",
    "IntervalCertificate",
    "Status",
    "applicable_claims",
    "check_catalog",
    "check_function",
    "check_lemma_4_1",
    "check_quasistatic_4_8",
    "check_theorem_4_1",
    "check_theorem_4_2",
    "check_theorem_4_3",
    "format_table",
]
