"""Loading `--chart DIR` with its subcharts as Helm's loader does (helm pkg/chart/v2/loader).

A chart is its Chart.yaml (`name`, `version`, `dependencies:`), its values.yaml (every document
merged, nulls kept, as Helm's Chart.Values holds it for coalescing), its templates, and its
subcharts: every `charts/<dir>/` folder and `charts/*.tgz` archive, loaded the same way,
recursively. Names in `charts/` starting with `_` or `.` are
skipped and `.prov` files are not charts, as in Helm. Differences, on purpose: `.helmignore` is
not applied; subcharts are loaded in name order (Helm's order is a map's); the depth and the
number of charts are bounded (MAX_CHART_DEPTH, MAX_CHARTS; Helm has no bound).

An archive is read in memory through tarfile's stream mode, never extracted: member paths are
checked as Helm checks them (absolute, `..`, drive letters, a Chart.yaml outside the chart's
folder: refused), a link or device member is an empty file as in Helm (its target is never
read), an archive is a chart file (5 MiB at most, as Helm's folder loader has it), and
decompression stops at Helm's budgets: 5 MiB per file, 100 MiB for all the archives of
one chart tree together (Helm: per archive; every decompressed byte counts, headers and the
skipped data of a link or device member too), plus a bound on members, also for the whole tree. A chart Helm cannot load
(malformed Chart.yaml, a corrupt or hostile archive) is one exit-2 line (InputError), since
Helm refuses the whole chart before any value is read; a values.yaml that is not valid YAML is
an SL102 finding at its line, for a subchart as for the chart itself (docs/chart-targets.md).
"""

from __future__ import annotations

import gzip
import io
import os
import posixpath
import re
import tarfile
import zlib
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..findings import Location, Problem
from ..paths import StrPath, display_path, read_bytes
from ..records import field, record
from ..textio import YamlLoadError, decode_bytes, line_at
from ..yamlio import MAX_VALUES_BYTES, LoadedYaml, as_chart_defaults, load_values
from .chart_metadata import ChartLoadError, read_metadata
from .chart_tree import ChartNode, Dependency

MAX_CHART_DEPTH = 10  # levels of subcharts below the chart
MAX_CHARTS = 200  # charts in one tree, the chart itself included
MAX_ARCHIVE_BYTES = 100 * 1024 * 1024  # Helm's MaxDecompressedChartSize
MAX_ARCHIVE_FILE_BYTES = 5 * 1024 * 1024  # Helm's MaxDecompressedFileSize
MAX_ARCHIVE_MEMBERS = 10_000  # in all the archives of one tree together
TEMPLATE_SUFFIXES = (".yaml", ".yml", ".tpl", ".txt", ".json")
_CHUNK = 64 * 1024
_DRIVE = re.compile(r"^[a-zA-Z]:/")


@record
class _File:
    """One file of a chart: on disk (read when needed) or an archive member's bytes."""

    shown: str
    path: Path | None = None
    data: bytes = b""

    def read(self, limit: int) -> bytes:
        """At most `limit + 1` bytes, so that the caller can tell the file was too large."""
        return read_bytes(self.path, limit) if self.path is not None else self.data[: limit + 1]


@record
class _Budget:
    """What the whole tree may still take: charts, decompressed archive bytes, archive members."""

    charts: int = MAX_CHARTS
    archive_bytes: int = MAX_ARCHIVE_BYTES
    archive_members: int = MAX_ARCHIVE_MEMBERS
    problems: list[tuple[str, Problem]] = field(default_factory=list)


def load_chart_tree(
    chart: StrPath, files: list[Path], cwd: StrPath | None = None
) -> tuple[ChartNode, LoadedYaml | None, list[tuple[str, Problem]]]:
    """The chart folder `chart` (whose confined files are `files`) and its subcharts; the chart's
    values.yaml as the base layer reads it (nulls dropped, as rendering drops them; None when it
    has none or it does not load); the SL102 problems of values.yaml files that do not load.
    InputError when Helm would refuse the chart."""
    base = Path(os.path.abspath(os.path.join(os.path.abspath(cwd or os.getcwd()), str(chart))))
    shown = display_path(base, cwd)
    tree: dict[str, _File] = {}
    for path in files:
        try:
            name = path.relative_to(base).as_posix()
        except ValueError:  # a single file given as the chart: base_layer refuses it first
            continue
        tree[name] = _File(display_path(path, cwd), path=path)
    budget = _Budget()
    try:
        node = _load(tree, shown, shown, 0, budget)
    except ChartLoadError as exc:
        raise InputError(f"--chart {chart}: {exc}") from None
    defaults = as_chart_defaults(node.values) if node.values is not None else None
    return node, defaults, budget.problems


