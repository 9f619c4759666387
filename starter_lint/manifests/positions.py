"""Positions of the nodes of a rendered object, computed when a finding asks for one.

Loading keeps no positions (they cost time and only findings need them): `make_locator` gives a
ManifestObject the function that composes its document (once, cached) and walks a JSON pointer
to the node, or to its nearest existing ancestor.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Literal, Protocol, overload

import yaml

from .. import pointer as pointers
from ..findings import Location
from .documents import Document
from .yaml_loader import SafeLoaderBase


class _Composed:
    """A composed document and the key index of its mappings (id(node) -> entries), built as
    findings ask: kept together, so the ids stay those of live nodes."""

    __slots__ = ("entries", "root")

    def __init__(self, root):
        self.root = root
        self.entries: dict = {}


@lru_cache(maxsize=64)
def _compose(text: str) -> _Composed | None:
    try:
        return _Composed(yaml.compose(text, Loader=SafeLoaderBase))
    except yaml.YAMLError:
        return None


def _entries(composed: _Composed, node) -> dict:
    """key text -> [(key node, value node)] in order, of a mapping node whose keys are scalars:
    built once per node (composed documents are cached), so a finding in a wide mapping costs a
    look-up, not a scan of its keys."""
    entries = composed.entries.get(id(node))
    if entries is None:
        entries = {}
        for k, v in node.value:
            if isinstance(k, yaml.ScalarNode):
                entries.setdefault(k.value, []).append((k, v))
        composed.entries[id(node)] = entries
    return entries


def _node_at(composed: _Composed, tokens) -> tuple:
    """(node, key node or None) at the JSON pointer tokens, or the nearest existing ancestor."""
    node, key_node = composed.root, None
    for token in tokens:
        if isinstance(node, yaml.MappingNode):
            entries = _entries(composed, node).get(token)
            if not entries:
                return node, key_node
            key_node, node = entries[0]
        elif isinstance(node, yaml.SequenceNode) and pointers.index(token, len(node.value)) is not None:
            node, key_node = node.value[int(token)], None
        else:
            return node, key_node
    return node, key_node


def _scalars_at(composed: _Composed, tokens) -> list:
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
    return [node for node in nodes if isinstance(node, yaml.ScalarNode)]


class Locator(Protocol):
    """Where a finding at a JSON pointer is shown (the node, or its nearest existing ancestor;
    None when the document does not compose); `own=True`: the spans of every scalar written there."""

    @overload
    def __call__(self, pointer: str, own: Literal[False] = False) -> Location | None: ...
    @overload
    def __call__(self, pointer: str, own: Literal[True]) -> list[Location]: ...


def make_locator(document: Document, path: str, prefix: tuple[str, ...]) -> Locator:
    @overload
    def locate(pointer: str, own: Literal[False] = False) -> Location | None: ...
    @overload
    def locate(pointer: str, own: Literal[True]) -> list[Location]: ...
    def locate(pointer: str, own: bool = False) -> Location | list[Location] | None:
        """Where a finding at `pointer` is shown; `own`: the spans of every scalar written there
        (a key written twice holds two; none when the pointer leads through a merge key)."""
        composed = _compose(document.text)
        if composed is None or composed.root is None:
            return [] if own else None
        if own:
            return [
                Location(
                    path,
                    document.first_line + node.start_mark.line,
                    node.start_mark.column + 1,
                    document.first_line + node.end_mark.line,
                    node.end_mark.column + 1,
                )
                for node in _scalars_at(composed, list(prefix) + pointers.tokens(pointer))
            ]
        node, key_node = _node_at(composed, list(prefix) + pointers.tokens(pointer))
        # a mapping or sequence is shown at its key (the line a reader looks for)
        anchor = key_node if key_node is not None and not isinstance(node, yaml.ScalarNode) else node
        if (
            key_node is not None
            and isinstance(node, yaml.ScalarNode)
            and node.start_mark.line != key_node.start_mark.line
        ):
            anchor = key_node
        start, end = anchor.start_mark, anchor.end_mark
        if anchor is node and isinstance(node, (yaml.MappingNode, yaml.SequenceNode)) and key_node is None:
            end = start
        return Location(
            path,
            document.first_line + start.line,
            start.column + 1,
            document.first_line + end.line,
            end.column + 1,
        )

    return locate
