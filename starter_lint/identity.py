"""Logical identity of a location: list items named by their key, not by their position.

A finding's fingerprint must survive edits that do not touch it: an env var added above it, a
host removed before it, containers reordered. Positions (`containers/0/env/5/value`,
`ingress.hosts[1].host`) do not; the items' own keys do (`containers/[name=api]/env/[name=X]/value`,
`ingress.hosts[host=admin.example.org].host`). `logical_form` is the one place that turns a
location into that form; `Finding.fingerprint` hashes nothing positional besides it.

An item of a list of mappings is named by the first of IDENTITY_KEYS it holds (`env` by name,
containers by name, hosts by host, ports by name or port, volumes by name, TLS entries by
secretName …), or by such a key one mapping down (`secretRef.name` of an envFrom entry); a
scalar item by its value. Items that share a name are told apart by their rank among those
namesakes (`[name=X#2]`), and an item with no name (or whose value is a secret) keeps its index.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from . import pointer as json_pointer
from .findings import Finding, ValuesPath, format_path

if TYPE_CHECKING:  # annotations only: identity reads what the pipeline loaded
    from .context import Context
    from .manifests.model import ManifestSet

# What is already known of the unchanging documents of one run (one `hidden`): id(list) ->
# `item_names` of it, and (id(document), location) -> `positional_prefixes` there (the findings
# of many rules and policies name the same few places of each object)
NamesCache = dict[Any, Any]

# in order of preference: what names an item in the lists of Kubernetes objects and of the values
IDENTITY_KEYS = (
    "name",
    "host",
    "hostname",
    "secretName",
    "mountPath",
    "containerPort",
    "port",
    "path",
    "key",
    "ip",
    "type",
)


def _scalar_text(value: Any) -> str | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (str, int, float)):
        return str(value)
    return None


def _name(item: Any, hidden: frozenset[str]) -> str | None:
    """What names one list item (`name=api`, `=app.example.org`), or None."""
    if isinstance(item, dict):
        for key in IDENTITY_KEYS:
            text = _scalar_text(item.get(key))
            if text is not None and text not in hidden:
                return f"{key}={text}"
        for outer in sorted(item, key=str):  # envFrom: [{secretRef: {name: x}}]
            inner = item[outer]
            if isinstance(inner, dict):
                text = _scalar_text(inner.get("name"))
                if text is not None and text not in hidden:
                    return f"{outer}.name={text}"
        return None
    text = _scalar_text(item)
    return None if text is None or text in hidden else f"={text}"


def item_names(items: list[Any], hidden: frozenset[str] = frozenset()) -> list[str | None]:
    """`item_name` of every item of `items`, in one pass."""
    out: list[str | None] = []
    seen: dict[str, int] = {}
    for item in items:
        name = _name(item, hidden)
        if name is not None:
            rank = seen.get(name, 0)
            seen[name] = rank + 1
            name = f"{name}#{rank + 1}" if rank else name
        out.append(name)
    return out


def item_name(
    items: list[Any], position: int, hidden: frozenset[str] = frozenset(), names: NamesCache | None = None
) -> str | None:
    """The logical name of `items[position]`: its key and its rank among namesakes; None for an
    item nothing names (it keeps its index). `names`: a cache (list id -> `item_names`) for
    unchanging documents and one `hidden`, so naming many items of a list costs one pass over it."""
    if names is None:
        name = _name(items[position], hidden)
        if name is None:
            return None
        rank = sum(1 for other in items[:position] if _name(other, hidden) == name)
        return f"{name}#{rank + 1}" if rank else name
    if id(items) not in names:
        names[id(items)] = item_names(items, hidden)
    named: list[str | None] = names[id(items)]
    return named[position]


class Item(str):
    """A list position turned into its item's name (`name=api`)."""


def logical_path(
    node: Any, path: Iterable[Any], hidden: frozenset[str] = frozenset(), names: NamesCache | None = None
) -> list[Any]:
    """The tokens of `path` inside `node` with list indices replaced by item names (`Item`s);
    tokens below a node that is not there stay as they are."""
    out: list[Any] = []
    for token in path:
        if isinstance(node, list):
            position = token if isinstance(token, int) else json_pointer.index(str(token), len(node))
            if isinstance(position, int) and 0 <= position < len(node):
                name = item_name(node, position, hidden, names)
                out.append(position if name is None else Item(name))
                node = node[position]
                continue
            node = None
        elif isinstance(node, dict) and token in node:
            node = node[token]
        else:
            node = None
        out.append(token)
    return out


