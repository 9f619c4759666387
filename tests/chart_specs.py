"""A chart tree written as a small spec, put on disk for Helm's SDK and built as a ChartNode for us.

Tests only: coalescing is compared with the SDK without depending on the chart loader. A spec:

    {"name": "top", "values": "a: 1\\n", "archive": False, "version": "0.1.0",
     "deps": [{"name": "sub", "alias": "", "condition": "", "tags": [], "import_values": [],
               "version": "0.1.0"}],
     "charts": [<spec of sub>, ...]}

Every chart gets one template, `{{ toJson .Values }}`, so a render shows each chart's `.Values`.
"""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import yaml

from starter_lint.values.chart_tree import ChartNode, Dependency
from starter_lint.yamlio import load_values

TEMPLATE = "{{ toJson .Values }}\n"


def chart_files(spec: dict) -> dict[str, str]:
    """The chart's files by path inside the chart folder (subcharts in charts/, archives as bytes
    are made by `write_chart`)."""
    meta: dict = {"apiVersion": "v2", "name": spec["name"], "version": spec.get("version", "0.1.0")}
    if spec.get("deps"):
        meta["dependencies"] = []
        for dep in spec["deps"]:
            entry = {"name": dep["name"], "version": dep.get("version", "0.1.0")}
            for key in ("alias", "condition"):
                if dep.get(key):
                    entry[key] = dep[key]
            if dep.get("tags"):
                entry["tags"] = list(dep["tags"])
            if dep.get("import_values"):
                entry["import-values"] = [
                    iv if isinstance(iv, str) else {"child": iv[0], "parent": iv[1]}
                    for iv in dep["import_values"]
                ]
            meta["dependencies"].append(entry)
    files = {"Chart.yaml": yaml.safe_dump(meta, sort_keys=False), "templates/values.yaml": TEMPLATE}
    if spec.get("values") is not None:
        files["values.yaml"] = spec["values"]
    return files


def write_chart(spec: dict, directory: Path) -> Path:
    """Write the chart (and its subcharts, archived where `archive` says) into `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in chart_files(spec).items():
        (directory / name).parent.mkdir(parents=True, exist_ok=True)
        (directory / name).write_text(text, encoding="utf-8")
    for i, sub in enumerate(spec.get("charts", ())):
        folder = f"{sub['name']}-{i}" if sub.get("archive") else sub["name"]
        if sub.get("archive"):
            (directory / "charts").mkdir(exist_ok=True)
            (directory / "charts" / f"{folder}.tgz").write_bytes(archive_bytes(sub))
        else:
            write_chart(sub, directory / "charts" / folder)
    return directory


def archive_bytes(spec: dict) -> bytes:
    """A chart archive as `helm package` lays it out: everything under `<name>/`."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for path, data in _all_files(spec, spec["name"]):
            info = tarfile.TarInfo(path)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _all_files(spec: dict, prefix: str):
    for name, text in chart_files(spec).items():
        yield f"{prefix}/{name}", text.encode("utf-8")
    for i, sub in enumerate(spec.get("charts", ())):
        if sub.get("archive"):
            yield f"{prefix}/charts/{sub['name']}-{i}.tgz", archive_bytes(sub)
        else:
            yield from _all_files(sub, f"{prefix}/charts/{sub['name']}")


def chart_node(spec: dict, directory: str = "chart") -> ChartNode:
    """The ChartNode the loader would build for the spec: values.yaml as Helm's Chart.Values holds
    it (every document merged, nulls kept: a parent's null can delete a subchart default). Helm loads charts/ sorted by file name
    (filepath.Walk), so subcharts come in that order."""
    values_path = f"{directory}/values.yaml"
    loaded = (
        load_values(spec["values"], values_path, merge_documents=True)
        if spec.get("values") is not None
        else None
    )
    deps = [
        Dependency(
            d["name"],
            d.get("alias", ""),
            d.get("condition", ""),
            tuple(d.get("tags", ())),
            tuple(iv if isinstance(iv, str) else tuple(iv) for iv in d.get("import_values", ())),
            d.get("version", "0.1.0"),
        )
        for d in spec.get("deps", ())
    ]
    subs = []
    for i, sub in enumerate(spec.get("charts", ())):
        file_name = f"{sub['name']}-{i}.tgz" if sub.get("archive") else sub["name"]
        subs.append((file_name, chart_node(sub, f"{directory}/charts/{file_name}")))
    return ChartNode(
        spec["name"],
        directory,
        values_path,
        loaded,
        deps,
        [node for _, node in sorted(subs, key=lambda s: s[0])],
        version=spec.get("version", "0.1.0"),
    )


def rendered_values(rendered: dict[str, str], root: str) -> dict[tuple, object]:
    """Each rendered chart's `.Values` by the values path of the chart (root: ())."""
    out = {}
    for name, text in rendered.items():
        parts = name.split("/")
        assert parts[0] == root and parts[-2:] == ["templates", "values.yaml"], name
        out[tuple(parts[1:-2][1::2])] = json.loads(text)
    return out
