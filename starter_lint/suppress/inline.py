"""Inline suppression comments: `# starter-lint: disable=SL301 reason` on a finding's line or
on a comment line directly above it, `# starter-lint: disable-file=SL301 reason` in a file's
leading comments (below them it has no effect, and SL107 says so).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..options import rule_matches

if TYPE_CHECKING:
    from ..findings import Finding

# `#` starts a comment only at the start of a line or after whitespace (YAML's rule), so a `#`
# inside a URL or a plain scalar like `a#b` is not mistaken for one.
_DIRECTIVE = re.compile(
    r"(?:^|\s)#\s*starter-lint:\s*(?P<kind>disable-file|disable)\s*=\s*"
    r"(?P<rules>[A-Za-z0-9]+(?:\s*,\s*[A-Za-z0-9]+)*)\s*(?P<reason>.*?)\s*$"
)
_COMMENT_ONLY = re.compile(r"^\s*#")


@dataclass(frozen=True)
class Directive:
    rules: tuple[str, ...]
    reason: str
    line: int
    col: int = 1
    kind: str = "disable"  # or "disable-file"


def split_rules(text: str) -> tuple[str, ...]:
    return tuple(part.strip().upper() for part in str(text).split(",") if part.strip())


@dataclass
class FileDirectives:
    by_line: dict[int, list[Directive]]  # line -> the Directives that cover it
    whole_file: list[Directive]  # Directives for the whole file
    misplaced: list[Directive] = field(
        default_factory=list
    )  # `disable-file` below the leading comments: no effect

    def all(self) -> list[Directive]:
        """Every directive of the file, once each, in line order."""
        seen = {d for ds in self.by_line.values() for d in ds} | set(self.whole_file) | set(self.misplaced)
        return sorted(seen, key=lambda d: d.line)


def parse_directives(text: str) -> FileDirectives:
    by_line: dict[int, list[Directive]] = {}
    whole_file: list[Directive] = []
    misplaced: list[Directive] = []
    in_header = True
    lines = text.splitlines()
    for number, line in enumerate(lines, start=1):
        comment_only = bool(_COMMENT_ONLY.match(line))
        blank = not line.strip() or line.strip() == "---"
        if not (comment_only or blank):
            in_header = False
        match = _DIRECTIVE.search(line) if "starter-lint" in line else None
        if match is None:
            continue
        directive = Directive(
            split_rules(match.group("rules")),
            match.group("reason"),
            number,
            line.index("#", match.start()) + 1,
            match.group("kind"),
        )
        if match.group("kind") == "disable-file":
            (whole_file if in_header and comment_only else misplaced).append(directive)
            continue
        # trailing: this line; on a comment line of its own: the next line
        by_line.setdefault(number + 1 if comment_only else number, []).append(directive)
    return FileDirectives(by_line, whole_file, misplaced)


def inline_suppression(
    finding: Finding, directives: FileDirectives | None
) -> tuple[str, tuple[str, int, str]] | None:
    """(reason, (path, directive line, rule part) that suppressed it), or None."""
    if directives is None:
        return None
    for directive in directives.by_line.get(finding.location.line, []) + directives.whole_file:
        for part in directive.rules:
            if rule_matches(finding.rule, [part]):
                where = f"{finding.location.path}:{directive.line}"
                return directive.reason or f"disabled by the comment at {where}", (
                    finding.location.path,
                    directive.line,
                    part,
                )
    return None
