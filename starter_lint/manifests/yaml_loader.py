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
            return STR_TAG
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


def json_key(key: object) -> str:
    """JSON keys are strings: true -> "true", 1 -> "1", null -> "null" (as yaml-to-JSON does)."""
    if type(key) is str:
        return key
    return "null" if key is None else (str(key).lower() if isinstance(key, bool) else str(key))


def _mapping_with_string_keys(loader, node):
    loader.flatten_mapping(node)
    out = {}
    for key_node, value_node in node.value:
        key = json_key(_construct_tagged(loader, key_node))
        if key in out:
            # go-yaml refuses the document ("key already set in map"); so does kubectl apply
            loader.duplicates.append((key, key_node.start_mark))
        out[key] = _construct_tagged(loader, value_node)
    return out


def _binary_as_string(loader, node):
    # a !!binary value is base64 text in JSON; keep the text rather than bytes
    return "".join(loader.construct_scalar(node).split())


# Kubernetes reads numbers as 64-bit; a longer integer is no manifest's, and Python cannot even
# print one of more than 4,300 digits (nor JSON-encode it), and reads sexagesimal ones
# (`5:5:5:…`) in quadratic time: such a scalar is refused where it stands
MAX_INT_CHARS = 1000


def _bounded_int(loader, node):
    if len(node.value) > MAX_INT_CHARS:
        raise yaml.constructor.ConstructorError(
            None,
            None,
            f"an integer of more than {MAX_INT_CHARS} characters: no Kubernetes field holds one "
            "(quote it if it is text)",
            node.start_mark,
        )
    return loader.construct_yaml_int(node)


def scalar_key(loader, node) -> str:
    """The key a scalar key node becomes in the loaded object (`yes` -> "true", `0x1` -> "1"),
    so that a locator finds a key as the object holds it; its text when it cannot be built."""
    if node.tag == _STR:
        return str(node.value)
    try:
        return json_key(_construct_tagged(loader, node))
    except (yaml.YAMLError, ValueError):
        return str(node.value)


ManifestLoader.add_constructor("tag:yaml.org,2002:int", _bounded_int)
ManifestLoader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp_as_string)
ManifestLoader.add_constructor("tag:yaml.org,2002:map", _mapping_with_string_keys)
ManifestLoader.add_constructor("tag:yaml.org,2002:binary", _binary_as_string)

_KEEP_SHORT = 64  # keys, and values up to this length, are interned: they repeat across objects
STR_TAG = "tag:yaml.org,2002:str"  # a plain string: the positions compare keys by it too
_STR, _MAP, _SEQ = STR_TAG, "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"
_MERGE = "tag:yaml.org,2002:merge"


def construct(loader: ManifestLoader, root) -> object:
    """Plain data of a composed document, as the loader's constructors would build it.

    Strings, mappings and sequences (nearly every node of a manifest) are built here directly,
    twice as fast as PyYAML's general constructor; anything else (numbers, booleans, merge keys,
    tags) goes through the loader, so the semantics stay PyYAML's plus the overrides above. An
    alias is one shared node: it is built once and shared, never expanded here.
    """
    return _build(loader, {}, root)


def _build(loader: ManifestLoader, memo: dict, node) -> object:
    # a module function, not a closure: a closure calling itself is a reference cycle per document
    tag = node.tag
    kind = type(node)
    # a tag on a node of another kind (`!!map text`) is the constructors' error to raise
    if tag == _STR and kind is yaml.ScalarNode:
        value = node.value
        return sys.intern(value) if len(value) <= _KEEP_SHORT else value
    if tag == _MAP and kind is yaml.MappingNode:
        built = memo.get(id(node))
        if built is not None:
            return built
        if any(key_node.tag == _MERGE for key_node, _ in node.value):
            built = memo[id(node)] = _mapping_with_string_keys(loader, node)
            return built
        out = memo[id(node)] = {}
        for key_node, value_node in node.value:
            key = (
                sys.intern(key_node.value)
                if key_node.tag == _STR
                else json_key(_construct_tagged(loader, key_node))
            )
            if key in out:
                loader.duplicates.append((key, key_node.start_mark))
            out[key] = _build(loader, memo, value_node)
        return out
    if tag == _SEQ and kind is yaml.SequenceNode:
        built = memo.get(id(node))
        if built is not None:
            return built
        items = memo[id(node)] = []
        for child in node.value:
            items.append(_build(loader, memo, child))
        return items
    return _construct_tagged(loader, node)


# ---------------------------------------------------------------------------------------------
# Plain documents straight from the parser's events

