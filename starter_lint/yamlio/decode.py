"""Nodes -> go-yaml's decoded value (phase 1) -> Helm's JSON-able values (phase 2).

Phase 1 is go-yaml v2's decoder (decode.go): maps are keyed by the *resolved* key (true, "true",
1 and 1.0 are four keys), the last duplicate wins, `<<` merges write into the map in place, and
aliases are decoded again wherever they are used (here: decoded once and shared, never mutated),
under go-yaml's alias ratio and a hard cap on the expansion (the billion-laughs guards).
Phase 2 is sigs.k8s.io/yaml's JSON conversion of what survived phase 1: keys become strings
(where two keys become one string Helm's pick is random; we take the last and report it),
unsupported keys and Inf/NaN values fail, numbers become float64. A recording decoder keeps the
span of every value and key, and the notes (`notes.py`) on what it saw.
"""

from __future__ import annotations

from typing import Any, NoReturn

from ..findings import ValuesPath
from ..textio import YamlLoadError
from .model import Node, Span, YamlNote
from .notes import ambiguous_key, ambiguous_scalar, duplicate_key, key_collision, replaced_by_merge, where
from .resolve import (
    BINARY,
    MERGE_TAG,
    TIMESTAMP,
    ResolveError,
    decode_binary,
    helm_number,
    key_to_string,
    resolve_scalar,
    shown_key,
)

MAX_EXPANDED_NODES = 2_000_000  # hard cap on alias expansion, whatever the ratio

# a key as go-yaml tells keys apart: its type and value (1 and "1" are two keys; NaN is one)
KeyIdentity = tuple[type[Any], Any]
# (key node, raw key, decoded value, value node)
MapEntry = tuple[Node, Any, Any, Node]


class GoMap:
    """A decoded mapping: resolved key identity -> (key node, raw key, value, value node)."""

    __slots__ = ("entries",)

    def __init__(self) -> None:
        self.entries: dict[KeyIdentity, MapEntry] = {}


def _allowed_alias_ratio(decoded: int) -> float:
    """go-yaml v2.4 decode.go allowedAliasRatio (the billion-laughs guard)."""
    if decoded <= 400_000:
        return 0.99
    if decoded >= 4_000_000:
        return 0.10
    return 0.99 - 0.89 * (decoded - 400_000) / 3_600_000


