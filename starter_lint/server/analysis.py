"""Running the pipeline on the editor's unsaved text, one analysis at a time.

`analyse` is `check PATH` run in the workspace root with the open documents' texts read instead
of the files on disk (paths.reading_instead). That substitution is process-wide, so every
analysis runs in ONE worker thread, never two at once; the event loop only schedules them.

`Scheduler` debounces: a change waits DEBOUNCE_SECONDS for the next one, and only the newest
text of a document is analysed; a result for a version older than the document's is dropped.
A save renders the chart of a `--chart` target (in the worker too), and so does an open, once
the values' own findings are out; a change to that document while it renders stops the render
(render.CANCEL_RENDER kills helm's process group).

Rendering is too slow for every keystroke, so the analyses between two renders do not render;
what only the render found (a rendered HPA's bounds, a Secret name two manifests share) is kept
from the last render, each finding while the line it is on still reads as it did then, so a
finding `check` would report does not vanish at the next keystroke (docs/editor.md). A rendered
object's finding that names no line of a values file is shown on the document's first line,
with the rendered place in its message: the editor shows every finding CI will fail on.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor

from ..catalog import Catalog, load_catalog
from ..errors import StarterLintError
from ..findings import Finding, Location
from ..paths import StrPath, display_path, reading_instead
from ..records import field, record
from ..textio import split_lines
from .positions import TextPositions
from .workspace import Workspace

DEBOUNCE_SECONDS = 0.3
_WORKER_STACK_BYTES = 64 << 20


@record
class Analysis:
    """One document version's result: its unsuppressed findings (those in this document), and the
    one-line error that stopped the run (a broken config, a chart that cannot render: then the
    findings are those of the values alone, or none; `catalog` is None when there are none)."""

    uri: str
    version: int | None
    text: str
    shown: str  # the document's display path (its findings' location.path)
    findings: list[Finding] = field(default_factory=list)
    catalog: Catalog | None = None
    error: str | None = None
    rendered: bool = False  # asked to render the chart (a save)
    root: str = ""  # the folder `check` runs in for it (the findings' paths are relative to it)
    has_chart: bool = False  # its target renders a chart (a save or an open renders it)
    positions: TextPositions = field(init=False)  # built once, in the worker: 5 s for 50 MB

    def __post_init__(self) -> None:
        self.positions = TextPositions(self.text)


@record
class _Checked:
    """What one pipeline run found for one document."""

    findings: list[Finding]
    catalog: Catalog
    has_chart: bool
    unplaced: frozenset[tuple] = frozenset()  # the keys of those moved to the first line


def analyse(
    workspace: Workspace, path: str, text: str, open_texts: Mapping[str, str], render: bool
) -> _Checked:
    """The findings of this document, not suppressed, of `check PATH` on these texts (a rendered
    object's finding that names no file is moved to the document's first line).
    StarterLintError (one line) when the run cannot be done; RenderCancelled when stopped."""
    from ..pipeline import run, run_catalog  # deferred: after `initialize` (warm_up loads it)
    from ..targets import file_targets  # deferred: with the pipeline, in the worker

    options = workspace.options_for(path, render)
    if options is None:
        raise StarterLintError(workspace.error or "the config cannot be read")
    shown = display_path(path, workspace.root)
    # an editor may send a lone surrogate (JSON's "\ud800"): no file can hold one, so it is read
    # as "?" (one character for one: every position stays where it was)
    texts: dict[StrPath, str] = {other: _encodable(source) for other, source in open_texts.items()}
    texts[path] = _encodable(text)
    with reading_instead(texts):
        report = run(options)
        has_chart = any(target.chart for target in file_targets(path, options))
    findings, unplaced = [], set()
    for result in report.targets:
        for finding in result.findings:
            if finding.suppressed:
                continue
            if finding.location.path.startswith("<"):  # a rendered object's: no values line
                finding = _on_first_line(finding, shown)
                unplaced.add(_key(finding))
            elif finding.location.path != shown:
                continue
            findings.append(finding)
    # the run's catalog: shipped rules, rule-dirs, and the config's values policies (their ids
    # are rules too: a hover explains them, a diagnostic links their docs)
    return _Checked(findings, run_catalog(options), has_chart, frozenset(unplaced))


def _on_first_line(finding: Finding, shown: str) -> Finding:
    """A rendered object's finding that names no values line (`<rendered chart>:364`), on the
    document's first line, the rendered place in its message."""
    where = f"{finding.location.path}:{finding.location.line}"
    return finding.with_(location=Location(shown, 1, 1), message=f"{finding.message} (at {where})")


