"""SL100, SL101, SL105, SL106: the values against the contract and against the chart.

SL100 validates the effective values with the contract's JSON Schema; SL101 names keys the user
sets that neither the contract nor the chart (its values.yaml, what its templates read) knows; SL105 finds contract
placeholders still in place; SL106 (with --chart) finds keys the user sets that no template reads.
"""

from __future__ import annotations

import copy
import difflib
from collections.abc import Iterable
from typing import Any

from ..findings import Location, Problem, Severity, format_path
from ..placeholders import HOST_LISTS, placeholder_kind
from ..template_refs import ANY, EVERYTHING, prefix_matches
from ..tree import leaves
from ..validate import values_schema as schema
from ..values.layers import get_path
from . import check, load_checks, subcharts
from .contract import COMPONENTS, inactive_secrets_path, ingress_enabled, worker_enabled

_MISSING = object()


def _key_location(layer, path: tuple) -> Location | None:
    """The key's own position in a user file (the value's when the key has none recorded)."""
    loaded = layer.loaded
    if loaded is None:
        return None
    span = loaded.key_spans.get(path) or loaded.spans.get(path)
    if span is None:
        return None
    return Location(layer.name, span.line, span.col, span.end_line, span.end_col)


def _user_layers(ctx) -> list:
    return [layer for layer in ctx.values.layers if layer.kind in ("file", "set")]


def _problem_at(layer, path: tuple, message: str, key: str, severity: Severity | None = None) -> Problem:
    """A Problem at the key in `layer`'s file; --set keys are located through provenance."""
    location = _key_location(layer, path) if layer.kind == "file" else None
    return Problem(message, path=path, location=location, key=key, severity=severity)


# ---------------------------------------------------------------------------------------------
# SL100 values-schema


def _reported_by(rule_id: str | None, ctx) -> bool:
    """True when `rule_id` runs in this run (implemented and selected) and so reports the defect."""
    if not rule_id or rule_id not in load_checks({"values"}):
        return False
    if ctx.options is None:
        return True

    return ctx.options.selects(rule_id)


@check("SL100")
def values_schema(ctx):
    for violation in schema.violations(ctx.values.values):
        if _reported_by(violation.deferred_to, ctx):
            continue  # that rule reports this defect with a more specific message
        yield Problem(violation.message, path=violation.path, key=violation.keyword)


# ---------------------------------------------------------------------------------------------
# SL101 unknown-key


class _Subchart(dict):
    """A subchart's keys in the chart's key tree: the contract describes the chart, not these."""


_ANY_KEY = _Subchart()  # any key below: `global`, `tags`, a dependency charts/ does not hold yet


class _ReadWhole(dict):
    """A top chart's map a template reads whole (`toYaml .Values.x`): see _with_reads."""


class _ReadWholeInSubchart(dict):
    """A subchart's map a template reads whole: a key it lacks may still be rendered (SL101 warns)."""


class _Level:
    """What is known about the keys at one level: contract schema nodes and the chart's value."""

    def __init__(self, nodes: list, chart: Any, whole: bool = False):
        self.nodes = nodes
        self.chart = chart  # the chart values.yaml's value here, or _MISSING
        self.whole = whole or isinstance(chart, _ReadWhole)  # here or a map above is read whole

    def _chart_verdict(self) -> schema.KeyVerdict | None:
        if self.chart is _MISSING:
            return None
        if isinstance(self.chart, dict):
            # an empty map in a chart (`nodeSelector: {}`) is free-form content
            return (
                schema.KeyVerdict(open=True)
                if not self.chart
                else schema.KeyVerdict(False, frozenset(self.chart))
            )
        return None  # a scalar or list default says nothing about keys below it

    def known(self) -> frozenset | None:
        """The known key names, or None when any key is fine here."""
        contract = schema.key_verdict(self.nodes)
        if self.whole and contract is None:
            return None  # a template reads all of this map: every key set here reaches it
        verdicts = [v for v in (contract, self._chart_verdict()) if v is not None]
        if not verdicts or any(v.open for v in verdicts):
            return None
        return frozenset().union(*(v.names for v in verdicts))

    def child(self, key: str) -> _Level:
        chart = self.chart.get(key, _MISSING) if isinstance(self.chart, dict) else _MISSING
        if isinstance(chart, _Subchart) or isinstance(self.chart, _Subchart):
            return _Level([], chart)  # below a subchart's key only its values.yaml knows keys
        return _Level(schema.child_nodes(self.nodes, key), chart, self.whole)

    def item(self) -> _Level:
        chart: Any = _MISSING
        if isinstance(self.chart, list) and self.chart:
            items = [entry for entry in self.chart if isinstance(entry, dict)]
            # the union of the chart's example entries; an empty list says nothing about items
            chart = {k: v for entry in items for k, v in entry.items()} if items else _MISSING
        return _Level(schema.item_nodes(self.nodes), chart, self.whole)


