"""The documentation site (mkdocs.yml over docs/): `mkdocs build --strict` succeeds, so no link or
anchor between pages is broken and no page is left out of the nav; every rule has its anchor on
the rules page; no page asks another host for anything when it loads (the build and the reader
stay offline); and the pages that restate the code's facts (the options, the release tag) agree
with it."""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml

from starter_lint import __version__
from starter_lint.catalog import load_catalog
from starter_lint.config import IGNORE_KEYS, RULE_KEYS, TARGET_KEYS, TOP_KEYS
from starter_lint.option_table import OPTION_TABLE
from starter_lint.report.sarif_format import help_uri

from .support import REPO

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("mkdocs") is None or importlib.util.find_spec("material") is None,
    reason="mkdocs and mkdocs-material are not installed (pip install -e '.[docs]'; the test extra has them)",
)

DOCS = REPO / "docs"
# Tags whose attribute the browser fetches while the page loads (a plain <a href> is not fetched).
FETCHED = {"script": "src", "img": "src", "iframe": "src", "source": "src", "audio": "src", "video": "src"}
# <link rel=...> values that make the browser fetch the href.
FETCHING_RELS = {
    "stylesheet",
    "preload",
    "prefetch",
    "preconnect",
    "dns-prefetch",
    "modulepreload",
    "icon",
    "manifest",
}
EXTERNAL = re.compile(r"^(?:[a-z][a-z0-9+.-]*:)?//", re.I)  # http://, https://, protocol-relative //


def _build(config: Path, site_dir: Path) -> subprocess.CompletedProcess:
    """`mkdocs build --strict` with this interpreter's mkdocs, as a user runs it."""
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "mkdocs",
            "build",
            "--strict",
            "--config-file",
            str(config),
            "--site-dir",
            str(site_dir),
        ],
        cwd=config.parent,
        capture_output=True,
        text=True,
        timeout=120,
        # the 'Material reaches end of life' banner is noise in a failure message
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    site_dir = tmp_path_factory.mktemp("site")
    done = _build(REPO / "mkdocs.yml", site_dir)
    assert done.returncode == 0, f"mkdocs build --strict failed:\n{done.stderr[-4000:]}"
    return site_dir


def _nav_pages(node) -> set:
    """The Markdown files the nav of mkdocs.yml names, at any depth."""
    if isinstance(node, str):
        return {node} if node.endswith(".md") else set()
    if isinstance(node, dict):
        return set().union(*(_nav_pages(value) for value in node.values()))
    if isinstance(node, list):
        return set().union(*(_nav_pages(item) for item in node))
    return set()


def _config() -> dict:
    return yaml.safe_load((REPO / "mkdocs.yml").read_text(encoding="utf-8"))


def test_every_page_on_disk_is_in_the_nav_and_every_nav_page_exists():
    on_disk = {path.relative_to(DOCS).as_posix() for path in DOCS.rglob("*.md")}
    in_nav = _nav_pages(_config()["nav"])
    assert on_disk - in_nav == set(), "pages nobody can find: add them to the nav of mkdocs.yml"
    assert in_nav - on_disk == set(), "the nav names pages that do not exist"


def test_the_build_is_strict_and_offline_by_configuration():
    config = _config()
    assert config["strict"] is True and config["docs_dir"] == "docs"
    assert config["theme"]["name"] == "material"
    assert config["theme"]["font"] is False, "Material would load Google Fonts in every reader's browser"
    # only MkDocs' own search (a local index): privacy, social and the like fetch at build time
    assert config.get("plugins", ["search"]) == ["search"]
    # with a repo_url Material's JavaScript asks api.github.com for the stars and forks
    assert "repo_url" not in config


def test_site_has_a_page_for_every_markdown_file(site):
    for page in DOCS.rglob("*.md"):
        name = page.relative_to(DOCS).with_suffix(".html").as_posix().replace("README.html", "index.html")
        assert (site / name).is_file(), name


