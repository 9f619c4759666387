"""SL102–SL104: what the YAML itself says, before any contract rule looks at the values.

Unreadable files are reported by the pipeline as SL102 (the load failed, so no check runs on
them); these checks report what the loader noticed in files that did load.
"""

from __future__ import annotations

from ..findings import Fix, Location, Problem, Severity, format_path
from ..redact import is_secret_path
from ..redact_source import holds_secret
from ..values.layers import get_path
from . import check


def _location(loaded, span) -> Location:
    return Location(loaded.path, span.line, span.col, span.end_line, span.end_col)


# at most this many differing keys are named in one finding; the count says how many more
MAX_NAMED_KEYS = 10


@check("SL102")
def helm_majors_disagree(ctx):
    """A `-f` file that Helm 3 and Helm 4 read differently: a note naming the keys whose value
    differs (never the values: they may be secrets), or saying that the readings agree."""
    if ctx.chart_defaults:
        return  # Helm merges every document of a chart's own values.yaml, in every version
    for loaded in ctx.loaded:
        other = loaded.other_reading
        if other is None:
            continue
        this = "4" if loaded.all_documents else "3"
        how = {"3": "reads only its first document", "4": "merges all its documents"}
        message = (
            f"{loaded.path} holds several YAML documents: Helm {this} (followed here, --helm-version "
            f"{this}) {how[this]}, Helm {other.major} {how[other.major]}"
        )
        if other.error is not None:
            message = (
                f"Helm {other.major} refuses {loaded.path} (line {other.error.line}: {other.error.message}); "
                f"Helm {this} reads it (followed here, --helm-version {this})"
            )
        elif other.differing:
            named = ", ".join(format_path(p) for p in other.differing[:MAX_NAMED_KEYS])
            more = len(other.differing) - MAX_NAMED_KEYS
            message += f"; the values differ at {named}" + (f" and {more} more" if more > 0 else "")
            message += ": merge them into one document"
        else:
            message += "; both read the same values"
        yield Problem(
            message,
            location=Location(loaded.path, other.line, 1),
            severity=Severity.NOTE,
            key="extra-documents",
        )


@check("SL103")
def duplicate_keys(ctx):
    for loaded in ctx.loaded:
        seen: dict = {}
        for note in loaded.notes:
            if note.kind in ("duplicate-key", "key-collision"):
                # identity by values path, not line: the fingerprint survives moved lines; the
                # ordinal tells apart a key written three times
                identity = (note.kind, format_path(note.path))
                seen[identity] = seen.get(identity, 0) + 1
                yield Problem(
                    note.message + "; keep one of them",
                    path=note.path,
                    location=_location(loaded, note.span),
                    key=f"{note.kind}:{identity[1]}:{seen[identity]}",
                )


def _secret_message(note) -> str:
    """An SL104 message that names the key, never the secret's text (or the number it reads as)."""
    read_as = "a boolean" if isinstance(note.fix_value, bool) else "a number"
    return (
        f"the value of {format_path(note.path)} is a secret written without quotes, and YAML "
        f"reads it as {read_as}, not the text written; quote it"
    )


def _is_secret(note, loaded) -> bool:
    """A value under a secret path, or written where a secret is (an anchor aliased into one)."""
    return is_secret_path(note.path) or holds_secret(loaded, note.span)


def _fix(note, loaded) -> Fix:
    """Safe: write explicitly what Helm reads now (`yes` -> true, `017` -> 15, key `on:` ->
    "true":). Unsafe: quote the text as written (`1.10`, a rounded big integer), which is what
    the author most likely meant but changes what Helm renders."""
    if note.kind == "ambiguous-key":
        helm_key = note.path[-1]
        return Fix(
            f'quote the key as "{helm_key}" (what Helm reads)', safe=True, path=note.path, value=helm_key
        )
    if isinstance(note.fix_value, bool):
        return Fix(f"write {str(note.fix_value).lower()}", safe=True, path=note.path, value=note.fix_value)
    read = get_path(loaded.data, note.path)
    if isinstance(read, int) and not isinstance(read, bool) and abs(read) <= 2**53:
        shown = "the number" if _is_secret(note, loaded) else str(read)  # never a secret's value
        return Fix(f"write {shown} (what Helm reads)", safe=True, path=note.path, value=read)
    return Fix(
        "quote the scalar as written (changes what Helm renders)",
        safe=False,
        path=note.path,
        value=note.fix_value,
    )


@check("SL104")
def ambiguous_scalars(ctx):
    for loaded in ctx.loaded:
        for note in loaded.notes:
            if note.kind in ("ambiguous-scalar", "ambiguous-key"):
                fix = _fix(note, loaded) if note.has_fix else None
                # a key is never secret; a value under a secret path is (`API_TOKEN: 0755123`)
                secret = note.kind == "ambiguous-scalar" and _is_secret(note, loaded)
                message = _secret_message(note) if secret else f"{format_path(note.path)}: {note.message}"
                yield Problem(
                    message, path=note.path, location=_location(loaded, note.span), fix=fix, key=note.kind
                )
