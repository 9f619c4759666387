"""Which source set a value of a coalesced chart tree: a user layer, a chart's values.yaml, a
parent's `global:` copied down, or a subchart table a parent imported.

Coalescing (values/coalesce.py) does not track sources as it goes: it follows Helm's steps
exactly, and a record kept inside them would have to follow every shared map. Instead the
sources that *could* have set a path are listed in the order Helm lets them win, and the first
one holding the same value is the answer (the first one holding the path at all when none
holds the same value, e.g. a table). The order, highest first (docs/design/values.md):

1. below a chart's `global:`, the global of each chart above it, from the root down: coalesceGlobals
   lets a parent's global win over its child's, and the user's values sit above the root's;
2. the user's layers, topmost first;
3. the charts' own values.yaml from the root down: a parent's values win over its subchart's;
4. import-values tables, in the order Helm merged them (an earlier import wins), each traced
   back to the subchart default it copied (imports read chart defaults, never user values).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from ..findings import ValuesPath, format_path
from ..records import record
from ..tree import get_path
from ..yamlio import LoadedYaml
from .chart_tree import ChartTreeValues
from .coalesce import GLOBAL_KEY


def _get(data: Any, path: ValuesPath) -> Any:
    return get_path(data, path, _MISSING)


_MISSING = object()
_MAX_IMPORT_HOPS = 8  # an import of an import ...; a parent path can point back into a child


@record(frozen=True)
class Source:
    """Where a value of a chart tree came from; `layer` is the user layer, or None for a chart."""

    name: str  # display path of the user file or the chart's values.yaml, or "--set"
    path: ValuesPath  # the path inside that source's own data
    layer: Any = None
    loaded: LoadedYaml | None = None  # a chart's values.yaml
    note: str = ""  # "global.x copied down", "imported from redis.exports.x"


def _same(found: Any, value: Any) -> bool:
    if isinstance(value, dict):
        return isinstance(found, dict)
    return found == value and isinstance(found, bool) == isinstance(value, bool) and type(found) is not dict


def find_source(
    path: ValuesPath, value: Any, layers: Sequence[Any], charts: ChartTreeValues
) -> Source | None:
    """The source that set `value` at `path`; `layers` are the user layers, lowest first."""
    first = None
    for source, found in _sources(path, list(reversed(layers)), charts, 0):
        if _same(found, value):
            return source
        first = first or source
    return first


def _sources(
    path: ValuesPath, layers: list[Any], charts: ChartTreeValues, hops: int
) -> Iterator[tuple[Source, Any]]:
    for wanted, note in _global_paths(path, charts):
        for layer in layers:
            found = _get(layer.data, wanted)
            if found is not _MISSING:
                yield Source(layer.name, wanted, layer, layer.loaded, note), found
        for chart_path in _charts_above(wanted, charts):
            node = charts.enabled[chart_path]
            found = _get(node.defaults, wanted[len(chart_path) :]) if node.values is not None else _MISSING
            if found is not _MISSING:
                yield Source(node.values_path, wanted[len(chart_path) :], None, node.values, note), found
        if hops >= _MAX_IMPORT_HOPS:
            continue
        for into, source_path in charts.imports:
            if wanted[: len(into)] == into:
                imported = f"imported from {format_path(source_path)}"
                for source, found in _sources(source_path + wanted[len(into) :], [], charts, hops + 1):
                    note = f"{imported}, {source.note}" if source.note else imported
                    yield Source(source.name, source.path, None, source.loaded, note), found


def _charts_above(path: ValuesPath, charts: ChartTreeValues) -> list[ValuesPath]:
    """The enabled charts whose values hold `path`, the root first."""
    return sorted((p for p in charts.enabled if path[: len(p)] == p), key=len)


def _global_paths(path: ValuesPath, charts: ChartTreeValues) -> list[tuple[ValuesPath, str]]:
    """The paths whose value lands at `path`, the winning one first, with a note for each copy."""
    above = _charts_above(path, charts)
    for depth, chart_path in enumerate(above):
        if path[len(chart_path) : len(chart_path) + 1] == (GLOBAL_KEY,):
            rest = path[len(chart_path) :]
            return [
                (parent + rest, "" if parent == chart_path else f"{format_path(parent + rest)} copied down")
                for parent in above[: depth + 1]
            ]
    return [(path, "")]
