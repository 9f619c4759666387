"""JUnit XML: one testsuite per target, one testcase per rule that ran on it.

A testcase fails when the rule has active findings at or above `--fail-on`; the `failure`
element lists them (`path:line:col: severity message`). Findings below the threshold and
suppressed ones are listed in the testcase's `system-out`, so the report shows everything
without failing what the exit code does not fail. "Ran" means selected (`--select/--ignore`)
and applicable to the target (values, chart, manifests), as the pipeline decides.

Every text is escaped as for a terminal (`report.escape`): CI shows these lines in logs, and
XML 1.0 cannot hold most control characters even as character references.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Mapping
from typing import TYPE_CHECKING

from ..findings import Finding
from .escape import line_start, terminal
from .text_format import related_text

if TYPE_CHECKING:  # annotations only: the report layer reads what the pipeline produced
    from ..options import Options
    from ..results import Report, TargetResult
    from ..rule_file import Rule


# the test cases carry no fingerprint (report.reads_fingerprints)
FINGERPRINTS = False


def rules_that_ran(result: TargetResult) -> list[str]:
    """The checks the pipeline ran on the target, and any rule that reported there (SL102 …)."""
    return sorted(set(result.rules_run) | {f.rule for f in result.findings})


def _line(finding: Finding) -> str:
    loc = finding.location
    text = f"{line_start(loc.path)}:{loc.line}:{loc.col}: {finding.severity} {terminal(finding.message)}"
    if finding.suppressed:
        text += f" (suppressed: {terminal(finding.suppressed)})"
    for note in finding.notes:
        text += f" (note: {terminal(note)})"
    for related in finding.related:
        text += f" (same cause: {related_text(related)})"
    return text


def render(report: Report, catalog: Mapping[str, Rule], options: Options) -> str:
    root = ET.Element("testsuites", name="starter-lint")
    total = failed = 0
    for result in report.targets:
        suite = ET.SubElement(root, "testsuite", name=terminal(result.name))
        tests = failures = 0
        for rule_id in rules_that_ran(result):
            rule = catalog.get(rule_id)
            case = ET.SubElement(
                suite,
                "testcase",
                name=terminal(f"{rule_id} {rule.name if rule else ''}".strip()),
                classname=terminal(f"starter-lint.{result.name}"),
            )
            findings = sorted((f for f in result.findings if f.rule == rule_id), key=lambda f: f.sort_key())
            failing = [f for f in findings if not f.suppressed and f.severity >= report.fail_on]
            others = [f for f in findings if f.suppressed or f.severity < report.fail_on]
            tests += 1
            if failing:
                failures += 1
                worst = max(f.severity for f in failing)
                failure = ET.SubElement(
                    case,
                    "failure",
                    type=str(worst),
                    message=f"{len(failing)} finding{'s' if len(failing) != 1 else ''}: "
                    f"{terminal(failing[0].message)}",
                )
                failure.text = "\n".join(_line(f) for f in failing)
            if others:
                ET.SubElement(case, "system-out").text = "\n".join(_line(f) for f in others)
        suite.set("tests", str(tests))
        suite.set("failures", str(failures))
        suite.set("errors", "0")
        suite.set("skipped", "0")
        total += tests
        failed += failures
    root.set("tests", str(total))
    root.set("failures", str(failed))
    root.set("errors", "0")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
