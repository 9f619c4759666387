"""What the YAML loader hands back: positions (Span), notes (YamlNote), a loaded file
(LoadedYaml), and the light node tree (Node) the decoder reads and an alias points into."""

from __future__ import annotations

from typing import Any

from ..findings import ValuesPath
from ..records import field, record
from ..textio import YamlLoadError


@record(frozen=True)
class Span:
    """1-based start and end; the end column is one past the last character."""

    line: int
    col: int
    end_line: int
    end_col: int


@record(frozen=True)
class YamlNote:
    """Something legal but surprising the loader saw: the source of SL103/SL104 findings."""

    kind: str  # "duplicate-key" | "key-collision" | "ambiguous-scalar" | "ambiguous-key"
    path: ValuesPath  # values path of the affected key or value
    span: Span
    message: str
    fix_value: Any = None  # for ambiguous scalars: the value the author most likely meant
    has_fix: bool = False


class YamlSyntaxError(YamlLoadError):
    """The YAML parser refused the text (as opposed to a value Helm cannot use)."""


@record(frozen=True)
class OtherReading:
    """How the other Helm major reads a `-f` file that the two may read differently (one with
    several documents, a directive or a `---` line): Helm 3 reads the first document, Helm 4
    merges them all (docs/design/values.md)."""

    major: str  # "3" or "4": the major not followed by this run
    differing: tuple[ValuesPath, ...] = ()  # values paths whose effective value differs
    error: YamlLoadError | None = None  # the other major refuses the file
    line: int = 1  # where the readings part: the `---` line after the first content, or a directive
    data: dict[str, Any] = field(default_factory=dict, repr=False)  # its values: only to scrub secrets


@record
class LoadedYaml:
    """A YAML file as read: its data, the spans of its values and keys, its notes."""

    path: str
    data: dict[str, Any]
    spans: dict[ValuesPath, Span] = field(default_factory=dict)  # values path -> Span of the value
    key_spans: dict[ValuesPath, Span] = field(default_factory=dict)  # values path -> Span of its key
    notes: list[YamlNote] = field(default_factory=list)
    documents: int = 1  # documents with content (an empty or comment-only one is not counted)
    text: str = ""
    all_documents: bool = False  # read as Helm 4 reads a `-f` file: every document, merged
    other_reading: OtherReading | None = None  # how the other Helm major reads it, when it may differ
    alias_targets: dict[ValuesPath, Node] = field(
        default_factory=dict
    )  # values path of an alias -> anchored node

    def span_of(self, path: ValuesPath) -> Span | None:
        return self.spans.get(tuple(path))

    def origin_span(self, path: ValuesPath) -> Span | None:
        """Where the value at `path` is written when an alias (`*name`, at or above `path`)
        copied it: its node inside the anchored one, or the whole anchored node where the path
        cannot be followed there (a merge key inside it). None for a value not copied."""
        if not self.alias_targets:
            return None
        for cut in range(len(path), -1, -1):
            node = self.alias_targets.get(path[:cut])
            if node is not None:
                break
        else:
            return None
        for part in path[cut:]:
            child = child_node(node, part)
            if child is None:
                return node.span
            node = child.value if child.kind == "alias" else child
        return node.span


class Node:
    """One node of a document as the parser's events describe it, before any decoding."""

    __slots__ = ("anchor", "implicit", "kind", "span", "style", "tag", "value")

    def __init__(
        self,
        kind: str,
        tag: str | None,
        value: Any,
        style: str | None,
        span: Span,
        anchor: str | None,
        implicit: bool = False,
    ) -> None:
        self.kind = kind  # "scalar" | "seq" | "map" | "alias"
        self.tag = tag or ""
        self.value: Any = value  # str, list of child nodes, or the aliased node
        self.style = style
        self.span = span
        self.anchor = anchor
        self.implicit = implicit  # a plain scalar without a tag (or with the tag `!`)


def child_node(node: Node, part: object) -> Node | None:
    """The node of a map's key `part` (the last one written) or a list's item `part`; None when
    it is not written there (a merged or non-string key)."""
    if node.kind == "map" and isinstance(part, str):
        children: list[Node] = node.value  # key, value, key, value…
        for i in range(len(children) - 2, -1, -2):
            key = children[i]
            if key.kind == "scalar" and key.value == part and key.value != "<<":
                return children[i + 1]
    elif node.kind == "seq" and isinstance(part, int) and 0 <= part < len(node.value):
        item: Node = node.value[part]
        return item
    return None
