"""JUnit XML: one testsuite per target, one testcase per rule that ran on it.

A testcase fails when the rule has active findings at or above `--fail-on`; the `failure`
element lists them (`path:line:col: severity message`). Findings below the threshold and
suppressed ones are listed in the testcase's `system-out`, so the report shows everything
without failing what the exit code does not fail. "Ran" means selected (`--select/--ignore`)
and applicable to the target (values, chart, manifests), as the pipeline decides.
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from .text_format import related_text


_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _clean(text: str) -> str:
    return _INVALID_XML.sub("?", str(text))


def rules_that_ran(result) -> list:
    """The checks the pipeline ran on the target, and any rule that reported there (SL102 …)."""
    return sorted(set(result.rules_run) | {f.rule for f in result.findings})


def _line(finding) -> str:
    loc = finding.location
    text = f"{loc.path}:{loc.line}:{loc.col}: {finding.severity} {finding.message}"
    if finding.suppressed:
        text += f" (suppressed: {finding.suppressed})"
    for note in finding.notes:
        text += f" (note: {note})"
    for related in finding.related:
        text += f" (same cause: {related_text(related)})"
    return text


def render(report, catalog, options) -> str:
    root = ET.Element("testsuites", name="starter-lint")
    total = failed = 0
    for result in report.targets:
        suite = ET.SubElement(root, "testsuite", name=_clean(result.name))
        tests = failures = 0
        for rule_id in rules_that_ran(result):
            rule = catalog.get(rule_id)
            case = ET.SubElement(suite, "testcase", name=f"{rule_id} {rule.name if rule else ''}".strip(),
                                 classname=_clean(f"starter-lint.{result.name}"))
            findings = sorted((f for f in result.findings if f.rule == rule_id), key=lambda f: f.sort_key())
            failing = [f for f in findings if not f.suppressed and f.severity >= report.fail_on]
            others = [f for f in findings if f not in failing]
            tests += 1
            if failing:
                failures += 1
                worst = max(f.severity for f in failing)
                failure = ET.SubElement(case, "failure", type=str(worst),
                                        message=_clean(f"{len(failing)} finding{'s' if len(failing) != 1 else ''}: "
                                                       f"{failing[0].message}"))
                failure.text = _clean("\n".join(_line(f) for f in failing))
            if others:
                ET.SubElement(case, "system-out").text = _clean("\n".join(_line(f) for f in others))
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
