"""Code actions (starter_lint/server/actions.py): fixes as `fix` makes them, and "disable SLnnn on
this line", checked by running the pipeline on the edited text."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lsprotocol import types

from starter_lint.catalog import load_catalog
from starter_lint.findings import Finding, Fix, Location
from starter_lint.fix import apply_fixes
from starter_lint.server.actions import REASON_PLACEHOLDER, code_actions, smallest_edit
from starter_lint.server.positions import TextPositions

from .editor_text import active, apply_edits, check_text, whole
from .support import REPO

URI = "file:///home/user/chart/values.yaml"
BROKEN = (REPO / "examples" / "values.broken.yaml").read_text(encoding="utf-8")
CATALOG = load_catalog()


def actions_at(
    text: str, findings: list[Finding], range_: types.Range | None = None
) -> list[types.CodeAction]:
    return code_actions(URI, text, findings, range_ or whole(text), CATALOG)


def edited(text: str, action: types.CodeAction) -> str:
    assert action.kind == types.CodeActionKind.QuickFix
    assert action.edit is not None and action.edit.changes is not None
    assert list(action.edit.changes) == [URI]
    return apply_edits(text, action.edit.changes[URI])


def line_range(line: int) -> types.Range:
    return types.Range(
        start=types.Position(line=line, character=0), end=types.Position(line=line, character=0)
    )


def rules_of(findings: list[Finding]) -> list[str]:
    """The rules of the findings and of the findings of the same cause folded into them."""
    return [f.rule for owner in findings for f in (owner, *owner.related)]


def rules_at(findings: list[Finding], line: int) -> set[str]:
    return {f.rule for f in findings if f.location.line == line}


def test_a_safe_fix_is_the_preferred_action_and_removes_the_finding(tmp_path: Path):
    text = "worker:\n  enabled: yes  # keep this comment\n"
    findings = active(tmp_path, text)
    assert "SL104" in rules_at(findings, 2)
    fixes = [a for a in actions_at(text, findings, line_range(1)) if a.title.startswith("SL104")]
    assert len(fixes) == 1 and fixes[0].is_preferred and "unsafe" not in fixes[0].title
    # the smallest edit: the scalar only, not the document
    [edit] = fixes[0].edit.changes[URI]  # type: ignore[union-attr]
    assert (edit.range.start.line, edit.range.end.line) == (1, 1) and edit.new_text == "true"
    after = edited(text, fixes[0])
    assert after.startswith("worker:\n  enabled: true ") and after.endswith("# keep this comment\n")
    assert "SL104" not in {f.rule for f in active(tmp_path, after)}


def test_an_unsafe_fix_is_offered_with_its_reason_and_never_preferred(tmp_path: Path):
    text = "api:\n  env:\n    SECRETS_PROVIDER: aws-secrets\n"
    findings = active(tmp_path, text)
    assert "SL603" in rules_at(findings, 3)
    [fix] = [a for a in actions_at(text, findings) if a.title.startswith("SL603")]
    assert "(unsafe: " in fix.title and not fix.is_preferred
    after = edited(text, fix)
    assert after == "api:\n  env:\n    SECRETS_PROVIDER: aws_sm\n"
    assert "SL603" not in {f.rule for f in active(tmp_path, after)}


def test_one_preferred_fix_per_value_as_fix_chooses(tmp_path: Path):
    # DEBUG: yes is SL104 (write true) and, as its related finding, SL604 (quote it as "true"):
    # `fix` applies SL604's; that one is preferred, SL104's is still offered
    findings = active(tmp_path, BROKEN)
    debug_line = next(i for i, line in enumerate(BROKEN.splitlines()) if "DEBUG: yes" in line)
    actions = [
        a for a in actions_at(BROKEN, findings, line_range(debug_line)) if not a.title.startswith("Disable")
    ]
    assert [a.title.split(":")[0] for a in actions if a.is_preferred] == ["SL604"]
    assert any(a.title.startswith("SL104") and not a.is_preferred for a in actions)
    after = edited(BROKEN, next(a for a in actions if a.is_preferred))
    assert '    DEBUG: "true"\n' in after
    assert not {"SL104", "SL604"} & rules_at(active(tmp_path, after), debug_line + 1)


def test_every_fix_of_the_broken_example_applies_cleanly(tmp_path: Path):
    findings = active(tmp_path, BROKEN)
    fixes = [a for a in actions_at(BROKEN, findings) if not a.title.startswith("Disable")]
    assert len(fixes) >= 4
    for action in fixes:
        after = edited(BROKEN, action)
        assert after != BROKEN
        rule = action.title.split(":")[0]
        remaining = active(tmp_path, after)
        # the text still loads (no SL102), and one finding of the rule (or folded into one) is gone
        assert "SL102" not in rules_of(remaining)
        assert rules_of(remaining).count(rule) < rules_of(findings).count(rule), action.title


def test_disable_comment_above_the_line_suppresses_the_finding(tmp_path: Path):
    findings = active(tmp_path, BROKEN)
    lines = BROKEN.splitlines()
    for rule, needle in [
        ("SL603", "SECRETS_PROVIDER"),
        ("SL301", "admin.acme-corp.io"),
        ("SL501", "minReplicas: 6"),
    ]:
        line = next(i for i, text in enumerate(lines) if needle in text)
        assert rule in rules_at(findings, line + 1), (rule, line)
        [action] = [
            a
            for a in actions_at(BROKEN, findings, line_range(line))
            if a.title == f"Disable {rule} on this line (with a reason)"
        ]
        after = edited(BROKEN, action)
        comment = after.splitlines()[line]
        indent = lines[line][: len(lines[line]) - len(lines[line].lstrip())]
        assert comment == f"{indent}# starter-lint: disable={rule} {REASON_PLACEHOLDER}"
        report = check_text(tmp_path, after)
        suppressed = [f for f in report.suppressed if f.rule == rule and f.location.line == line + 2]
        assert suppressed and suppressed[0].suppressed == REASON_PLACEHOLDER
        assert rule not in {f.rule for f in report.active if f.location.line == line + 2}


def test_disable_adds_the_rule_to_a_directive_that_already_covers_the_line(tmp_path: Path):
    text = BROKEN.replace(
        "    SECRETS_PROVIDER: aws-secrets",
        "    # starter-lint: disable=SL205 not a secret\n    SECRETS_PROVIDER: aws-secrets",
    )
    line = text.splitlines().index("    SECRETS_PROVIDER: aws-secrets      # not a known provider")
    findings = active(tmp_path, text)
    assert "SL603" in rules_at(findings, line + 1)
    [action] = [
        a for a in actions_at(text, findings, line_range(line)) if a.title.startswith("Disable SL603")
    ]
    after = edited(text, action)
    assert "    # starter-lint: disable=SL205,SL603 not a secret\n    SECRETS_PROVIDER" in after
    assert len(after.splitlines()) == len(text.splitlines())  # no second comment line
    report = check_text(tmp_path, after)
    assert "SL603" not in rules_at(list(report.active), line + 1)
    assert [f.suppressed for f in report.suppressed if f.rule == "SL603"] == ["not a secret"]


def test_broken_yaml_gets_no_action(tmp_path: Path):
    text = "api:\n  image: [unclosed\n  env: {}\n"
    findings = active(tmp_path, text)
    assert {f.rule for f in findings} == {"SL102"}
    assert actions_at(text, findings) == []


def test_only_findings_in_the_range(tmp_path: Path):
    findings = active(tmp_path, BROKEN)
    first_line = BROKEN.splitlines()[0]
    assert first_line.startswith("#")
    assert actions_at(BROKEN, findings, line_range(0)) == []


def test_a_fix_that_no_longer_applies_is_not_offered(tmp_path: Path):
    # a finding computed for an older text: the value is already what its fix writes
    text = "worker:\n  enabled: true\n"
    stale = Finding(
        "SL104",
        "ambiguous-scalar",
        CATALOG["SL104"].severity,
        "worker.enabled: `yes` is read as the boolean true",
        Location("values.yaml", 2, 12),
        fix=Fix("write true", safe=True, path=("worker", "enabled"), value=True),
    )
    titles = [a.title for a in actions_at(text, [stale])]
    assert titles == ["Disable SL104 on this line (with a reason)"]


def test_the_edit_never_splits_a_crlf():
    before = "a\r\nc"
    after = "a\rb\r\nc"
    positions = TextPositions(before)
    edit = smallest_edit(positions, after)
    assert edit.range.start == types.Position(line=0, character=1)
    assert apply_edits(before, [edit]) == after


def test_crlf_file_keeps_its_line_breaks(tmp_path: Path):
    text = "worker:\r\n  enabled: yes\r\napi:\r\n  env:\r\n    SECRETS_PROVIDER: aws-secrets\r\n"
    findings = active(tmp_path, text)
    actions = actions_at(text, findings)
    assert actions
    for action in actions:
        after = edited(text, action)
        assert after.count("\n") == after.count("\r\n")


def test_unicode_before_the_fix_uses_utf16_columns(tmp_path: Path):
    text = 'api:\n  env: {NOTE: "😀é", SECRETS_PROVIDER: aws-secrets}\n'
    findings = active(tmp_path, text)
    [fix] = [a for a in actions_at(text, findings) if a.title.startswith("SL603")]
    after = edited(text, fix)
    assert "aws-secrets" not in after and '"😀é"' in after
    assert "SL603" not in {f.rule for f in active(tmp_path, after)}


def test_each_fix_edits_the_text_as_starter_lint_fix_does(tmp_path: Path):
    # the action cuts out the one entry a fix changes (fast on a long file); the text it gives
    # is the text `fix` writes for that finding alone
    findings = active(tmp_path, BROKEN)
    results = {edited(BROKEN, a) for a in actions_at(BROKEN, findings) if not a.title.startswith("Disable")}
    fixable = [f for owner in findings for f in (owner, *owner.related) if f.fix is not None and f.fix.path]
    expected = {apply_fixes(BROKEN, [f], "values.yaml", all_documents=True) for f in fixable}
    assert {"SL104", "SL402", "SL603", "SL604"} <= {f.rule for f in fixable}
    assert results == expected - {BROKEN}


def test_code_actions_on_a_500_line_file(tmp_path: Path):
    # the cut-down edit (one entry, not the whole file) finds every fix a long file has; its
    # speed is measured by bench/server.py, not asserted here
    lines = BROKEN.splitlines()
    env = lines.index("  env:")
    padding = [f'    SETTING_{n}: "value {n}"' for n in range(500 - len(lines))]
    text = "\n".join(lines[: env + 1] + padding + lines[env + 1 :]) + "\n"
    findings = active(tmp_path, text)
    fixed = {"SL104", "SL402", "SL603"}  # a value rewritten in place, a key added, an unsafe fix
    lines_with_fixes = {f.location.line - 1 for f in findings if f.rule in fixed}
    assert len(lines_with_fixes) >= 3
    for line in sorted(lines_with_fixes):
        assert any(not a.title.startswith("Disable") for a in actions_at(text, findings, line_range(line)))


def test_files_the_entry_cannot_be_cut_from_are_fixed_whole(tmp_path: Path):
    # several documents (Helm 4 merges them), an alias, a flow mapping: `fix`'s own result
    texts = [
        "worker:\n  enabled: false\n---\nworker:\n  enabled: yes\n",
        "base: &on yes\nworker:\n  enabled: *on\n  env: {DEBUG: yes}\n",
        "api:\n  env: {DEBUG: yes, SECRETS_PROVIDER: aws-secrets}\n",
    ]
    for text in texts:
        findings = active(tmp_path, text)
        fixable = [
            f for owner in findings for f in (owner, *owner.related) if f.fix is not None and f.fix.path
        ]
        assert fixable, text
        results = {edited(text, a) for a in actions_at(text, findings) if not a.title.startswith("Disable")}
        expected = {apply_fixes(text, [f], "values.yaml", all_documents=True) for f in fixable} - {text}
        assert results and results <= expected, text


@pytest.fixture(scope="module")
def stale(tmp_path_factory: pytest.TempPathFactory) -> list[Finding]:
    """The broken example's findings, for texts that have changed since."""
    return active(tmp_path_factory.mktemp("stale"), BROKEN)


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_findings_of_an_older_text_never_break_the_actions(stale, data):
    # the editor's text has changed since its findings were computed: lines removed or doubled
    lines = BROKEN.splitlines(keepends=True)
    cuts = data.draw(st.lists(st.integers(min_value=0, max_value=len(lines) - 1), max_size=6))
    for cut in cuts:
        lines[cut] = data.draw(st.sampled_from(["", lines[cut] * 2, "  - ][\n", "😀: é\r\n"]))
    text = "".join(lines)
    line = data.draw(st.integers(min_value=0, max_value=70))
    for action in actions_at(text, stale, line_range(line)):
        edited(text, action)
