"""YAML text -> parser events -> a light node tree per document (Node), with positions.

Events come from libyaml (PyYAML's C parser: the C library go-yaml v2 is a port of, and fast),
or, where libyaml 0.2 is more lenient than go-yaml or refuses a text, from ruamel.yaml's pure
parser with go-yaml's scanner rules (`goyaml_scanner.py`). Tags are kept as text and nothing is
constructed, so no tag can build a Python object; aliases point at their anchored node and are
expanded (under a budget) only by the decoder. The tree is built iteratively, so deep nesting
cannot exhaust the Python stack.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator
from typing import Any

from ..lazy_pattern import LazyPattern
from ..textio import LINE_BREAK, MAX_DEPTH, YamlLoadError
from .model import Node, Span, YamlSyntaxError


def _mark_error(exc: Exception, line_offset: int) -> YamlLoadError:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).strip().splitlines()[0]
    context = getattr(exc, "context", None)
    message = f"{context}, {problem}" if context and problem and context not in problem else str(problem)
    if mark is not None:
        return YamlLoadError(message, mark.line + 1 + line_offset, mark.column + 1)
    return YamlLoadError(message)


EVENT_BACKEND: str | None = None  # "libyaml" | "ruamel" | None: libyaml when PyYAML has it


def event_backend() -> str:
    """libyaml (PyYAML's C parser) is the C library go-yaml was ported from, and ~20x faster than
    the pure-Python parser; ruamel.yaml with the go-yaml scanner fixes is the fallback."""
    if EVENT_BACKEND:
        return EVENT_BACKEND
    try:
        import yaml  # deferred: PyYAML is imported only when a text is parsed

        return "libyaml" if getattr(yaml, "__with_libyaml__", False) else "ruamel"
    except ImportError:  # pragma: no cover - PyYAML is a dependency
        return "ruamel"


def _ruamel_events(text: str) -> Iterator[Any]:
    from ruamel.yaml import YAML  # deferred: ruamel.yaml only for texts libyaml cannot read as go-yaml

    from .goyaml_scanner import GoYamlReader, GoYamlScanner  # deferred: imports ruamel.yaml

    yaml = YAML(typ="safe", pure=True)
    yaml.Reader = GoYamlReader
    yaml.Scanner = GoYamlScanner
    yaml.version = (1, 1)  # the parser's YAML 1.1 rules: no empty implicit keys, `...` ends the stream
    for event in yaml.parse(text):
        if type(event).__name__ == "ScalarEvent":
            event.implicit = (event.style is None and not event.tag) or event.tag == "!"
        yield event


def _libyaml_events(text: str) -> Iterator[Any]:
    import yaml  # deferred: PyYAML is imported only when a text is parsed

    event: Any  # a scalar's `implicit` and `style` are rewritten to the ruamel path's shape
    for event in yaml.parse(text, Loader=yaml.CSafeLoader):
        if type(event).__name__ == "ScalarEvent":
            event.implicit = bool(event.implicit[0])
            event.style = event.style or None
        yield event


# Where libyaml 0.2 (newer than the libyaml go-yaml was ported from) is more lenient than go-yaml:
# `?` before a `]` or `}` on its line, or after a `[` or `{` (`?` inside flow plain scalars), a
# byte order mark after the start, `,[]{}` after a `!` in one word (tags). Such texts, and any
# text libyaml refuses, are read with the go-yaml-exact ruamel path instead.
# Each alternative starts only where a line or a word starts (`^`, `(?<!\S)`) and runs through
# it once, so the search is linear: an unanchored `\?[^\n]*[\]}]` restarts at every `?` and
# takes quadratic time on one long line of `?`, `[` or `!` (200 KB of `[`: 79 s).
_LIBYAML_LENIENT = LazyPattern(
    r"^[^\n?]*\?[^\n]*[\]}]|^[^\n\[{]*[\[{][^\n]*\?|.\ufeff|(?<!\S)[^\s!]*!\S*[,\[\]{}]", re.S | re.M
)


# The pure-Python go-yaml path reads some ten thousand tokens a second: beyond this size, a text
# libyaml reads (or refuses) keeps libyaml's verdict, so that a stranger's 4 MB file cannot buy
# minutes of it with one `?` or one syntax error. Smaller texts get go-yaml's exact verdict.
MAX_GOYAML_PATH_CHARS = 256 * 1024


def document_roots(text: str, limit: int | None, line_offset: int = 0) -> Iterator[Node | None]:
    """Yield the root node of each document (None for an empty one); at most `limit` of them."""
    if event_backend() == "ruamel" or (len(text) <= MAX_GOYAML_PATH_CHARS and _LIBYAML_LENIENT.search(text)):
        yield from _ruamel_documents(text, limit, line_offset)
        return
    import yaml  # deferred: PyYAML is imported only when a text is parsed

    produced = 0
    try:
        for root in _documents_from(_libyaml_events(text), yaml.YAMLError, text, limit, line_offset):
            produced += 1
            yield root
    except YamlSyntaxError as exc:
        if produced:
            raise
        _refuse_if_too_deep(exc)  # libyaml's own limit (1000) is above ours
        if len(text) > MAX_GOYAML_PATH_CHARS:
            raise
        yield from _ruamel_documents(text, limit, line_offset)


def _ruamel_documents(text: str, limit: int | None, line_offset: int) -> Iterator[Node | None]:
    from ruamel.yaml.error import (
        YAMLError,
    )  # deferred: ruamel.yaml only for texts libyaml cannot read as go-yaml

    try:
        yield from _documents_from(_ruamel_events(text), YAMLError, text, limit, line_offset)
    except YamlSyntaxError as exc:
        _refuse_if_too_deep(exc)  # the go-yaml scanner stops at our limit (goyaml_scanner.py)
        raise


def _refuse_if_too_deep(exc: YamlSyntaxError) -> None:
    """A scanner's own nesting limit, reported as the loader's."""
    if "maximum nesting depth" in exc.message:
        raise YamlLoadError(f"nesting deeper than {MAX_DEPTH} levels", exc.line, exc.col) from None


def _line_starts(text: str) -> list[int]:
    """Where each line of `text` starts, lines cut where the parsers cut them; a leading byte
    order mark is not in line 1's columns."""
    return [1 if text.startswith("\ufeff") else 0] + [m.end() for m in LINE_BREAK.finditer(text)]


def _refuse_slash_escape(text: str, starts: list[int], start: Any, end: Any, line_offset: int) -> None:
    """`\\/` in a double-quoted scalar: YAML 1.2 reads it as `/` (so do libyaml and ruamel), but
    go-yaml v2 is YAML 1.1 and refuses it ("found unknown escape character"), and so does Helm."""
    first = starts[start.line] + start.column
    raw = text[first : starts[end.line] + end.column]
    at = raw.find("\\")
    while at != -1:
        if raw[at + 1 : at + 2] == "/":
            line = bisect.bisect_right(starts, first + at) - 1
            raise YamlSyntaxError(
                "while parsing a quoted scalar, found unknown escape character (go-yaml reads YAML 1.1, "
                "which has no \\/ escape: write /)",
                line + 1 + line_offset,
                first + at - starts[line] + 1,
            )
        at = raw.find("\\", at + 2)  # an escaped character never starts another escape


def _documents_from(
    iterator: Iterator[Any], parser_error: type[Exception], text: str, limit: int | None, line_offset: int
) -> Iterator[Node | None]:
    """The node trees of `iterator`'s events; `parser_error` is its parser's error class (each
    path names its own, so that reading with libyaml does not import ruamel.yaml)."""

    def span(start: Any, end: Any) -> Span:  # the marks of either parser
        return Span(
            start.line + 1 + line_offset, start.column + 1, end.line + 1 + line_offset, end.column + 1
        )

    anchors: dict[str, Node] = {}
    starts: list[int] = []
    stack: list[Node] = []
    root: Node | None = None
    produced = 0
    while True:
        try:
            event = next(iterator)
        except StopIteration:
            return
        except parser_error as exc:
            if getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None):
                error = _mark_error(exc, line_offset)
                raise YamlSyntaxError(error.message, error.line, error.col) from None
            position = getattr(exc, "position", None)
            line = text.count("\n", 0, position) + 1 + line_offset if isinstance(position, int) else 1
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise YamlSyntaxError(first, line, 1) from None
        except (ValueError, TypeError, AttributeError, IndexError, KeyError, AssertionError) as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise YamlSyntaxError(f"invalid YAML: {first}") from None
        etype = type(event).__name__
        if etype == "DocumentStartEvent":
            version = getattr(event, "version", None)
            if version is not None and tuple(version) != (1, 1):
                mark = event.start_mark
                raise YamlLoadError(
                    "found incompatible YAML document (go-yaml reads YAML 1.1 only)",
                    mark.line + 1 + line_offset,
                    mark.column + 1,
                )
            anchors, stack, root = {}, [], None
            continue
        if etype == "DocumentEndEvent":
            yield root
            produced += 1
            if limit is not None and produced >= limit:
                return
            continue
        if etype in ("StreamStartEvent", "StreamEndEvent"):
            continue
        if etype == "ScalarEvent":
            if event.style == '"' and "/" in event.value:
                starts = starts or _line_starts(text)  # once per text, only for a quoted `/`
                _refuse_slash_escape(text, starts, event.start_mark, event.end_mark, line_offset)
            node = Node(
                "scalar",
                event.tag,
                event.value,
                event.style,
                span(event.start_mark, event.end_mark),
                event.anchor,
                event.implicit,
            )
            if event.anchor:
                anchors[event.anchor] = node
        elif etype == "AliasEvent":
            target = anchors.get(event.anchor)
            if target is None:
                mark = event.start_mark
                raise YamlLoadError(
                    f"unknown anchor '{event.anchor}' referenced",
                    mark.line + 1 + line_offset,
                    mark.column + 1,
                )
            node = Node("alias", None, target, None, span(event.start_mark, event.end_mark), None)
        elif etype in ("MappingStartEvent", "SequenceStartEvent"):
            if len(stack) >= MAX_DEPTH:
                mark = event.start_mark
                raise YamlLoadError(
                    f"nesting deeper than {MAX_DEPTH} levels", mark.line + 1 + line_offset, mark.column + 1
                )
            kind = "map" if etype == "MappingStartEvent" else "seq"
            node = Node(kind, event.tag, [], None, span(event.start_mark, event.start_mark), event.anchor)
            if event.anchor:  # go-yaml registers an anchor where its node starts
                anchors[event.anchor] = node
            stack.append(node)
            continue
        elif etype in ("MappingEndEvent", "SequenceEndEvent"):
            node = stack.pop()
            start = node.span
            node.span = Span(
                start.line, start.col, event.end_mark.line + 1 + line_offset, event.end_mark.column + 1
            )
        else:  # comments and anything else carry no data
            continue
        if stack:
            stack[-1].value.append(node)
        else:
            root = node
