"""Layer values the way Helm does, and answer "which file and line set this?" for any path.

Helm first merges the user's layers (`-f` files in order, then `--set`): maps merge, anything
else replaces, a `null` is kept. It then coalesces that over the chart's defaults, where a user
`null` deletes the default key (pkg/chart/common/util/coalesce.go). With subcharts, Helm's whole
chart-tree coalescing runs instead (values/coalesce.py). Provenance is computed lazily: the layer
that set a path is the highest one whose own data contains that path, which holds because maps
merge and everything else replaces; with subcharts, values/chart_origin.py also looks at each
chart's values.yaml, the globals copied down and the imported tables.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Sequence
from typing import Any

from ..findings import Location, ValuesPath
from ..records import field, record
from ..redact import values_secrets
from ..tree import get_path as get_path  # re-exported: checks read values paths through layers
from ..tree import merge_maps
from ..yamlio import LoadedYaml, Span
from .chart_tree import ChartNode, ChartTreeValues
from .setargs import SetBudget, apply_set, helm_order, shown_expression
from .strvals import ReadFile

_MISSING = object()


def coalesce(user: dict[str, Any], defaults: dict[str, Any]) -> dict[str, Any]:
    """Helm's coalesceValues: user values over chart defaults; a user null deletes a default."""
    out = dict(user)
    for key, default in defaults.items():
        if key in out:
            value = out[key]
            if value is None:
                del out[key]
            elif isinstance(value, dict) and isinstance(default, dict):
                out[key] = coalesce(value, default)
        else:
            out[key] = default
    return out


def has_path(data: Any, path: ValuesPath) -> bool:
    return get_path(data, path, _MISSING) is not _MISSING


@record(frozen=True)
class Origin:
    """Where a value came from."""

    source: str  # display path of the file, "--set", or the base's name
    kind: str  # "base" | "file" | "set"
    span: Span | None = None
    text: str = ""  # for --set: the expression that set it
    note: str = ""  # with subcharts: "global.x copied down", "imported from redis.exports.x"

    def describe(self) -> str:
        if self.kind == "set":
            shown = self.text or "--set"  # the flag and expression, e.g. "--set-string a.b=1"
        elif self.span is None:
            shown = self.source
        else:
            shown = f"{self.source}:{self.span.line}"
        return f"{shown} ({self.note})" if self.note else shown


@record
class Layer:
    """One layer of values (chart defaults, a -f file or the --set expressions) in layering order."""

    name: str  # display path or label
    kind: str  # "base" | "file" | "set"
    data: dict[str, Any]
    loaded: LoadedYaml | None = None
    # the --set family: path -> the flag and expression that set it ("--set-json a={...}")
    expressions: dict[ValuesPath, str] = field(default_factory=dict)

    def expression_for(self, path: ValuesPath) -> str:
        """The flag and expression that set `path` (or the map or list above it); for a map a
        dotted expression created on its way down (`a.b` of `--set-file a.b.c=f`), the first
        expression that wrote below it; else ""."""
        for i in range(len(path), 0, -1):
            if path[:i] in self.expressions:
                return self.expressions[path[:i]]
        depth = len(path)
        for written, expression in self.expressions.items():  # in the order they were applied
            if written[:depth] == path:
                return expression
        return ""

    def flag_for(self, path: ValuesPath) -> str:
        """The flag that set `path`: `--set`, `--set-json`, … (a finding says which)."""
        return self.expression_for(path).split(" ", 1)[0] or "--set"


