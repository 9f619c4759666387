"""Positions of the nodes of a rendered object, computed when a finding asks for one.

Loading keeps no positions (they cost time and only findings need them): a `DocumentLocator` gives a
ManifestObject the callable that finds the node at a JSON pointer, or its nearest existing
ancestor. The fast path walks the document's parser events and stops at the node
(event_positions.py); the general path composes the document, which handles every YAML feature.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Literal, Protocol, overload

import yaml

from .. import pointer as pointers
from .. import speedups
from ..findings import Location
from .documents import Document
from .event_positions import FALLBACK, Found, find_node, find_nodes, find_scalars
from .yaml_loader import STR_TAG, ManifestLoader, SafeLoaderBase, scalar_key


class _Composed:
    """A composed document and the key index of its mappings (id(node) -> entries), built as
    findings ask: kept together, so the ids stay those of live nodes."""

    __slots__ = ("entries", "root")

    def __init__(self, root):
        self.root = root
        self.entries: dict = {}


# Keyed by the document object: findings come rule by rule, and those in one document (the items
# of a List, several findings of one rule on one object) come one after another, so a few
# documents suffice; a whole node tree is never kept for more than these.
@lru_cache(maxsize=4)
def _compose(document: Document) -> _Composed | None:
    try:
        return _Composed(yaml.compose(document.text, Loader=SafeLoaderBase))
    except yaml.YAMLError:
        return None


def _entries(composed: _Composed, node) -> dict:
    """key text -> [(key node, value node)] in order, of a mapping node whose keys are scalars:
    built once per node (composed documents are cached), so a finding in a wide mapping costs a
    look-up, not a scan of its keys."""
    entries = composed.entries.get(id(node))
    if entries is None:
        entries = {}
        loader = None
        for k, v in node.value:
            if isinstance(k, yaml.ScalarNode):
                key = k.value
                if k.tag != STR_TAG:  # `yes:`, `0x1:`: the object holds "true", "1" (secrets are found by it)
                    loader = loader or ManifestLoader("")
                    key = scalar_key(loader, k)
                entries.setdefault(key, []).append((k, v))
        if loader is not None:
            loader.dispose()
        composed.entries[id(node)] = entries
    return entries


def _node_at(composed: _Composed, tokens) -> Found:
    """The node at the JSON pointer tokens, or the nearest existing ancestor, with its key."""
    node, key_node = composed.root, None
    for token in tokens:
        if isinstance(node, yaml.MappingNode):
            entries = _entries(composed, node).get(token)
            if not entries:
                break
            key_node, node = entries[0]
        elif isinstance(node, yaml.SequenceNode) and pointers.index(token, len(node.value)) is not None:
            node, key_node = node.value[int(token)], None
        else:
            break
    scalar = isinstance(node, yaml.ScalarNode)
    if key_node is None:
        return Found(node.start_mark, node.end_mark, scalar)
    return Found(node.start_mark, node.end_mark, scalar, key_node.start_mark, key_node.end_mark)


def _scalars_at(composed: _Composed, tokens) -> list[Found]:
    """Every scalar node at the JSON pointer tokens, following each key written more than once."""
    nodes = [composed.root]
    for token in tokens:
        found = []
        for node in nodes:
            if isinstance(node, yaml.MappingNode):
                found += [v for _, v in _entries(composed, node).get(token, ())]
            elif isinstance(node, yaml.SequenceNode) and pointers.index(token, len(node.value)) is not None:
                found.append(node.value[int(token)])
        nodes = found
    return [
        Found(node.start_mark, node.end_mark, True) for node in nodes if isinstance(node, yaml.ScalarNode)
    ]


def _location(path: str, first_line: int, found: Found) -> Location:
    """Where a finding at `found` is shown: a mapping or sequence at its key (the line a reader
    looks for) or, without one, at its start; a scalar at itself, or at its key when it starts
    on a later line (a block scalar)."""
    if found.key_start is not None and (not found.scalar or found.start.line != found.key_start.line):
        start, end = found.key_start, found.key_end
    elif found.scalar:
        start, end = found.start, found.end
    else:
        start = end = found.start
    return Location(path, first_line + start.line, start.column + 1, first_line + end.line, end.column + 1)


class Locator(Protocol):
    """Where a finding at a JSON pointer is shown (the node, or its nearest existing ancestor;
    None when the document does not compose); `own=True`: the spans of every scalar written there."""

    @overload
    def __call__(self, pointer: str, own: Literal[False] = False) -> Location | None: ...
    @overload
    def __call__(self, pointer: str, own: Literal[True]) -> list[Location]: ...


# Walks a document gets before it is composed instead: a walk re-reads the document from its
# start, so many findings in one document (a wide ConfigMap, a long env list) would cost
# quadratic time; composed, it is read once per run of its findings and each look-up is a key
# index's. Rendered objects mostly have one or two findings each.
WALKS_PER_DOCUMENT = 4


class DocumentLocator:
    """The Locator of an object in one document (`prefix`: the item's place in a List).

    An object rather than a closure so that loaded objects can be handed between processes
    (manifests/stream.py loads a large input's files in two): it holds the Document, which holds
    the file's text, so pickling a file's objects together sends that text once."""

    __slots__ = ("document", "path", "prefix", "walks_left")

    def __init__(self, document: Document, path: str, prefix: tuple[str, ...] = ()):
        self.document = document
        self.path = path
        self.prefix = prefix
        # the items of a List share one document (and findings come item by item): it is composed
        self.walks_left = 0 if prefix else WALKS_PER_DOCUMENT

    def __reduce__(self):
        return _restore_locator, (self.document, self.path, self.prefix, self.walks_left)

    @overload
    def __call__(self, pointer: str, own: Literal[False] = False) -> Location | None: ...
    @overload
    def __call__(self, pointer: str, own: Literal[True]) -> list[Location]: ...
    def __call__(self, pointer: str, own: bool = False) -> Location | list[Location] | None:
        """Where a finding at `pointer` is shown; `own`: the spans of every scalar written there
        (a key written twice holds two; none when the pointer leads through a merge key)."""
        document = self.document
        tokens = [*self.prefix, *pointers.tokens(pointer)]
        if self.walks_left and speedups.FAST_PATHS:
            self.walks_left -= 1
            found = find_scalars(document.text, tokens) if own else find_node(document.text, tokens)
            if found is not FALLBACK:
                return self._answer(found, own)
            self.walks_left = 0  # the document has anchors, tags…: compose it from now on
        composed = _compose(document)
        if composed is None or composed.root is None:
            return [] if own else None
        return self._answer(_scalars_at(composed, tokens) if own else _node_at(composed, tokens), own)

    def many(self, wanted: list[str]) -> list[Location | None]:
        """`self(pointer)` of each pointer, reading the document once (one walk, or its compose)."""
        document = self.document
        tokens = [[*self.prefix, *pointers.tokens(pointer)] for pointer in wanted]
        if self.walks_left and speedups.FAST_PATHS:
            self.walks_left -= 1
            found = find_nodes(document.text, tokens)
            if isinstance(found, list):  # not FALLBACK
                return [self._place(node) for node in found]
            self.walks_left = 0  # the document has anchors, tags…: compose it from now on
        composed = _compose(document)
        if composed is None or composed.root is None:
            return [None] * len(wanted)
        return [self._place(_node_at(composed, path)) for path in tokens]

    def _place(self, found: Found | None) -> Location | None:
        return None if found is None else _location(self.path, self.document.first_line, found)

    def _answer(self, found, own: bool) -> Location | list[Location] | None:
        first_line = self.document.first_line
        if own:
            return [_location(self.path, first_line, scalar) for scalar in found]
        return None if found is None else _location(self.path, first_line, found)


def _restore_locator(
    document: Document, path: str, prefix: tuple[str, ...], walks_left: int
) -> DocumentLocator:
    locator = DocumentLocator(document, path, prefix)
    locator.walks_left = walks_left
    return locator
