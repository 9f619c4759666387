"""PyYAML's C parser with Kubernetes' scalar semantics, for rendered manifests.

`ManifestLoader` never constructs a tag it does not know (an error, SL102), keeps timestamps as
strings and turns keys into strings as Kubernetes' own reader (sigs.k8s.io/yaml) does, and
records keys set twice in one mapping (SL103). `construct` builds a composed document's plain
data twice as fast as PyYAML's general constructor, sharing (never expanding) aliases.
"""

from __future__ import annotations

import sys

import yaml

SafeLoaderBase = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class ManifestLoader(SafeLoaderBase):  # type: ignore[misc, valid-type]
    """SafeLoader with Kubernetes' scalar semantics; tags it does not know are errors (SL102)."""

    def __init__(self, stream):
        super().__init__(stream)
        self.duplicates: list = []  # (key, mark) of keys set twice in one mapping

    def resolve(self, kind, value, implicit):
        # PyYAML's own resolve, minus path resolvers (none are registered): the C parser calls
        # it for every scalar, so it is a third of the loading time of a large stream
        if kind is yaml.ScalarNode:
            if implicit[0]:
                for tag, regexp in _IMPLICIT.get(value[:1], _WILDCARD):
                    if regexp.match(value):
                        return tag
            return "tag:yaml.org,2002:str"
        return "tag:yaml.org,2002:map" if kind is yaml.MappingNode else "tag:yaml.org,2002:seq"


_WILDCARD = tuple(SafeLoaderBase.yaml_implicit_resolvers.get(None, ()))
_IMPLICIT = {
    first: tuple(pairs) + _WILDCARD
    for first, pairs in SafeLoaderBase.yaml_implicit_resolvers.items()
    if first is not None
}


def _timestamp_as_string(loader, node):
    # sigs.k8s.io/yaml (go-yaml v2) keeps timestamp-looking scalars as strings
    return loader.construct_scalar(node)


def _construct_tagged(loader, node):
    """A node PyYAML's constructors build (numbers, booleans, tags). Their errors quote the
    scalar (`invalid literal for int(): 'hunter2'`), which may be a secret: the error says
    only which tag does not fit, at the node."""
    try:
        return loader.construct_object(node, deep=True)
    except yaml.YAMLError:
        raise
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, OverflowError):
        raise yaml.constructor.ConstructorError(
            None,
            None,
            f"the value cannot be read as its tag {node.tag.replace('tag:yaml.org,2002:', '!!')} says "
            "(remove the tag or fix the value)",
            node.start_mark,
        ) from None


def _mapping_with_string_keys(loader, node):
    loader.flatten_mapping(node)
    out = {}
    for key_node, value_node in node.value:
        key = _construct_tagged(loader, key_node)
        if not isinstance(key, str):
            # JSON keys are strings: true -> "true", 1 -> "1", null -> "null" (as yaml-to-JSON does)
            key = "null" if key is None else (str(key).lower() if isinstance(key, bool) else str(key))
        if key in out:
            # go-yaml refuses the document ("key already set in map"); so does kubectl apply
            loader.duplicates.append((key, key_node.start_mark))
        out[key] = _construct_tagged(loader, value_node)
    return out


def _binary_as_string(loader, node):
    # a !!binary value is base64 text in JSON; keep the text rather than bytes
    return "".join(loader.construct_scalar(node).split())


ManifestLoader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp_as_string)
ManifestLoader.add_constructor("tag:yaml.org,2002:map", _mapping_with_string_keys)
ManifestLoader.add_constructor("tag:yaml.org,2002:binary", _binary_as_string)

_STR, _MAP, _SEQ = "tag:yaml.org,2002:str", "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"
_MERGE = "tag:yaml.org,2002:merge"


def construct(loader: ManifestLoader, root) -> object:
    """Plain data of a composed document, as the loader's constructors would build it.

    Strings, mappings and sequences (nearly every node of a manifest) are built here directly,
    twice as fast as PyYAML's general constructor; anything else (numbers, booleans, merge keys,
    tags) goes through the loader, so the semantics stay PyYAML's plus the overrides above. An
    alias is one shared node: it is built once and shared, never expanded here.
    """
    memo: dict = {}
    duplicates = loader.duplicates
    intern = sys.intern  # keys and short values repeat across thousands of objects: store each once

    def build(node):
        tag = node.tag
        kind = type(node)
        # a tag on a node of another kind (`!!map text`) is the constructors' error to raise
        if tag == _STR and kind is yaml.ScalarNode:
            value = node.value
            return intern(value) if len(value) <= 64 else value
        if tag == _MAP and kind is yaml.MappingNode:
            built = memo.get(id(node))
            if built is not None:
                return built
            if any(key_node.tag == _MERGE for key_node, _ in node.value):
                built = memo[id(node)] = _mapping_with_string_keys(loader, node)
                return built
            out = memo[id(node)] = {}
            for key_node, value_node in node.value:
                key = intern(key_node.value) if key_node.tag == _STR else _construct_tagged(loader, key_node)
                if type(key) is not str:
                    key = "null" if key is None else (str(key).lower() if isinstance(key, bool) else str(key))
                if key in out:
                    duplicates.append((key, key_node.start_mark))
                out[key] = build(value_node)
            return out
        if tag == _SEQ and kind is yaml.SequenceNode:
            built = memo.get(id(node))
            if built is not None:
                return built
            items = memo[id(node)] = []
            items.extend(build(child) for child in node.value)
            return items
        return _construct_tagged(loader, node)

    try:
        return build(root)
    finally:
        del build  # `build` refers to itself: without this, every document would leave a cycle