@record
class LayeredValues:
    """The effective values of one target and the layers they came from (lowest first)."""

    values: dict[str, Any]
    layers: list[Layer]
    charts: ChartTreeValues | None = None  # the chart tree's coalescing, when a chart is given
    # what `helm template -f … --set …` hands the chart: the user's layers merged, nulls kept,
    # before Helm coalesces them over the chart's (and its subcharts') defaults
    user: dict[str, Any] = field(default_factory=dict)

    @property
    def base(self) -> Layer | None:
        return self.layers[0] if self.layers and self.layers[0].kind == "base" else None

    @property
    def user_files(self) -> list[Layer]:
        return [layer for layer in self.layers if layer.kind == "file"]

    @property
    def primary_file(self) -> str | None:
        """The file a finding falls back to: the last -f file (the most specific one)."""
        files = self.user_files
        return files[-1].name if files else None

    def get(self, path: Iterable[Any], default: Any = None) -> Any:
        return get_path(self.values, tuple(path), default)

    def origin(self, path: Iterable[Any]) -> Origin | None:
        path = tuple(path)
        if not has_path(self.values, path):
            return None
        if self._has_subcharts():
            return self._tree_origin(path)
        for layer in reversed(self.layers):
            if has_path(layer.data, path):
                return self._origin_in(layer, path)
        return None

    def _has_subcharts(self) -> bool:
        return self.charts is not None and len(self.charts.enabled) > 1

    def _tree_origin(self, path: ValuesPath) -> Origin | None:
        assert self.charts is not None  # _has_subcharts
        user = [layer for layer in self.layers if layer.kind != "base"]
        from .chart_origin import find_source  # deferred: only a chart with subcharts

        source = find_source(path, get_path(self.values, path), user, self.charts)
        if source is None:
            return None
        if source.layer is not None:
            found = self._origin_in(source.layer, source.path)
            return Origin(found.source, found.kind, found.span, found.text, source.note)
        span = _nearest_span(source.loaded, source.path)
        return Origin(source.name, "base", span, note=source.note)

    def _origin_in(self, layer: Layer, path: ValuesPath) -> Origin:
        if layer.kind == "set":
            return Origin(
                layer.name, "set", None, layer.expression_for(path)
            )  # secrets redacted in layer_values
        return Origin(layer.name, layer.kind, _nearest_span(layer.loaded, path))

    def locate_key(self, path: Iterable[Any] | None) -> Location:
        """The key's own position in the user file that set `path` (for findings about the key's
        name, not its value); else where `locate` points."""
        path = tuple(path or ())
        origin = self.origin(path)
        if origin is not None and origin.kind == "file":
            for layer in reversed(self.user_files):
                if layer.name == origin.source and layer.loaded is not None:
                    span = layer.loaded.key_spans.get(path)
                    if span is not None:
                        return Location(layer.name, span.line, span.col, span.end_line, span.end_col)
        return self.locate(path)

    def locate(self, path: Iterable[Any] | None) -> Location:
        """Where a finding about `path` should point (docs/design/values.md, 'Where a finding points').

        The user-file line that set the value; else the nearest ancestor key a user file sets
        (the message then names the key to add); else line 1 of the primary user file.
        """
        path = tuple(path or ())
        origin = self.origin(path)
        if origin is not None and origin.kind == "file" and origin.span is not None:
            own = origin.span
            return Location(origin.source, own.line, own.col, own.end_line, own.end_col)
        for i in range(len(path), 0, -1):
            prefix = path[:i]
            for layer in reversed(self._writers(prefix)):
                if layer.kind != "file" or layer.loaded is None:
                    continue
                span = layer.loaded.key_spans.get(prefix) or layer.loaded.spans.get(prefix)
                if span is not None:
                    return Location(layer.name, span.line, span.col, span.end_line, span.end_col)
        if (origin is not None and origin.kind == "set") or (origin is None and self._set_layers()):
            primary = self.primary_file
            if primary is None:
                return Location("--set", 1, 1)
        primary = self.primary_file
        if primary is not None:
            return Location(primary, 1, 1)
        if self._has_subcharts() and origin is not None and origin.kind == "base" and origin.span is not None:
            own = origin.span  # the values.yaml of the chart (maybe a subchart) that set it
            return Location(origin.source, own.line, own.col, own.end_line, own.end_col)
        base = self.base
        if base is not None and base.loaded is not None:
            span = base.loaded.spans.get(path)
            if span is not None:
                return Location(base.name, span.line, span.col, span.end_line, span.end_col)
            return Location(base.name, 1, 1)
        return Location(base.name if base else "<values>", 1, 1)

    def _writers(self, path: ValuesPath) -> list[Layer]:
        """The layers whose writing decides `path`, lowest first, whether or not the path
        survives: maps merge (every layer holding a map there counts), anything else — a list, a
        scalar, a null that deletes — replaces, so only the topmost such layer speaks for it."""
        live = list(self.layers)
        for depth in range(len(path)):
            part = path[: depth + 1]
            holders = [layer for layer in live if has_path(layer.data, part)]
            if not holders:
                return []
            if isinstance(get_path(holders[-1].data, part), dict):
                live = [layer for layer in holders if isinstance(get_path(layer.data, part), dict)]
            else:
                live = [holders[-1]]
        return live

    def _set_layers(self) -> list[Layer]:
        return [layer for layer in self.layers if layer.kind == "set"]


def _nearest_span(loaded: LoadedYaml | None, path: ValuesPath) -> Span | None:
    """The span recorded for `path`, else for its nearest recorded ancestor (below an alias)."""
    if loaded is None:
        return None
    for i in range(len(path), -1, -1):
        span = loaded.spans.get(path[:i])
        if span is not None:
            return span
    return None


def layer_values(
    base: Layer | None,
    files: Sequence[Layer],
    set_args: Iterable[tuple[str, str]] = (),
    read_file: ReadFile | None = None,
    *,
    tree: ChartNode | None = None,
) -> LayeredValues:
    """base (chart values.yaml or contract defaults) <- -f files in order <- the --set family.

    `set_args` is a list of (expression, kind) in command-line order, kind one of
    setargs.SET_KINDS; they apply in Helm's order (setargs.helm_order). `read_file` reads a
    --set-file path (setfile.set_file_reader: the loading step's, this module opens nothing).
    `tree`, the chart with its subcharts, makes the values Helm's coalescing of the whole tree
    (coalesce_chart); a chart without subcharts coalesces as before, over `base`.
    Raises CoalesceError where Helm refuses the values (a subchart's key set to a non-map).
    """

    user: dict[str, Any] = {}
    for layer in files:
        user = merge_maps(user, layer.data)
    set_layer = None
    if set_args:
        user = copy.deepcopy(user)  # Helm's ParseInto writes into the merged user values
        touched: dict[str, Any] = {}
        record: dict[ValuesPath, tuple[str, str]] = {}  # path -> the (kind, expression) that set it
        budget = SetBudget()
        for expression, kind in helm_order(set_args):
            apply_set(
                user,
                expression,
                kind=kind,
                record=record,
                touched=touched,
                budget=budget,
                read_file=read_file,
            )
        # an expression may carry a secret (`--set api.secrets.X=…`): provenance never shows it
        secrets = values_secrets(touched)
        shown = {arg: shown_expression(arg[0], arg[1], secrets) for arg in set(record.values())}
        set_layer = Layer("--set", "set", touched, expressions={path: shown[e] for path, e in record.items()})
    charts = None
    if tree is not None and tree.subcharts:
        from .coalesce import coalesce_chart  # deferred: only a chart with subcharts

        charts = coalesce_chart(tree, user)
        values = charts.values
    else:
        values = coalesce(user, base.data if base is not None else {})
        charts = ChartTreeValues(values, {(): tree}) if tree is not None else None
    layers = ([base] if base is not None else []) + list(files) + ([set_layer] if set_layer else [])
    return LayeredValues(values=values, layers=layers, charts=charts, user=user)
