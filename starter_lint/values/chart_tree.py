"""A chart and its subcharts as Helm loads them: the shape the loader fills and coalescing reads.

Helm keeps a chart's dependencies in two places: the `dependencies:` list of Chart.yaml (name,
alias, condition, tags, import-values) and the charts it actually loaded from `charts/` (folders
and `.tgz` archives). A loaded subchart that Chart.yaml does not list is still rendered; one
that Chart.yaml lists under an alias is rendered (and takes its values) under the alias.
"""

from __future__ import annotations

from typing import Any

from ..records import field, record
from ..yamlio import LoadedYaml

# One `import-values` entry: a child path (the `exports.<name>` short form) or (child, parent)
ImportValue = str | tuple[str, str]


@record(frozen=True)
class Dependency:
    """One entry of Chart.yaml's `dependencies:`."""

    name: str
    alias: str = ""
    condition: str = ""  # comma-separated values paths; the first that resolves to a bool decides
    tags: tuple[str, ...] = ()
    import_values: tuple[ImportValue, ...] = ()
    version: str = ""  # the version range; Helm aliases/enables a loaded chart only when it matches

    @property
    def key(self) -> str:
        """The key its values live under in the parent's values: the alias, else the name."""
        return self.alias or self.name

    def takes(self, chart: ChartNode) -> bool:
        """Whether Helm applies this entry (its alias above all) to the loaded `chart`: the names
        match and the entry's version range admits the chart's version (getAliasDependency)."""
        from .semver_range import is_compatible_range, sanitized  # deferred: only a chart with subcharts

        return self.name == chart.name and is_compatible_range(sanitized(self.version), chart.version)


@record
class ChartNode:
    """One chart as loaded: its own values.yaml, its Chart.yaml dependencies, its subcharts."""

    name: str  # Chart.yaml `name`
    directory: str  # display path of the folder, or of the archive for a chart read from a .tgz
    values_path: str  # display path of its values.yaml (for an archive: "<archive>!<member>")
    values: LoadedYaml | None = None  # its values.yaml read as chart defaults; None when absent
    dependencies: list[Dependency] = field(default_factory=list)
    subcharts: list[ChartNode] = field(default_factory=list)  # as loaded from charts/, in order
    templates: dict[str, str] = field(default_factory=dict)  # display path -> template text
    version: str = ""  # Chart.yaml `version`: a dependency entry's range must match it

    @property
    def defaults(self) -> dict[str, Any]:
        """Its values.yaml's data ({} when it has none)."""
        return self.values.data if self.values is not None else {}


@record
class ChartTreeValues:
    """What coalescing a chart tree over the user's values gives (values/coalesce.py fills it)."""

    values: dict[str, Any]  # `.Values` as the root chart's templates see it (subcharts' under their keys)
    # every chart that renders, the root at (), each enabled subchart at the values path its own
    # `.Values` lives under (("redis",), ("redis", "sentinel"), ...): disabled ones are absent
    enabled: dict[tuple[str, ...], ChartNode] = field(default_factory=dict)
    # each import-values table merged into a parent, in the order Helm merged them: (the values
    # path it went to, the values path of the subchart table it came from); for provenance
    imports: list[tuple[tuple[str, ...], tuple[str, ...]]] = field(default_factory=list)
