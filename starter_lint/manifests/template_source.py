"""What a chart's template writes for one rendered field: a literal, or which `.Values` it reads.

The trace (trace.py) matches a rendered scalar with the values a user file sets. An equal value
alone is not proof: `replicas: 1` written in the template equals any other key set to 1. The
template that rendered the object (Helm's `# Source:` comment) says more: the line that writes
the field at its whole key path (`spec/replicas`; `containers/*/env/*/value`, not an
initContainer's `value:`), rebuilt from indentation, either holds a literal — then no values line
set it — or `{{ … }}` actions whose `.Values` references name the candidates. A static reading
with no template parser (template_refs.py), so it only narrows: where the line cannot be told
(none, or several, at that path; an `include` or `toYaml` above the field that could have written
it; a block scalar), the caller keeps its other evidence.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from functools import lru_cache
from typing import Any

from ..pointer import tokens
from ..records import field, record
from ..template_refs import (
    EVERYTHING,
    TemplatePath,
    calls_tpl,
    prefix_matches,
    references_at,
    template_actions,
    template_references,
)

# a line's list dashes, then its key (plain, quoted or an action) and the value after `: `, found
# with str methods and fixed patterns: templates are input, and a lazy key or value pattern was
# quadratic in a run of spaces
_INDENT = re.compile(r"[ \t]*")
_DASH = re.compile(r"-(?:[ \t]+|\Z)")
_COLON = re.compile(r":(?=[ \t]|\Z)")
# an action that writes nothing: control flow, an assignment, a comment
_CONTROL = re.compile(r"\s*(?:(?:if|else|end|range|with|define)\b|/\*|\$\w*\s*:?=)")
_COMMENT = re.compile(r"[ \t]#")  # where a comment starts (fixed width: linear on long blanks)
# the fraction only after a dot: `\d+\.?\d*` split a long run of digits every way (quadratic)
_NUMBER = re.compile(r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?\Z")


@record
class FieldSource:
    """What the template writes for one field. `literal`: a line writes it as a plain value equal
    to the rendered one and no line writes it from an action. `refs`: the values paths (in the
    target's values) the actions on its key's lines read; empty when none can be told.
    `reads`: every values path the chart's templates read (None: any, as with `tpl` or
    `toYaml .Values`), so that an equal value no template reads is no candidate."""

    literal: bool = False
    refs: set[tuple] = field(default_factory=set)
    reads: set[tuple] | None = None
    # the line composes the field from more than one values path (`{{ .repo }}:{{ .tag }}`): no
    # one of them is where the user fixes it
    composed: bool = False

    def may_read(self, path: tuple) -> bool:
        return self.reads is None or any(prefix_matches(ref, path) for ref in self.reads)

    def writes(self, path: tuple) -> bool:
        return any(prefix_matches(ref, path) for ref in self.refs)


def _chart_of(ctx: Any, template: str) -> tuple[tuple, Any, str] | None:
    """(values prefix, chart node, path below its templates/) of Helm's `# Source:` name: the
    root chart's `<name>/templates/x.yaml`, an enabled subchart's `<name>/charts/<key>/templates/…`."""
    charts = getattr(getattr(ctx, "values", None), "charts", None)
    if getattr(ctx, "chart", None) is None or charts is None:
        return None
    root = charts.enabled.get(())
    if root is None:
        return None
    for prefix, node in charts.enabled.items():
        head = root.name + "".join(f"/charts/{key}" for key in prefix) + "/templates/"
        if template.startswith(head):
            return prefix, node, template[len(head) :]
    return None


def _in_values(prefix: tuple, refs: set[TemplatePath]) -> set[tuple]:
    """A subchart's `.Values.x` as the target's values path `<its key>.x` (and a global as the
    chart's own `global.x`, which Helm copies down)."""
    found = {prefix + ref for ref in refs}
    return found | {ref for ref in refs if prefix and ref[:1] == ("global",)}


@lru_cache(maxsize=1024)
def _scan(text: str) -> tuple[frozenset[TemplatePath], bool]:
    """(values paths `text` reads, whether it calls `tpl`): once per template text in a process
    (a bounded cache), not per finding."""
    return frozenset(template_references(text)), calls_tpl(text)


def chart_reads(ctx: Any) -> set[tuple] | None:
    """Every values path any template of the rendered charts may read, None for any: each chart's
    references under its key and, as named templates are shared by all the charts, as the root
    chart's too (an over-reading is safe: it only keeps a candidate)."""
    charts = getattr(getattr(ctx, "values", None), "charts", None)
    if getattr(ctx, "chart", None) is None or charts is None:
        return None
    reads: set[tuple] = set()
    for prefix, node in charts.enabled.items():
        for text in node.templates.values():
            refs, tpl = _scan(text)
            if tpl or EVERYTHING in refs:
                return None
            reads |= _in_values(prefix, set(refs)) | set(refs)
    return reads


def _uncommented(value: str) -> str:
    comment = _COMMENT.search(value)
    return value[: comment.start()].rstrip() if comment else value


def _scalar(text: str) -> Any:
    """A plain YAML scalar as written: quotes removed, a number read as one."""
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        return text[1:-1]
    if _NUMBER.match(text):
        return float(text)
    return text


def _same(rendered: Any, written: Any) -> bool:
    if isinstance(rendered, bool) or rendered is None:
        return False
    if isinstance(rendered, (int, float)) and isinstance(written, float):
        return float(rendered) == written
    return str(rendered) == str(written)


@record(frozen=True)
class _KeyLine:
    path: tuple[str, ...]  # the keys from the document's root, `*` for a list item or an action key
    parent: int  # which mapping holds the key (an output action in the same one cannot write it too)
    value: str  # what follows `key:` on the line, stripped ("" when the value is below)
    start: int  # offsets of the value in the template
    end: int


def _key_at(line: str, pos: int) -> tuple[str, str, int] | None:
    """(key, value stripped, the value's offset in `line`) of a `key: value` at `pos`, or None."""
    rest = line[pos:]
    if rest.startswith("{{"):
        name, after = "*", rest.find("}}") + 2
    elif rest[:1] in ("\"", "'"):
        name, after = rest[1 : rest.find(rest[0], 1)], rest.find(rest[0], 1) + 1
    elif rest[:1] in ("", "#", "{", "[", "-"):
        return None
    else:
        colon = _COLON.search(rest)
        if colon is None:
            return None
        name, after = rest[: colon.start()].strip(), colon.start()
    if after <= 0:
        return None
    after = _INDENT.match(rest, after).end()  # type: ignore[union-attr]
    if not _COLON.match(rest, after):
        return None
    start = _INDENT.match(rest, after + 1).end()  # type: ignore[union-attr]
    return name, rest[start:].strip(), pos + start


def _emits(rest: str) -> bool:
    """Whether an action-only line writes output (`{{ include … | nindent 4 }}`, `{{ toYaml . }}`):
    template_refs' linear scan, where a lazy `{{(.*?)}}` retried from every `{{` that no `}}`
    follows (a 20k-character line of them took 28 s)."""
    return any(not _CONTROL.match(body) for body in template_actions(rest))


def _closes(open_key: tuple[int, str], column: int, item: bool) -> bool:
    """Whether a line starting at `column` ends `open_key`: a key at its column or left of it; a
    list item only a sibling item there (`containers:` then `- name:` in its column opens a list)."""
    if item:
        return open_key[0] > column or (open_key[0] == column and open_key[1] == "*")
    return open_key[0] >= column


def _layout(text: str) -> tuple[tuple[_KeyLine, ...], tuple[tuple[tuple[str, ...], int], ...]]:
    """(each key line with its key path, (path, mapping) of each action-only line writing output),
    the paths rebuilt from indentation: a static reading, so it only says what the lines show."""
    lines: list[_KeyLine] = []
    emitters: list[tuple[tuple[str, ...], int]] = []
    stack: list[tuple[int, str, int]] = []  # (column, key, id) of the nodes open above the line
    block: int | None = None  # a block scalar's key column: deeper lines are its text
    offset = 0
    for line in text.split("\n"):
        at, offset = offset, offset + len(line) + 1
        pos = _INDENT.match(line).end()  # type: ignore[union-attr]
        rest = line[pos:].rstrip()
        if block is not None and (not rest or pos > block):
            continue
        block = None
        if not rest or rest.startswith("#"):
            continue
        if rest.startswith("---"):
            stack = []
            continue
        dashes = []
        while dash := _DASH.match(line, pos):
            dashes.append(pos)
            pos = dash.end()
        key = _key_at(line, pos)
        first = dashes[0] if dashes else pos
        if key is None:
            if line[pos:].startswith("{{") and _emits(line[pos:]):
                above = [entry for entry in stack if entry[0] < first]
                path = tuple(entry[1] for entry in above) + ("*",) * len(dashes)
                emitters.append((path, -1 if dashes else above[-1][2] if above else 0))
            continue
        while stack and _closes(stack[-1][:2], first, bool(dashes)):
            stack.pop()
        stack.extend((column, "*", at + column + 1) for column in dashes)
        parent = stack[-1][2] if stack else 0
        name, value, start = key
        stack.append((pos, name, at + pos + 1))
        if value[:1] in ("|", ">"):
            block = pos
        lines.append(_KeyLine(tuple(entry[1] for entry in stack), parent, value, at + start, at + len(line)))
    return tuple(lines), tuple(emitters)


class _PathNode:
    """One key path of a template's lines, `*` a list item or an action key: the key lines that
    end here and the mappings (ids) holding the output actions at this path."""

    __slots__ = ("children", "emitters", "lines")

    def __init__(self) -> None:
        self.children: dict[str, _PathNode] = {}
        self.lines: list[_KeyLine] = []
        self.emitters: set[int] = set()

    def at(self, path: tuple[str, ...]) -> _PathNode:
        node = self
        for key in path:
            node = node.children.setdefault(key, _PathNode())
        return node


@record(frozen=True)
class _Parsed:
    """A template read once per text in a process (a bounded cache): its key paths as a tree, its
    actions' offsets in order and the values paths each reads, so that a finding costs its
    path's depth and a bisect, not a pass over every line and every action (a 5 MB template
    times every finding)."""

    paths: _PathNode
    starts: tuple[int, ...]
    refs: tuple[frozenset[TemplatePath], ...]


@lru_cache(maxsize=256)
def _parsed(text: str) -> _Parsed:
    key_lines, emitters = _layout(text)
    paths = _PathNode()
    for line in key_lines:
        paths.at(line.path).lines.append(line)
    for path, held in emitters:
        paths.at(path).emitters.add(held)
    actions = sorted(((start, frozenset(refs)) for start, refs in references_at(text)), key=lambda a: a[0])
    return _Parsed(paths, tuple(start for start, _ in actions), tuple(refs for _, refs in actions))


@lru_cache(maxsize=4096)
def _field_line(text: str, want: tuple[str, ...]) -> _KeyLine | None:
    """The one key line at `want`'s whole path (a template's `*` matches any key, a rendered list
    index only a `*`), None when there are none or several, or when an output action at a path
    above could write the field instead, unless it is in the line's own mapping (the same key
    twice there is no valid YAML). Once per template and path in a process (a bounded cache)."""
    level = [_parsed(text).paths]
    held: set[int] = set()
    for key in want:
        held.update(*(node.emitters for node in level))
        level = [
            child
            for node in level
            for child in (node.children.get(key) if key != "*" else None, node.children.get("*"))
            if child is not None
        ]
    held.update(*(node.emitters for node in level))
    lines = [line for node in level for line in node.lines[:2]]
    if len(lines) != 1:
        return None
    [line] = lines
    return None if held - {line.parent} else line


def field_source(
    ctx: Any, template: str, pointer: str, rendered: Any, reads: set[tuple] | None
) -> FieldSource | None:
    """What `template` writes at `pointer` (whose rendered value is `rendered`); None when the
    template is not one of the target's chart (the caller keeps matching values alone).
    `reads`: chart_reads(ctx), computed once per target. Only one line at the field's whole key
    path (`containers/*/env/*/value`, not `initContainers/…`), with no output action above the
    field that could have written it instead, narrows; anything else tells nothing."""
    found = _chart_of(ctx, template)
    if found is None:
        return None
    prefix, node, below = found
    texts = [text for shown, text in node.templates.items() if shown.endswith("/templates/" + below)]
    if len(texts) != 1:
        return None
    text = texts[0]
    source = FieldSource(reads=reads)
    want = tuple("*" if token.isdigit() else token for token in tokens(pointer))
    if not want or want[-1] == "*":
        return source
    line = _field_line(text, want)
    if line is None:
        return source
    if "{{" in line.value:
        parsed = _parsed(text)
        on_line = slice(bisect_left(parsed.starts, line.start), bisect_left(parsed.starts, line.end))
        actions = [refs for refs in parsed.refs[on_line] if refs]
        for refs in actions:
            source.refs |= _in_values(prefix, set(refs))
        source.composed = len(set().union(*actions)) > 1 if actions else False
    elif line.value and line.value[0] not in "|>":
        source.literal = _same(rendered, _scalar(_uncommented(line.value)))
    return source
