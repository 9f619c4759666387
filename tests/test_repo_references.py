"""The repository stands alone: no file cites the product specification (not part of the
repository; design notes live in docs/design/) or a path outside the checkout."""

from __future__ import annotations

import re
import subprocess

from .support import REPO

# Spelled in pieces so that this file does not match itself.
FORBIDDEN = ("SPEC" + " §", "SPEC" + ":", ".." + "/shared", "/work" + "/")
SKIPPED_FOLDERS = {".git", ".venv", "build", "dist", "out", "__pycache__", ".mypy_cache", ".ruff_cache"}


def _repository_files() -> list:
    try:
        listed = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=REPO,
            check=True,
            capture_output=True,
        ).stdout.decode()
        return [REPO / name for name in listed.split("\0") if name and (REPO / name).is_file()]
    except (OSError, subprocess.CalledProcessError):  # not a git checkout (an sdist)
        return [
            path
            for path in REPO.rglob("*")
            if path.is_file() and not SKIPPED_FOLDERS.intersection(path.relative_to(REPO).parts)
        ]


# CI's own machine keeps the real kubeconform in a development-tools folder beside the
# repository; .ci/run looks there last (a user's clone has none, and the step says so).
ALLOWED = {(".ci/run", ".." + "/shared")}


def test_no_file_cites_the_spec_or_a_path_outside_the_repository():
    found = []
    for path in _repository_files():
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue  # binary data
        for number, line in enumerate(text.splitlines(), 1):
            for needle in FORBIDDEN:
                if needle in line and (path.relative_to(REPO).as_posix(), needle) not in ALLOWED:
                    found.append(f"{path.relative_to(REPO)}:{number}: {needle!r}")
    assert not found, "cite docs/design/ instead:\n" + "\n".join(found)


def test_design_notes_cited_by_the_code_exist():
    """Every `docs/design/<page>.md` that the code or the tests cite exists."""
    missing = set()
    for path in [*(REPO / "starter_lint").rglob("*.py"), *(REPO / "tests").glob("*.py")]:
        for page in re.findall(r"docs/design/[a-z0-9-]+\.md", path.read_text(encoding="utf-8")):
            if not (REPO / page).is_file():
                missing.add(f"{path.relative_to(REPO)}: {page}")
    assert not missing, sorted(missing)


def _anchors(markdown: str) -> set:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces as hyphens."""
    headings = re.findall(r"^#+ (.+)$", markdown, re.M)
    return {re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-") for heading in headings}


def test_links_between_contributor_documents_resolve():
    """Relative links (and their #anchors) in CONTRIBUTING.md and docs/design/ lead somewhere."""
    broken = []
    for page in [REPO / "CONTRIBUTING.md", *sorted((REPO / "docs" / "design").glob("*.md"))]:
        for link in re.findall(r"\]\(([^)\s]+)\)", page.read_text(encoding="utf-8")):
            if re.match(r"[a-z]+:", link):
                continue  # a URL
            target, _, anchor = link.partition("#")
            path = (page.parent / target).resolve() if target else page
            if not path.exists():
                broken.append(f"{page.relative_to(REPO)}: {link}")
            elif anchor and path.is_file() and anchor not in _anchors(path.read_text(encoding="utf-8")):
                broken.append(f"{page.relative_to(REPO)}: {link} (no such heading)")
    assert not broken, broken