class Decoder:
    def __init__(self, record: bool) -> None:
        self.record = record
        self.spans: dict[ValuesPath, Span] = {}
        self.key_spans: dict[ValuesPath, Span] = {}
        self.alias_targets: dict[ValuesPath, Node] = {}
        self.notes: list[YamlNote] = []
        self._cache: dict[int, Any] = {}  # id(node) -> decoded value
        self._counts: dict[int, int] = {}  # id(node) -> go-yaml unmarshal calls to decode it
        self._active: set[int] = set()  # nodes being counted or decoded (an alias may not enter one)
        self.decoded = 1  # the document node
        self.aliased = 0

    # go-yaml's alias accounting -------------------------------------------------------------
    def _count(self, node: Node) -> int:
        known = self._counts.get(id(node))
        if known is not None:
            return known
        if id(node) in self._active:
            self._contains_itself(node)
        self._active.add(id(node))
        if node.kind == "scalar":
            total = 1
        elif node.kind == "alias":
            total = 1 + self._count(node.value)
        elif node.kind == "seq":
            total = 1 + sum(self._count(child) for child in node.value)
        else:
            total = 1
            children = node.value
            for i in range(0, len(children) - 1, 2):
                if self._is_merge(children[i]):
                    value = children[i + 1]
                    total += (
                        sum(self._count(c) for c in value.value)
                        if value.kind == "seq"
                        else self._count(value)
                    )
                else:
                    total += self._count(children[i]) + self._count(children[i + 1])
        self._counts[id(node)] = total
        self._active.discard(id(node))
        return total

    def _contains_itself(self, node: Node) -> NoReturn:
        raise YamlLoadError(f"anchor '{node.anchor}' value contains itself", node.span.line, node.span.col)

    def _tick(self, node: Node) -> None:
        """One unmarshal call outside any alias; an alias adds its whole expansion at once."""
        self.decoded += 1
        if node.kind == "alias":
            expansion = self._count(node.value)
            self.decoded += expansion
            self.aliased += expansion
            if self.decoded > MAX_EXPANDED_NODES:
                raise YamlLoadError("document contains excessive aliasing", node.span.line, node.span.col)
        if (
            self.aliased > 100
            and self.decoded > 1000
            and self.aliased / self.decoded > _allowed_alias_ratio(self.decoded)
        ):
            raise YamlLoadError("document contains excessive aliasing", node.span.line, node.span.col)

    # phase 1 -----------------------------------------------------------------------------------
    @staticmethod
    def _is_merge(node: Node) -> bool:
        return node.kind == "scalar" and node.value == "<<" and (node.implicit or node.tag == MERGE_TAG)

    def decode(self, node: Node, path: ValuesPath, counted: bool = True) -> Any:
        if counted:
            self._tick(node)
        if node.kind == "alias":
            return self._shared(node.value, path)
        if node.kind == "scalar":
            return self.scalar(node, path)
        self._active.add(id(node))
        value: list[Any] | GoMap
        if node.kind == "seq":
            value = [self.decode(child, path + (i,), counted) for i, child in enumerate(node.value)]
        else:
            value = self.mapping(node, path, counted)
        self._active.discard(id(node))
        return value

    def _shared(self, node: Node, path: ValuesPath) -> Any:
        key = id(node)
        if key in self._active:
            self._contains_itself(node)
        if key not in self._cache:
            saved = self.record
            self.record = False
            try:
                self._cache[key] = self.decode(node, path, counted=False)
            finally:
                self.record = saved
        return self._cache[key]

    def scalar(self, node: Node, path: ValuesPath, is_key: bool = False) -> Any:
        tag = "" if node.implicit and node.tag != "!" else ("!" if node.implicit else node.tag)
        if not node.implicit and not node.tag:
            return node.value  # quoted or block scalar without a tag: a string
        try:
            rtag, value = resolve_scalar(tag, node.value)
            if rtag == BINARY:
                value = decode_binary(node.value)
        except ResolveError as exc:
            shown = f" (the value of {where(path)})" if path and not is_key else ""
            raise YamlLoadError(f"{exc}{shown}", node.span.line, node.span.col) from None
        if rtag == TIMESTAMP:
            value = node.value
        if self.record and node.implicit and not is_key:
            note = ambiguous_scalar(node, path, node.value, value)
            if note is not None:
                self.notes.append(note)
        return value

    def key(self, node: Node, parent: ValuesPath) -> Any:
        target = node.value if node.kind == "alias" else node
        if target.kind != "scalar":
            raise YamlLoadError(
                "invalid map key: a mapping or list cannot be a key in Helm values",
                node.span.line,
                node.span.col,
            )
        raw = self.scalar(target, parent, is_key=True)
        if self.record and node.kind == "scalar" and node.implicit and not isinstance(raw, str):
            self.notes.append(ambiguous_key(node, parent, raw))
        return raw

    def mapping(self, node: Node, path: ValuesPath, counted: bool) -> GoMap:
        out = GoMap()
        entries = out.entries
        merged_keys: set[KeyIdentity] = set()
        children = node.value
        for i in range(0, len(children) - 1, 2):
            knode, vnode = children[i], children[i + 1]
            if self._is_merge(knode):
                self._merge(vnode, path, out, merged_keys, counted)
                continue
            if counted:
                self._tick(knode)
            raw = self.key(knode, path)
            identity: KeyIdentity = (type(raw), raw) if raw == raw else (float, "nan")
            child_path = path + (shown_key(raw),)
            if self.record and identity in entries:
                if identity in merged_keys:
                    pass  # an explicit key after `<<` overrides the merged one: the intended use
                else:
                    self.notes.append(duplicate_key(knode, path, raw))
            merged_keys.discard(identity)
            value = self.decode(vnode, child_path, counted)
            entries.pop(identity, None)  # keep the document order of the winning key
            entries[identity] = (knode, raw, value, vnode)
        return out

    def _merge(
        self, vnode: Node, path: ValuesPath, out: GoMap, merged_keys: set[KeyIdentity], counted: bool
    ) -> None:
        """go-yaml's d.merge: a map, an alias of a map, or a list of them (earlier ones win)."""

        def want_map(at: Node) -> NoReturn:
            raise YamlLoadError(
                "map merge requires map or sequence of maps as the value", at.span.line, at.span.col
            )

        if vnode.kind == "seq":
            sources = list(reversed(vnode.value))
        elif vnode.kind in ("map", "alias"):
            sources = [vnode]
        else:
            want_map(vnode)
        for source in sources:
            target = source.value if source.kind == "alias" else source
            if target.kind != "map":
                want_map(source)
            merged = self.decode(source, path, counted)
            for identity, entry in merged.entries.items():
                if self.record and identity in out.entries and identity not in merged_keys:
                    self.notes.append(replaced_by_merge(out.entries[identity][0], path, entry[1]))
                out.entries[identity] = entry
                merged_keys.add(identity)

    # phase 2 -----------------------------------------------------------------------------------
    def to_json(self, value: Any, node: Node, path: ValuesPath, record: bool) -> Any:
        if record:
            self.spans[path] = node.span
            if node.kind == "alias":
                self.alias_targets[path] = node.value  # where the copied value is written
                record = False
        if isinstance(value, GoMap):
            winners: dict[
                str, MapEntry
            ] = {}  # string key -> entry; Helm's pick among colliding keys is random
            for entry in value.entries.values():
                knode, raw = entry[0], entry[1]
                try:
                    key = key_to_string(raw) if not isinstance(raw, str) else raw
                except YamlLoadError as exc:
                    raise YamlLoadError(exc.message, knode.span.line, knode.span.col) from None
                if key in winners:
                    if record:
                        self.notes.append(key_collision(knode, path, key))
                    self._check_keys(winners.pop(key)[2])  # the loser is converted, then dropped
                winners[key] = entry
            out: dict[str, Any] = {}
            for key, (knode, _raw, item, vnode) in winners.items():
                child = path + (key,)
                if record:
                    self.key_spans[child] = knode.span
                out[key] = self.to_json(item, vnode, child, record)
            return out
        if isinstance(value, list):
            items = node.value.value if node.kind == "alias" else node.value
            return [self.to_json(item, items[i], path + (i,), record) for i, item in enumerate(value)]
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            try:
                return helm_number(value)
            except YamlLoadError as exc:
                raise YamlLoadError(exc.message, node.span.line, node.span.col) from None
        return value

    def _check_keys(self, value: Any) -> None:
        """sigs.k8s.io/yaml converts every key, even below a value a colliding key replaces."""
        if isinstance(value, GoMap):
            for knode, raw, item, _vnode in value.entries.values():
                try:
                    key_to_string(raw)
                except YamlLoadError as exc:
                    raise YamlLoadError(exc.message, knode.span.line, knode.span.col) from None
                self._check_keys(item)
        elif isinstance(value, list):
            for item in value:
                self._check_keys(item)


def read_document(root: Node | None, decoder: Decoder) -> dict[str, Any] | None:
    """One document as sigs.k8s.io/yaml.Unmarshal into a map gives it (None: empty)."""
    if root is None:
        return None
    value = decoder.decode(root, ())
    result = decoder.to_json(value, root, (), decoder.record)
    if result is None:
        return None
    if not isinstance(result, dict):
        kind = "a list" if isinstance(result, list) else "a scalar"
        raise YamlLoadError(
            f"the top level of a values file must be a mapping, not {kind}", root.span.line, root.span.col
        )
    return result
