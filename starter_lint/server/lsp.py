"""`starter-lint server`: the pygls language server, its lifecycle and its handlers
(docs/editor.md).

Each document is checked as `check` run in its folder would check it: with the nearest
`.starter-lint.yaml` above it in its repository (workspace.Workspaces), read again when a config
is saved or changes on disk. Values documents are analysed on open, on change (debounced) and on save (which also
renders a `--chart` target) by analysis.Scheduler; every other document gets no diagnostics.

No handler lets an exception out and none logs a text that could hold a value: an error the
tool explains (StarterLintError) is one line, as `check` prints it; anything else is logged by
its exception type only. The server ends only on shutdown and exit.
"""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import unquote

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol
from pygls.protocol.language_server import lsp_method
from pygls.uris import to_fs_path

from .. import __version__
from ..errors import InputError, StarterLintError
from ..report.escape import terminal
from .analysis import DEBOUNCE_SECONDS, Analysis, Scheduler, _Document
from .diagnostics import to_diagnostics
from .workspace import Workspace, Workspaces, is_config_file

_CONFIG_GLOB = "**/.starter-lint.{yaml,yml}"
_WATCHER_ID = "starter-lint-config"

F = TypeVar("F", bound=Callable[..., Any])
_logger = logging.getLogger("starter_lint.server")


class _Protocol(LanguageServerProtocol):
    @lsp_method(types.INITIALIZE)
    def lsp_initialize(self, params: types.InitializeParams):
        # positions.py counts UTF-16 code units, the protocol's default: never offer another
        general = params.capabilities.general
        if general is not None:
            general.position_encodings = None
        return (yield from super().lsp_initialize(params))


class StarterLintServer(LanguageServer):
    """The server's state: the workspace, the scheduler, each open document's latest analysis."""

    def __init__(self) -> None:
        super().__init__("starter-lint", __version__, protocol_cls=_Protocol)
        self.workspaces: Workspaces | None = None
        self.scheduler: Scheduler | None = None
        self.analyses: dict[str, Analysis] = {}  # uri -> latest published analysis
        self.shown_errors: dict[str, str] = {}  # uri -> the error line last shown for it
        self.shown_config_errors: set[str] = set()  # broken configs' lines, each shown once
        self.told_policies: set[str] = set()  # configs whose `policies:` the log has explained

    # -- helpers

    def log(self, message: str, kind: types.MessageType = types.MessageType.Log) -> None:
        # an error line may quote a repository's names (a target, helm's stderr): escaped, so
        # neither the editor's log nor `tail -f` of --log-file obeys a control sequence in them
        message = terminal(message)
        _logger.info("%s", message)
        self.window_log_message(types.LogMessageParams(type=kind, message=message))

    def report_server_error(self, error: Exception, source: Any) -> None:
        # pygls's own errors (a malformed message, a handler it could not call): the type only,
        # as for every other error, since its text may quote the document
        self.log(f"server error: {type(error).__name__}", types.MessageType.Error)

    def show(self, message: str, kind: types.MessageType = types.MessageType.Error) -> None:
        self.window_show_message(types.ShowMessageParams(type=kind, message=terminal(message)))

    def document(self, uri: str) -> _Document | None:
        # pygls keeps documents under the decoded URI (an editor may percent-encode a space, a
        # drive's `:`, a non-ASCII letter); the path is the one the editor's own URI names
        document = self.workspace.text_documents.get(unquote(uri))
        if document is None:
            return None
        path = to_fs_path(document.uri)
        return _Document(path, document.version, document.source) if path else None

    def open_uris(self) -> list[str]:
        """The open documents' URIs, as the editor sent them."""
        return [document.uri for document in list(self.workspace.text_documents.values())]

    def open_texts(self) -> dict[str, str]:
        """The open documents' unsaved texts by path, read instead of the files by an analysis."""
        texts = {}
        for document in list(self.workspace.text_documents.values()):
            path = to_fs_path(document.uri)
            if path:
                texts[path] = document.source
        return texts

    def publish(self, uri: str, diagnostics: list[types.Diagnostic], version: int | None = None) -> None:
        self.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics, version=version)
        )

    def publish_analysis(self, analysis: Analysis) -> None:
        if analysis.error is None and analysis.rendered:  # (a change does not render: no news)
            self.shown_errors.pop(analysis.uri, None)
        elif analysis.error is not None and self.shown_errors.get(analysis.uri) != analysis.error:
            # once until it changes, not on every save or keystroke
            self.shown_errors[analysis.uri] = analysis.error
            self.show(analysis.error, types.MessageType.Warning)
            self.log(analysis.error, types.MessageType.Warning)
        if analysis.catalog is None:
            self.analyses.pop(analysis.uri, None)
            self.publish(analysis.uri, [], analysis.version)
            return
        self.analyses[analysis.uri] = analysis
        diagnostics = to_diagnostics(
            analysis.findings, analysis.positions, analysis.catalog, analysis.root, analysis.shown
        )
        self.publish(analysis.uri, diagnostics, analysis.version)

    def analyse(self, uri: str, delay: float = 0.0, render: bool = False, then_render: bool = False) -> None:
        """Schedule an analysis of a values document; clear the diagnostics of any other.
        `then_render`: once its findings are published, render its chart too (if it has one)."""
        document = self.document(uri)
        if self.workspaces is None or self.scheduler is None or document is None:
            return
        workspace = self.workspaces.for_path(document.path)
        if workspace.options is None:  # a broken config: shown once, no diagnostics until fixed
            self.show_config_error(workspace)
            self.analyses.pop(uri, None)
            self.publish(uri, [])
            return
        if workspace.options.policies and workspace.root not in self.told_policies:
            self.told_policies.add(workspace.root)
            self.log(
                "the config's policies are checked by `starter-lint check`, not in the editor "
                "(a repository's policy cannot be bounded here; docs/editor.md)",
                types.MessageType.Info,
            )
        if not workspace.is_values_document(document.path, document.text):
            self.analyses.pop(uri, None)
            self.publish(uri, [])
            return
        self.scheduler.schedule(uri, delay, render, then_render=then_render)

    def show_config_error(self, workspace: Workspace) -> None:
        if workspace.error is not None and workspace.error not in self.shown_config_errors:
            self.shown_config_errors.add(workspace.error)
            self.show(workspace.error)

    def analyse_partners(self, uri: str, render: bool) -> None:
        """Analyse again the open documents a config target layers with `uri`'s file (their
        findings may depend on its text); each is debounced like a change of its own."""
        document = self.document(uri)
        if self.workspaces is None or document is None:
            return
        partners = self.workspaces.for_path(document.path).partners(document.path)
        for other in self.open_uris():
            path = to_fs_path(other) if other != uri else None
            if path and os.path.realpath(path) in partners:
                self.analyse(other, delay=DEBOUNCE_SECONDS, render=render)

    def reload_config(self) -> None:
        if self.workspaces is None:
            return
        errors = self.workspaces.reload()
        self.shown_config_errors.intersection_update(errors)  # a fixed config's error may come back
        for error in errors:
            if error not in self.shown_config_errors:
                self.shown_config_errors.add(error)
                self.show(error)
        self.log("config read again", types.MessageType.Info)
        for uri in self.open_uris():
            if self.scheduler is not None:
                self.scheduler.forget(uri)
            self.analyse(uri, then_render=True)