def _chart_keys(data: dict, loaded) -> dict:
    """A values.yaml's data with its null-valued keys put back: the loader drops them as Helm
    does, but `affinity: ~` still documents a key the chart reads."""
    data = copy.deepcopy(data)
    spans = loaded.key_spans if loaded is not None else {}
    for path in sorted(spans, key=len):
        if not all(isinstance(part, str) for part in path):
            continue
        parent = get_path(data, path[:-1])
        if isinstance(parent, dict) and path[-1] not in parent:
            parent[path[-1]] = None
    return data


def _union(low: Any, high: Any) -> Any:
    """The keys of two values.yaml trees together (a map wins over a scalar; any-key over both)."""
    if low is _ANY_KEY or high is _ANY_KEY:
        return _ANY_KEY
    if isinstance(low, dict) and isinstance(high, dict):
        merged = type(high)(low)
        for key, value in high.items():
            merged[key] = _union(low[key], value) if key in low else value
        return merged
    return high if isinstance(high, dict) else low


def _put(tree: dict, path: tuple, value: Any) -> None:
    """`value` at `path` in `tree`, merged with what is there; a scalar on the way becomes a map."""
    node = tree
    for key in path[:-1]:
        if node.get(key) is _ANY_KEY:
            return
        if not isinstance(node.get(key), dict):
            node[key] = {}
        node = node[key]
    node[path[-1]] = _union(node[path[-1]], value) if path[-1] in node else value


def _reads_trie(paths: Iterable[tuple]) -> dict:
    """The paths as a trie of keys; the key None marks a path that ends there (read whole)."""
    trie: dict = {}
    for path in paths:
        node = trie
        for key in path:
            node = node.setdefault(key, {})
        node[None] = True
    return trie


def _with_reads(node: Any, trie: dict, in_subchart: bool = False) -> Any:
    """`node`, a values.yaml tree, with the keys templates read (`trie`) known: each joins a map
    that names keys (an empty map, a scalar, a null take any key already); a map of the top
    chart read whole takes any key below; a subchart's keeps the keys its values.yaml names, as
    it is the subchart's contract (`dict "imageRoot" .Values.image` hands a helper the map, which
    reads a few keys); a computed key (ANY, `index $.Values $component`) names none, so what is
    read below it applies below each key the map names."""
    if node is _ANY_KEY:
        return node
    in_subchart = in_subchart or isinstance(node, _Subchart)
    if None in trie and isinstance(node, dict) and node and not isinstance(node, _Subchart):
        node = (_ReadWholeInSubchart if in_subchart else _ReadWhole)(node)
    if not isinstance(node, dict) or not node:
        return node
    known = type(node)(node)
    for key, below in trie.items():
        if key is not None and key != ANY:
            known[key] = _with_reads(known.get(key), below, in_subchart)
    if ANY in trie:  # not into a subchart's values: a chart's computed key picks among its own
        for name, value in known.items():
            if not isinstance(value, _Subchart):
                known[name] = _with_reads(value, trie[ANY], in_subchart)
    return known


def _chart_tree_keys(ctx) -> Any:
    """The keys the chart knows: its values.yaml's, and each subchart's values.yaml's under the
    subchart's key, with `global` at the top and in every subchart, and the keys each chart's
    templates read (docs/chart-targets.md)."""
    base = ctx.values.base
    keys = _chart_keys(base.data, base.loaded)
    if subcharts.places(ctx) or subcharts.missing_dependencies(ctx):
        keys = _subchart_keys(ctx, keys)
    reads = subcharts.template_reads(ctx)
    trie = _reads_trie(prefix + ref for prefix, refs in reads.items() for ref in refs)
    trie.pop(None, None)  # `.Values` itself (a checksum of `toYaml .Values`) opens nothing
    return _with_reads(keys, trie)


