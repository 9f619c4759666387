"""Inline suppression: a finding is suppressed by a directive on its line, above it, or for its
whole file (the comments' syntax is `directives`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..options import rule_matches

if TYPE_CHECKING:
    from ..directives import FileDirectives
    from ..findings import Finding


def inline_suppression(
    finding: Finding, directives: FileDirectives | None
) -> tuple[str, tuple[str, int, str]] | None:
    """(reason, (path, directive line, rule part) that suppressed it), or None."""
    if directives is None:
        return None
    for directive in directives.by_line.get(finding.location.line, []) + directives.whole_file:
        for part in directive.rules:
            if rule_matches(finding.selector, [part]):  # SL901/<policy> too
                where = f"{finding.location.path}:{directive.line}"
                return directive.reason or f"disabled by the comment at {where}", (
                    finding.location.path,
                    directive.line,
                    part,
                )
    return None
