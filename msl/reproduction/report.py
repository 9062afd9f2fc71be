"""``report.json`` (deterministic: the same seed and preset give the same bytes) and
``report.md`` (the same, readable, with the figures and the timings)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from theory.figures import Verdict
from theory.files import atomic_write_text

PAPER = ("Ma, Kunin, Wu & Ying (2022), Beyond the Quadratic Approximation: the Multiscale "
         "Structure of Neural Network Loss Landscapes")


def totals(stages: list[dict]) -> dict[str, int]:
    counts = Counter(c["verdict"] for s in stages for c in s["claims"])
    return {v.value: counts.get(v.value, 0) for v in Verdict}


def stage_line(verdicts: list[str]) -> str:
    """What a finished stage's log line says about its claims: every verdict counted, so
    that claims whose hypotheses fail (the paper claims nothing there) do not read as
    failures ("check: 14/23 claims confirmed" did)."""
    counts = Counter(verdicts)
    parts = [f"{counts.get(v.value, 0)} {v.value}" for v in Verdict if counts.get(v.value)]
    return f"{', '.join(parts) or 'no claims'} (of {len(verdicts)} claims)"


def build(settings: dict, stages: list[dict]) -> dict:
    """The report as a JSON-ready dict: settings, per stage its claims and figure files
    (relative to the output folder), and the verdict counts."""
    return {"paper": PAPER, "settings": settings, "totals": totals(stages), "stages": stages}


def write_json(out: Path, report: dict) -> Path:
    path = out / "report.json"
    atomic_write_text(path, json.dumps(report, indent=1, sort_keys=True, allow_nan=False) + "\n")
    return path


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|")


_MARK = {"confirmed": "confirmed", "not confirmed": "**not confirmed**",
         "not applicable": "not applicable"}


def write_markdown(out: Path, report: dict, seconds: dict[str, float]) -> Path:
    t = report["totals"]
    s = report["settings"]
    lines = [
        "# msl reproduce", "",
        f"Paper: {PAPER}.", "",
        f"Preset `{s['preset']}`, seed {s['seed']}, device `{s['device']}`. "
        f"{t['confirmed']} claims confirmed, {t['not confirmed']} not confirmed, "
        f"{t['not applicable']} not applicable (the paper claims nothing there). "
        "Every number that decides a verdict is in `report.json`.", "",
    ]
    for stage in report["stages"]:
        took = seconds.get(stage["name"])
        lines += [f"## {stage['name']}: {stage['title']}", "", stage["caption"], ""]
        if took is not None:
            lines += [f"*Stage time: {took:.1f} s.*", ""]
        if stage["claims"]:
            lines += ["| source | the paper says | measured | verdict | why |",
                      "| --- | --- | --- | --- | --- |"]
            for c in stage["claims"]:
                cells = [c["source"], c["paper"], c["measured"], _MARK[c["verdict"]], c["why"]]
                lines.append("| " + " | ".join(_cell(x) for x in cells) + " |")
            lines.append("")
        for fig in stage["figures"]:
            if fig.endswith(".png"):
                lines.append(f"![{stage['name']}: {Path(fig).stem}]({fig})")
        if stage.get("files"):
            lines.append("Also written: " + ", ".join(f"[{f}]({f})" for f in stage["files"]))
        lines.append("")
    path = out / "report.md"
    atomic_write_text(path, "\n".join(lines))
    return path
