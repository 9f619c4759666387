"""Hover on a finding (starter_lint/server/hover.py): the rule's what, why and fix, never a
secret, and the message shown as written."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsprotocol import types

from starter_lint.catalog import load_catalog
from starter_lint.findings import Finding, Location, Severity
from starter_lint.server.hover import hover, markdown_text
from starter_lint.server.positions import TextPositions

from .editor_text import active
from .support import REPO

BROKEN = (REPO / "examples" / "values.broken.yaml").read_text(encoding="utf-8")
# the secret texts values.broken.yaml commits (examples/values.broken.yaml)
SECRETS = ("sk_live_do_not_commit_me", "hunter2-in-git", "whsec_committed_by_mistake")
CATALOG = load_catalog()


def pos(line: int, character: int) -> types.Position:
    return types.Position(line=line, character=character)


def hover_text(text: str, findings: list[Finding], position: types.Position) -> str | None:
    result = hover(findings, TextPositions(text), position, CATALOG)
    if result is None:
        return None
    assert isinstance(result.contents, types.MarkupContent)
    assert result.contents.kind == types.MarkupKind.Markdown
    return result.contents.value


@pytest.fixture(scope="module")
def broken_findings(tmp_path_factory: pytest.TempPathFactory) -> list[Finding]:
    return active(tmp_path_factory.mktemp("hover"), BROKEN)


def test_hover_on_a_secret_finding_explains_the_rule_without_the_secret(broken_findings):
    line = next(i for i, text in enumerate(BROKEN.splitlines()) if "STRIPE_SECRET_KEY" in text)
    value = hover_text(BROKEN, broken_findings, pos(line, 26))
    assert value is not None
    rule = CATALOG["SL205"]
    assert value.startswith("**SL205** secret-in-env — api.env.STRIPE\\_SECRET\\_KEY looks like a secret")
    assert (
        rule.rationale.strip() in value and rule.remediation.strip() in value and rule.what.strip() in value
    )
    assert "rules.md#sl205-secret-in-env" in value
    assert not any(secret in value for secret in SECRETS)


def test_no_hover_anywhere_shows_a_secret(broken_findings):
    positions = TextPositions(BROKEN)
    shown = 0
    for finding in broken_findings:
        range_ = positions.range_of(finding.location)
        for character in range(range_.start.character, range_.end.character + 1):
            value = hover_text(BROKEN, broken_findings, pos(range_.start.line, character))
            assert value is not None
            assert not any(secret in value for secret in SECRETS)
            shown += 1
    assert shown > 100


def test_no_hover_where_there_is_no_finding(broken_findings):
    assert hover_text(BROKEN, broken_findings, pos(0, 3)) is None  # the leading comment
    assert hover_text(BROKEN, broken_findings, pos(500, 0)) is None  # past the end
    assert hover_text("", [], pos(0, 0)) is None


def test_findings_of_the_same_cause_are_shown_with_it(broken_findings):
    line = next(i for i, text in enumerate(BROKEN.splitlines()) if "DEBUG: yes" in text)
    value = hover_text(BROKEN, broken_findings, pos(line, 12))
    assert value is not None
    assert value.startswith("**SL104** ambiguous-scalar")
    assert "Same cause: **SL604** env-value-type" in value


def test_two_findings_at_one_place_are_both_shown(broken_findings):
    line = next(i for i, text in enumerate(BROKEN.splitlines()) if "STRIPE_WEBHOOK_SECRET" in text)
    value = hover_text(BROKEN, broken_findings, pos(line, 30))
    assert value is not None
    assert "**SL204**" in value and "**SL206**" in value and "\n\n---\n\n" in value


def test_a_message_is_shown_as_written_not_as_markup():
    text = "api:\n  image: x\n"
    message = "api.image is `<redacted>` *not* [a link](https://evil.example) <img src=x>\x1b[31m"
    finding = Finding("SL105", "placeholder-value", Severity.ERROR, message, Location("values.yaml", 2, 10))
    value = hover_text(text, [finding], pos(1, 9))
    assert value is not None
    headline = value.split("\n\n")[0]
    assert "<" not in headline.replace("\\<", "") and "[a" not in headline.replace("\\[a", "")
    assert "\x1b" not in headline and "\\*not\\*" in headline
    assert markdown_text("a_b") == "a\\_b"


def test_unicode_before_the_finding_counts_utf16_units(tmp_path: Path):
    text = 'api:\n  env: {NOTE: "😀é", SECRETS_PROVIDER: aws-secrets}\n'
    findings = active(tmp_path, text)
    column = text.splitlines()[1].index("aws-secrets")
    character = column + 1  # the emoji is two UTF-16 code units
    result = hover(findings, TextPositions(text), pos(1, character), CATALOG)
    assert result is not None and result.range is not None
    assert result.range.start == pos(1, character)
    assert "**SL603**" in str(result.contents.value)  # type: ignore[union-attr]
