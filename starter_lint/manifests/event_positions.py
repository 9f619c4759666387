"""Positions of nodes found by walking the parser's event stream, without composing the document.

Composing a document builds every node of it (and resolves every scalar's tag) to answer one
finding; the event walk stops as soon as the node at the pointer is read, or as soon as it is
known not to exist (its nearest existing ancestor is then finished). It answers exactly what the
compose path in positions.py answers for a document that composes, and gives up (FALLBACK) on
anything that path would read differently: anchors and aliases (an alias is the anchored node
itself), tags, merge keys (`<<`) and complex keys — rendered manifests almost never have them —
and on syntax errors. The walk never reads past the node it answers for, so it assumes what every
located document satisfies: the document loaded (parses as one document).
"""

from __future__ import annotations

import sys
from typing import Any, Final

from yaml import (
    AliasEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    ScalarNode,
    SequenceEndEvent,
    SequenceStartEvent,
    YAMLError,
)

from .. import pointer as pointers
from .yaml_loader import STR_TAG, SafeLoaderBase

FALLBACK: Final = "fallback"  # the walk cannot answer: compose the document instead

_NODE_STARTS = frozenset((ScalarEvent, MappingStartEvent, SequenceStartEvent))
_ENDS = frozenset((MappingEndEvent, SequenceEndEvent))
# first characters of the plain scalars YAML 1.1 may read as something else than a string
_MAY_CONVERT = frozenset(first for first in SafeLoaderBase.yaml_implicit_resolvers if first is not None)


class _Fallback(Exception):
    """The document has a feature the walk leaves to the compose path."""


class Found:
    """A node as the compose path sees it: its marks (a collection's end is not needed: it is
    shown at its key or at its start), whether it is a scalar, and its key's marks."""

    __slots__ = ("end", "key_end", "key_start", "scalar", "start")

    def __init__(self, start: Any, end: Any, scalar: bool, key_start: Any = None, key_end: Any = None):
        self.start, self.end, self.scalar = start, end, scalar
        self.key_start, self.key_end = key_start, key_end


class _Events:
    """The events of one document, after its start; refuses anchors, aliases and tags."""

    __slots__ = ("_get", "_loader")

    def __init__(self, text: str):
        self._loader = SafeLoaderBase(text)
        self._get = self._loader.get_event

    def node(self) -> Any:
        """The next event, which starts a node (or ends a collection, or the document)."""
        event = self._get()
        kind = event.__class__
        if kind in _NODE_STARTS:
            if event.anchor is not None or event.tag is not None:
                raise _Fallback
        elif kind is AliasEvent:
            raise _Fallback
        return event

    def root(self) -> Any:
        """The document's root node event, or None when the text holds no document."""
        self._get()  # stream start
        if self._get().__class__ is not DocumentStartEvent:
            return None
        return self.node()

    def skip(self, event: Any) -> None:
        """Read past the node `event` starts (a scalar is already past). Most of the events a walk
        reads are skipped here: one loop, without a call per event."""
        if event.__class__ is ScalarEvent:
            return
        get, depth = self._get, 1
        while depth:
            event = get()
            kind = event.__class__
            if kind in _NODE_STARTS:
                if event.anchor is not None or event.tag is not None:
                    raise _Fallback
                if kind is not ScalarEvent:
                    depth += 1
            elif kind in _ENDS:
                depth -= 1
            else:  # an alias
                raise _Fallback

    def key(self) -> Any:
        """The next key of a mapping (a scalar event), or the mapping's end event."""
        event = self.node()
        if type(event) is ScalarEvent:
            if event.value == "<<":  # a merge key: the compose path reads it as written
                raise _Fallback
            if (
                event.implicit[0]
                and event.value[:1] in _MAY_CONVERT
                and self._loader.resolve(ScalarNode, event.value, (True, False)) != STR_TAG
            ):
                raise _Fallback  # `yes:`, `0x1:`: the object holds "true", "1"; compose converts it
            return event
        if isinstance(event, MappingEndEvent):
            return event
        raise _Fallback  # a complex key (a mapping or sequence as key)

    def close(self) -> None:
        self._loader.dispose()


def _index(token: str) -> int | None:
    """The sequence position a token names (any length: the walk counts the items)."""
    return pointers.index(token, sys.maxsize)


def find_node(text: str, tokens: list[str]) -> Found | str | None:
    """The node at the JSON pointer tokens (or its nearest existing ancestor) with its key, None
    when the text holds no document, FALLBACK when the compose path must answer."""
    events = _Events(text)
    try:
        return _find_node(events, tokens)
    except (_Fallback, YAMLError):  # a syntax error: the compose path says there is no answer
        return FALLBACK
    finally:
        events.close()


