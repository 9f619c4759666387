"""What a check sees: one target's layered values, chart, manifests and options, read-only."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .findings import Location
from .records import field, record

if TYPE_CHECKING:  # (at run time these modules import this one, or are not needed to build one)
    from .manifests.model import ManifestSet
    from .options import Options
    from .policy.load import PolicySet
    from .textio import YamlLoadError
    from .values.chart_tree import ChartNode
    from .values.layers import LayeredValues
    from .yamlio import LoadedYaml


@record
class ChartInfo:
    """The chart folder of a --chart target: its values.yaml, template texts and subcharts."""

    directory: str  # display path of the chart folder
    values_path: str  # display path of its values.yaml
    templates: dict = field(default_factory=dict)  # display path -> template text
    name: str = ""
    tree: ChartNode | None = None  # the chart as Helm loads it, subcharts included (values/chart_load.py)


@record
class Context:
    """What a check reads about one target: layered values, loaded files, chart, manifests, options."""

    target: str
    values: LayeredValues | None = None  # None for a manifests-only target
    loaded: list[LoadedYaml] = field(default_factory=list)  # each user file that loaded
    load_errors: list[tuple[str, YamlLoadError]] = field(default_factory=list)  # (display path, error)
    chart: ChartInfo | None = None
    manifests: ManifestSet | None = None  # None when no manifests are checked
    options: Options | None = None
    render_error: str | None = None  # why --chart did not render (values the chart cannot use)
    chart_defaults: bool = False  # the target is a chart's own values.yaml: file-scope rules only
    subchart_defaults: bool = False  # a subchart's own values.yaml: targets.SUBCHART_DEFAULTS_RULES only
    policies: PolicySet | None = None  # the run's --policy files, loaded once (policy/load.py)

    def get(self, path, default: Any = None) -> Any:
        """The effective value at a values path (tuple or dotted string)."""
        if self.values is None:
            return default
        if isinstance(path, str):
            path = tuple(path.split("."))
        return self.values.get(path, default)

    def locate(self, path) -> Location:
        assert self.values is not None, "values paths are located only in a target with values"
        return self.values.locate(tuple(path))

    def origin(self, path):
        return self.values.origin(tuple(path)) if self.values is not None else None

    def set_by_user(self, path) -> bool:
        """True when a user layer (-f file or --set), not the base, decided this value."""
        origin = self.origin(path)
        return origin is not None and origin.kind in ("file", "set")
