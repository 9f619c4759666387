"""Hover on a finding: the rule's what, why and fix, as `starter-lint explain` tells them
(docs/editor.md).

Only two kinds of text reach a hover: the findings' messages (the pipeline has already scrubbed
secrets from them) and the rule files' words. A message is user data and may hold `*`, `_`, `<`
or a link: it is escaped so that it is shown as written, never rendered as Markdown or HTML
(`<redacted>` would otherwise vanish as an unknown tag). A shipped rule's text is Markdown
written for display; a rule from a repository's rule-dirs is escaped like a message.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from lsprotocol import types

from .. import __version__
from ..catalog import Catalog
from ..findings import Finding
from ..report.escape import terminal
from ..report.sarif_format import help_uri
from ..rule_file import Rule
from .positions import TextPositions

# CommonMark lets a backslash escape any ASCII punctuation; these are the ones that start markup
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>|#~&])")


def markdown_text(text: object) -> str:
    """Text shown as written in Markdown: no control characters, no markup."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", terminal(text))


def _rule_text(rule: Rule, text: str) -> str:
    text = text.strip()
    if rule.shipped:
        return text
    return "\n".join(markdown_text(line) for line in text.split("\n"))


def _contains(range_: types.Range, position: types.Position) -> bool:
    start = (range_.start.line, range_.start.character)
    end = (range_.end.line, range_.end.character)
    here = (position.line, position.character)
    return start <= here <= end


def _headline(finding: Finding, catalog: Catalog) -> str:
    name = catalog[finding.rule].name if finding.rule in catalog else finding.name
    return f"**{markdown_text(finding.rule)}** {markdown_text(name)} — {markdown_text(finding.message)}"


def _section(finding: Finding, catalog: Catalog) -> str:
    parts = [_headline(finding, catalog)]
    same_cause = [
        r for r in finding.related if r.location.path == finding.location.path and r.rule != finding.rule
    ]
    for related in same_cause:
        parts.append("Same cause: " + _headline(related, catalog))
    rule = catalog.get(finding.rule)
    if rule is not None:
        if rule.what.strip():
            parts.append("*What it does:* " + _rule_text(rule, rule.what))
        parts.append("*Why it matters:* " + _rule_text(rule, rule.rationale))
        parts.append("*How to fix:* " + _rule_text(rule, rule.remediation))
        url = help_uri(rule, __version__)
        if url is not None:
            parts.append(f"[{rule.id} {rule.name} in the rule docs]({url})")
    return "\n\n".join(parts)


def hover(
    findings: Sequence[Finding], positions: TextPositions, position: types.Position, catalog: Catalog
) -> types.Hover | None:
    """The findings whose range holds `position`, explained; None where there is none."""
    here = [(f, positions.range_of(f.location)) for f in findings]
    here = [(f, r) for f, r in here if _contains(r, position)]
    if not here:
        return None
    here.sort(key=lambda pair: (pair[0].location.line, pair[0].location.col, pair[0].rule))
    sections = [_section(finding, catalog) for finding, _ in here]
    return types.Hover(
        contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value="\n\n---\n\n".join(sections)),
        range=here[0][1],
    )
