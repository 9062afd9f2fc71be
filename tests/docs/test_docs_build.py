"""The documentation site builds with ``mkdocs build --strict``, and a broken link breaks it.

mkdocs.yml's ``validation:`` settings turn a link to a missing page, a missing image, a
missing #anchor and an absolute link into warnings, and ``--strict`` turns warnings into a
non-zero exit code, so a green build means every link and image in docs/ resolves.
"""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"

# The site's navigation, in order: (title, source page). The built page of `x.md` is
# `x/index.html` (mkdocs' default use_directory_urls), of `index.md` the site's `index.html`.
NAV = (
    ("Home", "index.md"),
    ("Architecture", "architecture.md"),
    ("Gallery", "gallery.md"),
    ("Theory", "theory.md"),
    ("Simulator", "simulator.md"),
    ("GPU sweeps", "gpu.md"),
    ("Distributed sweeps", "distributed.md"),
    ("Performance", "performance.md"),
    ("Proofs", "proofs.md"),
    ("Flip bifurcations (beyond the paper)", "bifurcation.md"),
    ("Empirical", "empirical.md"),
    ("Reliability", "reliability.md"),
    ("Test your own conjecture", "conjectures.md"),
    ("Your own network", "own_network.md"),
    ("Central flows", "central_flow.md"),
    ("Curvature matrices and surfaces", "curvature.md"),
)


def require_mkdocs() -> None:
    if importlib.util.find_spec("mkdocs") is None:
        pytest.fail(
            "mkdocs is not installed in this environment; it is a declared dependency of the "
            "docs build (pip install mkdocs)",
            pytrace=False,
        )


def build_strict(config_dir: Path, site_dir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site_dir)],
        cwd=config_dir,
        capture_output=True,
        text=True,
        timeout=300,
    )


def built_page(site_dir: Path, page: str) -> Path:
    stem = page.removesuffix(".md")
    return site_dir / "index.html" if stem == "index" else site_dir / stem / "index.html"


def test_mkdocs_yml_lists_the_pages_in_order():
    require_mkdocs()
    import yaml  # a dependency of mkdocs

    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text())
    nav = [next(iter(entry.items())) for entry in config["nav"]]
    assert nav == list(NAV)
    assert config["docs_dir"] == "docs"
    assert config["validation"] == {
        "omitted_files": "warn",
        "absolute_links": "warn",
        "unrecognized_links": "warn",
        "anchors": "warn",
    }


def test_site_builds_strictly_with_one_page_per_nav_entry(tmp_path):
    require_mkdocs()
    missing = [page for _, page in NAV if not (DOCS / page).is_file()]
    assert not missing, f"pages listed in mkdocs.yml's nav are missing from docs/: {missing}"
    site = tmp_path / "site"
    result = build_strict(ROOT, site)
    assert result.returncode == 0, result.stdout + result.stderr
    for _, page in NAV:
        html = built_page(site, page)
        assert html.is_file(), f"{page} was not built to {html}"
        assert html.stat().st_size > 0


def test_a_broken_link_fails_the_strict_build(tmp_path):
    """The build above can fail: the same site with one link to a missing page does not build."""
    require_mkdocs()
    shutil.copytree(DOCS, tmp_path / "docs")
    shutil.copy2(ROOT / "mkdocs.yml", tmp_path / "mkdocs.yml")
    gallery = tmp_path / "docs" / "gallery.md"
    if not gallery.exists():  # the real one is checked by the test above; here only the link
        gallery.write_text("# Gallery\n")

    control = build_strict(tmp_path, tmp_path / "site-control")
    assert control.returncode == 0, control.stdout + control.stderr

    with (tmp_path / "docs" / "index.md").open("a") as index:
        index.write("\n[x](missing-page.md)\n")
    broken = build_strict(tmp_path, tmp_path / "site-broken")
    assert broken.returncode != 0
    assert "missing-page.md" in broken.stdout + broken.stderr


def test_home_page_gives_the_readme_setup_commands_verbatim():
    readme_commands = re.findall(
        r"```bash\n(python3 -m venv[^\n]*)\n```", (ROOT / "README.md").read_text()
    )
    index_commands = re.findall(
        r"```bash\n(python3 -m venv[^\n]*)\n```", (DOCS / "index.md").read_text()
    )
    assert len(readme_commands) == 2
    assert index_commands == readme_commands
