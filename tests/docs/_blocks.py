"""The code blocks of README.md and docs/*.md, and the ``<!-- docs-test ... -->`` markers
that say how the docs test runs a block which cannot run as copied in CI.

A marker is an HTML comment (invisible on the site) right before a fenced block, with one
directive per line::

    <!-- docs-test: skip REASON -->                  not run (e.g. the pip install lines)
    <!-- docs-test: parse-only REASON -->            its `msl` commands are parsed, not run
    <!-- docs-test: write FILE -->                    written to FILE in the page's folder
    <!-- docs-test
    replace: OLD => NEW                             run with OLD replaced by NEW (sizes)
    before: CODE                                    a line run before the block
    instead: REASON                                 the lines after it run instead (a CPU
    CODE ...                                        or small equivalent of a GPU/cluster block)
    -->

The reason is mandatory for skip, parse-only and instead, so every exception says why.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LANGUAGES = {"python": "python", "bash": "shell", "console": "shell", "sh": "shell"}
_FENCE = re.compile(r"^```(\w+)[^\n]*\n(.*?)^```[ \t]*$", re.S | re.M)
_DIRECTIVE = re.compile(r"^(skip|parse-only|write|before|replace|instead)\b:?\s*(.*)$")
_MARKER = re.compile(r"<!--\s*docs-test(.*?)-->$", re.S)


class MarkerError(ValueError):
    """A docs-test marker that cannot be read (unknown directive, missing reason)."""


@dataclass
class Block:
    page: str
    line: int
    language: str  # "python" or "shell"
    fence: str  # the fence's language tag (python, bash, console, sh)
    code: str
    skip: str = ""
    parse_only: str = ""
    write: str = ""
    instead: str = ""
    instead_code: str = ""
    before: list[str] = field(default_factory=list)
    replace: list[tuple[str, str]] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"{self.page}:{self.line}"

    def runnable_code(self) -> str:
        """What runs: the equivalent of an ``instead`` marker, or the block with its
        ``replace`` pairs applied and its ``before`` lines in front."""
        if self.instead:
            return self.instead_code
        code = self.code
        for old, new in self.replace:
            if old not in code:
                raise MarkerError(f"{self.label}: replace {old!r}: not in the block")
            code = code.replace(old, new)
        return "\n".join([*self.before, code])


def _apply_marker(block: Block, text: str) -> None:
    lines = text.strip("\n").splitlines()
    if lines and lines[0].startswith(":"):
        lines[0] = lines[0][1:]
    i = 0
    while i < len(lines):
        line = lines[i].strip()
        i += 1
        if not line:
            continue
        match = _DIRECTIVE.match(line)
        if match is None:
            raise MarkerError(f"{block.label}: unknown docs-test directive {line!r}")
        word, rest = match.group(1), match.group(2).strip()
        if word in ("skip", "parse-only", "instead") and not rest:
            raise MarkerError(f"{block.label}: docs-test {word} needs a reason")
        if word == "skip":
            block.skip = rest
        elif word == "parse-only":
            block.parse_only = rest
        elif word == "write":
            block.write = rest
        elif word == "before":
            block.before.append(rest)
        elif word == "replace":
            old, sep, new = rest.partition(" => ")
            if not sep:
                raise MarkerError(f"{block.label}: replace needs 'OLD => NEW': {rest!r}")
            block.replace.append((old, new))
        elif word == "instead":
            block.instead = rest
            block.instead_code = "\n".join(lines[i:]).strip("\n") + "\n"
            return


def _comments_before(text: str) -> list[str]:
    """The HTML comments that directly precede a fence (only blank lines between)."""
    comments = []
    text = text.rstrip()
    while text.endswith("-->"):
        start = text.rfind("<!--")
        if start < 0:
            break
        comments.append(text[start:])
        text = text[:start].rstrip()
    return comments


def pages() -> list[Path]:
    """README.md and every page of docs/ (new pages are picked up automatically)."""
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def blocks(page: Path) -> list[Block]:
    text = page.read_text()
    name = str(page.relative_to(ROOT))
    found = []
    for match in _FENCE.finditer(text):
        tag = match.group(1).lower()
        if tag not in LANGUAGES:
            continue
        before = text[:match.start()]
        block = Block(name, before.count("\n") + 1, LANGUAGES[tag], tag, match.group(2))
        for comment in _comments_before(before):
            marker = _MARKER.match(comment)
            if marker:
                _apply_marker(block, marker.group(1))
        found.append(block)
    return found


def shell_commands(block: Block, code: str) -> tuple[str, list[str]]:
    """A shell block as a script and, for a ``console`` block, the output lines it shows.

    In a console block the lines starting with ``$ `` are commands (with their ``\\``
    continuation lines), the others are the output they print; a bash block is all
    commands."""
    if block.fence != "console" or block.instead:
        return code, []
    script, shown = [], []
    continuing = False
    for line in code.splitlines():
        if line.startswith("$ ") or continuing:
            script.append(line[2:] if line.startswith("$ ") else line)
            continuing = line.rstrip().endswith("\\")
        elif line.strip():
            shown.append(line)
    return "\n".join(script) + "\n", shown