def _subchart_keys(ctx, keys: dict) -> dict:
    """`keys` with each subchart's values.yaml's keys under its key, `global`, `tags` and
    each dependency's condition."""
    chart_places = subcharts.places(ctx)
    keys["global"] = _ANY_KEY
    for place in chart_places:
        own = _chart_keys(place.node.defaults, place.node.values)
        # a subchart without values.yaml says nothing about its keys, as an empty one at the top
        _put(keys, place.path, _Subchart(own, **{"global": _ANY_KEY}) if own else _ANY_KEY)
    for path in subcharts.helm_reads(ctx):
        _put(keys, path, _ANY_KEY if path == ("tags",) else None)
    for path in subcharts.missing_dependencies(ctx):
        _put(keys, path, _ANY_KEY)
    return keys


def _root_level(ctx) -> _Level:
    chart = _MISSING
    if ctx.chart is not None and ctx.values.base is not None:
        chart = _chart_tree_keys(ctx)
    return _Level(schema.root_nodes(), chart)


def _unknown(node: Any, level: _Level, path: tuple = (), whole_at: tuple | None = None) -> Iterable:
    """(path, suggestion or None, the subchart map above read whole or None) for every key below
    `node` that `level` does not know."""
    if isinstance(level.chart, _ReadWholeInSubchart):
        whole_at = path
    if isinstance(node, dict):
        known = level.known()
        for key, value in node.items():
            if not path and isinstance(key, str) and key.startswith("x-"):
                continue  # a top-level `x-…` key holds YAML anchors (the compose convention): meant to be ignored
            if known is not None and key not in known:
                close = difflib.get_close_matches(str(key), sorted(known), n=1, cutoff=0.6)
                if not close:  # a case slip (`Ingress`) is a close match too
                    close = [k for k in sorted(known) if k.lower() == str(key).lower()][:1]
                yield path + (key,), (close[0] if close else None), whole_at
                continue
            yield from _unknown(value, level.child(key), path + (key,), whole_at)
    elif isinstance(node, list):
        item = level.item()
        for i, value in enumerate(node):
            yield from _unknown(value, item, path + (i,), whole_at)


def unknown_keys(ctx) -> list:
    """(layer, path, suggestion, map read whole above or None) for each unknown key, per user
    file or --set."""
    root = _root_level(ctx)
    return [(layer, *unknown) for layer in _user_layers(ctx) for unknown in _unknown(layer.data, root)]


@check("SL101")
def unknown_key(ctx):
    against = (
        "the values contract or the chart's values.yaml, and no template of the chart reads it"
        if ctx.chart
        else "the values contract"
    )
    for layer, path, suggestion, whole_at in unknown_keys(ctx):
        if ctx.chart_defaults and suggestion is None:
            continue  # a chart's own values.yaml defines its keys; only a near-miss of a contract key is a typo
        where = format_path(path)
        fix = (
            f"did you mean {format_path(path[:-1] + (suggestion,))}?"
            if suggestion
            else "remove it or fix its name"
        )
        set_by = f" (set by {layer.flag_for(path)})" if layer.kind == "set" else ""
        place = subcharts.place_of(ctx, path)
        known_by, ignored = against, "Helm ignores it"
        if place is not None:
            known_by = (
                f"subchart {place.node.name}'s values.yaml ({place.node.values_path}), "
                f"and no template of {place.node.name} reads it"
            )
            if not place.enabled:  # checked all the same: switching it on uses these values
                ignored += f", as it ignores all of subchart {place.node.name}'s values while it is disabled"
        message = f"{where}{set_by} is not a key of {known_by}, so {ignored}; {fix}"
        if place is not None and whole_at is not None:  # the map, this key too, may reach the manifest
            name, fix = place.node.name, f" ({fix})" if suggestion else ""
            message = (
                f"{where}{set_by} is not a key of {name}'s values.yaml; a template of {name} reads "
                f"{format_path(whole_at)} whole, so it may still reach the manifest: check the spelling{fix}"
            )
        severity = Severity.WARNING if whole_at is not None else None
        yield _problem_at(layer, path, message, key="unknown", severity=severity)