def test_rules_page_has_the_anchor_of_every_rule(site):
    """SARIF's helpUri anchors (…/docs/rules.md#sl301-tls-host-coverage) lead to the rule in the site too."""
    ids = set(re.findall(r'\bid="([^"]+)"', (site / "rules.html").read_text(encoding="utf-8")))
    for rule in load_catalog().values():
        anchor = help_uri(rule, __version__).rsplit("#", 1)[1]
        assert anchor == f"{rule.id.lower()}-{rule.name}" and anchor in ids, anchor


class _FetchedURLs(HTMLParser):
    """The URLs a browser fetches while it loads a page, and inline CSS."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list = []
        self.styles: list = []
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        if tag in FETCHED and values.get(FETCHED[tag]):
            self.urls.append(values[FETCHED[tag]])
        if tag == "link" and FETCHING_RELS & set((values.get("rel") or "").lower().split()):
            self.urls.append(values.get("href") or "")
        if values.get("style"):
            self.styles.append(values["style"])
        self._in_style = tag == "style"

    def handle_data(self, data):
        if self._in_style:
            self.styles.append(data)

    def handle_endtag(self, tag):
        self._in_style = False


def _external_css_urls(css: str) -> list:
    urls = re.findall(r"url\(\s*['\"]?([^'\")]+)", css) + re.findall(r"@import\s+['\"]([^'\"]+)", css)
    return [url for url in urls if EXTERNAL.match(url.strip())]


def test_no_page_loads_anything_from_another_host(site):
    pages = sorted(site.rglob("*.html"))
    assert len(pages) >= 10
    external = []
    for page in pages:
        parser = _FetchedURLs()
        parser.feed(page.read_text(encoding="utf-8"))
        external += [f"{page.name}: {url}" for url in parser.urls if EXTERNAL.match(url)]
        external += [f"{page.name}: {url}" for style in parser.styles for url in _external_css_urls(style)]
        assert 'class="mermaid"' not in page.read_text(encoding="utf-8"), (
            "mermaid loads its script from unpkg.com"
        )
    for sheet in site.rglob("*.css"):
        external += [f"{sheet.name}: {url}" for url in _external_css_urls(sheet.read_text(encoding="utf-8"))]
    for path in site.rglob("*"):
        if path.suffix in {".html", ".css", ".js"} and re.search(
            r"fonts\.(googleapis|gstatic)\.com", path.read_text("utf-8")
        ):
            external.append(f"{path.name}: Google Fonts")
    assert not external, external


def test_a_broken_link_anchor_or_a_page_outside_the_nav_fails_the_build(tmp_path):
    """The validation settings of mkdocs.yml turn each of these into a failed strict build."""
    shutil.copy(REPO / "mkdocs.yml", tmp_path / "mkdocs.yml")
    shutil.copytree(DOCS, tmp_path / "docs")
    with (tmp_path / "docs" / "index.md").open("a", encoding="utf-8") as page:
        page.write("\n[a](rules.md#sl999-no-such-rule) [b](../README.md) [c](no-such-page.md)\n")
    (tmp_path / "docs" / "orphan.md").write_text("# Nobody links here\n", encoding="utf-8")
    done = _build(tmp_path / "mkdocs.yml", tmp_path / "site")
    assert done.returncode != 0
    assert "does not contain an anchor '#sl999-no-such-rule'" in done.stderr
    assert "'../README.md'" in done.stderr and "'no-such-page.md'" in done.stderr
    assert "orphan.md" in done.stderr


def test_configuration_page_names_every_flag_and_config_key():
    page = (DOCS / "configuration.md").read_text(encoding="utf-8")
    missing = [
        flag
        for spec in OPTION_TABLE
        for flag in spec.flags
        if not re.search(rf"`{re.escape(flag)}[` ]", page)
    ]
    keys = {*TOP_KEYS, *TARGET_KEYS, *RULE_KEYS, *IGNORE_KEYS}
    missing += [key for key in sorted(keys) if f"`{key}`" not in page]
    assert not missing, f"docs/configuration.md, 'Every option' lacks: {missing}"


def test_getting_started_pre_commit_names_this_release():
    """The pre-commit example pins the release tag, as the README's does (RELEASING.md)."""
    page = (DOCS / "index.md").read_text(encoding="utf-8")
    assert re.findall(r"\brev: (\S+)", page) == [f"v{__version__}"]