def _guarded(function: F) -> F:
    """A handler that never raises: StarterLintError is one line logged; anything else its
    exception type only (a message could quote a value from the document)."""

    @functools.wraps(function)
    def handler(ls: StarterLintServer, params: Any) -> Any:
        try:
            return function(ls, params)
        except StarterLintError as exc:
            ls.log(f"error: {exc}", types.MessageType.Warning)
        except Exception as exc:
            ls.log(f"{function.__name__} failed: {type(exc).__name__}", types.MessageType.Error)
        return None

    return handler  # type: ignore[return-value]


def _folders_of(params: types.InitializeParams) -> list[str]:
    """The workspace folders, else rootUri, else rootPath, else the server's working directory."""
    folders = [path for path in (to_fs_path(f.uri) for f in params.workspace_folders or []) if path]
    root = to_fs_path(params.root_uri) if params.root_uri else None
    return folders or [root or params.root_path or os.getcwd()]


def build_server() -> StarterLintServer:
    server = StarterLintServer()

    @server.feature(types.INITIALIZE)
    @_guarded
    def initialize(ls: StarterLintServer, params: types.InitializeParams) -> None:
        workspaces = ls.workspaces = Workspaces(_folders_of(params))
        ls.scheduler = Scheduler(
            workspaces.for_path,
            ls.document,
            ls.open_texts,
            ls.publish_analysis,
            lambda message: ls.log(message, types.MessageType.Error),
        )

    @server.feature(types.INITIALIZED)
    @_guarded
    def initialized(ls: StarterLintServer, params: types.InitializedParams) -> None:
        if ls.scheduler is not None:
            ls.scheduler.start()
        first = ls.workspaces.first() if ls.workspaces is not None else None
        if first is not None:
            ls.show_config_error(first)
        watched = ls.client_capabilities.workspace
        changes = watched.did_change_watched_files if watched is not None else None
        if changes is not None and changes.dynamic_registration:
            ls.client_register_capability(
                types.RegistrationParams(
                    registrations=[
                        types.Registration(
                            id=_WATCHER_ID,
                            method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                            register_options=types.DidChangeWatchedFilesRegistrationOptions(
                                watchers=[types.FileSystemWatcher(glob_pattern=_CONFIG_GLOB)]
                            ),
                        )
                    ]
                )
            )

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    @_guarded
    def did_open(ls: StarterLintServer, params: types.DidOpenTextDocumentParams) -> None:
        # the values' findings at once, then the rendered chart's (slower) for a --chart target
        ls.analyse(params.text_document.uri, then_render=True)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    @_guarded
    def did_change(ls: StarterLintServer, params: types.DidChangeTextDocumentParams) -> None:
        ls.analyse(params.text_document.uri, delay=DEBOUNCE_SECONDS)
        ls.analyse_partners(params.text_document.uri, render=False)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    @_guarded
    def did_save(ls: StarterLintServer, params: types.DidSaveTextDocumentParams) -> None:
        path = to_fs_path(params.text_document.uri)
        if path and is_config_file(path):
            ls.reload_config()
            return
        ls.analyse(params.text_document.uri, render=True)
        ls.analyse_partners(params.text_document.uri, render=False)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    @_guarded
    def did_close(ls: StarterLintServer, params: types.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        if ls.scheduler is not None:
            ls.scheduler.forget(uri)
        ls.analyses.pop(uri, None)
        ls.shown_errors.pop(uri, None)
        ls.publish(uri, [])

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    @_guarded
    def did_change_watched_files(ls: StarterLintServer, params: types.DidChangeWatchedFilesParams) -> None:
        if any(is_config_file(to_fs_path(change.uri) or "") for change in params.changes):
            ls.reload_config()

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    @_guarded
    def on_hover(ls: StarterLintServer, params: types.HoverParams) -> types.Hover | None:
        from .hover import hover  # deferred: loaded on the first hover, not at start

        analysis = ls.analyses.get(params.text_document.uri)
        if analysis is None or analysis.catalog is None or not analysis.findings:
            return None
        # the positions of the text the findings were found in: those the editor shows them at
        return hover(analysis.findings, analysis.positions, params.position, analysis.catalog)

    @server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix]),
    )
    @_guarded
    def on_code_action(
        ls: StarterLintServer, params: types.CodeActionParams
    ) -> list[types.CodeAction] | None:
        from .actions import code_actions  # deferred: loaded on the first code action, not at start

        uri = params.text_document.uri
        analysis, document = ls.analyses.get(uri), ls.document(uri)
        if analysis is None or analysis.catalog is None or document is None:
            return None
        if analysis.version != document.version or _too_large(document.text):
            return None  # the text changed since: its findings are being found again
        return code_actions(uri, document.text, analysis.findings, params.range, analysis.catalog)

    @server.feature(types.TEXT_DOCUMENT_COMPLETION, types.CompletionOptions(trigger_characters=[":", " "]))
    @_guarded
    def on_completion(
        ls: StarterLintServer, params: types.CompletionParams
    ) -> list[types.CompletionItem] | None:
        from .completion import complete  # deferred: loaded on the first completion, not at start

        uri = params.text_document.uri
        document = ls.document(uri)
        if (
            ls.workspaces is None
            or document is None
            or _too_large(document.text)
            or not ls.workspaces.for_path(document.path).is_values_document(document.path, document.text)
        ):
            return None
        return complete(document.text, params.position)

    @server.feature(types.SHUTDOWN)
    @_guarded
    def shutdown(ls: StarterLintServer, params: None) -> None:
        if ls.scheduler is not None:
            ls.scheduler.shutdown()

    return server