def logical_form(
    location: ValuesPath | str,
    document: Any,
    hidden: frozenset[str] = frozenset(),
    names: NamesCache | None = None,
) -> str:
    """The identity of `location` inside `document`: a values path (tuple) into the values tree,
    or a JSON pointer (str) into a manifest object. `hidden`: values that never name an item."""
    if isinstance(location, str):
        return "".join(_pointer_pieces(logical_path(document, json_pointer.tokens(location), hidden, names)))
    return _values_texts(logical_path(document, tuple(location), hidden, names))[-1]


def _pointer_pieces(logical: list[Any]) -> list[str]:
    return ["/" + (f"[{t}]" if isinstance(t, Item) else json_pointer.escape(str(t))) for t in logical]


def _values_texts(logical: list[Any]) -> list[str]:
    """The text of each prefix of `logical` (the empty one first)."""
    texts = [""]
    for token in logical:
        text = texts[-1]
        if isinstance(token, (Item, int)):
            texts.append(f"{text}[{token}]")
        else:
            texts.append(text + ("." if text else "") + format_path((token,)))
    return texts


def positional_prefixes(
    location: ValuesPath | str,
    document: Any,
    hidden: frozenset[str] = frozenset(),
    names: NamesCache | None = None,
) -> list[tuple[str, str]]:
    """(positional text, logical text) for `location` and each ancestor that ends at a list item,
    longest first: how a key or message that names the location by position is rewritten."""
    is_pointer = isinstance(location, str)
    tokens: ValuesPath = json_pointer.path(location) if isinstance(location, str) else tuple(location)
    # a token's logical form depends only on the tokens up to it: the location is walked once
    # and each ancestor's form is a prefix of it (not one walk from the root per ancestor)
    logical = logical_path(
        document, json_pointer.tokens(location) if isinstance(location, str) else tokens, hidden, names
    )
    pieces = _pointer_pieces(logical) if is_pointer else []
    texts = [] if is_pointer else _values_texts(logical)
    out = []
    for end in range(len(tokens), 0, -1):
        if end < len(tokens) and not isinstance(tokens[end - 1], int):
            continue
        prefix = tokens[:end]
        if is_pointer:
            positional = json_pointer.build(*prefix)
            logical_text = "".join(pieces[:end])
        else:
            positional = format_path(prefix)
            logical_text = texts[end]
        if positional != logical_text:
            out.append((positional, logical_text))
    return out


def documents_by_ref(manifests: ManifestSet | None) -> dict[str, dict[str, Any]]:
    """Each manifest object's document under its ref (`Kind/ns/name`), the first of namesakes:
    indexed once so that naming every finding costs one look-up, not a scan of all objects."""
    documents: dict[str, dict[str, Any]] = {}
    for obj in getattr(manifests, "objects", None) or ():
        documents.setdefault(obj.ref, obj.obj)
    return documents


def identity_of(
    finding: Finding,
    ctx: Context,
    hidden: frozenset[str] = frozenset(),
    documents: dict[str, dict[str, Any]] | None = None,
    names: NamesCache | None = None,
) -> tuple[str, str] | None:
    """(identity, identity_text) of `finding`: its logical location without list positions, and
    its key or message with positions rewritten likewise; None when nothing names a position.
    A caller that identifies many findings builds `documents` (`documents_by_ref(ctx.manifests)`)
    once and shares one `names` cache ({}) among them, so each finding costs look-ups, not scans
    of all objects or of a whole list."""
    ref, hash_, where = finding.logical.partition("#")
    location: ValuesPath | str  # a JSON pointer into a manifest object, or a values path
    if hash_:
        if documents is None:
            documents = documents_by_ref(ctx.manifests)
        document = documents.get(ref)
        location, prefix = where, ref + "#"
    elif finding.path and ctx.values is not None:
        document, location, prefix = ctx.values.values, tuple(finding.path), ""
    else:
        return None
    if document is None:
        return None
    rewrites: list[tuple[str, str]]
    known = (id(document), location)
    if names is not None and known in names:
        rewrites = names[known]
    else:
        rewrites = positional_prefixes(location, document, hidden, names)
        if names is not None:
            names[known] = rewrites
    if not rewrites:
        return None
    text = finding.key or finding.message
    for positional, logical in rewrites:
        text = _replace_whole(text, positional, logical)
    # rewrites[0] is the whole location, the rest its list-item ancestors
    return prefix + rewrites[0][1], text


def _replace_whole(text: str, positional: str, logical: str) -> str:
    """`positional` replaced where it is not part of a longer index (`hosts[1]` in `hosts[12]`)."""
    if positional not in text:  # most keys and messages name no position: no pattern to build
        return text
    return re.sub(re.escape(positional) + r"(?![0-9])", lambda _m: logical, text)
