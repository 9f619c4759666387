"""`check --statistics`: how many findings each rule has instead of each finding, as
`ruff check --statistics` (README, "Use").

Text: one line per rule, `count  RULE  name  [*]`, most findings first, then by rule id; `[*]`
marks a rule some of whose findings have a safe fix (what `starter-lint fix` applies without
--unsafe-fixes); then check's summary line. JSON:

    {"schemaVersion": 1, "tool": {"name", "version"}, "failOn", "failed",
     "counts": {"error", "warning", "note", "suppressed"},
     "statistics": [{"rule", "name", "count", "fixable"}]}

where `fixable` is how many of the `count` findings have a safe fix. Suppressed findings (inline,
config ignores, baseline) are not counted per rule: the summary line and `counts.suppressed` give
their number, as the full report does. Other formats report each finding by nature (annotations,
SARIF results, test cases): --statistics with them is refused before the run.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING

from ..records import record
from .escape import json_text, terminal
from .json_format import report_header
from .text_format import summary_line

if TYPE_CHECKING:  # annotations only: the report layer reads what the pipeline produced
    from ..options import Options
    from ..results import Report
    from ..rule_file import Rule

FORMATS = ("text", "json")  # the formats --statistics can take


@record(frozen=True)
class RuleCount:
    """The active findings of one rule: how many, and how many of them have a safe fix."""

    rule: str
    name: str
    count: int
    fixable: int


def rule_counts(report: Report) -> list[RuleCount]:
    """One RuleCount per rule with active findings: most findings first, then by rule id."""
    counts: dict[str, list[int]] = {}
    names: dict[str, str] = {}
    for finding in report.active:
        tally = counts.setdefault(finding.rule, [0, 0])
        tally[0] += 1
        tally[1] += bool(finding.fix and finding.fix.safe)
        names.setdefault(finding.rule, finding.name)
    ordered = sorted(counts.items(), key=lambda item: (-item[1][0], item[0]))
    return [RuleCount(rule, names[rule], count, fixable) for rule, (count, fixable) in ordered]


def render(report: Report, catalog: Mapping[str, Rule], options: Options) -> str:
    rows = rule_counts(report)
    if options.format == "json":
        document = {
            **report_header(report),
            "statistics": [
                {"rule": r.rule, "name": r.name, "count": r.count, "fixable": r.fixable} for r in rows
            ],
        }
        return json_text(json.dumps(document, indent=2, ensure_ascii=False)) + "\n"
    shown = [(str(r.count), terminal(r.rule), terminal(r.name), "[*]" if r.fixable else "") for r in rows]
    widths = [max((len(row[i]) for row in shown), default=0) for i in range(3)]
    lines = [
        f"{count:>{widths[0]}}  {rule:<{widths[1]}}  {name:<{widths[2]}}  {mark}".rstrip()
        for count, rule, name, mark in shown
    ]
    return "\n".join([*lines, summary_line(report)]) + "\n"
