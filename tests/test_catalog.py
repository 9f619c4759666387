"""The rule file schema: `fix:` is one of the known kinds, and `fix_safety` is there exactly when
the rule has a fix; `explain` and docs/rules.md show it (SARIF's help does not)."""

from __future__ import annotations

import pytest
import yaml

from starter_lint.catalog import load_catalog
from starter_lint.errors import StarterLintError
from starter_lint.rule_file import catalog_markdown, parse_rule

from .support import REPO, run_in_process


def _rule_data(**changes) -> dict:
    data = yaml.safe_load((REPO / "rules" / "SL101-unknown-key.yaml").read_text(encoding="utf-8"))
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def test_a_rule_without_a_fix_has_no_fix_safety():
    rule = parse_rule(_rule_data(), "SL101-unknown-key.yaml")
    assert (rule.fix, rule.fix_safety) == ("none", "")
    with pytest.raises(StarterLintError, match="fix_safety is only for a rule with a fix"):
        parse_rule(_rule_data(fix_safety="Safe because."), "SL101-unknown-key.yaml")


@pytest.mark.parametrize("kind", ["safe", "unsafe", "mixed"])
def test_a_rule_with_a_fix_needs_fix_safety(kind):
    with pytest.raises(StarterLintError, match=f"fix: {kind} needs fix_safety"):
        parse_rule(_rule_data(fix=kind), "SL101-unknown-key.yaml")
    with pytest.raises(StarterLintError, match="needs fix_safety"):
        parse_rule(_rule_data(fix=kind, fix_safety="  \n"), "SL101-unknown-key.yaml")
    rule = parse_rule(_rule_data(fix=kind, fix_safety="It is.\n"), "SL101-unknown-key.yaml")
    assert (rule.fix, rule.fix_safety) == (kind, "It is.\n")


def test_an_unknown_fix_kind_is_refused():
    with pytest.raises(
        StarterLintError, match="fix must be one of none, safe, unsafe, mixed, not 'sometimes'"
    ):
        parse_rule(_rule_data(fix="sometimes", fix_safety="x"), "SL101-unknown-key.yaml")


def test_explain_and_the_rules_page_show_fix_safety(tmp_path):
    rule = load_catalog()["SL601"]
    code, out, _ = run_in_process(["explain", "SL601"], str(tmp_path))
    assert code == 0
    assert "### Fix safety\n\n" + rule.fix_safety.strip() in out
    assert out.endswith("fix: unsafe\n")
    page = catalog_markdown(load_catalog())
    section = page[page.index("## SL601 image-tag") : page.index("## SL602")]
    assert "### Fix safety" in section and "Fix: unsafe." in section
    assert "### Fix safety" not in page[page.index("## SL602") : page.index("## SL603")]


def test_rules_lists_each_fix_kind(tmp_path):
    code, out, _ = run_in_process(["rules"], str(tmp_path))
    assert code == 0
    kinds = {line.split()[0]: line.split()[3] for line in out.splitlines() if "-fix" in line}
    assert kinds == {
        "SL104": "mixed-fix",
        "SL306": "safe-fix",
        "SL401": "unsafe-fix",
        "SL402": "mixed-fix",
        "SL404": "unsafe-fix",
        "SL601": "unsafe-fix",
        "SL603": "unsafe-fix",
        "SL604": "mixed-fix",
    }
