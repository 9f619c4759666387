"""GitHub Actions workflow commands: one annotation per active finding, then the summary line.

    ::error file=values.prod.yaml,line=12,col=5,endLine=12,endColumn=9,title=SL301 tls-host-coverage::message

Levels: error → `error`, warning → `warning`, note → `notice`. Files are relative to the
repository root (where GitHub resolves them), located as `report.locations` describes; a finding
with no file at all gets an annotation without `file=`. Text from the inputs is first escaped as
for a terminal (`report.escape`: no ESC, CR, LF or bidi control of its own), then as the runner
reads it: `%`, CR and LF in the message (whose notes are lines of their own); additionally `:`
and `,` in property values.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from ..findings import Finding
from .escape import terminal
from .locations import Locator, Place
from .text_format import related_text, summary_line

if TYPE_CHECKING:  # annotations only: the report layer reads what the pipeline produced
    from ..options import Options
    from ..results import Report
    from ..rule_file import Rule

# the workflow commands carry no fingerprint (report.reads_fingerprints)
FINGERPRINTS = False

_LEVELS = {"error": "error", "warning": "warning", "note": "notice"}


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(finding: Finding, place: Place | None) -> str:
    properties: list[tuple[str, str]] = []
    if place is not None:
        properties.append(("file", place.shown))
        properties.append(("line", str(place.line)))
        if place.exact and place.col:
            properties.append(("col", str(place.col)))
            if place.end_line and place.end_col and (place.end_line, place.end_col) > (place.line, place.col):
                properties += [("endLine", str(place.end_line)), ("endColumn", str(place.end_col))]
    properties.append(("title", f"{finding.rule} {finding.name}"))
    message = terminal(finding.message)
    if place is None or not place.exact:
        message += f" ({terminal(finding.location.path)}:{finding.location.line})"
    if finding.template:
        message += f" (rendered from {terminal(finding.template)})"
    for note in finding.notes:
        message += f"\nNote: {terminal(note)}"
    for related in finding.related:
        message += f"\nNote: same cause: {related_text(related)}"
    props = ",".join(f"{key}={escape_property(terminal(value))}" for key, value in properties)
    return f"::{_LEVELS[str(finding.severity)]} {props}::{escape_data(message)}"


def render(report: Report, catalog: Mapping[str, Rule], options: Options) -> str:
    locator = Locator(report, options)
    lines = []
    for result in report.targets:
        for finding in sorted(result.active, key=lambda f: f.sort_key()):
            lines.append(annotation(finding, locator.place(finding, result)))
    # the closing summary line of the text format, as plain log text
    lines.append(summary_line(report))
    return "\n".join(lines) + "\n"
