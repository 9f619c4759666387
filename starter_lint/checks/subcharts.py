"""Where a chart's subcharts take their values, for SL101 and SL106 (docs/chart-targets.md).

Helm gives each subchart the values under its key in the parent's values: the alias of its
Chart.yaml `dependencies:` entry when the entry's version range admits the chart, else its name
(one loaded chart listed under two aliases renders twice). Which subcharts are enabled (conditions, tags), and where, is coalescing's answer
(ChartTreeValues.enabled, values/coalesce.py); a subchart below a disabled one is disabled too.
What each chart's templates read (template_reads) is one computation for both rules: SL106's
references, and keys SL101 knows.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from ..records import record
from ..template_refs import TemplatePath, calls_tpl, template_references
from ..tree import leaves
from ..values.chart_tree import ChartNode

ValuesPath = tuple[str, ...]


@record(frozen=True)
class Place:
    """One subchart where it renders: the values path its `.Values` lives under."""

    path: ValuesPath
    node: ChartNode
    enabled: bool


def chart_tree(ctx: Any) -> ChartNode | None:
    return ctx.chart.tree if ctx.chart is not None else None


def places(ctx: Any) -> list[Place]:
    """Every subchart of the target's chart, parents before their subcharts: the enabled ones
    where coalescing put them, the disabled ones under their alias, else their name."""
    tree = chart_tree(ctx)
    coalesced = ctx.values.charts if ctx.values is not None else None  # set whenever a chart is
    if tree is None or coalesced is None:
        return []
    enabled = [Place(path, node, True) for path, node in coalesced.enabled.items() if path]
    disabled = [place for place in _walk(tree, (), coalesced.enabled) if not place.enabled]
    return sorted(enabled + disabled, key=lambda place: len(place.path))


def _walk(node: ChartNode, path: ValuesPath, enabled: dict[ValuesPath, ChartNode]) -> Iterator[Place]:
    """Subcharts below `node` under their dependency keys; enabled when `enabled` holds them,
    and below a disabled one all disabled."""
    for sub in node.subcharts:
        keys = [dependency.key for dependency in node.dependencies if dependency.takes(sub)]
        for key in keys or [sub.name]:
            here = path + (key,)
            on = here in enabled
            yield Place(here, sub, on)
            yield from _walk(sub, here, enabled if on else {})


def _charts(ctx: Any) -> list[tuple[ValuesPath, ChartNode]]:
    tree = chart_tree(ctx)
    return [((), tree)] + [(place.path, place.node) for place in places(ctx)] if tree else []


def missing_dependencies(ctx: Any) -> list[ValuesPath]:
    """Values paths of dependencies Chart.yaml lists but `charts/` lacks (`helm dependency
    build` not run yet): what their values may hold is unknown."""
    return [
        path + (dependency.key,)
        for path, node in _charts(ctx)
        for dependency in node.dependencies
        if not any(sub.name == dependency.name for sub in node.subcharts)
    ]


def helm_reads(ctx: Any) -> set[ValuesPath]:
    """Values paths Helm itself reads while loading: each dependency's `condition` paths (under
    the parent's values) and, when any dependency has tags, the top-level `tags`."""
    read: set[ValuesPath] = set()
    for path, node in _charts(ctx):
        for dependency in node.dependencies:
            for condition in dependency.condition.split(","):
                if condition.strip():
                    read.add(path + tuple(condition.strip().split(".")))
            if dependency.tags:
                read.add(("tags",))
    return read


def place_of(ctx: Any, path: tuple[Any, ...]) -> Place | None:
    """The innermost subchart whose values hold the key at `path`."""
    holders = [
        place
        for place in places(ctx)
        if len(place.path) < len(path) and path[: len(place.path)] == place.path
    ]
    return max(holders, key=lambda place: len(place.path)) if holders else None


@lru_cache(maxsize=4096)
def _scan(text: str) -> tuple[frozenset[TemplatePath], bool]:
    """(values paths `text` reads, whether it calls `tpl`); SL101 and SL106 both ask, per run."""
    return frozenset(template_references(text)), calls_tpl(text)


def template_reads(ctx: Any) -> dict[ValuesPath, set[TemplatePath]]:
    """The values paths the templates of the chart (at `()`) and of each subchart, enabled or
    not, read, relative to that chart's `.Values`; with `tpl`, the references in the string
    values under the chart's key count too, as `tpl` renders them (docs/chart-targets.md)."""
    reads: dict[ValuesPath, set[TemplatePath]] = {}
    for path, node in _charts(ctx):
        found: set[TemplatePath] = set()
        uses_tpl = False
        for text in node.templates.values():
            refs, tpl = _scan(text)
            found |= refs
            uses_tpl = uses_tpl or tpl
        below = ctx.values.get(path) if path else ctx.values.values
        if uses_tpl and isinstance(below, dict):
            for _, value in leaves(below):
                if isinstance(value, str) and "{{" in value:
                    found |= _scan(value)[0]
        reads.setdefault(path, set()).update(found)
    return reads


def chart_references(ctx: Any) -> set[TemplatePath]:
    """The values paths the templates of the chart and of its enabled subcharts read, as paths
    in the chart's values: a subchart's `.Values.x` is `<its key>.x`; its `.Values.global.x` is
    `global.x` (Helm copies the chart's globals down) or its own `<its key>.global.x`."""
    enabled = {()} | {place.path for place in places(ctx) if place.enabled}
    refs: set[TemplatePath] = set()
    for prefix, found in template_reads(ctx).items():
        if prefix in enabled:
            refs |= {prefix + ref for ref in found}
            refs |= {ref for ref in found if prefix and ref[:1] == ("global",)}
    return refs
