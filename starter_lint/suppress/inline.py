"""Inline suppression: a finding is suppressed by a directive on its line, above it, or for its
whole file (the comments' syntax is `directives`).
"""

from __future__ import annotations

from ..directives import FileDirectives
from ..options import rule_matches


def inline_suppression(finding, directives: FileDirectives | None) -> tuple:
    """(reason, (path, directive line, rule part) that suppressed it), or (None, None)."""
    if directives is None:
        return None, None
    for directive in directives.by_line.get(finding.location.line, []) + directives.whole_file:
        for part in directive.rules:
            if rule_matches(finding.rule, [part]):
                where = f"{finding.location.path}:{directive.line}"
                return directive.reason or f"disabled by the comment at {where}", (
                    finding.location.path,
                    directive.line,
                    part,
                )
    return None, None
