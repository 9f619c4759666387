"""Where a finding lives in the repository, for the formats a code host reads (SARIF, github).

A finding's location is a display path relative to the working directory, or a pseudo-file
(`--set`, `<stdin>`, `<contract defaults>`, a rendered stream). Code hosts need a real file
relative to the repository root, so a finding resolves, in order, to
1. its own location, when that is a file on disk;
2. the chart template that rendered the object (`# Source: chart/templates/x.yaml`), line 1,
   in the target's chart or in the repository's chart of that name;
3. the target's first real input file (values file, manifests, chart values.yaml, Chart.yaml),
   line 1 — the message then says where the value really came from;
otherwise to nothing: the SARIF writer reports it as a tool notification that says why
(`unlocated_reason`).
"""

from __future__ import annotations

import functools
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

from ..findings import Finding
from ..lazy_pattern import LazyPattern
from ..paths import repo_root
from ..records import record
from ..textio import LINE_BREAK, LINE_BREAK_CHARS

if TYPE_CHECKING:  # annotations only: the report layer reads what the pipeline produced
    from ..options import Options
    from ..results import Report, TargetResult
    from ..targets import Target

MAX_READ = 8 * 1024 * 1024  # larger files get line-only regions
CHART_SEARCH_DEPTH = 3  # charts/app/Chart.yaml, deploy/charts/app/Chart.yaml
_CHART_NAME = LazyPattern(r"^name:[ \t]*[\"']?([A-Za-z0-9][A-Za-z0-9_.-]*)", re.MULTILINE)


@record(frozen=True)
class Place:
    """Where a finding points in a file: on disk, relative to the repository, and the region."""

    absolute: str  # the file on disk
    relative: str | None  # POSIX path from the repository root (None: outside it)
    line: int
    col: int | None = None
    end_line: int | None = None
    end_col: int | None = None
    exact: bool = True  # False: a fallback file, not the finding's own location

    @property
    def uri(self) -> str:
        """A relative, percent-encoded URI (`:` and spaces too), or a file: URI outside the repo."""
        if self.relative is not None:  # a name byte that is not UTF-8 (surrogateescape) as %XX
            return quote(os.fsencode(self.relative), safe="/")
        return Path(self.absolute).as_uri()

    @property
    def shown(self) -> str:
        return self.relative if self.relative is not None else self.absolute


