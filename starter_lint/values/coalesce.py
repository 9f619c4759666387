"""Coalesce a chart tree over the user's values exactly as Helm 4 does before it renders.

`helm install` (pkg/action/install.go) first runs ProcessDependencies (pkg/chart/v2/util/
dependencies.go): processDependencyEnabled decides, level by level, which subcharts render
(conditions and tags read from the values coalesced so far) and renames aliased ones, then
processDependencyImportValues rewrites each parent's chart values to "its values merged with its
subcharts', plus what it imports". Only then does ToRenderValues call CoalesceValues
(pkg/chart/common/util/coalesce.go) on the user's values. Each step below is a function named
after the Go one it follows, in the same order, with maps shared and copied where Go shares and
copies them: Helm's results in odd cases (a global table a child also sets, a chart aliased twice)
come from that sharing, and matching them is the point (tests/test_coalesce_parity.py).
"""

from __future__ import annotations

import copy
from typing import Any

from ..errors import InputError
from ..records import record
from .chart_load import MAX_CHARTS
from .chart_tree import ChartNode, ChartTreeValues, Dependency
from .semver_range import is_compatible_range, sanitized

GLOBAL_KEY = "global"
Values = dict[str, Any]  # a values table as Go's map[string]any


class CoalesceError(InputError):
    """Helm refuses the values (a subchart's key holds something other than a map), or the
    charts the aliases make are more than we render."""


MAX_COPIED_VALUES = 3_000_000  # values coalescing one tree may copy (a large umbrella: ~600,000)


@record
class _Bounds:
    """What coalescing has made so far, bounded so that the work stops before it grows (Helm
    has no bound). Charts: an alias copies its chart with everything below it, so ten aliases
    at each of four levels make a thousand charts from four folders; counted before each
    level's coalescing, bounded like the loaded charts (MAX_CHARTS). Values: every copy of a
    table (each chart's defaults at each coalescing pass, each import-values entry, the
    globals handed to each subchart) counts each value, a table shared in several places once
    per place, as the output and the checks walk it; counted before the copy is made."""

    charts: int = 1  # the chart itself
    copied: int = 0

    def add_charts(self, count: int, chart: _Chart, path: str) -> None:
        self.charts += count
        if self.charts > MAX_CHARTS:
            raise CoalesceError(
                f"chart {chart.name!r}{_at(path)}: its subcharts with their aliases make more than "
                f"{MAX_CHARTS} charts; not supported"
            )

    def count(self, value: Any, chart: _Chart) -> None:
        stack = [value]
        while stack:
            item = stack.pop()
            self.copied += 1
            if isinstance(item, dict):
                stack.extend(item.values())
            elif isinstance(item, list):
                stack.extend(item)
            if self.copied > MAX_COPIED_VALUES:
                raise CoalesceError(
                    f"chart {chart.name!r}: coalescing the chart tree copies more than "
                    f"{MAX_COPIED_VALUES:,} values (each import-values entry, alias and subchart "
                    "copies values again); not supported"
                )

    def copy(self, values: Values, chart: _Chart) -> Values:
        self.count(values, chart)
        return copy.deepcopy(values)


def _at(path: str) -> str:
    return f" (at {path.rstrip('.')})" if path else ""


@record
class _Req:
    """A Chart.yaml dependency as Helm's *chart.Dependency: Name is rewritten to the alias."""

    name: str
    alias: str
    condition: str
    tags: tuple[str, ...]
    import_values: tuple[tuple[str, str], ...]  # both forms as (child, parent), as Go rewrites them
    version: str  # the range a loaded chart's version must match for the entry to take it
    enabled: bool = True


@record
class _Meta:
    """Chart.yaml as Helm's *chart.Metadata; shared by reference between shallow chart copies."""

    name: str
    reqs: list[_Req] | None  # None is Go's nil slice: processDependency* stop there
    version: str  # Chart.yaml `version`


