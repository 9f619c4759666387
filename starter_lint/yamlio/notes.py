"""The loader's notes (SL103/SL104): how it words what is legal YAML but surprising in Helm —
ambiguous scalars and keys (YAML 1.1 booleans, octals, leading zeros, lost digits), duplicate
keys, keys set before a merge, keys that collide once Helm turns them into strings."""

from __future__ import annotations

from typing import Any

from ..findings import ValuesPath, format_path
from ..lazy_pattern import LazyPattern
from .model import Node, YamlNote
from .resolve import helm_number, shown_key

_PLAIN_BOOLS = {"true", "True", "TRUE", "false", "False", "FALSE"}
_OCTAL_LOOKING = LazyPattern(r"^[-+]?0[0-9_]+$|^[-+]?0[oO][0-7_]+$")
# a decimal number written with a leading zero (`0800`, `09.5`): not octal in Go, read as 800, 9.5
_LEADING_ZERO = LazyPattern(r"[-+]?0[0-9_]")
_TRAILING_ZERO = LazyPattern(r"[-+]?[0-9]+\.[0-9]*0")


def where(path: ValuesPath) -> str:
    """A values path as messages name it."""
    return f"`{format_path(path)}`" if path else "the top level"


def ambiguous_scalar(node: Node, path: ValuesPath, text: str, value: Any) -> YamlNote | None:
    """The note on a plain scalar Helm reads otherwise than its author likely meant, if any."""
    if isinstance(value, bool) and text not in _PLAIN_BOOLS:
        meant = str(value).lower()
        message = f'`{text}` is read as the boolean {meant} (YAML 1.1); write {meant} for a boolean or "{text}" for a string'
        return YamlNote("ambiguous-scalar", path, node.span, message, fix_value=value, has_fix=True)
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if number and isinstance(value, int) and _OCTAL_LOOKING.match(text) and text.strip("+-0_oO") != "":
        message = f'`{text}` is read as the octal number {value}; quote it ("{text}") if you meant the digits, or write {value}'
    elif number and value != 0 and _LEADING_ZERO.match(text):
        shown = helm_number(value)
        message = (
            f"`{text}` is read as the number {shown} (a leading zero is dropped); quote it "
            f'("{text}") if you meant the digits, or write {shown}'
        )
    elif isinstance(value, float) and _TRAILING_ZERO.fullmatch(text):
        message = (
            f"`{text}` is read as the number {helm_number(value)!r}, so a version like `{text}` "
            f'loses its trailing zero; quote it ("{text}")'
        )
    elif number and isinstance(value, int) and abs(value) > 2**53:
        message = f'`{text}` is above 2^53 and Helm rounds it to {helm_number(value)}; quote it ("{text}") to keep every digit'
    else:
        return None
    return YamlNote("ambiguous-scalar", path, node.span, message, fix_value=text, has_fix=True)


def ambiguous_key(node: Node, parent: ValuesPath, raw: Any) -> YamlNote:
    """The note on a plain key that is not a string in YAML 1.1 (`yes:`, `1:`, `~:`)."""
    shown = shown_key(raw)
    kind = "the boolean" if isinstance(raw, bool) else "null" if raw is None else "the number"
    message = (
        f"the key `{node.value}` is read as {kind} {shown if raw is not None else ''}".rstrip()
        + f', so Helm stores it as "{shown}"; quote the key ("{node.value}")'
    )
    return YamlNote(
        "ambiguous-key", parent + (shown,), node.span, message, fix_value=node.value, has_fix=True
    )


def duplicate_key(key: Node, path: ValuesPath, raw: Any) -> YamlNote:
    """A key written twice in the mapping at `path`."""
    message = f"duplicate key `{shown_key(raw)}` in {where(path)}: Helm keeps the last one, other tools may keep the first"
    return YamlNote("duplicate-key", path + (shown_key(raw),), key.span, message)


def replaced_by_merge(key: Node, path: ValuesPath, raw: Any) -> YamlNote:
    """A key written before a merge key `<<` that merges the same key in (the merge wins)."""
    message = (
        f"`{shown_key(raw)}` is set before the merge key `<<` in {where(path)}, "
        f"so the merged value replaces it; put explicit keys after `<<`"
    )
    return YamlNote("duplicate-key", path + (shown_key(raw),), key.span, message)


def key_collision(key: Node, path: ValuesPath, text: str) -> YamlNote:
    """Keys of different YAML types that become the same string `text` in Helm."""
    message = (
        f"keys `{text}` of different YAML types collide in {where(path)} once "
        f"Helm turns them into strings; which one wins changes from run to run"
    )
    return YamlNote("key-collision", path + (text,), key.span, message)
