"""`path:line:col: severity SLnnn message [name]`, an excerpt with a caret, one summary line."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from ..findings import Finding
from ..redact import MIN_SCRUB_LENGTH
from ..redact_source import redact_line
from ..textio import split_lines
from .escape import line_start, terminal

if TYPE_CHECKING:  # annotations only: the report layer reads what the pipeline produced
    from ..options import Options
    from ..results import Report, TargetResult
    from ..rule_file import Rule

# the report prints no fingerprint (report.reads_fingerprints)
FINGERPRINTS = False

_COLORS = {"error": "\033[31m", "warning": "\033[33m", "note": "\033[36m"}
_BOLD, _DIM, _RESET = "\033[1m", "\033[2m", "\033[0m"


def use_color(options: Options) -> bool:
    """Colour only a terminal: never a file (`--output`), never with NO_COLOR, even when the
    config asks for colour."""
    if options.output or "NO_COLOR" in os.environ:
        return False
    if options.color is not None:
        return bool(options.color)
    return sys.stdout is not None and sys.stdout.isatty()  # (None: started with stdout closed)


def _excerpt(
    finding: Finding, target: TargetResult, color: bool, lines_of: Callable[[str], list[str]]
) -> list[str]:
    """The finding's source line from its own target, secrets hidden, with a caret under it."""
    path = finding.location.path
    text = target.sources.get(path)
    if text is None:
        return []
    lines = lines_of(text)
    line_no = finding.location.line
    if not 1 <= line_no <= len(lines):
        return []
    known = getattr(target, "secret_columns", None) or {}
    # a values file's secrets are where its secret values are written: hide exactly those columns
    # and long secret strings (a secret "api" must not turn `api:` into `<redacted>:`); a manifest
    # line loses the secrets located in it and every secret string the target holds
    if path in known:
        line, column = redact_line(
            lines[line_no - 1].expandtabs(1), known[path].get(line_no, ()), target.secrets
        )
    else:
        located = (getattr(target, "manifest_secret_columns", None) or {}).get(path, {})
        line, column = redact_line(
            lines[line_no - 1].expandtabs(1), located.get(line_no, ()), target.secrets, MIN_SCRUB_LENGTH
        )
    col = column(max(1, finding.location.col))
    end = (
        column(finding.location.end_col, is_end=True)
        if finding.location.end_line == line_no and finding.location.end_col
        else col + 1
    )
    if len(line) > 200:
        line = line[:200] + "…"
    # the line as the terminal shows it: escapes widen what precedes the caret
    col, end = (len(terminal(line[: max(0, n - 1)])) + 1 for n in (col, end))
    line = terminal(line)
    gutter = f"{line_no:>5} | "
    col = max(1, min(col, len(line) + 1))
    width = max(1, min(end, len(line) + 1) - col)
    caret = " " * (len(gutter) - 2) + "| " + " " * (col - 1) + "^" + "~" * (width - 1)
    if color:
        caret = _COLORS[str(finding.severity)] + caret + _RESET
        gutter = _DIM + gutter + _RESET
    return [gutter + line, caret]


def related_text(related: Finding) -> str:
    """A finding folded into its owner (related.py), as the owner's note shows it."""
    loc = related.location
    text = f"{terminal(loc.path)}:{loc.line}:{loc.col}: {related.rule} {terminal(related.message)} [{related.name}]"
    return text + (f" (rendered from {terminal(related.template)})" if related.template else "")


def summary_line(report: Report) -> str:
    """The report's last line: counts by severity (and suppressed), targets, manifest objects, the
    verdict and the --fail-on it was judged by."""
    counts = report.counts()
    targets = len(report.targets)
    suppressed = len(report.suppressed)
    parts = [
        f"{counts['error']} error{'s' if counts['error'] != 1 else ''}",
        f"{counts['warning']} warning{'s' if counts['warning'] != 1 else ''}",
        f"{counts['note']} note{'s' if counts['note'] != 1 else ''}",
    ]
    summary = ", ".join(parts)
    if suppressed:
        summary += f" ({suppressed} suppressed)"
    objects = sum(t.objects for t in report.targets)
    scope = f"{targets} target{'s' if targets != 1 else ''}"
    if objects:
        scope += f", {objects} manifest object{'s' if objects != 1 else ''}"
    verdict = "failed" if report.failed else "passed"
    return f"starter-lint: {summary} in {scope}: {verdict} (--fail-on {report.fail_on})"


def render(report: Report, catalog: Mapping[str, Rule], options: Options) -> str:
    color = use_color(options)
    out: list[str] = []
    # excerpts come from the finding's own target: two targets may share a path with other text
    active = [(finding, target) for target in report.targets for finding in target.active]
    lines_of = functools.lru_cache(maxsize=None)(split_lines)  # each file once, not per finding
    # paths, rules, names and templates repeat from finding to finding (and messages, from copies
    # of a policy): each distinct text is escaped once
    shown = functools.lru_cache(maxsize=None)(terminal)
    path_shown = functools.lru_cache(maxsize=None)(line_start)
    for finding, target in sorted(active, key=lambda pair: pair[0].sort_key()):
        loc = finding.location
        severity = str(finding.severity)
        sev_text = _COLORS[severity] + severity + _RESET if color else severity
        where = f"{path_shown(loc.path)}:{loc.line}:{loc.col}:"
        if color:  # the location in bold, so the eye finds where each finding starts
            where = _BOLD + where + _RESET
        out.append(
            f"{where} {sev_text} {shown(finding.rule)} {shown(finding.message)} [{shown(finding.name)}]"
        )
        if finding.template:
            out.append(f"      (rendered from {shown(finding.template)})")
        for note in finding.notes:  # e.g. an expired config ignore (suppress.py)
            out.append(f"      note: {terminal(note)}")
        for related in finding.related:  # the same mistake seen by another rule
            out.append(f"      note: same cause: {related_text(related)}")
        if not options.quiet:
            out.extend(_excerpt(finding, target, color, lines_of))
    out.append(summary_line(report))
    return "\n".join(out) + "\n"