class Locator:
    def __init__(self, report: Report, options: Options) -> None:
        self.cwd = Path(os.path.abspath(options.cwd or os.getcwd()))
        self.root = repo_root(str(self.cwd))
        self.chart = getattr(options, "chart", None)
        self._charts: dict[str, list[Path]] | None = None  # chart name -> its folders
        # once per file, not per finding: 20,000 findings in one file split, stat and resolve it
        # once (SARIF is linear in findings)
        self._read: dict[str, str | None] = {}  # file -> its text (None: unreadable)
        self._lines: dict[int, tuple[str, list[str]]] = {}  # id(text) -> (text, its lines)
        self._file = functools.lru_cache(maxsize=None)(self._find_file)
        self._relative = functools.lru_cache(maxsize=None)(self._resolve_relative)
        self.target_label = functools.lru_cache(maxsize=None)(self._label)

    def _find_file(self, display: str | None) -> Path | None:
        if not display or display.startswith("<") or display in ("--set", "-"):
            return None
        path = Path(display) if os.path.isabs(display) else self.cwd / display
        return path if path.is_file() else None

    def _resolve_relative(self, path: Path) -> str | None:
        resolved = Path(os.path.realpath(path))
        for root in (self.root, Path(os.path.realpath(self.root))):
            try:
                return resolved.relative_to(root).as_posix()
            except ValueError:
                continue
        return None

    def _place(
        self,
        path: Path,
        line: int = 1,
        col: int | None = None,
        end_line: int | None = None,
        end_col: int | None = None,
        exact: bool = True,
    ) -> Place:
        return Place(str(path), self._relative(path), max(1, int(line or 1)), col, end_line, end_col, exact)

    def _charts_named(self, name: str) -> list[Path]:
        """Chart folders in the repository whose Chart.yaml says `name: <name>` (a chart's folder
        need not be named like the chart: `charts/app` holding chart `starter`)."""
        if self._charts is None:
            self._charts = {}
            seen: set[str] = set()
            for top in (self.cwd, self.root):
                for folder, dirs, files in os.walk(top):
                    depth = len(Path(folder).relative_to(top).parts)
                    dirs[:] = (
                        []
                        if depth >= CHART_SEARCH_DEPTH
                        else sorted(d for d in dirs if not d.startswith(".") and d != "node_modules")
                    )
                    if "Chart.yaml" not in files or folder in seen:
                        continue
                    seen.add(folder)
                    try:
                        with open(
                            os.path.join(folder, "Chart.yaml"), encoding="utf-8", errors="replace"
                        ) as handle:
                            found = _CHART_NAME.search(handle.read(64 * 1024))
                    except OSError:
                        continue
                    if found:
                        self._charts.setdefault(found.group(1), []).append(Path(folder))
        return self._charts.get(name, [])

    def _template(self, template: str, target: Target | None) -> Path | None:
        """`starter/templates/x.yaml` -> the file in the chart folder, under the working dir, or
        in a chart of the repository named `starter` (manifests piped in from `helm template`)."""
        chart_name, _, inside = template.partition("/")
        candidates: list[Path] = []
        for chart in ((target.chart if target is not None else None), self.chart):
            if chart and inside:
                candidates.append(Path(chart) / inside)
        candidates += [self.cwd / template, self.cwd / "charts" / template]
        if inside:
            candidates += [chart / inside for chart in self._charts_named(chart_name)]
        for candidate in candidates:
            if candidate is not None:
                found = self._file(str(candidate))
                if found is not None:
                    return found
        return None

    def _fallback_files(self, result: TargetResult, target: Target | None) -> list[str]:
        files = list(result.files or ())
        if target is not None:
            files += list(target.files) + [m for m in target.manifests if m != "-"]
            if target.chart:
                files += [str(Path(target.chart) / "values.yaml"), str(Path(target.chart) / "Chart.yaml")]
        return files

    def place(self, finding: Finding, result: TargetResult) -> Place | None:
        """The finding's own file, else its chart template, else the target's first file — the
        first of them inside the repository (code scanning drops results outside it); None: the
        finding has no file there and becomes a notification of the run."""
        loc = finding.location
        own = self._file(loc.path)
        if own is not None:
            place = self._place(own, loc.line, loc.col, loc.end_line, loc.end_col)
            if place.relative is not None:
                return place
        target = result.target
        candidates: list[Path | None] = []
        if finding.template:
            candidates.append(self._template(finding.template, target))
        candidates += [self._file(candidate) for candidate in self._fallback_files(result, target)]
        for found in candidates:
            if found is not None:
                place = self._place(found, exact=False)
                if place.relative is not None:
                    return place
        return None

    def source_lines(self, finding: Finding, place: Place, result: TargetResult) -> list[str] | None:
        """The text lines of the finding's file (kept by the pipeline for its target, else read once)."""
        text = result.sources.get(finding.location.path) if place.exact else None
        if text is None:
            if place.absolute not in self._read:
                try:
                    with open(place.absolute, encoding="utf-8", errors="replace", newline="") as handle:
                        self._read[place.absolute] = handle.read(MAX_READ + 1)
                except OSError:
                    self._read[place.absolute] = None
            text = self._read[place.absolute]
            if text is None or len(text) > MAX_READ:
                return None
        if id(text) not in self._lines:  # kept with its text, so the id stays the text's
            self._lines[id(text)] = (
                text,
                LINE_BREAK.split(text[:-1] if text.endswith(tuple(LINE_BREAK_CHARS)) else text)
                if text
                else [],
            )
        return self._lines[id(text)][1]

    def _label(self, name: str) -> str:
        """A target's name with its file paths made relative to the repository root
        (`target_label`)."""
        parts = []
        for part in name.split("+"):
            path = Path(part) if os.path.isabs(part) else self.cwd / part
            relative = self._relative(path) if path.exists() else None
            parts.append(relative if relative is not None else part)
        return "+".join(parts)


def unlocated_reason(finding: Finding) -> str:
    """Why a finding has no file in the repository to point at, and what gives it one."""
    path = finding.location.path
    if path == "<stdin>":
        if finding.template:
            return (
                f"it is on standard input and no chart in the repository holds its template "
                f"{finding.template}: run from the repository that holds the chart, pass --chart, "
                "or pass the manifests as a file (--manifests FILE)"
            )
        return (
            "it is on standard input without a `# Source:` template comment and no values file: "
            "pass the manifests as a file (--manifests FILE) or with -f VALUES"
        )
    if path == "--set":
        return "it comes from --set and the target has no values file: add -f VALUES"
    return f"{path} is not a file in the repository"