_UNSEEN = object()
_BUILT_PLAIN = (
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:timestamp",
)


class _Unusual(Exception):
    """The stream uses something the event builder leaves to the general path."""


def load_plain_stream(text: str, max_depth: int) -> list | None:
    """(start mark, end mark, data) of each document, built from the C parser's events, or None
    when the stream is not plain: an anchor, alias, explicit tag, merge key, key that is not a
    scalar, key written twice, `%` directive, nesting deeper than `max_depth`, or a YAML error.
    Then the caller takes the general path (compose, then `construct`), which gives the same data
    for every plain stream (tests/test_load_fast.py compares them) and handles the rest.

    Composing builds a node for every value and calls `ManifestLoader.resolve` for every scalar;
    here a scalar costs one event and a look-up, so loading a large stream takes about half the time.
    """
    loader = ManifestLoader(text)
    try:
        return _documents(loader, max_depth)
    except (_Unusual, yaml.YAMLError, RecursionError):
        return None
    finally:
        loader.dispose()


def _documents(loader: ManifestLoader, max_depth: int) -> list:
    get_event = loader.get_event
    plain_values: dict = {}  # plain scalar text -> its value (resolution depends on the text alone)
    documents: list = []
    get_event()  # StreamStartEvent
    while True:
        event = get_event()
        if type(event) is yaml.StreamEndEvent:
            return documents
        if event.version is not None or event.tags:  # DocumentStartEvent
            raise _Unusual
        event = get_event()
        value, end_mark = _node(event, loader, plain_values, max_depth)
        documents.append((event.start_mark, end_mark, value))
        get_event()  # DocumentEndEvent


def _node(event, loader: ManifestLoader, plain_values: dict, depth: int) -> tuple:
    """(value, end mark) of the node that starts with `event`."""
    kind = type(event)
    if kind is yaml.ScalarEvent:
        return _scalar(event, loader, plain_values), event.end_mark
    if event.anchor is not None or depth <= 0:  # an alias has an anchor too
        raise _Unusual
    if kind is yaml.MappingStartEvent and event.tag is None:
        return _mapping(loader, plain_values, depth - 1)
    if kind is yaml.SequenceStartEvent and event.tag is None:
        return _sequence(loader, plain_values, depth - 1)
    raise _Unusual


def _mapping(loader: ManifestLoader, plain_values: dict, depth: int) -> tuple:
    get_event = loader.get_event
    out: dict = {}
    while True:
        event = get_event()
        if type(event) is not yaml.ScalarEvent:
            if type(event) is yaml.MappingEndEvent:
                return out, event.end_mark
            raise _Unusual  # a key that is a collection or an alias
        key = json_key(_scalar(event, loader, plain_values))
        if key in out:  # go-yaml refuses the document: the general path records where
            raise _Unusual
        event = get_event()
        if type(event) is yaml.ScalarEvent:
            out[sys.intern(key)] = _scalar(event, loader, plain_values)
        else:
            out[sys.intern(key)] = _node(event, loader, plain_values, depth)[0]


def _sequence(loader: ManifestLoader, plain_values: dict, depth: int) -> tuple:
    get_event = loader.get_event
    items: list = []
    while True:
        event = get_event()
        if type(event) is yaml.ScalarEvent:
            items.append(_scalar(event, loader, plain_values))
        elif type(event) is yaml.SequenceEndEvent:
            return items, event.end_mark
        else:
            items.append(_node(event, loader, plain_values, depth)[0])


def _scalar(event, loader: ManifestLoader, plain_values: dict) -> object:
    if event.anchor is not None or event.tag is not None:
        raise _Unusual
    text = event.value
    if not event.implicit[0] or (text[:1] not in _IMPLICIT and not _WILDCARD):  # a string
        return sys.intern(text) if len(text) <= _KEEP_SHORT else text
    value = plain_values.get(text, _UNSEEN)
    if value is _UNSEEN:
        value = plain_values[text] = _plain(loader, event)
    return value


def _plain(loader: ManifestLoader, event) -> object:
    """The value of a plain scalar, as `construct` builds it from the node `resolve` tags."""
    text = event.value
    tag = loader.resolve(yaml.ScalarNode, text, (True, False))
    if tag == _STR:
        return sys.intern(text) if len(text) <= _KEEP_SHORT else text
    if tag not in _BUILT_PLAIN:  # `<<` (merge) and `=` (value) keys
        raise _Unusual
    return _construct_tagged(loader, yaml.ScalarNode(tag, text, event.start_mark, event.end_mark))