def _find_node(events: _Events, tokens: list[str]) -> Found | None:
    node = events.root()
    if node is None:
        return None
    key = None
    for token in tokens:
        if type(node) is ScalarEvent:  # a path through a scalar ends at the scalar
            break
        if type(node) is MappingStartEvent:
            while True:
                candidate = events.key()
                if type(candidate) is MappingEndEvent:  # no such key: the mapping answers
                    return _found(node, key)
                value = events.node()
                if candidate.value == token:  # the first of keys written twice, as compose's
                    node, key = value, candidate
                    break
                events.skip(value)
        else:
            position = _index(token)
            if position is None:
                return _found(node, key)
            for _ in range(position):
                item = events.node()
                if type(item) is SequenceEndEvent:
                    return _found(node, key)
                events.skip(item)
            item = events.node()
            if type(item) is SequenceEndEvent:
                return _found(node, key)
            node, key = item, None
    return _found(node, key)


class _AllFound(Exception):
    """Every pointer of a `find_nodes` walk has its answer: stop reading."""


def find_nodes(text: str, pointers: list[list[str]]) -> list[Found | None] | str:
    """`find_node` of each of the JSON pointer tokens `pointers`, in one walk of the document (a
    rule that places several findings in one object reads it once, not once per finding)."""
    events = _Events(text)
    found: list[Found | None] = [None] * len(pointers)
    try:
        root = events.root()
        if root is not None and pointers:
            _visit(events, root, None, list(range(len(pointers))), 0, pointers, found, [len(pointers)])
    except _AllFound:
        pass
    except (_Fallback, YAMLError):  # a syntax error: the compose path says there is no answer
        return FALLBACK
    finally:
        events.close()
    return found


def _visit(
    events: _Events,
    node: Any,
    key: Any,
    wanted: list[int],
    depth: int,
    pointers: list[list[str]],
    found: list[Found | None],
    left: list[int],
) -> None:
    """Answer the pointers `wanted` (indices into `pointers`), which all lead to `node` by their
    first `depth` tokens: as `_find_node` does for each, reading the node once. `left` counts the
    pointers still unanswered; the walk stops (_AllFound) when none is."""

    def answer(indices: list[int]) -> None:
        if indices:
            here = _found(node, key)
            for i in indices:
                found[i] = here
            left[0] -= len(indices)
            if not left[0]:
                raise _AllFound

    below = [i for i in wanted if len(pointers[i]) > depth]
    if type(node) is ScalarEvent or len(below) < len(wanted):  # a path through a scalar ends there
        answer(wanted if type(node) is ScalarEvent else [i for i in wanted if len(pointers[i]) == depth])
        if type(node) is ScalarEvent:
            return
    if not below:
        events.skip(node)
        return
    by_token: dict[Any, list[int]] = {}
    if type(node) is MappingStartEvent:
        for i in below:
            by_token.setdefault(pointers[i][depth], []).append(i)
        while True:
            candidate = events.key()
            if type(candidate) is MappingEndEvent:  # no such key: the mapping answers
                answer([i for indices in by_token.values() for i in indices])
                return
            value = events.node()
            indices = by_token.pop(candidate.value, None)  # the first of keys written twice
            if indices:
                _visit(events, value, candidate, indices, depth + 1, pointers, found, left)
            else:
                events.skip(value)
    unplaced = []
    for i in below:
        position = _index(pointers[i][depth])
        if position is None:
            unplaced.append(i)
        else:
            by_token.setdefault(position, []).append(i)
    answer(unplaced)
    position = 0
    while type(item := events.node()) is not SequenceEndEvent:
        indices = by_token.pop(position, None)
        if indices:
            _visit(events, item, None, indices, depth + 1, pointers, found, left)
        else:
            events.skip(item)
        position += 1
    answer([i for indices in by_token.values() for i in indices])


def _found(node: Any, key: Any) -> Found:
    scalar = type(node) is ScalarEvent
    if key is None:
        return Found(node.start_mark, node.end_mark if scalar else node.start_mark, scalar)
    return Found(
        node.start_mark, node.end_mark if scalar else node.start_mark, scalar, key.start_mark, key.end_mark
    )


def find_scalars(text: str, tokens: list[str]) -> list[Found] | str:
    """Every scalar at the JSON pointer tokens, following each key written more than once
    (so the whole document is read), in document order; FALLBACK when compose must answer."""
    events = _Events(text)
    try:
        root = events.root()
        return [] if root is None else _find_scalars(events, root, tokens)
    except (_Fallback, YAMLError):  # a syntax error: the compose path says there is no answer
        return FALLBACK
    finally:
        events.close()


def _find_scalars(events: _Events, root: Any, tokens: list[str]) -> list[Found]:
    found: list[Found] = []
    depth_wanted = len(tokens)

    def visit(node: Any, depth: int) -> None:
        # `node` is at tokens[:depth]; collections below the pointer are only read past
        if type(node) is ScalarEvent:
            if depth == depth_wanted:
                found.append(Found(node.start_mark, node.end_mark, True))
            return
        if depth == depth_wanted:
            events.skip(node)
            return
        token = tokens[depth]
        if type(node) is MappingStartEvent:
            while type(candidate := events.key()) is not MappingEndEvent:
                value = events.node()
                if candidate.value == token:
                    visit(value, depth + 1)
                else:
                    events.skip(value)
            return
        wanted, position = _index(token), 0
        while type(item := events.node()) is not SequenceEndEvent:
            if position == wanted:
                visit(item, depth + 1)
            else:
                events.skip(item)
            position += 1

    visit(root, 0)
    return found
