"""The claim x function table of ``msl check``."""

from __future__ import annotations

from collections.abc import Sequence

from proofs_check._budget import BUDGET_CHECK
from proofs_check._results import ClaimResult, Status

_HEADER = ("claim", "function", "hypotheses", "conclusion", "certified", "ok")


def hypotheses_cell(result: ClaimResult) -> str:
    """'holds', or 'FAILS: names' / 'unknown: names' for the hypotheses the proof uses,
    with '(+ letter: names)' for failing assumptions the proof does not use."""
    used = [h for h in result.hypotheses if h.used_by_proof]
    failed = [h.name for h in used if h.status is Status.FAILS]
    unknown = [h.name for h in used if h.status is Status.UNKNOWN]
    letter = [h.name for h in result.hypotheses
              if not h.used_by_proof and h.status is Status.FAILS]
    if failed:
        text = "FAILS: " + ", ".join(failed)
    elif unknown:
        text = "unknown: " + ", ".join(unknown)
    else:
        text = "hold"
    if letter:
        text += f" (not {', '.join(letter)}, unused)"
    return text


def certified_cell(result: ClaimResult) -> str:
    """'yes' (every used hypothesis and proof step certified), 'partly' or 'no'; a FAILS
    conclusion that is not itself certified (a simulation) makes it 'no (FAIL simulated)'."""
    if result.conclusion.status is Status.FAILS and not result.conclusion.certified:
        return "no (FAIL simulated)"
    used = [h for h in result.hypotheses if h.used_by_proof]
    checks = [*used, *result.proof_steps]
    count = sum(c.certified for c in checks)
    if count == len(checks):
        return "yes"
    return "partly" if count else "no"


def row(result: ClaimResult) -> tuple[str, ...]:
    conclusion = result.conclusion.status.value
    if result.conclusion.status is Status.FAILS:
        conclusion = "FAILS"
    elif result.conclusion.name == BUDGET_CHECK:
        conclusion = "unknown (budget)"
    return (result.claim, result.function, hypotheses_cell(result), conclusion,
            certified_cell(result), "ok" if result.ok else "NOT OK")


def format_table(results: Sequence[ClaimResult]) -> str:
    """A plain-text table, one row per (claim, function), with a legend."""
    rows = [_HEADER, *(row(r) for r in results)]
    widths = [max(len(r[i]) for r in rows) for i in range(len(_HEADER))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip()
             for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    lines.append("")
    lines.append("hypotheses: those the proof uses ('unused': standing assumptions the proof "
                 "does not need); certified: every used hypothesis and proof step (and a FAILS "
                 "conclusion) backed by an interval certificate or exact sympy; ok: the "
                 "conclusion is confirmed wherever the hypotheses hold.")
    return "\n".join(lines)
