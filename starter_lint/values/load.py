"""Loading a target's values layers: the base (a chart's values.yaml, else the contract
defaults shipped in the package) and the user's files, each read as Helm reads it."""

from __future__ import annotations

import codecs
import re
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
from ..tree import differing_paths
from ..yamlio import MAX_VALUES_BYTES, LoadedYaml, OtherReading, load_values
from .layers import Layer


@lru_cache(maxsize=1)
def _contract_defaults() -> LoadedYaml:
    path = schemas_dir() / "contract-defaults.yaml"
    return load_values(path.read_text(encoding="utf-8"), "<contract defaults>", chart_defaults=True)


def read_values_file(
    path: str, cwd: StrPath | None = None, chart_defaults: bool = False, helm_version: str = "4"
) -> tuple[LoadedYaml, None] | tuple[None, YamlLoadError]:
    """(LoadedYaml, None) or (None, YamlLoadError); missing/unreadable files raise InputError.
    `chart_defaults`: the file is a chart's own values.yaml, read as Helm reads that one.
    `helm_version`: the major whose `-f` reading counts ("4": every document, merged; "3": the
    first), and the file says how the other major reads it when the two may differ."""
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
        loaded = _read_as(raw, shown, helm_version if not chart_defaults else "chart")
    except YamlLoadError as exc:
        return None, exc
    if not chart_defaults and (raw.startswith(_UTF16_BOMS) or _may_differ(loaded.text)):
        loaded.other_reading = _other_reading(raw, shown, loaded, "3" if helm_version == "4" else "4")
    return loaded, None


# A line that can make Helm 3's and Helm 4's readings of a file differ: a document separator or
# a directive (Helm 4 cuts the file at every `---` line, directives included; Helm 3 does not)
_MAY_SPLIT = re.compile(r"^(?:---|%)", re.M)
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


def _read_as(raw: bytes, shown: str, reading: str) -> LoadedYaml:
    """The file as one Helm major reads a `-f` file ("3", "4"), or as a chart's values.yaml.

    Helm 4's LoadValues cuts the *bytes* at `---` lines, after adding a line break to a file
    that lacks one: a UTF-16 file has no `---` in its bytes, so go-yaml gets it whole (and reads
    its first document), and a UTF-16 file that does not end with a line break byte becomes an
    odd number of bytes, which go-yaml refuses."""
    if reading == "4" and raw.startswith(_UTF16_BOMS):
        raw = raw if raw.endswith(b"\n") else raw + b"\n"
        if len(raw) % 2:
            raise YamlLoadError(
                "incomplete UTF-16 character: Helm 4 adds a line break to a file that does not end "
                "with one, which leaves this UTF-16 file an odd number of bytes; save it as UTF-8"
            )
        reading = "3"
    text = decode_bytes(raw)
    if "\x00" in text:
        line = line_at(text, text.index("\x00"))
        raise YamlLoadError("NUL byte in the file: not a YAML text file", line, 1)
    return load_values(text, shown, chart_defaults=reading == "chart", merge_documents=reading == "4")


def _other_reading(raw: bytes, shown: str, loaded: LoadedYaml, major: str) -> OtherReading | None:
    """How the other major reads the file: None when it reads the same values from one document."""
    try:
        other = _read_as(raw, shown, major)
    except YamlLoadError as exc:
        return OtherReading(major, error=exc, line=exc.line)
    differing = tuple(differing_paths(loaded.data, other.data))
    if not differing and loaded.documents < 2 and other.documents < 2:
        return None
    return OtherReading(major, differing, line=_parting_line(loaded.text), data=other.data)


_CONTENT_LINE = re.compile(r"^[ \t]*[^ \t\r\n#]", re.M)


def _may_differ(text: str) -> bool:
    """Whether the majors may read the text differently: a directive, a `---` line after some
    content, or one with text after it (a file that merely starts with `---` reads the same)."""
    since = 0
    for mark in _MAY_SPLIT.finditer(text):
        end = text.find("\n", mark.start())
        rest = text[mark.start() + 3 : end if end >= 0 else len(text)].strip()
        if (
            text[mark.start()] == "%"
            or (rest and rest[0] != "#")
            or _CONTENT_LINE.search(text, since, mark.start())
        ):
            return True
        since = end if end >= 0 else len(text)
    return False


def _parting_line(text: str) -> int:
    """The line of the first `---` or directive after some content (else the first one)."""
    marks = list(_MAY_SPLIT.finditer(text))
    content = _CONTENT_LINE.search(text)
    while content is not None and any(m.start() == content.start() for m in marks):
        content = _CONTENT_LINE.search(text, content.end())  # a `---` line is no content
    after = [m for m in marks if content is None or m.start() > content.start()]
    return line_at(text, (after or marks)[0].start()) if marks else 1


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
    from .chart_load import load_chart_tree  # deferred: only with --chart (tarfile, gzip)

    tree, loaded, problems = load_chart_tree(chart, chart_files, cwd)
    info = ChartInfo(
        directory=tree.directory,
        values_path=tree.values_path,
        templates=dict(tree.templates),
        name=chart_dir.name,
        tree=tree,
    )
    return Layer(tree.values_path, "base", loaded.data if loaded else {}, loaded), info, problems
