"""`starter-lint values`: the effective values as YAML or JSON, optionally with provenance."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from ..findings import ValuesPath, format_path
from ..lazy_pattern import LazyPattern
from ..redact import redact_values, values_secrets
from ..report.escape import json_text, terminal
from ..tree import leaves
from .layers import LayeredValues

# A leaf's trailing comment (its provenance), or None for none
CommentFor = Callable[[ValuesPath], "str | None"]

_PLAIN_SAFE = LazyPattern(r"^[A-Za-z_/][A-Za-z0-9_./@:+-]*$")
_RESERVED = {
    "y",
    "Y",
    "yes",
    "Yes",
    "YES",
    "n",
    "N",
    "no",
    "No",
    "NO",
    "true",
    "True",
    "TRUE",
    "false",
    "False",
    "FALSE",
    "on",
    "On",
    "ON",
    "off",
    "Off",
    "OFF",
    "null",
    "Null",
    "NULL",
    "~",
    "<<",
}


def _scalar(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return json.dumps(value)
    text = str(value)
    if _PLAIN_SAFE.fullmatch(text) and text not in _RESERVED and not text.endswith(":"):
        return text
    return _double_quoted(text)


def _double_quoted(text: str) -> str:
    """A YAML double-quoted scalar: JSON's escapes, plus x/u escapes for what YAML may not print raw."""
    quoted = json.dumps(text, ensure_ascii=False)
    if quoted[1:-1].isprintable():
        return quoted
    return "".join(
        ch
        if ch.isprintable()
        else (
            f"\\x{ord(ch):02x}"
            if ord(ch) < 0x100
            else f"\\u{ord(ch):04x}"
            if ord(ch) < 0x10000
            else f"\\U{ord(ch):08x}"
        )
        for ch in quoted
    )


def _key(key: Any) -> str:
    return (
        _scalar(key)
        if not isinstance(key, str)
        else (
            key
            if _PLAIN_SAFE.fullmatch(key) and key not in _RESERVED and ":" not in key
            else _double_quoted(key)
        )
    )


def to_yaml(
    data: Any, comment: CommentFor | None = None, path: ValuesPath = (), indent: int = 0
) -> list[str]:
    """Block YAML lines; `comment(path)` may return a trailing comment for a leaf."""
    pad = "  " * indent
    lines: list[str] = []
    if isinstance(data, dict):
        if not data:
            return [pad + "{}"] if indent == 0 else []
        for key, value in data.items():
            child = path + (key,)
            if isinstance(value, dict) and value:
                lines.append(f"{pad}{_key(key)}:" + _comment(comment, child))
                lines.extend(to_yaml(value, comment, child, indent + 1))
            elif isinstance(value, list) and value:
                lines.append(f"{pad}{_key(key)}:" + _comment(comment, child))
                lines.extend(to_yaml(value, comment, child, indent))
            else:
                shown = (
                    "{}" if isinstance(value, dict) else "[]" if isinstance(value, list) else _scalar(value)
                )
                lines.append(f"{pad}{_key(key)}: {shown}" + _comment(comment, child))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            child = path + (i,)
            if isinstance(value, (dict, list)) and value:
                inner = to_yaml(value, comment, child, indent + 1)
                first = inner[0].lstrip()
                lines.append(f"{pad}- {first}")
                lines.extend(inner[1:])
            else:
                shown = (
                    "{}" if isinstance(value, dict) else "[]" if isinstance(value, list) else _scalar(value)
                )
                lines.append(f"{pad}- {shown}" + _comment(comment, child))
    else:
        lines.append(pad + _scalar(data))
    return lines


def _comment(comment: CommentFor | None, path: ValuesPath) -> str:
    if comment is None:
        return ""
    text = comment(path)
    # a file name or a --set expression (`b=1\n::error::…`) stays inside its one comment line
    return f"  # {terminal(text)}" if text else ""


def _nested(path: ValuesPath, data: Any) -> Any:
    for key in reversed(path):
        data = {key: data}
    return data


def render_values(
    layered: LayeredValues, fmt: str = "yaml", provenance: bool = False, show_secrets: bool = False
) -> str:
    # a secret is hidden wherever its value shows, also where an anchor or merge put it first
    secrets = set().union(*(values_secrets(layer.data) for layer in layered.layers))
    if layered.charts is not None:  # and wherever a subchart's values.yaml sets one, seen at its
        # own path (`secrets:` at a subchart's top is `<subchart>.secrets`, a component's secrets)
        for chart_path, node in layered.charts.enabled.items():
            secrets |= values_secrets(_nested(chart_path, node.defaults))
    values = layered.values if show_secrets else redact_values(layered.values, secrets)

    def describe(path: ValuesPath) -> str:
        origin = layered.origin(path)
        return origin.describe() if origin is not None else ""

    if fmt == "json":
        if provenance:
            document: Any = {
                "values": values,
                "provenance": {
                    format_path(p): describe(p) for p, _ in leaves(layered.values, empty_containers=True) if p
                },
            }
        else:
            document = values
        return json_text(json.dumps(document, indent=2, ensure_ascii=False)) + "\n"
    is_leaf = {p for p, _ in leaves(layered.values, empty_containers=True)}
    lines = to_yaml(values, (lambda p: describe(p) if p in is_leaf else None) if provenance else None)
    return "\n".join(lines) + "\n"
