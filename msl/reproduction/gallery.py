"""The docs gallery (``docs/gallery.md``) made from a finished ``msl reproduce`` run.

    python -m msl.reproduction.gallery msl-output docs

copies every PNG of the run into ``docs/gallery/`` and writes ``docs/gallery.md``: per
stage, the paper's figure in our words, the command that makes it, the figures, and the
verdicts of that run.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from msl.reproduction.stages import STAGES
from theory.errors import MslValueError
from theory.files import atomic_write_bytes, atomic_write_text, make_folders


class GalleryError(MslValueError):
    """A run folder without report.json."""


#: the docs test (tests/docs/test_code_blocks.py) parses these commands; running them is
#: tests/cli/test_reproduce.py's job (every stage, at reduced sizes)
DOCS_TEST_MARKER = ("<!-- docs-test: parse-only tests/cli/test_reproduce.py runs every stage "
                    "(at reduced sizes) -->")


def command(stage_name: str) -> str:
    return f"msl reproduce --only {stage_name}"


def write_gallery(run_dir: str | Path, docs_dir: str | Path) -> Path:
    run_dir, docs_dir = Path(run_dir), Path(docs_dir)
    report_path = run_dir / "report.json"
    if not report_path.exists():
        raise GalleryError(f"run_dir={str(run_dir)!r}: no report.json (run msl reproduce)")
    report = json.loads(report_path.read_text())
    stages = {s["name"]: s for s in report["stages"]}
    images = docs_dir / "gallery"
    make_folders(images)
    s = report["settings"]
    lines = [
        "# Gallery", "",
        "Every figure that `msl reproduce` makes, with what the paper's figure shows (in our "
        "words), the command that makes it, and the verdicts of the paper's claims in the run "
        f"shown here (preset `{s['preset']}`, seed {s['seed']}, device `{s['device']}`). "
        "`msl reproduce` alone runs every stage; the numbers behind each verdict are in the "
        "run's `report.json`. This page is generated: `msl reproduce && python -m "
        "msl.reproduction.gallery msl-output docs` remakes it.", "",
    ]
    for stage in STAGES:
        lines += [f"## {stage.title}", "", stage.caption, "", DOCS_TEST_MARKER, "```bash",
                  command(stage.name), "```", ""]
        done = stages.get(stage.name)
        if done is None:
            lines += ["*Not in the run shown here.*", ""]
            continue
        for fig in done["figures"]:
            if fig.endswith(".png"):
                name = f"{stage.name.replace('.', '_')}-{Path(fig).name}"
                atomic_write_bytes(images / name, (run_dir / fig).read_bytes())
                lines += [f"![{stage.title}: {Path(fig).stem}](gallery/{name})", ""]
        if done["claims"]:
            lines += ["| claim | verdict | measured |", "| --- | --- | --- |"]
            for c in done["claims"]:
                cells = [c["source"] + ": " + c["paper"], c["verdict"], c["measured"]]
                lines.append("| " + " | ".join(x.replace("|", "\\|") for x in cells) + " |")
            lines.append("")
    page = docs_dir / "gallery.md"
    atomic_write_text(page, "\n".join(lines))
    return page


if __name__ == "__main__":  # pragma: no cover - documented command
    if len(sys.argv) != 3:
        sys.exit("usage: python -m msl.reproduction.gallery RUN_DIR DOCS_DIR")
    print(write_gallery(sys.argv[1], sys.argv[2]))