def _too_large(text: str) -> bool:
    """A document larger than a values file may be (the pipeline says so, SL102): no code
    actions or completion, which would read the whole text on the editor's every keystroke."""
    from ..yamlio import MAX_VALUES_BYTES  # deferred: loaded by the first analysis, not at start

    return len(text) > MAX_VALUES_BYTES // 4 and len(text.encode("utf-8", "surrogatepass")) > MAX_VALUES_BYTES


def serve(log_file: str | None = None, starting: Callable[[], None] | None = None) -> None:
    """Run the server on stdin and stdout until the editor says exit (or closes the stream);
    with `log_file`, the server's own log lines (never a document's text) are appended to that
    file too. `starting()` runs just before it starts (the command's SIGTERM handling)."""
    if log_file:
        try:
            handler = logging.FileHandler(log_file, encoding="utf-8")
        except OSError as exc:
            raise InputError(f"--log-file {log_file}: cannot open ({exc.strerror or exc})") from None
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        _logger.addHandler(handler)
        _logger.setLevel(logging.INFO)
    # pygls logs whole messages (document texts) at debug level: never let them through
    logging.getLogger("pygls").setLevel(logging.CRITICAL)
    server = build_server()
    if starting is not None:
        starting()
    try:
        server.start_io()
    finally:
        # stdin closed without shutdown, or exit: a render still running is stopped now, not
        # when helm is done with it
        if server.scheduler is not None:
            server.scheduler.shutdown()
