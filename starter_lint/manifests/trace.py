"""Trace a finding on a rendered manifest back to the values line that produced it.

Helm's output keeps no link to the values. Where the offending rendered scalar equals exactly
one value a user file sets, that line is where the user fixes it (SPEC: a finding on a rendered
manifest points at the values line that caused it where provenance knows it); the rendered
position stays in a note and the template in `finding.template`.
"""
from __future__ import annotations

from typing import Any, Optional

from ..tree import leaves


def resolve_pointer(node: Any, pointer: str):
    """The node at a JSON pointer, or None."""
    if not pointer:
        return node
    for raw in pointer.lstrip("/").split("/"):
        part = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
    return node


def _identity(value) -> Optional[tuple]:
    """What makes a rendered scalar recognisable: not booleans, not one-character strings."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return ("number", float(value))
    if isinstance(value, str) and len(value.strip()) >= 2:
        return ("string", value)
    return None


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
        identity = _identity(resolve_pointer(obj.obj, pointer)) if obj is not None else None
        paths = user_set.get(identity, []) if identity else []
        if len(paths) == 1:
            rendered = finding.location
            finding = finding.with_(location=ctx.values.locate(paths[0]),
                                    notes=finding.notes + (f"rendered at {rendered.path}:{rendered.line}",))
        out.append(finding)
    return out
