"""docs/rules.md is generated from rules/ and must be current; every helpUri anchor exists in it."""

from __future__ import annotations

import re

from starter_lint.catalog import load_catalog
from starter_lint.rule_file import catalog_markdown

from .support import REPO


def test_rules_page_is_current():
    committed = (REPO / "docs" / "rules.md").read_text(encoding="utf-8")
    assert committed == catalog_markdown(load_catalog()), (
        "docs/rules.md is stale: run `starter-lint rules --format markdown > docs/rules.md`"
    )


def test_every_rule_has_its_anchor():
    page = (REPO / "docs" / "rules.md").read_text(encoding="utf-8")
    headings = {
        re.sub(r"[^a-z0-9 -]", "", h.lower()).replace(" ", "-") for h in re.findall(r"^## (.+)$", page, re.M)
    }
    for rule in load_catalog().values():
        assert f"{rule.id.lower()}-{rule.name}" in headings
