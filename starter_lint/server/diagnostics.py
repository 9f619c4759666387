"""Findings as the Language Server Protocol's diagnostics: the rule id as `code`, the rule's
section of docs/rules.md as `codeDescription`, the severity mapped (a note is Information), and a
finding's related findings (one mistake seen in several places, related.py) as
`relatedInformation`. The texts are the findings' own, already scrubbed of secrets by the
pipeline (docs/editor.md), with control and bidi characters from a repository's keys and names
shown as escapes (`\x1b`, `\u202e`), as in the text report: an editor shows a diagnostic as
it is, and a U+202E in a key would reverse what the message reads."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from lsprotocol import types

from .. import __version__
from ..catalog import Catalog
from ..findings import Finding, Location, Severity
from ..report.escape import terminal
from .positions import TextPositions

SOURCE = "starter-lint"
_SEVERITY = {
    Severity.ERROR: types.DiagnosticSeverity.Error,
    Severity.WARNING: types.DiagnosticSeverity.Warning,
    Severity.NOTE: types.DiagnosticSeverity.Information,
}


def to_diagnostics(
    findings: Sequence[Finding], positions: TextPositions, catalog: Catalog, root: str, shown: str
) -> list[types.Diagnostic]:
    """The diagnostics of one document (`shown`: its display path, the findings' `location.path`;
    `root`: the folder display paths are relative to)."""
    return [to_diagnostic(f, positions, catalog, root, shown) for f in findings]


def to_diagnostic(
    finding: Finding, positions: TextPositions, catalog: Catalog, root: str, shown: str
) -> types.Diagnostic:
    from ..report.sarif_format import help_uri  # deferred: with the first diagnostics, not at start

    rule = catalog.get(finding.rule)
    href = help_uri(rule, __version__) if rule is not None else None
    message = "\n".join(terminal(part) for part in (finding.message, *finding.notes))
    related = [
        info for info in (_related(r, positions, root, shown) for r in finding.related) if info is not None
    ]
    return types.Diagnostic(
        range=positions.range_of(finding.location),
        message=message,
        severity=_SEVERITY.get(finding.severity, types.DiagnosticSeverity.Warning),
        code=finding.rule,
        code_description=types.CodeDescription(href=href) if href else None,
        source=SOURCE,
        related_information=related or None,
    )


def _related(
    finding: Finding, positions: TextPositions, root: str, shown: str
) -> types.DiagnosticRelatedInformation | None:
    """A related finding's place: in this document through its text, in another file of the
    workspace by its line and column; a rendered manifest (no file) has no place to link."""
    location = finding.location
    if location.path == shown:
        range_ = positions.range_of(location)
        uri = _file_uri(root, shown)
    elif location.path.startswith("<"):
        return None
    else:
        range_ = _plain_range(location)
        uri = _file_uri(root, location.path)
    return types.DiagnosticRelatedInformation(
        location=types.Location(uri=uri, range=range_), message=terminal(f"{finding.rule}: {finding.message}")
    )


def _plain_range(location: Location) -> types.Range:
    """A range from 1-based line and column alone (another file's text is not at hand: right
    for ASCII lines, which values files' keys are)."""
    start = types.Position(line=max(location.line - 1, 0), character=max(location.col - 1, 0))
    if location.end_line is None or location.end_col is None:
        return types.Range(start=start, end=start)
    end = types.Position(line=max(location.end_line - 1, 0), character=max(location.end_col - 1, 0))
    return types.Range(start=start, end=end)


def _file_uri(root: str, shown: str) -> str:
    return Path(os.path.join(root, shown)).resolve().as_uri()
