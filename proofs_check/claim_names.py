"""The claims' keys and titles and the default time budget: plain constants, no imports.

One vocabulary for :data:`proofs_check.CLAIMS` (which adds each claim's check function) and
the command line (``msl check --claim KEY``, ``--budget``), which imports it from here
without loading sympy or python-flint (``msl --help`` stays light).
"""

from __future__ import annotations

__all__ = ["CLAIM_KEYS", "CLAIM_TITLES", "DEFAULT_BUDGET"]

#: claim key -> its title in the paper (the order of ``msl check``'s table)
CLAIM_TITLES: dict[str, str] = {
    "lemma_4_1": "Lemma 4.1",
    "theorem_4_1": "Theorem 4.1",
    "theorem_4_2": "Theorem 4.2",
    "theorem_4_3": "Theorem 4.3",
    "quasistatic_4_8": "Quasistatic flow (4.8)",
    "lemma_4_1_generalised": "Lemma 4.1 generalised (beyond the paper)",
}
CLAIM_KEYS: tuple[str, ...] = tuple(CLAIM_TITLES)

#: seconds per claim and function on the command line (``msl check --budget``)
DEFAULT_BUDGET = 50.0