@record
class _Chart:
    """Helm's *chart.Chart: values and dependency list are per copy, the metadata is a pointer."""

    meta: _Meta
    values: dict[str, Any]
    deps: list[_Chart]
    node: ChartNode

    @property
    def name(self) -> str:
        return self.meta.name


def _req(dep: Dependency) -> _Req:
    imports = tuple(("exports." + iv, ".") if isinstance(iv, str) else iv for iv in dep.import_values)
    return _Req(dep.name, dep.alias, dep.condition, tuple(dep.tags), imports, sanitized(dep.version))


def _from_node(node: ChartNode, bounds: _Bounds) -> _Chart:
    reqs = [_req(d) for d in node.dependencies] if node.dependencies else None
    chart = _Chart(_Meta(node.name, reqs, node.version), {}, [], node)
    chart.values = bounds.copy(node.defaults, chart)
    chart.deps = [_from_node(s, bounds) for s in node.subcharts]
    return chart


# --------------------------------------------------------------------------------------------
# pkg/chart/common/util/coalesce.go


def coalesce_values(chart: _Chart, values: Values | None, bounds: _Bounds, merge: bool = False) -> Values:
    """CoalesceValues (merge False: a user null deletes a default) / MergeValues (nulls kept)."""
    return _coalesce(chart, bounds.copy(values, chart) if values else {}, bounds, merge)


def _coalesce(chart: _Chart, dest: Values, bounds: _Bounds, merge: bool) -> Values:
    _coalesce_own_values(chart, dest, bounds, merge)
    return _coalesce_deps(chart, dest, bounds, merge)


def _coalesce_deps(chart: _Chart, dest: Values, bounds: _Bounds, merge: bool) -> Values:
    """coalesceDeps: each subchart's values live under its name, globals copied down first."""
    for sub in chart.deps:
        if sub.name not in dest:
            dest[sub.name] = {}
        elif not isinstance(dest[sub.name], dict):
            raise CoalesceError(
                f"the values under {sub.name!r} must be a map: they are the values of subchart "
                f"{sub.name!r} of chart {chart.name!r} (Helm: type mismatch on {sub.name})"
            )
        sub_values = dest[sub.name]
        _coalesce_globals(sub_values, dest)
        bounds.count(sub_values.get(GLOBAL_KEY), sub)  # its tables are shared, walked once per chart
        dest[sub.name] = _coalesce(sub, sub_values, bounds, merge)
    return dest


def _coalesce_globals(dest: Values, src: Values) -> None:
    """coalesceGlobals: the parent's `global:` over the child's. A table is copied one level
    deep only (Go's copyMap), so merging the child's nested global tables into it writes into
    the parent's own nested tables: that is how a child's nested globals reach its parent."""
    dest_global = dest.get(GLOBAL_KEY, {})
    src_global = src.get(GLOBAL_KEY, {})
    if not isinstance(dest_global, dict) or not isinstance(src_global, dict):
        return  # Helm warns "skipping globals because ... is not a table"
    for key, value in src_global.items():
        if isinstance(value, dict):
            shallow = dict(value)
            if key not in dest_global:
                dest_global[key] = shallow
            elif isinstance(dest_global[key], dict):
                _coalesce_tables(shallow, dest_global[key], merge=True)  # the parent's wins
                dest_global[key] = shallow
            # else: Helm warns "cannot merge map onto non-map" and keeps the child's
        elif not isinstance(dest_global.get(key), dict):
            dest_global[key] = value
    dest[GLOBAL_KEY] = dest_global


def _coalesce_own_values(chart: _Chart, values: Values, bounds: _Bounds, merge: bool) -> None:
    """coalesceValues: this chart's own defaults (a deep copy) under `values`."""
    defaults = bounds.copy(chart.values, chart)
    subchart_names = {sub.name for sub in chart.deps}
    for key, default in defaults.items():
        if key in values:
            value = values[key]
            if value is None and not merge:
                del values[key]  # a user null deletes the default
            elif isinstance(value, dict) and isinstance(default, dict):
                # a subchart's table keeps its nulls here: the subchart's own pass deletes with them
                merge_here = merge or key in subchart_names
                if not merge_here:
                    _clean_nils(default)
                _coalesce_tables(value, default, merge_here)
        elif merge or default is not None:
            if not merge and isinstance(default, dict):
                _clean_nils(default)  # chart-default nulls never show in the result
            values[key] = default


