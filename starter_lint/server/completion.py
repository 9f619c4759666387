"""Completion of the values contract's keys and of the values it allows (docs/editor.md).

The contract is schemas/values.schema.json (`starter-lint schema`). An editor asks for completion
while the text is being typed, so it is usually not valid YAML: the mapping path at the cursor is
read from the indentation of the lines above it (`- ` list items included), never by parsing.
Lines inside a block scalar (`key: |`) are text, not keys. At a key position the completions are
the properties the schema defines at that path and the file does not already set there; after
`key:` they are the `enum` / `const` values of that property (a boolean: true and false), written
as YAML that Helm reads as that value (`"true"` for the string, `aws_sm` plain).

The schema's `$ref`, `allOf`, `anyOf`/`oneOf` (the union of their branches), `items`,
`properties`, `patternProperties` and `additionalProperties` are followed; `if`/`then`, `not` and
`dependencies` (which the contract does not use) are not. Flow collections (`{a: 1, b: |}`) get
no completion.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from lsprotocol import types

from ..gofmt import helm_string
from ..records import record
from ..validate.values_schema import contract_schema
from ..yamlio import YamlLoadError, resolve_plain
from .positions import TextPositions

ITEM = None  # a list item in a path (keys are strings)
Path = tuple[str | None, ...]

_LSP_LINE_BREAK = re.compile("\r\n|[\r\n]")
_KEY = re.compile(
    r"""(?P<key>"(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|[^\s#'"\[\]{},&*!|>%@`?:-][^#]*?|-[^\s#][^#]*?)"""
    r"""[ \t]*:(?=[ \t]|$)"""
)
_BLOCK_SCALAR = re.compile(r"^(?:[&!]\S*[ \t]+)*[|>][-+0-9]*$")
_PLAIN_SAFE = re.compile(r"[A-Za-z0-9_./@+][A-Za-z0-9_./@+-]*")
_WORD_TAIL = re.compile(r"[^\s:#]*")
_VALUE_TAIL = re.compile(r"[^\s#]*")


@record(frozen=True)
class _Line:
    """The structure of one line: its dashes and key, each with its column (code points)."""

    tokens: tuple[tuple[int, str | None], ...]  # (column, key), key None for a `- `
    value: str  # what follows the last key's colon (or the line's scalar), comment removed


def _unquote(key: str) -> str:
    if key.startswith('"'):
        try:
            return str(json.loads(key))
        except ValueError:
            return key[1:-1]
    if key.startswith("'"):
        return key[1:-1].replace("''", "'")
    return key


def _parse(line: str) -> _Line | None:
    """A line's dashes and key; None for a blank or comment-only line."""
    col = len(line) - len(line.lstrip(" "))
    rest = line[col:]
    if not rest.strip() or rest.startswith("#"):
        return None
    tokens: list[tuple[int, str | None]] = []
    while rest.startswith("-") and (len(rest) == 1 or rest[1] in " \t"):
        width = len(rest) - len(rest[1:].lstrip(" \t"))
        tokens.append((col, ITEM))
        col, rest = col + width, rest[width:]
    match = _KEY.match(rest)
    if match is not None:
        tokens.append((col, _unquote(match.group("key"))))
        rest = rest[match.end() :]
    value = re.split(r"(?:^|[ \t])#", rest, maxsplit=1)[0].strip()
    return _Line(tuple(tokens), value)


_TEXT = _Line((), "")  # a line of a block scalar or of a flow collection: no keys of its own


def _flow_depth(value: str) -> int:
    """How many flow collections (`{`, `[`) a value leaves open (quotes not followed: a guess
    that errs towards offering nothing)."""
    return value.count("{") + value.count("[") - value.count("}") - value.count("]")


def _structure(lines: list[str], cursor: int) -> list[_Line | None]:
    """Each line's structure: None for blank and comment lines, _TEXT for the text of a block
    scalar or of a flow collection left open, a _Line without tokens and value `---` for a document
    marker. The cursor's line counts as blank only up to the cursor's indentation."""
    out: list[_Line | None] = []
    # a block scalar's lines, and a flow collection's next lines, are indented deeper than the
    # key they belong to (a shallower line ends them, closed or not: the text is being edited)
    text_above: int | None = None
    flow, block = 0, False  # flow collections left open; in a block scalar
    for index, line in enumerate(lines):
        indent = len(line) - len(line.lstrip(" "))
        if text_above is not None:
            if (not line.strip() and index != cursor) or indent > text_above:
                out.append(_TEXT)
                flow += _flow_depth(line)
                if flow <= 0 and not block:
                    text_above = None
                continue
            text_above = None
        if line.rstrip() in ("---", "...") or line.startswith(("--- ", "... ")):
            out.append(_Line((), "---"))
            continue
        parsed = _parse(line)
        out.append(parsed)
        if parsed is None:
            continue
        own = parsed.tokens[-1][0] if parsed.tokens else indent
        block = _BLOCK_SCALAR.match(parsed.value) is not None
        flow = 0 if block else _flow_depth(parsed.value) if parsed.value.startswith(("{", "[")) else 0
        if block or flow > 0:
            text_above = own
    return out


# ---------------------------------------------------------------------------------------------
# The schema at a path


def _branches(schema: Any, depth: int = 0) -> Iterator[dict]:
    """The schema and every subschema that applies with it: `$ref` targets, `allOf` members and
    the branches of `anyOf` / `oneOf` (any of them may be the one the user means)."""
    if not isinstance(schema, dict) or depth > 20:
        return
    yield schema
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/"):
        target: Any = contract_schema()
        for part in ref[2:].split("/"):
            target = (
                target.get(part.replace("~1", "/").replace("~0", "~")) if isinstance(target, dict) else None
            )
        yield from _branches(target, depth + 1)
    for keyword in ("allOf", "anyOf", "oneOf"):
        for member in schema.get(keyword) or ():
            yield from _branches(member, depth + 1)


def _children(schema: dict, part: str | None) -> Iterator[dict]:
    for branch in _branches(schema):
        if part is ITEM:
            if isinstance(branch.get("items"), dict):
                yield branch["items"]
            continue
        properties = branch.get("properties") or {}
        if part in properties:
            yield properties[part]
            continue
        matched = [s for p, s in (branch.get("patternProperties") or {}).items() if re.search(p, part)]
        yield from matched
        if not matched and isinstance(branch.get("additionalProperties"), dict):
            yield branch["additionalProperties"]


@lru_cache(maxsize=512)
def _schemas_at(path: Path) -> tuple[dict, ...]:
    nodes: list[dict] = [contract_schema()]
    for part in path:
        nodes = [child for node in nodes for child in _children(node, part)]
    return tuple(nodes)


def _type_of(schemas: list[dict]) -> str:
    names: list[str] = []
    for schema in schemas:
        for branch in _branches(schema):
            declared = branch.get("type")
            if declared is None and "properties" in branch:
                declared = "object"
            for name in [declared] if isinstance(declared, str) else declared or []:
                if name not in names:
                    names.append(name)
    return " | ".join(names)


def _description(schemas: list[dict]) -> str:
    for schema in schemas:
        for branch in _branches(schema):
            if isinstance(branch.get("description"), str):
                return str(branch["description"])
    return ""


@lru_cache(maxsize=512)
def _keys_at(path: Path) -> tuple[tuple[str, str, str], ...]:
    """(key, type, description) of each property the schema defines at `path`."""
    by_key: dict[str, list[dict]] = {}
    for node in _schemas_at(path):
        for branch in _branches(node):
            for key, schema in (branch.get("properties") or {}).items():
                by_key.setdefault(key, []).append(schema)
    return tuple((key, _type_of(schemas), _description(schemas)) for key, schemas in by_key.items())


def yaml_scalar(value: Any) -> str:
    """The YAML text Helm reads as `value`: plain where that reads back as the same string,
    else double-quoted (a JSON string is a YAML double-quoted scalar)."""
    if isinstance(value, str):
        try:
            plain = _PLAIN_SAFE.fullmatch(value) is not None and resolve_plain(value) == value
        except (YamlLoadError, ValueError):
            plain = False
        return value if plain else json.dumps(value, ensure_ascii=False)
    return json.dumps(value)


@lru_cache(maxsize=512)
def _values_at(path: Path) -> tuple[tuple[str, str], ...]:
    """(YAML text, description) of each value the schema allows at `path`: its `enum` and
    `const` values, or true and false for a boolean. A non-string that renders as one of the
    strings (true beside "true", for an env value that is a string in Kubernetes) is left out."""
    values: list[Any] = []
    schemas = list(_schemas_at(path))
    for node in schemas:
        for branch in _branches(node):
            values += list(branch.get("enum") or [])
            if "const" in branch:
                values.append(branch["const"])
    if not values and _type_of(schemas) == "boolean":
        values = [True, False]
    strings = {v for v in values if isinstance(v, str)}
    out: list[tuple[str, str]] = []
    for value in values:
        if not isinstance(value, str) and helm_string(value) in strings:
            continue
        text = yaml_scalar(value)
        if all(text != seen for seen, _ in out):
            out.append((text, _description(schemas)))
    return tuple(out)


# ---------------------------------------------------------------------------------------------
# Where the cursor is


def _path_above(structure: list[_Line | None], line: int, column: int, dash: bool) -> tuple[Path, set[str]]:
    """The mapping path of a key at `column` on `line` (`dash`: the column is a `- ` on that
    line, the key's list item), read upward by indentation, and the sibling keys above it."""
    reversed_path: list[str | None] = []
    present: set[str] = set()
    threshold, from_dash = column, dash
    for parsed in reversed(structure[:line]):
        if parsed is None:
            continue
        if parsed.value == "---" and not parsed.tokens:
            break  # the document starts here
        tokens = parsed.tokens
        for index in range(len(tokens) - 1, -1, -1):
            col, key = tokens[index]
            last = index == len(tokens) - 1
            # a key at a list's own column opens it (`hosts:` / `- host: a`, a compact list)
            opens_list = from_dash and col == threshold and key is not ITEM and last and not parsed.value
            if col < threshold or opens_list:
                reversed_path.append(key)
                threshold, from_dash = col, key is ITEM
            elif not reversed_path and not dash and col == column and key is not ITEM:
                present.add(key)
        if reversed_path and threshold == 0 and not from_dash:
            break  # a top-level key: nothing is above it
    return tuple(reversed(reversed_path)), present


def _present_below(
    structure: list[_Line | None], line: int, column: int, item_column: int | None
) -> set[str]:
    """The keys at `column` on the lines after `line`, up to the end of that mapping."""
    present: set[str] = set()
    for parsed in structure[line + 1 :]:
        if parsed is None:
            continue
        if not parsed.tokens:
            if parsed.value == "---":
                break
            continue
        first = parsed.tokens[0][0]
        if first < column or (item_column is not None and first <= item_column):
            break
        present.update(key for col, key in parsed.tokens if col == column and key is not ITEM)
    return present


def _cursor(text: str, position: types.Position) -> tuple[TextPositions, int]:
    """The document's positions and the cursor's offset (past the last line: the text's end)."""
    positions = TextPositions(text)
    if position.line >= len(_LSP_LINE_BREAK.findall(text)) + 1:
        return positions, len(text)
    return positions, positions.offset_at(position)


def _edit(positions: TextPositions, start: int, end: int, text: str) -> types.TextEdit:
    return types.TextEdit(
        range=types.Range(start=positions.position_of(start), end=positions.position_of(end)), new_text=text
    )


def complete(text: str, position: types.Position) -> list[types.CompletionItem]:
    """Completion items for the cursor at `position` in `text` (an editor's unsaved text)."""
    positions, offset = _cursor(text, position)
    line_start = max(text.rfind("\n", 0, offset), text.rfind("\r", 0, offset)) + 1
    lines = _LSP_LINE_BREAK.split(text)
    line = len(_LSP_LINE_BREAK.findall(text, 0, line_start))
    structure = _structure(lines, line)
    if structure[line] is _TEXT or (structure[line] is None and lines[line].strip()):
        return []  # inside a block scalar or a flow collection, or in a comment
    before, after = text[line_start:offset], lines[line][offset - line_start :]
    indent = len(before) - len(before.lstrip(" "))
    column, rest = indent, before[indent:]
    dashes: list[int] = []
    while rest[:2] in ("- ", "-\t"):  # (a `-` just typed is not yet a list item)
        width = len(rest) - len(rest[1:].lstrip(" \t"))
        dashes.append(column)
        column, rest = column + width, rest[width:]
    match = _KEY.match(rest)
    if match is not None:
        value = rest[match.end() :]
        if value.lstrip(" \t").startswith(("{", "[", "|", ">", "&", "!", "*", "#")):
            return []
        path = _path(structure, line, column, dashes) + (_unquote(match.group("key")),)
        start = offset - len(value.lstrip(" \t"))
        end = offset + len(_VALUE_TAIL.match(after).group())  # type: ignore[union-attr]
        space = "" if value[:1] in (" ", "\t") else " "
        return _value_items(positions, path, start, end, space, value.lstrip(" \t"))
    if rest.startswith("-") or any(char in rest for char in ":#{}[],") or " " in rest.strip():
        return []  # a scalar, a comment or a flow collection: no key is being typed here
    path = _path(structure, line, column, dashes)
    present = _path_above(structure, line, column, False)[1] if not dashes else set()
    present |= _present_below(structure, line, column, dashes[0] if dashes else None)
    tail = _WORD_TAIL.match(after).group()  # type: ignore[union-attr]
    renaming = after[len(tail) :].lstrip(" \t").startswith(":")
    start, end = offset - len(rest), offset + len(tail)
    items = _key_items(positions, path, present, start, end, renaming)
    if dashes and not items:  # `- ` and a scalar: the values the list's items may take
        items = _value_items(positions, path, start, end, "", rest)
    return items


def _path(structure: list[_Line | None], line: int, column: int, dashes: list[int]) -> Path:
    """The path of the mapping a key at `column` on `line` belongs to (its own `- `s included)."""
    if dashes:
        outer, _ = _path_above(structure, line, dashes[0], True)
        return outer + (ITEM,) * len(dashes)
    return _path_above(structure, line, column, False)[0]


def _key_items(
    positions: TextPositions, path: Path, present: set[str], start: int, end: int, renaming: bool
) -> list[types.CompletionItem]:
    items = []
    for key, kind, description in _keys_at(path):
        if key in present:
            continue
        written = yaml_scalar(key)
        suffix = "" if renaming else (":" if kind in ("object", "array") else ": ")
        items.append(
            types.CompletionItem(
                label=key,
                kind=types.CompletionItemKind.Property,
                detail=kind or None,
                documentation=description or None,
                filter_text=written,
                text_edit=_edit(positions, start, end, written + suffix),
            )
        )
    return items


def _value_items(
    positions: TextPositions, path: Path, start: int, end: int, space: str, typed: str
) -> list[types.CompletionItem]:
    return [
        types.CompletionItem(
            label=text,
            kind=types.CompletionItemKind.EnumMember,
            documentation=description or None,
            filter_text=text if typed.startswith(('"', "'")) else text.strip('"'),
            text_edit=_edit(positions, start, end, space + text),
        )
        for text, description in _values_at(path)
    ]
