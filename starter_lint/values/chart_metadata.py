"""A chart's Chart.yaml read as Helm's loader reads it (helm pkg/chart/v2 Metadata, Dependency).

Helm decodes Chart.yaml into typed Go structs: a scalar fits a string field (`version: 1.0` is
"1"), but a list or a map where a string belongs, a scalar or a map where a list belongs, and
anything but a boolean where a boolean belongs make the whole chart fail to load ("cannot
unmarshal ... into Go struct field"); so does what Metadata.Validate refuses. Each is refused
here as one ChartLoadError, as Helm refuses it. Unknown fields are ignored, as in Helm.
"""

from __future__ import annotations

import re
from typing import Any

from ..textio import MAX_DEPTH
from .chart_tree import Dependency, ImportValue
from .semver_range import parse_version

MAX_IMPORT_PATH_CHARS = 4096  # an import-values child or parent path
_SIDES = ("child", "parent")  # of an import-values entry map
_ALIAS = re.compile(r"^[a-zA-Z0-9_-]+$")  # helm pkg/chart/v2 aliasNameFormat

# the type of each field as Helm's structs have it: "string", "bool", "list" (of anything),
# "strings" ([]string), "string map" (map[string]string), "maintainers", "dependencies"
_METADATA_FIELDS = {
    **dict.fromkeys(
        ("name", "home", "version", "description", "icon", "apiVersion", "condition", "tags")
        + ("appVersion", "kubeVersion", "type"),
        "string",
    ),
    "sources": "strings",
    "keywords": "strings",
    "maintainers": "maintainers",
    "deprecated": "bool",
    "annotations": "string map",
    "dependencies": "dependencies",
}
_DEPENDENCY_FIELDS = {
    **dict.fromkeys(("name", "version", "repository", "condition", "alias"), "string"),
    "tags": "strings",
    "enabled": "bool",
    "import-values": "list",
}
_MAINTAINER_FIELDS = dict.fromkeys(("name", "email", "url"), "string")


class ChartLoadError(Exception):
    """Why Helm would refuse a chart; base_layer turns it into one InputError line."""


def read_metadata(data: dict[str, Any], shown: str) -> tuple[str, str, list[Dependency]]:
    """(name, version, dependencies) from Chart.yaml's data, refused as Helm's loader and its
    Metadata.Validate refuse it; `shown` is the file's display path."""
    _check_fields(data, _METADATA_FIELDS, "", shown)
    name = _string(data, "name")
    version = _string(data, "version")
    if not name:
        raise ChartLoadError(f"{shown}: chart.metadata.name is required")
    if name in (".", "..") or "/" in name or "\\" in name:
        raise ChartLoadError(f"{shown}: chart.metadata.name {name!r} is invalid")
    if not version:
        raise ChartLoadError(f"{shown}: chart.metadata.version is required")
    if parse_version(version) is None:
        raise ChartLoadError(f"{shown}: chart.metadata.version {version!r} is invalid")
    if _string(data, "type") not in ("", "application", "library"):
        raise ChartLoadError(f"{shown}: chart.metadata.type must be application or library")
    dependencies, keys = [], set()
    for entry in data.get("dependencies") or []:
        dependency = _dependency(entry, shown)
        if dependency.key in keys:
            raise ChartLoadError(f"{shown}: more than one dependency with name or alias {dependency.key!r}")
        keys.add(dependency.key)
        dependencies.append(dependency)
    return name, version, dependencies


def _check_fields(data: dict[str, Any], fields: dict[str, str], within: str, shown: str) -> None:
    """Each known field of `data` has a value Helm can decode into its Go type (null always can)."""
    for key, kind in fields.items():
        value = data.get(key)
        if value is None:
            continue
        elements: list[Any] = []
        if kind in ("strings", "list", "maintainers", "dependencies"):
            fits = isinstance(value, list)
            elements = value if fits and kind != "list" else []
        elif kind == "string map":
            fits = isinstance(value, dict)
            elements = list(value.values()) if fits else []
        else:
            fits = isinstance(value, bool) if kind == "bool" else _is_scalar(value)
        for element in elements:
            if kind in ("maintainers", "dependencies"):
                if element is None:  # Helm's Metadata.Validate
                    raise ChartLoadError(f"{shown}: {within}{key} must not contain empty or null nodes")
                if not isinstance(element, dict):
                    raise ChartLoadError(
                        f"{shown}: {within}{key} must be a list of maps, not holding {_yaml_type(element)}"
                    )
                _check_fields(
                    element,
                    _MAINTAINER_FIELDS if kind == "maintainers" else _DEPENDENCY_FIELDS,
                    f"{within}{key}.",
                    shown,
                )
            elif element is not None and not _is_scalar(element):
                raise ChartLoadError(f"{shown}: {within}{key} must hold strings, not {_yaml_type(element)}")
        if not fits:
            expected = {"string": "a string", "bool": "true or false", "string map": "a map"}.get(
                kind, "a list"
            )
            raise ChartLoadError(
                f"{shown}: {within}{key} must be {expected}, not {_yaml_type(value)} (Helm cannot load the chart)"
            )


def _is_scalar(value: Any) -> bool:
    return isinstance(value, (str, bool, int, float))


def _yaml_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, (dict, list)):
        return "a map" if isinstance(value, dict) else "a list"
    return "a string" if isinstance(value, str) else f"the scalar {_scalar_text(value)}"


def _string(data: dict[str, Any], key: str) -> str:
    """A string field (already type-checked): a number or boolean is its text, as Helm's
    YAML-to-JSON decoding gives it (`version: 1.0` is "1")."""
    value = data.get(key)
    return "" if value is None else _scalar_text(value)


def _scalar_text(value: str | bool | int | float) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e21:
        return str(int(value))  # Go formats a whole float64 without its fraction
    return str(value)


def _dependency(entry: dict[str, Any], shown: str) -> Dependency:
    name, alias = _string(entry, "name"), _string(entry, "alias")
    if alias and not _ALIAS.match(alias):
        raise ChartLoadError(f"{shown}: dependency {name!r} has disallowed characters in the alias")
    tags = ["" if tag is None else _scalar_text(tag) for tag in entry.get("tags") or []]
    imports: list[ImportValue] = []
    for item in entry.get("import-values") or []:
        if isinstance(item, str):
            _check_import_path(item, name, shown)
            imports.append(item)
        elif isinstance(item, dict) and all(isinstance(item.get(k), (str, type(None))) for k in _SIDES):
            # Helm formats each side with %v: a missing or null one is the path "<nil>"
            child, parent = ("<nil>" if item.get(k) is None else item[k] for k in _SIDES)
            _check_import_path(child, name, shown)
            _check_import_path(parent, name, shown)
            imports.append((child, parent))
        # Helm skips (with a log line) an entry of any other shape; a number or bool side it
        # formats with %v, which we do not follow
    return Dependency(
        name=name,
        alias=alias,
        condition=_string(entry, "condition"),
        tags=tuple(tags),
        import_values=tuple(imports),
        version=_string(entry, "version"),
    )


def _check_import_path(path: str, name: str, shown: str) -> None:
    """An import-values path nests a table one level per dot: bounded as a values file's nesting
    is (Helm has no bound; a 200,000-level path would exhaust the stack here)."""
    if len(path) > MAX_IMPORT_PATH_CHARS or path.count(".") >= MAX_DEPTH:
        raise ChartLoadError(
            f"{shown}: dependency {name!r}: an import-values path longer than "
            f"{MAX_IMPORT_PATH_CHARS} characters or {MAX_DEPTH} levels; not supported"
        )