def _load(files: dict[str, _File], directory: str, folder: str, depth: int, budget: _Budget) -> ChartNode:
    """One chart from its files (names relative to its folder), its subcharts recursively.
    `directory`: its display path (an archive's for an archive); `folder`: its folder's, as its
    files' display paths begin (`charts/x.tgz!x` for an archive)."""
    budget.charts -= 1
    if budget.charts < 0:
        raise ChartLoadError(f"more than {MAX_CHARTS} charts and subcharts; not supported")
    metadata = files.get("Chart.yaml")
    if metadata is None:
        raise ChartLoadError(f"{directory}: Chart.yaml file is missing")
    name, version, dependencies = _metadata(metadata)
    values_file = files.get("values.yaml")
    node = ChartNode(
        name=name,
        directory=directory,
        values_path=values_file.shown if values_file else f"{folder}/values.yaml",
        values=_values(values_file, budget) if values_file else None,
        dependencies=dependencies,
        version=version,
    )
    groups: dict[str, dict[str, _File]] = {}
    for member, file in files.items():
        if member.startswith("templates/") and member.endswith(TEMPLATE_SUFFIXES):
            node.templates[file.shown] = file.read(MAX_ARCHIVE_FILE_BYTES).decode("utf-8", "replace")
        elif member.startswith("charts/") and not member.endswith(".prov"):
            child, _, rest = member[len("charts/") :].partition("/")
            groups.setdefault(child, {})[rest] = file
    for child in sorted(groups):
        if child[:1] in ("_", "."):
            continue  # Helm skips these (`charts/.gitkeep`, `charts/_helpers`)
        if depth + 1 > MAX_CHART_DEPTH:
            raise ChartLoadError(
                f"{folder}/charts/{child}: subcharts nested more than "
                f"{MAX_CHART_DEPTH} levels deep; not supported"
            )
        group = groups[child]
        if child.endswith(".tgz"):
            if "" not in group:
                raise ChartLoadError(f"{folder}/charts/{child}: a folder, not a chart archive")
            archive = group[""]
            top, members = _archive_files(archive, budget)
            node.subcharts.append(_load(members, archive.shown, f"{archive.shown}!{top}", depth + 1, budget))
        else:
            sub = {rest: file for rest, file in group.items() if rest}  # a stray file is no chart
            place = f"{folder}/charts/{child}"
            node.subcharts.append(_load(sub, place, place, depth + 1, budget))
    return node


def _values(file: _File, budget: _Budget) -> LoadedYaml | None:
    """values.yaml as Helm's loader reads it, or None with an SL102 problem when it does not load."""
    raw = file.read(MAX_VALUES_BYTES)
    try:
        if len(raw) > MAX_VALUES_BYTES:
            raise YamlLoadError(f"file is larger than {MAX_VALUES_BYTES // (1024 * 1024)} MiB")
        text = decode_bytes(raw)
        if "\x00" in text:
            raise YamlLoadError(
                "NUL byte in the file: not a YAML text file", line_at(text, text.index("\x00")), 1
            )
        # nulls kept, every document merged, as Helm's Chart.Values holds it: coalescing needs
        # them (a parent's null deletes a subchart default, values/coalesce.py)
        return load_values(text, file.shown, merge_documents=True)
    except YamlLoadError as exc:
        problem = Problem(
            f"{file.shown} is not valid YAML: {exc.message}",
            location=Location(file.shown, exc.line, exc.col),
            key="chart-values",
        )
        budget.problems.append(("SL102", problem))
        return None


def _metadata(file: _File) -> tuple[str, str, list[Dependency]]:
    """(name, version, dependencies) of a Chart.yaml file (values/chart_metadata.py)."""
    try:
        data = load_values(decode_bytes(file.read(MAX_ARCHIVE_FILE_BYTES)), file.shown).data
    except YamlLoadError as exc:
        where = f":{exc.line}" if exc.line else ""
        raise ChartLoadError(f"{file.shown}{where}: cannot load Chart.yaml: {exc.message}") from None
    return read_metadata(data, file.shown)


