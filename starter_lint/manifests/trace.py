"""Trace a finding on a rendered manifest back to the values line that produced it.

Helm's output keeps no link to the values. Where the offending rendered scalar equals exactly
one value a user file sets, that line is where the user fixes it (docs/design/values.md, 'Findings on rendered
manifests'); the rendered
position stays in a note and the template in `finding.template`. The chart's template narrows
the candidates (template_source.py): a value the template writes as a literal is no values
line's; an equal value no template reads is not the one; a value composed in the template
from one values string (`{{ .Values.image.repository }}:1.0`) is that string's; one composed from
several (`…repository }}:{{ .Values.image.tag }}`) stays on the manifest: either may be the fix.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..pointer import value_at
from ..tree import leaves

if TYPE_CHECKING:
    from .template_source import FieldSource


def _identity(value) -> tuple | None:
    """What makes a rendered scalar recognisable: not booleans, not one-character strings."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return ("number", float(value))
    if isinstance(value, str) and len(value.strip()) >= 2:
        return ("string", value)
    return None


def _narrow_to_env(paths: list, obj, pointer: str) -> list:
    """An env entry (`…/env/3/value`) comes from `<component>.env.<NAME>`: keep the candidates
    with that name, and, if several components set it alike, the one the workload is named for."""
    head, _, tail = pointer.rpartition("/")
    if tail not in ("value", "valueFrom") or not head.rpartition("/")[0].endswith("/env"):
        return paths
    entry = value_at(obj.obj, head)
    name = entry.get("name") if isinstance(entry, dict) else None
    named = [p for p in paths if len(p) >= 2 and p[-2] == "env" and p[-1] == name]
    if len(named) > 1:
        words = set(str(obj.name).replace("_", "-").split("-"))
        named = [p for p in named if p[0] in words] or named
    return named


def _written(source: FieldSource, paths: list, rendered, strings: list) -> list:
    """The candidates the template can have written `rendered` from: none for a literal, nor for
    a field its line composes from several values (`repository:tag`: the one to fix depends on
    the check); those its line reads when it tells (else any a template reads); when none equals
    it, the one user string the value starts with (`{{ .Values.repository }}:1.0`)."""
    if source.literal or source.composed:
        return []
    paths = [path for path in paths if source.may_read(path)]
    if not source.refs:
        return paths
    paths = [path for path in paths if source.writes(path)]
    if paths or not isinstance(rendered, str):
        return paths
    return [path for path, value in strings if source.writes(path) and rendered.startswith(value)]


def trace_to_values(findings: list, ctx) -> list:
    manifests = ctx.manifests
    if ctx.values is None or manifests is None or not getattr(manifests, "rendered_by", None):
        return findings
    # the template reader (its patterns, three records) is no cost of a manifests-only check
    from .template_source import chart_reads, field_source  # deferred: only a chart's render is traced

    user_set: dict = {}
    strings: list = []  # (path, value) of every string a user file sets, for composed values
    for path, value in leaves(ctx.values.values):
        identity = _identity(value)
        origin = ctx.values.origin(path) if identity else None
        if origin is not None and origin.kind == "file" and origin.span is not None:
            user_set.setdefault(identity, []).append(path)
            if isinstance(value, str):
                strings.append((path, value))
    by_ref = {obj.ref: obj for obj in manifests.objects}
    reads = chart_reads(ctx)
    out = []
    for finding in findings:
        ref, _, pointer = finding.logical.partition("#")
        obj = by_ref.get(ref) if finding.template else None
        rendered = value_at(obj.obj, pointer) if obj is not None else None
        identity = _identity(rendered)
        paths = user_set.get(identity, []) if identity else []
        if obj is not None and identity:
            source = field_source(ctx, finding.template, pointer, rendered, reads)
            if source is not None:
                paths = _written(source, paths, rendered, strings)
        if len(paths) > 1:
            paths = _narrow_to_env(paths, obj, pointer)
        if len(paths) == 1:
            rendered = finding.location
            finding = finding.with_(
                location=ctx.values.locate(paths[0]),
                notes=finding.notes + (f"rendered at {rendered.path}:{rendered.line}",),
            )
        out.append(finding)
    return out
