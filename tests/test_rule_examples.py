"""Every example of every rule in rules/: failing ones fire the rule, passing ones do not."""

from __future__ import annotations

import pytest

from starter_lint.catalog import load_catalog
from starter_lint.checks import load_checks
from starter_lint.policy.admission import RULE_ID as ADMISSION_RULE_ID

from .support import all_examples, run_example

EXAMPLES = list(all_examples())


@pytest.mark.parametrize("rule,example,failing", [e[1:] for e in EXAMPLES], ids=[e[0] for e in EXAMPLES])
def test_example(rule, example, failing, tmp_path):
    if example.policies:  # an example with --policy files needs the CEL engine (Python 3.11+)
        pytest.importorskip("cel_expr_python", reason="CEL policies need cel-expr-python (Python 3.11+)")
    report = run_example(example, tmp_path, select=[rule.id])
    hits = [f for f in report.active if f.rule == rule.id]
    shown = "\n".join(f"{f.location.path}:{f.location.line}: {f.message}" for f in report.active)
    if not failing:
        assert not hits, f"{rule.id} fired on a passing example ({example.title}):\n{shown}"
        return
    assert hits, f"{rule.id} did not fire on failing example {example.title!r}; got:\n{shown or '(nothing)'}"
    if example.line is not None:
        assert any(f.location.line == example.line for f in hits), (
            f"{rule.id} {example.title!r}: expected line {example.line}, got {[f.location.line for f in hits]}"
        )
    if example.message is not None:
        assert any(example.message in f.message for f in hits), (
            f"{rule.id} {example.title!r}: no message contains {example.message!r}:\n{shown}"
        )
    for finding in hits:
        assert finding.name == rule.name


def test_every_rule_has_a_check_and_every_check_a_rule():
    catalog = load_catalog()
    # SL901 is run by policy/run.py over the --policy files' admission policies, not a check
    checks = {**load_checks(), ADMISSION_RULE_ID: None}
    assert set(checks) <= set(catalog), f"checks without a rules/ file: {sorted(set(checks) - set(catalog))}"
    assert set(catalog) <= set(checks), f"rules/ files without a check: {sorted(set(catalog) - set(checks))}"