class _Bounded:
    """A decompressed stream that charges every byte read (headers, padding, the data tarfile
    skips) to the tree's budget and stops with ChartLoadError past it: a gzip bomb or a huge
    pax header is cut off after reading at most the budget, in chunks."""

    def __init__(self, stream: gzip.GzipFile, budget: _Budget, shown: str) -> None:
        self.stream, self.budget, self.shown = stream, budget, shown

    def read(self, size: int = -1) -> bytes:
        size = _CHUNK if size is None or size < 0 else size
        data = self.stream.read(min(size, self.budget.archive_bytes + 1))
        self.budget.archive_bytes -= len(data)
        if self.budget.archive_bytes < 0:
            raise ChartLoadError(
                f"{self.shown}: decompressed chart is larger than {MAX_ARCHIVE_BYTES >> 20} MiB"
                " (all the archives of the chart tree together)"
            )
        return data


def _archive_files(archive: _File, budget: _Budget) -> tuple[str, dict[str, _File]]:
    """(top folder, the files of a chart archive named relative to it), read as Helm reads them."""
    raw = archive.read(MAX_ARCHIVE_FILE_BYTES)  # a chart file, even an archive: Helm's limit too
    if len(raw) > MAX_ARCHIVE_FILE_BYTES:
        raise ChartLoadError(
            f"{archive.shown}: larger than the {MAX_ARCHIVE_FILE_BYTES >> 20} MiB a chart file may have"
        )
    if not raw.startswith(b"\x1f\x8b"):
        raise ChartLoadError(f"{archive.shown}: not a gzipped chart archive")
    stream = _Bounded(gzip.GzipFile(fileobj=io.BytesIO(raw)), budget, archive.shown)
    files: dict[str, _File] = {}
    top = ""
    try:
        with tarfile.open(fileobj=stream, mode="r|") as tar:  # type: ignore[call-overload]
            for member in tar:
                budget.archive_members -= 1
                if budget.archive_members < 0:
                    raise ChartLoadError(
                        f"{archive.shown}: more than {MAX_ARCHIVE_MEMBERS} members "
                        "in the chart archives of this tree together"
                    )
                if member.isdir():
                    continue
                name = _member_name(member.name, archive.shown)
                top = top or member.name.replace("\\", "/").split("/", 1)[0]
                shown = f"{archive.shown}!{member.name}"
                files[name] = _File(shown, data=_member_data(tar, member, budget, shown))
    except (tarfile.TarError, EOFError, OSError, zlib.error) as exc:
        raise ChartLoadError(f"{archive.shown}: not a readable chart archive ({exc})") from None
    if not files:
        raise ChartLoadError(f"{archive.shown}: no files in chart archive")
    return top, files


def _member_name(raw: str, shown: str) -> str:
    """The member's path below the archive's top folder, refused where Helm refuses it."""
    delimiter = "\\" if "\\" in raw else "/"
    parts = raw.split(delimiter)
    name = "/".join(parts[1:]) if delimiter == "/" else "\\".join(parts[1:]).replace("\\", "/")
    if name.startswith("/"):
        raise ChartLoadError(f"{shown}: chart illegally contains absolute paths")
    name = posixpath.normpath(name) if name else "."
    if name == ".":
        raise ChartLoadError(f"{shown}: chart illegally contains content outside the base directory: {raw!r}")
    if name.startswith(".."):
        raise ChartLoadError(f"{shown}: chart illegally references parent directory")
    if _DRIVE.match(name):
        raise ChartLoadError(f"{shown}: chart contains illegally named files")
    if parts[0] == "Chart.yaml":
        raise ChartLoadError(f"{shown}: chart yaml not in base directory")
    return name


def _member_data(tar: Any, member: tarfile.TarInfo, budget: _Budget, shown: str) -> bytes:
    """A regular member's bytes (BOM dropped, as Helm does); a link or device member is empty,
    as in Helm's reader, and its target is never read."""
    if not member.isreg():
        return b""
    if member.size > budget.archive_bytes:
        raise ChartLoadError(
            f"{shown}: decompressed chart is larger than {MAX_ARCHIVE_BYTES >> 20} MiB"
            " (all the archives of the chart tree together)"
        )
    if member.size > MAX_ARCHIVE_FILE_BYTES:
        raise ChartLoadError(
            f"{shown}: larger than the {MAX_ARCHIVE_FILE_BYTES >> 20} MiB a chart file may have"
        )
    handle = tar.extractfile(member)
    chunks, left = [], member.size
    while left > 0:
        chunk = handle.read(min(_CHUNK, left))
        if not chunk:
            raise ChartLoadError(f"{shown}: the archive ends inside this file")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks).removeprefix(b"\xef\xbb\xbf")