# ---------------------------------------------------------------------------------------------
# SL105 placeholder-value

_REPLACE_WITH = {
    "image": "the image you published, pinned to a version",
    "host": "the host name you serve",
    "URL": "the real URL",
    "value": "the real value",
}


def _skipped(ctx, path: tuple) -> bool:
    """Parts the chart does not render: a disabled worker (docs/design/rules.md), a disabled ingress, the
    secrets path that is switched off (SL204 reports that one)."""
    if not worker_enabled(ctx) and (path[:1] == ("worker",) or path[:2] == ("externalSecrets", "worker")):
        return True
    if any(
        path[: len(inactive)] == inactive
        for inactive in (inactive_secrets_path(ctx, component) for component in COMPONENTS)
    ):
        return True
    return not ingress_enabled(ctx) and path[:1] == ("ingress",) and len(path) > 1 and path[1] in HOST_LISTS


@check("SL105")
def placeholder_value(ctx):
    for path, value in leaves(ctx.values.values):
        if not isinstance(value, str) or _skipped(ctx, path):
            continue
        kind = placeholder_kind(path, value)
        if kind is None:
            continue
        where = format_path(path)
        shown = schema.shown(path, value)  # ` ("…")`, or nothing for a secret
        if ctx.set_by_user(path):
            message = f"{where} is still a placeholder{shown}: set it to {_REPLACE_WITH[kind]}"
        else:
            origin = ctx.origin(path)
            default = "the chart's default" if ctx.chart is not None else "the contract default"
            source = f" from {origin.source}" if ctx.chart is not None and origin is not None else ""
            message = (
                f"{where} is still {default} placeholder{shown}{source}, which your values do "
                f"not override: add {where} with {_REPLACE_WITH[kind]}"
            )
        yield Problem(message, path=path, key=kind)


# ---------------------------------------------------------------------------------------------
# SL106 unused-value: keys no template reads (subcharts.chart_references)


def _not_for_templates(ctx) -> set:
    """Values paths SL106 leaves alone: what Helm itself reads (conditions, tags), the values of
    a disabled subchart (ignored while it is off, used once it is on: SL101 still checks their
    keys) and of a dependency charts/ does not hold yet, whose templates are unknown."""
    disabled = {place.path for place in subcharts.places(ctx) if not place.enabled}
    return subcharts.helm_reads(ctx) | disabled | set(subcharts.missing_dependencies(ctx))


def _unused(node: Any, refs: set, path: tuple, skip: set) -> Iterable:
    if path in skip:
        return
    if any(prefix_matches(ref, path) for ref in refs):
        return  # read itself, or a map above it is read
    if not any(prefix_matches(path, ref) for ref in refs if len(ref) > len(path)):
        yield path  # nothing at or below this key is read
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from _unused(value, refs, path + (key,), skip)


@check("SL106", needs="chart")
def unused_value(ctx):
    refs = subcharts.chart_references(ctx)
    if EVERYTHING in refs:
        return  # a template passes .Values whole (toYaml .Values, include … .Values)
    # SL101 reports unknown keys; Helm itself, not a template, reads or ignores the others
    skip = {unknown[1] for unknown in unknown_keys(ctx)} | _not_for_templates(ctx)
    # with every subchart loaded, every template that may read a global is known
    globals_read_here = bool(subcharts.places(ctx)) and not subcharts.missing_dependencies(ctx)
    templates = f"{ctx.chart.directory}/templates"
    if subcharts.places(ctx):
        templates += " or in its subcharts' templates"
    for layer in _user_layers(ctx):
        for key, value in layer.data.items():
            if key == "global" and not globals_read_here:
                continue  # Helm's values for subcharts, read outside these templates
            for path in _unused(value, refs, (key,), skip):
                set_by = f" (set by {layer.flag_for(path)})" if layer.kind == "set" else ""
                yield _problem_at(
                    layer,
                    path,
                    f"{format_path(path)}{set_by} is set but no template "
                    f"in {templates} reads it: remove it, or use "
                    "it in a template",
                    key="unused",
                )