def _coalesce_tables(dst: Values | None, src: Values | None, merge: bool) -> Values | None:
    """coalesceTablesFullKey: `src` under the authoritative `dst`, in place. When coalescing, a
    dst null over a non-null src value deletes the key; a null over nothing stays."""
    if src is None:
        return dst
    if dst is None:
        return src
    src_non_nil = {key for key, value in src.items() if value is not None}
    for key, value in dst.items():
        if value is None:
            src[key] = None
    for key, value in list(src.items()):
        if key not in dst:
            dst[key] = value
            continue
        current = dst[key]
        if not merge and current is None and key in src_non_nil:
            del dst[key]
        elif isinstance(value, dict) and isinstance(current, dict):
            _coalesce_tables(current, value, merge)
        # otherwise dst wins (Helm warns when a table meets a non-table)
    return dst


def _clean_nils(table: Values) -> None:
    """cleanNilValues."""
    for key, value in list(table.items()):
        if value is None:
            del table[key]
        elif isinstance(value, dict):
            _clean_nils(value)


# --------------------------------------------------------------------------------------------
# pkg/chart/v2/util/dependencies.go


def _takes(req: _Req, chart: _Chart) -> bool:
    """The entry takes the loaded chart: same name and IsCompatibleRange(req.Version, chart's
    Metadata.Version). A range that does not parse (or is empty) takes nothing."""
    return chart.name == req.name and is_compatible_range(req.version, chart.meta.version)


def _alias_dependency(charts: list[_Chart], req: _Req) -> _Chart | None:
    """getAliasDependency: a copy of the first loaded chart the entry takes (name and version
    range), renamed to the alias. Its metadata is copied, but its own subcharts are copied
    shallowly and keep sharing theirs."""
    for chart in charts:
        if not _takes(req, chart):
            continue
        reqs = None if chart.meta.reqs is None else [copy.copy(r) for r in chart.meta.reqs]
        meta = _Meta(req.alias or chart.meta.name, reqs, chart.meta.version)
        subs = [_Chart(s.meta, s.values, list(s.deps), s.node) for s in chart.deps]
        return _Chart(meta, chart.values, subs, chart.node)
    return None


def _size(chart: _Chart) -> int:
    return 1 + sum(_size(sub) for sub in chart.deps)


def _process_enabled(chart: _Chart, values: Values, path: str, bounds: _Bounds) -> None:
    """processDependencyEnabled: which subcharts render, decided on the values coalesced so far."""
    reqs = chart.meta.reqs
    if reqs is None:  # no Chart.yaml dependencies: every loaded subchart stays, unexamined below
        bounds.add_charts(_size(chart) - 1, chart, path)
        return
    # loaded charts that no entry takes (by name and version range) come first and stay under
    # their own name: an entry's alias does not apply to them, while its condition and tags
    # still reach one of the same name when the entry has no alias (they go by req.Name)
    kept = [c for c in chart.deps if not any(_takes(r, c) for r in reqs)]
    for req in reqs:
        found = _alias_dependency(chart.deps, req)
        if found is not None:
            kept.append(found)
        if req.alias:
            req.name = req.alias
    chart.deps = kept
    bounds.add_charts(len(kept), chart, path)
    for req in reqs:
        req.enabled = True
    coalesced = coalesce_values(chart, values, bounds)
    _process_tags(reqs, coalesced)
    _process_conditions(reqs, coalesced, path)  # after tags: a condition that resolves wins
    removed = {r.name for r in reqs if not r.enabled}
    enabled = [c for c in chart.deps if c.name not in removed]
    for sub in enabled:
        _process_enabled(sub, coalesced, path + sub.name + ".", bounds)
    chart.meta.reqs = [r for r in reqs if r.name not in removed] or None  # Go's append to nil
    chart.deps = enabled


