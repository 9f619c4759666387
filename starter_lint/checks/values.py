"""SL100, SL101, SL105, SL106: the values against the contract and against the chart.

SL100 validates the effective values with the contract's JSON Schema; SL101 names keys the user
sets that neither the contract nor the chart's values.yaml knows; SL105 finds contract
placeholders still in place; SL106 (with --chart) finds keys the user sets that no template reads.
"""

from __future__ import annotations

import copy
import difflib
from collections.abc import Iterable
from typing import Any

from ..findings import Location, Problem, format_path
from ..placeholders import HOST_LISTS, placeholder_kind
from ..template_refs import EVERYTHING, calls_tpl, prefix_matches, template_references
from ..tree import leaves
from ..validate import values_schema as schema
from ..values.layers import get_path
from . import check, load_checks
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


def _problem_at(layer, path: tuple, message: str, key: str) -> Problem:
    """A Problem at the key in `layer`'s file; --set keys are located through provenance."""
    location = _key_location(layer, path) if layer.kind == "file" else None
    return Problem(message, path=path, location=location, key=key)


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


class _Level:
    """What is known about the keys at one level: contract schema nodes and the chart's value."""

    def __init__(self, nodes: list, chart: Any):
        self.nodes = nodes
        self.chart = chart  # the chart values.yaml's value here, or _MISSING

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
        verdicts = [v for v in (schema.key_verdict(self.nodes), self._chart_verdict()) if v is not None]
        if not verdicts or any(v.open for v in verdicts):
            return None
        return frozenset().union(*(v.names for v in verdicts))

    def child(self, key: str) -> _Level:
        chart = self.chart.get(key, _MISSING) if isinstance(self.chart, dict) else _MISSING
        return _Level(schema.child_nodes(self.nodes, key), chart)

    def item(self) -> _Level:
        chart: Any = _MISSING
        if isinstance(self.chart, list) and self.chart:
            items = [entry for entry in self.chart if isinstance(entry, dict)]
            # the union of the chart's example entries; an empty list says nothing about items
            chart = {k: v for entry in items for k, v in entry.items()} if items else _MISSING
        return _Level(schema.item_nodes(self.nodes), chart)


def _chart_keys(base) -> dict:
    """The chart's values.yaml with its null-valued keys put back: the loader drops them as Helm
    does, but `affinity: ~` still documents a key the chart reads."""
    data = copy.deepcopy(base.data)
    spans = base.loaded.key_spans if base.loaded is not None else {}
    for path in sorted(spans, key=len):
        if not all(isinstance(part, str) for part in path):
            continue
        parent = get_path(data, path[:-1])
        if isinstance(parent, dict) and path[-1] not in parent:
            parent[path[-1]] = None
    return data


def _root_level(ctx) -> _Level:
    chart = _MISSING
    if ctx.chart is not None and ctx.values.base is not None:
        chart = _chart_keys(ctx.values.base)
    return _Level(schema.root_nodes(), chart)


def _unknown(node: Any, level: _Level, path: tuple = ()) -> Iterable:
    """(path, suggestion or None) for every key below `node` that `level` does not know."""
    if isinstance(node, dict):
        known = level.known()
        for key, value in node.items():
            if not path and isinstance(key, str) and key.startswith("x-"):
                continue  # a top-level `x-…` key holds YAML anchors (the compose convention): meant to be ignored
            if known is not None and key not in known:
                close = difflib.get_close_matches(str(key), sorted(known), n=1, cutoff=0.6)
                if not close:  # a case slip (`Ingress`) is a close match too
                    close = [k for k in sorted(known) if k.lower() == str(key).lower()][:1]
                yield path + (key,), (close[0] if close else None)
                continue
            yield from _unknown(value, level.child(key), path + (key,))
    elif isinstance(node, list):
        item = level.item()
        for i, value in enumerate(node):
            yield from _unknown(value, item, path + (i,))


def unknown_keys(ctx) -> list:
    """(layer, path, suggestion) for each unknown key, per user file or --set."""
    root = _root_level(ctx)
    return [
        (layer, path, suggestion)
        for layer in _user_layers(ctx)
        for path, suggestion in _unknown(layer.data, root)
    ]


@check("SL101")
def unknown_key(ctx):
    against = "the values contract or the chart's values.yaml" if ctx.chart else "the values contract"
    for layer, path, suggestion in unknown_keys(ctx):
        if ctx.chart_defaults and suggestion is None:
            continue  # a chart's own values.yaml defines its keys; only a near-miss of a contract key is a typo
        where = format_path(path)
        fix = (
            f"did you mean {format_path(path[:-1] + (suggestion,))}?"
            if suggestion
            else "remove it or fix its name"
        )
        set_by = f" (set by {layer.flag_for(path)})" if layer.kind == "set" else ""
        yield _problem_at(
            layer,
            path,
            f"{where}{set_by} is not a key of {against}, so Helm ignores it; {fix}",
            key="unknown",
        )


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
# SL106 unused-value: which values paths the chart's templates read


def chart_references(ctx) -> set:
    refs: set = set()
    uses_tpl = False
    for text in ctx.chart.templates.values():
        refs |= template_references(text)
        uses_tpl = uses_tpl or calls_tpl(text)
    if uses_tpl:  # `tpl` renders values as templates: what they reference is read too
        for _, value in leaves(ctx.values.values):
            if isinstance(value, str) and "{{" in value:
                refs |= template_references(value)
    return refs


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
    refs = chart_references(ctx)
    if EVERYTHING in refs:
        return  # a template passes .Values whole (toYaml .Values, include … .Values)
    skip = {path for _, path, _ in unknown_keys(ctx)}  # SL101 reports those
    for layer in _user_layers(ctx):
        for key, value in layer.data.items():
            if key == "global":
                continue  # Helm's values for subcharts, read outside these templates
            for path in _unused(value, refs, (key,), skip):
                set_by = f" (set by {layer.flag_for(path)})" if layer.kind == "set" else ""
                yield _problem_at(
                    layer,
                    path,
                    f"{format_path(path)}{set_by} is set but no template "
                    f"in {ctx.chart.directory}/templates reads it: remove it, or use "
                    "it in a template",
                    key="unused",
                )
