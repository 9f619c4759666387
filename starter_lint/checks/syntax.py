"""SL102–SL104: what the YAML itself says, before any contract rule looks at the values.

Unreadable files are reported by the pipeline as SL102 (the load failed, so no check runs on
them); these checks report what the loader noticed in files that did load.
"""
from __future__ import annotations

from ..findings import Fix, Location, Problem, Severity
from . import check


def _location(loaded, span) -> Location:
    return Location(loaded.path, span.line, span.col, span.end_line, span.end_col)


@check("SL102")
def extra_documents(ctx):
    for loaded in ctx.loaded:
        if loaded.documents > 1:
            yield Problem(
                f"{loaded.path} holds more than one YAML document; Helm 3 and the Helm SDK read only "
                "the first from a -f file (as starter-lint does) while Helm 4 merges them all, so the "
                "values depend on the Helm version: merge them into one document",
                location=Location(loaded.path, 1, 1), severity=Severity.WARNING, key="extra-documents")


@check("SL103")
def duplicate_keys(ctx):
    for loaded in ctx.loaded:
        for note in loaded.notes:
            if note.kind in ("duplicate-key", "key-collision"):
                yield Problem(note.message + "; keep one of them", path=note.path,
                              location=_location(loaded, note.span), key=f"{note.kind}:{note.span.line}")


@check("SL104")
def ambiguous_scalars(ctx):
    for loaded in ctx.loaded:
        for note in loaded.notes:
            if note.kind in ("ambiguous-scalar", "ambiguous-key"):
                fix = None
                if note.has_fix:
                    fix = Fix("quote the scalar" if isinstance(note.fix_value, str) else
                              f"write {str(note.fix_value).lower()}", safe=True, path=note.path,
                              value=note.fix_value)
                yield Problem(note.message, path=note.path, location=_location(loaded, note.span),
                              fix=fix, key=note.kind)
