"""The JSON report. Its shape is versioned by `schemaVersion` (docs/json-format.md).

    {"schemaVersion": 1, "tool": {"name", "version"}, "failOn", "failed",
     "counts": {"error", "warning", "note", "suppressed"},
     "targets": [{"name", "files", "objects", "findings": [Finding…]}]}

A Finding: {"rule", "name", "severity", "message", "path", "line", "column", "endLine",
"endColumn", "logical", "template", "fingerprint", "suppressed" (null or the reason), "notes" (e.g. an expired ignore),
"fix" (null or {"description", "safe"}), "related" (findings of the same cause folded into this
one: {"rule", "name", "severity", "message", "path", "line", "column", "endLine", "endColumn",
"logical", "template"})}.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..findings import Finding
from .escape import json_text

if TYPE_CHECKING:  # annotations only: the report layer reads what the pipeline produced
    from ..options import Options
    from ..results import Report
    from ..rule_file import Rule

# each finding's fingerprint is printed (report.reads_fingerprints)
FINGERPRINTS = True

SCHEMA_VERSION = 1
COMPACT_ABOVE = 5000


def _location_fields(finding: Finding) -> dict[str, Any]:
    loc = finding.location
    return {
        "rule": finding.rule,
        "name": finding.name,
        "severity": str(finding.severity),
        "message": finding.message,
        "path": loc.path,
        "line": loc.line,
        "column": loc.col,
        "endLine": loc.end_line,
        "endColumn": loc.end_col,
        "logical": finding.logical,
        "template": finding.template,
    }


def finding_dict(finding: Finding) -> dict[str, Any]:
    return {
        **_location_fields(finding),
        "fingerprint": finding.fingerprint,
        "suppressed": finding.suppressed,
        "notes": list(finding.notes),
        "fix": ({"description": finding.fix.description, "safe": finding.fix.safe} if finding.fix else None),
        "related": [_location_fields(related) for related in finding.related],
    }


def report_header(report: Report) -> dict[str, Any]:
    """What every JSON report opens with (this one, `check --statistics`): the schema version,
    the tool, the verdict and the counts."""
    counts: dict[str, int] = dict(report.counts())
    counts["suppressed"] = len(report.suppressed)
    return {
        "schemaVersion": SCHEMA_VERSION,
        "tool": {"name": "starter-lint", "version": report.version},
        "failOn": str(report.fail_on),
        "failed": report.failed,
        "counts": counts,
    }


def render(report: Report, catalog: Mapping[str, Rule], options: Options) -> str:
    document: dict[str, Any] = {
        **report_header(report),
        "targets": [
            {
                "name": target.name,
                "files": target.files,
                "objects": target.objects,
                "findings": [finding_dict(f) for f in sorted(target.findings, key=lambda f: f.sort_key())],
            }
            for target in report.targets
        ],
    }
    # indented for people; past a few thousand findings, compact: Python's JSON encoder only runs
    # in C without indentation, and a report that size is read by programs
    indent = 2 if sum(len(t["findings"]) for t in document["targets"]) <= COMPACT_ABOVE else None
    # valid UTF-8 whatever the file and key names, no raw bidi control (report.escape)
    return json_text(json.dumps(document, indent=indent, sort_keys=False, ensure_ascii=False)) + "\n"
