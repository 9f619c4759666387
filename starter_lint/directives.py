"""The syntax of inline suppression comments, read from a file's text.

`# starter-lint: disable=SL301 reason` on a finding's line or on a comment line directly above
it; `# starter-lint: disable-file=SL301 reason` in a file's leading comments (below them it has
no effect, and SL107 says so). Both the suppression stage (`suppress`) and the SL107 check read
them, so the parser sits below both.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .lazy_pattern import LazyPattern
from .options import POLICY_SELECTOR, RULE_PATTERN, rule_matches
from .records import field, record
from .textio import split_lines

if TYPE_CHECKING:
    from collections.abc import Collection, Iterable

# `#` starts a comment only at the start of a line or after whitespace (YAML's rule), so a `#`
# inside a URL or a plain scalar like `a#b` is not mistaken for one.
_DIRECTIVE = LazyPattern(
    r"(?:^|\s)#\s*starter-lint:\s*(?P<kind>disable-file|disable)\s*=\s*"
    # the rule list ends at whitespace: `SL901/name-format` is one part (a policy's name has `-`
    # and `.`), never the rule SL901 and a reason "/name-format"
    # (a trailing or doubled comma is no part: `disable=SL301, reason`)
    r"(?P<rules>[^\s,]+(?:\s*,\s*[^\s,]*)*)(?:\s+(?P<reason>.*))?$"
)
_COMMENT_ONLY = LazyPattern(r"^\s*#")
ADMISSION_RULE = "SL901"  # the one rule whose findings name a policy (`SL901/<name>`, docs/policies.md)


@record(frozen=True)
class Directive:
    """One `# starter-lint: disable=...` (or `disable-file=...`) comment: its rules, reason and place."""

    rules: tuple[str, ...]
    reason: str
    line: int
    col: int = 1
    kind: str = "disable"  # or "disable-file"


def split_rules(text: str) -> tuple[str, ...]:
    """The parts of a comma-separated rule list, as --select reads them: rule ids upper-cased, an
    admission policy's name (`SL901/name-format`) as Kubernetes spells it, lower-case."""
    return tuple(_normalized(part.strip()) for part in str(text).split(",") if part.strip())


def _normalized(part: str) -> str:
    if not part.isascii():
        # before case mapping, which would make `ſl301` SL301 and the Kelvin sign in
        # `SL901/\u212aeep` a `k` (as options.parse_rule_ids refuses them): escaped, such a part
        # matches no rule, SL107 reports it, and its report shows the character that is not ASCII
        return part.encode("ascii", "backslashreplace").decode("ascii")
    rule, slash, name = part.partition("/")
    return f"{rule.upper()}/{name.lower()}" if slash else part.upper()


@record
class FileDirectives:
    """The inline suppression comments of one file, by the lines they cover."""

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
    lines = split_lines(text)  # numbered as YAML numbers lines, like the findings
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
            (match.group("reason") or "").strip(),
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


def unknown_rule_parts(
    parts: Iterable[str], catalog: Iterable[str], policies: Collection[str] | None = None
) -> list[str]:
    """The parts of a rule list that name no rule of the catalog (a typo such as SL3O1), or no
    admission policy of `policies` (the names of the admission policies SL901 ran with:
    `SL901/<name>`). With `policies` None (SL901 ran with none) a `SL901/<name>` is not judged:
    the policy may be one of a run with `--policy` (docs/suppressions.md)."""
    rules = list(catalog)
    return [p for p in parts if not _names_rule(p, rules, policies)]


def numbered_key(key: str, seen: dict[str, int]) -> str:
    """`key` the first time one file's findings use it, then `key#2`, `key#3` …: two findings of
    one file about the same text (one unknown rule disabled on two lines) get fingerprints of
    their own that survive line moves (as identity.py's namesakes, `[name=X#2]`)."""
    seen[key] = seen.get(key, 0) + 1
    return key if seen[key] == 1 else f"{key}#{seen[key]}"


def _names_rule(part: str, catalog: list[str], policies: Collection[str] | None) -> bool:
    if not part.isascii():
        return False  # rule ids and policy names are ASCII; see _normalized
    selector = POLICY_SELECTOR.match(part)
    if selector:
        if selector.group(1) != ADMISSION_RULE:
            return False  # only SL901 names policies
        return policies is None or selector.group(2) in policies
    return bool(RULE_PATTERN.match(part)) and any(rule_matches(r, [part]) for r in catalog)
