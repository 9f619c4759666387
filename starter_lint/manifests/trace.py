"""Trace a finding on a rendered manifest back to the values line that produced it.

Helm's output keeps no link to the values. Where the offending rendered scalar equals exactly
one value a user file sets, that line is where the user fixes it (docs/design/values.md, 'Findings on rendered
manifests'); the rendered
position stays in a note and the template in `finding.template`.
"""

from __future__ import annotations

from ..pointer import value_at
from ..tree import leaves


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


def trace_to_values(findings: list, ctx) -> list:
    manifests = ctx.manifests
    if ctx.values is None or manifests is None or not getattr(manifests, "rendered_by", None):
        return findings
    user_set: dict = {}
    for path, value in leaves(ctx.values.values):
        identity = _identity(value)
        origin = ctx.values.origin(path) if identity else None
        if origin is not None and origin.kind == "file" and origin.span is not None:
            user_set.setdefault(identity, []).append(path)
    by_ref = {obj.ref: obj for obj in manifests.objects}
    out = []
    for finding in findings:
        ref, _, pointer = finding.logical.partition("#")
        obj = by_ref.get(ref) if finding.template else None
        identity = _identity(value_at(obj.obj, pointer)) if obj is not None else None
        paths = user_set.get(identity, []) if identity else []
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