def _process_tags(reqs: list[_Req], values: Values) -> None:
    """processDependencyTags: a true tag enables; only false tags disable; no tags: enabled."""
    tags = values.get("tags")
    if not isinstance(tags, dict):
        return
    for req in reqs:
        flags = [tags[t] for t in req.tags if t in tags and isinstance(tags[t], bool)]
        req.enabled = True in flags or False not in flags


def _process_conditions(reqs: list[_Req], values: Values, path: str) -> None:
    """processDependencyConditions: the first comma-separated path holding a bool decides; a
    missing path, a non-bool or a table is skipped (Helm warns)."""
    for req in reqs:
        for condition in req.condition.strip().split(","):
            if condition:
                found, value = _path_value(values, path + condition)
                if found and isinstance(value, bool):
                    req.enabled = value
                    break


def _path_value(values: Values, dotted: str) -> tuple[bool, Any]:
    """Values.PathValue: the non-table value at a dotted path."""
    *tables, last = dotted.split(".")
    found, table = _table(values, ".".join(tables)) if tables else (True, values)
    if found and last in table and not isinstance(table[last], dict):
        return True, table[last]
    return False, None


def _table(values: Values, dotted: str) -> tuple[bool, Values]:
    """Values.Table: the table at a dotted path."""
    table = values
    for part in dotted.split("."):
        inner = table.get(part)
        if not isinstance(inner, dict):
            return False, {}
        table = inner
    return True, table


def _process_import_values(
    chart: _Chart,
    chart_path: tuple[str, ...],
    imports: list[tuple[tuple[str, ...], tuple[str, ...]]],
    bounds: _Bounds,
) -> None:
    """processDependencyImportValues: children first, then this chart's values become its own
    merged with its subcharts' (MergeValues: nulls kept) under what it imports."""
    for sub in chart.deps:
        _process_import_values(sub, chart_path + (sub.name,), imports, bounds)
    reqs = chart.meta.reqs
    if reqs is None:
        return
    merged = coalesce_values(chart, None, bounds, merge=True)
    imported: Values | None = {}
    for req in reqs:
        for child, parent in req.import_values:
            found, table = _table(merged, req.name + "." + child)
            if not found:
                continue  # Helm warns "ImportValues missing table"
            bounds.count(table, chart)  # each entry is one more copy of the table
            target = table if parent == "." else _nest(parent.split("."), table)
            imported = _coalesce_tables(imported, target, merge=True)  # an earlier import wins
            into = chart_path + (() if parent == "." else tuple(parent.split(".")))
            imports.append((into, chart_path + (req.name,) + tuple(child.split("."))))
    # the chart's own values win over what it imports
    chart.values = _coalesce_tables(bounds.copy(merged, chart), imported, merge=True) or {}


def _nest(path: list[str], data: Values) -> Values:
    """pathToMap."""
    for key in reversed(path):
        data = {key: data}
    return data


def _enabled_paths(
    chart: _Chart, path: tuple[str, ...], out: dict[tuple[str, ...], ChartNode]
) -> dict[tuple[str, ...], ChartNode]:
    out[path] = chart.node
    for sub in chart.deps:
        _enabled_paths(sub, path + (sub.name,), out)
    return out


def coalesce_chart(root: ChartNode, user: Values) -> ChartTreeValues:
    """The root chart's `.Values` for `user` (the merged -f/--set values), and the subcharts
    that render. Raises CoalesceError where Helm refuses the values."""
    bounds = _Bounds()
    chart = _from_node(root, bounds)
    imports: list[tuple[tuple[str, ...], tuple[str, ...]]] = []  # kept for provenance
    _process_enabled(chart, user, "", bounds)  # ProcessDependencies, step 1
    _process_import_values(chart, (), imports, bounds)  # ProcessDependencies, step 2
    values = coalesce_values(chart, user, bounds)  # ToRenderValues
    return ChartTreeValues(values, _enabled_paths(chart, (), {}), imports)
