"""Loading a target's values layers: the base (a chart's values.yaml, else the contract
defaults shipped in the package) and the user's files, each read as Helm reads it."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from ..context import ChartInfo
from ..errors import InputError
from ..findings import Problem
from ..paths import (
    StrPath,
    allowed_roots,
    confined_files,
    display_path,
    read_bytes,
    refuse_outside_link,
)
from ..resources import schemas_dir
from ..textio import YamlLoadError, decode_bytes, line_at
from ..yamlio import MAX_VALUES_BYTES, LoadedYaml, load_values
from .chart_load import load_chart_tree
from .layers import Layer


@lru_cache(maxsize=1)
def _contract_defaults() -> LoadedYaml:
    path = schemas_dir() / "contract-defaults.yaml"
    return load_values(path.read_text(encoding="utf-8"), "<contract defaults>", chart_defaults=True)


def read_values_file(
    path: str, cwd: StrPath | None = None, chart_defaults: bool = False
) -> tuple[LoadedYaml, None] | tuple[None, YamlLoadError]:
    """(LoadedYaml, None) or (None, YamlLoadError); missing/unreadable files raise InputError.
    `chart_defaults`: the file is a chart's own values.yaml, read as Helm reads that one."""
    shown = display_path(path, cwd)
    if str(path) != "-":  # a symlink out of the repository is not followed
        refuse_outside_link(path, allowed_roots(path, cwd), "values file", cwd)
    raw = read_bytes(path, MAX_VALUES_BYTES)
    if len(raw) > MAX_VALUES_BYTES:
        return None, YamlLoadError(
            f"file is larger than {MAX_VALUES_BYTES // (1024 * 1024)} MiB; "
            "a values file this large is not supported"
        )
    try:
        text = decode_bytes(raw)
        if "\x00" in text:
            line = line_at(text, text.index("\x00"))
            raise YamlLoadError("NUL byte in the file: not a YAML text file", line, 1)
        return load_values(text, shown, chart_defaults=chart_defaults), None
    except YamlLoadError as exc:
        return None, exc


def base_layer(
    chart: str | None, cwd: StrPath | None = None
) -> tuple[Layer, ChartInfo | None, list[tuple[str, Problem]]]:
    """(Layer, ChartInfo or None, load problems). The chart's values.yaml, or the contract."""
    if chart is None:
        defaults = _contract_defaults()
        return Layer("<contract defaults>", "base", defaults.data, defaults), None, []
    chart_dir = Path(chart)
    if not chart_dir.is_dir():
        raise InputError(f"--chart {chart}: not a directory")
    # Helm reads the whole chart folder (templates, values.yaml, `.Files.Get`): every symlink in
    # it must stay inside the repository, or the chart is refused before anything reads it
    chart_files = confined_files(chart, f"--chart {chart}", cwd)
    if not (chart_dir / "Chart.yaml").is_file():
        raise InputError(f"--chart {chart}: no Chart.yaml in it; is this a Helm chart?")
    tree, loaded, problems = load_chart_tree(chart, chart_files, cwd)
    info = ChartInfo(
        directory=tree.directory,
        values_path=tree.values_path,
        templates=dict(tree.templates),
        name=chart_dir.name,
        tree=tree,
    )
    return Layer(tree.values_path, "base", loaded.data if loaded else {}, loaded), info, problems
