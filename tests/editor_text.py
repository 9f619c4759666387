"""Test helpers for the server's pure functions: the pipeline's findings for a text as an editor
holds it, and LSP text edits applied to a text as an editor applies them."""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types

from starter_lint.findings import Finding
from starter_lint.options import Options
from starter_lint.results import Report
from starter_lint.server.positions import TextPositions

from .support import run_in

NAME = "values.yaml"


def check_text(directory: Path, text: str) -> Report:
    """The pipeline's report for `text` as the values file values.yaml in `directory`."""
    path = directory / NAME
    path.write_bytes(text.encode("utf-8"))
    return run_in(directory, Options(cwd=str(directory), values_files=[str(path)]))


def active(directory: Path, text: str) -> list[Finding]:
    """The unsuppressed findings of `text` (what the server hands the functions)."""
    return list(check_text(directory, text).active)


def apply_edits(text: str, edits: list[types.TextEdit]) -> str:
    """The text with the edits applied (ranges of the original text, as LSP defines them)."""
    positions = TextPositions(text)
    spans = sorted(
        ((positions.offset_at(e.range.start), positions.offset_at(e.range.end), e.new_text) for e in edits),
        reverse=True,
    )
    for start, end, new_text in spans:
        text = text[:start] + new_text + text[end:]
    return text


def whole(text: str) -> types.Range:
    """A range over the whole text."""
    positions = TextPositions(text)
    return types.Range(start=types.Position(line=0, character=0), end=positions.position_of(len(text)))