def _key(finding: Finding) -> tuple:
    return (finding.rule, finding.location, finding.message)


@record
class _RenderOnly:
    """The findings only the last render found, with the text they were found in."""

    text: str
    findings: list[Finding]  # on a line of the document
    unplaced: list[Finding]  # moved to its first line: the place they name is in no document

    def still_there(self, text: str) -> list[Finding]:
        """The unplaced ones, and those whose line reads in `text` as it read then."""
        before, after = split_lines(self.text), split_lines(text)
        return self.unplaced + [
            finding
            for finding in self.findings
            if finding.location.line <= min(len(before), len(after))
            and before[finding.location.line - 1] == after[finding.location.line - 1]
        ]


def _encodable(text: str) -> str:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "replace").decode("utf-8")
    return text


def warm_up() -> None:
    """Import what a first analysis needs, in the worker, so the first diagnostics are quick."""
    from .. import pipeline, render  # noqa: F401  # deferred: in the worker, after `initialize`
    from ..checks import load_checks  # deferred: runs in the worker after start-up

    load_catalog()
    load_checks({"values", "manifests"})


@record
class _Document:
    path: str
    version: int | None
    text: str


class Scheduler:
    """Debounced analyses in one worker thread; `publish(analysis)` is called on the event loop
    with each result that is still the document's newest version."""

    def __init__(
        self,
        workspace: Callable[[str], Workspace],
        document: Callable[[str], _Document | None],
        open_texts: Callable[[], dict[str, str]],
        publish: Callable[[Analysis], None],
        log: Callable[[str], None],
    ) -> None:
        self._workspace = workspace
        self._document = document
        self._open_texts = open_texts
        self._publish = publish
        self._log = log
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="starter-lint-analysis")
        self._pending: dict[str, asyncio.Task] = {}
        self._rendering: str | None = None  # the uri whose chart the worker renders now
        self._render_only: dict[str, _RenderOnly] = {}  # uri -> what only its last render found
        self._lock = threading.Lock()

    def start(self) -> None:
        # the worker thread is made on the first submit: with the stack a deep YAML needs under
        # the recursion limit the CLI allows (run_cli), as the main thread has
        previous = threading.stack_size(_WORKER_STACK_BYTES)
        try:
            self._executor.submit(warm_up)
        finally:
            threading.stack_size(previous)

    def schedule(self, uri: str, delay: float = 0.0, render: bool = False, then_render: bool = False) -> None:
        """Analyse `uri` after `delay` seconds, replacing any analysis of it not yet done;
        `then_render`: when it is published, render its chart (if its target has one)."""
        with self._lock:
            if self._rendering == uri:
                from ..render import CANCEL_RENDER  # deferred: loaded by then (a render runs)

                CANCEL_RENDER.set()
        pending = self._pending.pop(uri, None)
        if pending is not None:
            pending.cancel()
        self._pending[uri] = asyncio.ensure_future(self._analyse_later(uri, delay, render, then_render))

    def forget(self, uri: str) -> None:
        pending = self._pending.pop(uri, None)
        if pending is not None:
            pending.cancel()
        with self._lock:
            self._render_only.pop(uri, None)

    def shutdown(self) -> None:
        for task in self._pending.values():
            task.cancel()
        with self._lock:
            if self._rendering is not None:
                from ..render import CANCEL_RENDER  # deferred: loaded by then (a render runs)

                CANCEL_RENDER.set()
        self._executor.shutdown(wait=False, cancel_futures=True)

    def current(self, uri: str, version: int | None) -> bool:
        document = self._document(uri)
        return document is not None and document.version == version

    async def _analyse_later(self, uri: str, delay: float, render: bool, then_render: bool) -> None:
        try:
            if delay:
                await asyncio.sleep(delay)
            document = self._document(uri)
            if document is None:
                return
            texts = self._open_texts()
            loop = asyncio.get_running_loop()
            analysis = await loop.run_in_executor(self._executor, self._run, uri, document, texts, render)
            if analysis is not None and self.current(uri, analysis.version):
                self._publish(analysis)
                if then_render and analysis.has_chart and not render and analysis.error is None:
                    if self._pending.get(uri) is asyncio.current_task():
                        del self._pending[uri]  # done: the render is the document's next analysis
                    self.schedule(uri, 0.0, render=True)
        except asyncio.CancelledError:
            pass
        except Exception as exc:  # never a message text: it could hold a value
            self._log(f"analysis failed: {type(exc).__name__}")
        finally:
            if self._pending.get(uri) is asyncio.current_task():
                del self._pending[uri]

    def _keep_render_only(
        self, uri: str, workspace: Workspace, document: _Document, texts: dict[str, str], rendered: _Checked
    ) -> None:
        """Remember what the render found that the values alone do not (a second, quick run)."""
        values_only = {
            _key(f) for f in analyse(workspace, document.path, document.text, texts, False).findings
        }
        found = [f for f in rendered.findings if _key(f) not in values_only]
        placed = [f for f in found if _key(f) not in rendered.unplaced]
        unplaced = [f for f in found if _key(f) in rendered.unplaced]
        with self._lock:
            self._render_only[uri] = _RenderOnly(document.text, placed, unplaced)

    def _with_render_only(self, uri: str, text: str, findings: list[Finding]) -> list[Finding]:
        with self._lock:
            render_only = self._render_only.get(uri)
        if render_only is None:
            return findings
        have = {_key(f) for f in findings}
        return findings + [f for f in render_only.still_there(text) if _key(f) not in have]

    def _run(self, uri: str, document: _Document, texts: dict[str, str], render: bool) -> Analysis | None:
        """In the worker thread. None when the result is no longer wanted."""
        from ..render import CANCEL_RENDER, RenderCancelled  # deferred: in the worker, not at start

        workspace = self._workspace(document.path)
        with self._lock:
            CANCEL_RENDER.clear()  # before the version check: a change after it cancels the render
            self._rendering = uri if render else None
        try:
            if not self.current(uri, document.version):
                return None
            shown = display_path(document.path, workspace.root)
            analysis = Analysis(
                uri, document.version, document.text, shown, rendered=render, root=workspace.root
            )
            try:
                checked = analyse(workspace, document.path, document.text, texts, render)
                analysis.findings, analysis.catalog = checked.findings, checked.catalog
                analysis.has_chart = checked.has_chart
                if render and checked.has_chart:
                    self._keep_render_only(uri, workspace, document, texts, checked)
                elif checked.has_chart:
                    analysis.findings = self._with_render_only(uri, document.text, checked.findings)
            except RenderCancelled:
                return None
            except StarterLintError as exc:
                analysis.error = f"error: {exc}"
                if render:  # the chart would not render: still the findings of the values
                    try:
                        checked = analyse(workspace, document.path, document.text, texts, False)
                        analysis.findings, analysis.catalog = checked.findings, checked.catalog
                    except StarterLintError:
                        pass
            except RecursionError:
                analysis.error = "error: the document nests too deeply to check"
            return analysis
        finally:
            with self._lock:
                self._rendering = None
