"""`starter-lint server` end to end: pytest-lsp starts `python -m starter_lint server` as an
editor would and talks the Language Server Protocol to it (docs/editor.md).

Each test builds its own workspace (a repository with a values file holding planted mistakes
and secrets); the server is started once per test, so the tests are few and each walks a
whole editing session.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

pytest.importorskip("pygls", reason="needs the server extra: pip install -e '.[server]'")
pytest_lsp = pytest.importorskip("pytest_lsp", reason="needs pytest-lsp: pip install -e '.[test]'")

from lsprotocol import types  # noqa: E402
from pytest_lsp import ClientServerConfig, LanguageClient  # noqa: E402

from starter_lint.server.positions import TextPositions  # noqa: E402

from .support import REPO  # noqa: E402

pytestmark = pytest.mark.asyncio

SECRETS = ("sk_live_do_not_commit_me", "hunter2-in-git", "whsec_committed_by_mistake")
BROKEN = (REPO / "examples" / "values.broken.yaml").read_text(encoding="utf-8")
assert all(secret in BROKEN for secret in SECRETS)  # the example still plants them

SERVER = ClientServerConfig(
    server_command=[sys.executable, "-m", "starter_lint", "server"],
    server_env={**os.environ, "PYTHONPATH": str(REPO)},
)


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    (tmp_path / ".git").mkdir()  # the repository root: the config is looked for up to here
    (tmp_path / "values.prod.yaml").write_text(BROKEN, encoding="utf-8")
    (tmp_path / "notes.yaml").write_text("api:\n  image: x\n", encoding="utf-8")
    (tmp_path / ".starter-lint.yaml").write_text("fail-on: warning\n", encoding="utf-8")
    return tmp_path


@pytest_lsp.fixture(config=SERVER)
async def client(lsp_client: LanguageClient, workspace: Path):
    registrations: list = []

    @lsp_client.feature(types.CLIENT_REGISTER_CAPABILITY)
    def register(params: types.RegistrationParams) -> None:
        registrations.extend(params.registrations)

    lsp_client.registrations = registrations  # type: ignore[attr-defined]
    capabilities = types.ClientCapabilities(
        workspace=types.WorkspaceClientCapabilities(
            did_change_watched_files=types.DidChangeWatchedFilesClientCapabilities(dynamic_registration=True)
        ),
        text_document=types.TextDocumentClientCapabilities(
            publish_diagnostics=types.PublishDiagnosticsClientCapabilities(related_information=True)
        ),
    )
    await lsp_client.initialize_session(
        types.InitializeParams(capabilities=capabilities, root_uri=workspace.as_uri())
    )
    yield
    await lsp_client.shutdown_session()


async def wait_for_diagnostics(
    client: LanguageClient, uri: str, wanted: Callable[[list], bool], seconds: float = 30.0
) -> list:
    """The document's diagnostics once `wanted` holds for them (each publish is looked at)."""

    async def wait() -> list:
        while True:
            await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
            diagnostics = list(client.diagnostics.get(uri, []))
            if wanted(diagnostics):
                return diagnostics

    return await asyncio.wait_for(wait(), seconds)


async def wait_for_version(client: LanguageClient, uri: str, version: int, seconds: float = 30.0) -> list:
    """The diagnostics published for this version of the document."""

    async def wait() -> list:
        while True:
            params = await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
            if params.uri == uri and params.version == version:
                return list(params.diagnostics)

    return await asyncio.wait_for(wait(), seconds)


def codes(diagnostics: list) -> set:
    return {d.code for d in diagnostics}


def open_document(client: LanguageClient, path: Path, text: str | None = None) -> str:
    uri = path.as_uri()
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=uri,
                language_id="yaml",
                version=1,
                text=path.read_text(encoding="utf-8") if text is None else text,
            )
        )
    )
    return uri


def replace_text(client: LanguageClient, uri: str, version: int, text: str) -> None:
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
        )
    )


def applied(text: str, edits: list) -> str:
    """The text with an action's edits made (last first, so earlier offsets hold)."""
    positions = TextPositions(text)
    spans = [
        (positions.offset_at(e.range.start), positions.offset_at(e.range.end), e.new_text) for e in edits
    ]
    for start, end, new_text in sorted(spans, reverse=True):
        text = text[:start] + new_text + text[end:]
    return text


def everything_said(client: LanguageClient) -> str:
    """Every text the server sent: diagnostics (and their related information), messages, logs."""
    texts = [m.message for m in client.messages] + [m.message for m in client.log_messages]
    for diagnostics in client.diagnostics.values():
        for diagnostic in diagnostics:
            texts.append(diagnostic.message)
            texts += [r.message for r in diagnostic.related_information or []]
    return "\n".join(texts)


async def test_open_change_save_and_other_files(client: LanguageClient, workspace: Path):
    values = workspace / "values.prod.yaml"
    uri = open_document(client, values)
    diagnostics = await wait_for_diagnostics(client, uri, bool)
    assert {"SL105", "SL603", "SL307"} <= codes(diagnostics)
    (provider,) = [d for d in diagnostics if d.code == "SL603"]
    # `    SECRETS_PROVIDER: aws-secrets` is line 7 (0-based 6); the value starts at column 23
    assert provider.range.start == types.Position(line=6, character=22)
    assert provider.range.end == types.Position(line=6, character=33)
    assert provider.severity == types.DiagnosticSeverity.Error
    assert provider.source == "starter-lint"
    assert provider.code_description is not None
    assert provider.code_description.href.endswith("docs/rules.md#sl603-env-enum")
    assert all(d.code != "SL107" for d in diagnostics)

    # the unsaved text is what is checked, the file on disk is left alone
    fixed = BROKEN.replace("SECRETS_PROVIDER: aws-secrets", "SECRETS_PROVIDER: aws_sm")
    replace_text(client, uri, 2, fixed)
    diagnostics = await wait_for_diagnostics(client, uri, lambda d: "SL603" not in codes(d))
    assert {"SL105", "SL307"} <= codes(diagnostics)
    assert values.read_text(encoding="utf-8") == BROKEN

    # a file mid-edit is broken YAML: one SL102 where it breaks, the server carries on
    replace_text(client, uri, 3, fixed + "web:\n  image: [unclosed\n")
    diagnostics = await wait_for_diagnostics(client, uri, lambda d: "SL102" in codes(d))
    assert codes(diagnostics) == {"SL102"}

    # text no file could hold (a lone surrogate: JSON can send one) is still checked
    replace_text(client, uri, 4, fixed.replace("ENVIRONMENT: production", "ENVIRONMENT: pro\udfffduction"))
    diagnostics = await wait_for_diagnostics(client, uri, lambda d: "SL102" not in codes(d))
    assert {"SL105", "SL307"} <= codes(diagnostics)

    # an inline disable (with its reason) hides the finding, as `check` does
    disabled = fixed.replace(
        'APP_PUBLIC_URL: "http://app.acme-corp.io"',
        'APP_PUBLIC_URL: "http://app.acme-corp.io"  # starter-lint: disable=SL307 (plain http behind the CDN)',
    )
    replace_text(client, uri, 5, disabled)
    client.text_document_did_save(
        types.DidSaveTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri))
    )
    diagnostics = await wait_for_diagnostics(client, uri, lambda d: d and "SL307" not in codes(d))
    assert "SL105" in codes(diagnostics) and "SL102" not in codes(diagnostics)

    # a YAML file that is no values file gets no diagnostics
    notes = open_document(client, workspace / "notes.yaml")
    assert await wait_for_diagnostics(client, notes, lambda d: d == []) == []
    # ... unless it carries the schema's modeline
    modeline = "# yaml-language-server: $schema=../values.schema.json\napi:\n  imagee: x\n"
    other = open_document(client, workspace / "deploy.yaml", modeline)
    assert "SL101" in codes(await wait_for_diagnostics(client, other, bool))

    # an editor percent-encodes a space (a drive's `:`, a non-ASCII letter) in the URI it sends;
    # a key with control and bidi characters is shown escaped, as the text report shows it
    spaced = workspace / "my charts" / "values.ci.yaml"
    spaced.parent.mkdir()
    spaced.write_text('api:\n  "imag\\e[2Je\\u202e": x\n', encoding="utf-8")  # YAML escapes
    quoted = open_document(client, spaced)
    assert "%20" in quoted
    (typo,) = [d for d in await wait_for_diagnostics(client, quoted, bool) if d.code == "SL101"]
    assert "\x1b" not in typo.message and "\u202e" not in typo.message
    assert "\\x1b[2J" in typo.message and "\\u202e" in typo.message
    hover = await client.text_document_hover_async(
        types.HoverParams(text_document=types.TextDocumentIdentifier(uri=quoted), position=typo.range.start)
    )
    assert hover is not None and "SL101" in str(hover.contents)

    said = everything_said(client)
    assert said and not [secret for secret in SECRETS if secret in said]


async def test_a_broken_config_is_one_message_and_the_server_recovers(
    client: LanguageClient, workspace: Path
):
    uri = open_document(client, workspace / "values.prod.yaml")
    assert "SL603" in codes(await wait_for_diagnostics(client, uri, bool))
    # the server asked to hear of config files changed on disk (after `initialized`)
    assert [r.method for r in client.registrations] == [  # type: ignore[attr-defined]
        types.WORKSPACE_DID_CHANGE_WATCHED_FILES
    ]

    config = workspace / ".starter-lint.yaml"
    config.write_text("fail-on: [sometimes\n", encoding="utf-8")
    change = types.FileEvent(uri=config.as_uri(), type=types.FileChangeType.Changed)
    client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(changes=[change]))
    assert await wait_for_diagnostics(client, uri, lambda d: d == []) == []
    (message,) = client.messages
    assert message.type == types.MessageType.Error
    assert (
        message.message.startswith("error: .starter-lint.yaml:2: not valid YAML")
        and "\n" not in message.message
    )

    # fixed (and saved in the editor): the diagnostics return, with the config's rules; the
    # file is now layered under an override by a target
    (workspace / "values.override.yaml").write_text("{}\n", encoding="utf-8")
    config.write_text(
        "targets:\n  prod: {values: [values.prod.yaml, values.override.yaml]}\nignore: [SL307]\n",
        encoding="utf-8",
    )
    client.text_document_did_save(
        types.DidSaveTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=config.as_uri()))
    )
    diagnostics = await wait_for_diagnostics(client, uri, bool)
    assert "SL603" in codes(diagnostics) and "SL307" not in codes(diagnostics)
    assert len(client.messages) == 1

    # an unsaved change to the override re-checks values.prod.yaml, its layer: the billing
    # worker turned off there, the API's billing flag no longer clashes with it (SL401)
    assert "SL401" in codes(diagnostics)
    override = open_document(client, workspace / "values.override.yaml")
    await wait_for_diagnostics(client, override, lambda d: True)
    replace_text(client, override, 2, "worker:\n  enabled: false\n")
    diagnostics = await wait_for_diagnostics(client, uri, lambda d: "SL401" not in codes(d))
    assert "SL603" in codes(diagnostics)
    assert (workspace / "values.override.yaml").read_text(encoding="utf-8") == "{}\n"


# A `helm` on the server's PATH that does what the file `mode` beside it says: `fail` (a
# template error), `hang` (writes its pid, then sleeps: a slow chart), or `hpa` (renders an
# HPA whose minReplicas is above its maxReplicas and whose target is not in the render: what
# only the render shows, on no line of a values file)
FAKE_HELM = """#!{python}
import os, sys, time
from pathlib import Path
here = Path(__file__).resolve().parent
mode = (here / "mode").read_text().strip()
with open(here / "calls", "a") as calls:
    calls.write(mode + "\\n")  # one line per call
if mode == "hpa":
    sys.stdout.write(
        "---\\n# Source: starter/templates/hpa.yaml\\napiVersion: autoscaling/v2\\n"
        "kind: HorizontalPodAutoscaler\\nmetadata:\\n  name: api\\n  namespace: default\\n"
        "spec:\\n  scaleTargetRef:\\n    apiVersion: apps/v1\\n    kind: Deployment\\n"
        "    name: api\\n  minReplicas: 5\\n  maxReplicas: 2\\n"
    )
    sys.exit(0)
if mode == "hang":
    (here / "pid").write_text(str(os.getpid()))
    time.sleep(60)
sys.stderr.write("Error: template: starter/templates/x.yaml:1:1: boom\\n")
sys.exit(1)
"""


def chart_repository(tmp_path: Path, mode: str) -> tuple:
    """(bin folder with the fake helm, repository with a --chart config and values.prod.yaml)."""
    bin_dir, root = tmp_path / "bin", tmp_path / "repo"
    bin_dir.mkdir()
    helm = bin_dir / "helm"
    helm.write_text(FAKE_HELM.format(python=sys.executable), encoding="utf-8")
    helm.chmod(0o755)
    (bin_dir / "mode").write_text(mode, encoding="utf-8")
    (root / ".git").mkdir(parents=True)
    (root / "chart").mkdir()
    (root / "chart" / "Chart.yaml").write_text(
        "apiVersion: v2\nname: starter\nversion: 0.1.0\n", encoding="utf-8"
    )
    (root / "chart" / "values.yaml").write_text("{}\n", encoding="utf-8")
    (root / ".starter-lint.yaml").write_text("chart: chart\n", encoding="utf-8")
    values = root / "values.prod.yaml"
    values.write_text((REPO / "examples" / "values.prod.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    return bin_dir, root, values


def started_with_helm(bin_dir: Path) -> LanguageClient:
    env = {**os.environ, "PYTHONPATH": str(REPO), "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    return ClientServerConfig(server_command=SERVER.server_command, server_env=env).start()


async def test_what_only_the_render_finds_is_shown_and_kept_between_saves(tmp_path: Path):
    bin_dir, root, values = chart_repository(tmp_path, "hpa")
    done = subprocess.run(
        [sys.executable, "-m", "starter_lint", "check", "--format", "json", "values.prod.yaml"],
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(REPO), "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"},
        capture_output=True,
        text=True,
        check=False,
    )
    in_ci = {f["rule"] for t in json.loads(done.stdout)["targets"] for f in t["findings"]}
    assert "SL801" in in_ci  # what CI fails on
    (bin_dir / "calls").unlink()  # check's render: the server's are counted from here
    client = await started_with_helm(bin_dir)
    try:
        await client.initialize_session(
            types.InitializeParams(capabilities=types.ClientCapabilities(), root_uri=root.as_uri())
        )
        uri = open_document(client, values)
        # open: the values' findings at once, then the render's: on the first line, the rendered
        # place in the message (it names no values line)
        diagnostics = await wait_for_diagnostics(client, uri, lambda d: "SL801" in codes(d))
        assert codes(diagnostics) == in_ci
        rendered = [d for d in diagnostics if d.code == "SL801"]
        assert all(d.range.start.line == 0 and "(at <rendered chart>:" in d.message for d in rendered)
        # a keystroke does not render, and does not lose them
        text = values.read_text(encoding="utf-8")
        replace_text(client, uri, 2, text + "# edited\n")
        diagnostics = await wait_for_version(client, uri, 2)
        assert codes(diagnostics) == in_ci
        assert (bin_dir / "calls").read_text() == "hpa\n"  # one render: the open's
        await client.shutdown_session()
    finally:
        server = client._server
        if server is not None and server.returncode is None:
            server.kill()
        await client.stop()


async def test_save_renders_the_chart_and_a_change_stops_the_render(tmp_path: Path):
    bin_dir, root, values = chart_repository(tmp_path, "fail")
    client = await started_with_helm(bin_dir)
    assert isinstance(client, LanguageClient)
    try:
        # a client that prefers UTF-8 still gets UTF-16 positions, those positions.py counts
        utf8_first = types.GeneralClientCapabilities(
            position_encodings=[types.PositionEncodingKind.Utf8, types.PositionEncodingKind.Utf16]
        )
        result = await client.initialize_session(
            types.InitializeParams(
                capabilities=types.ClientCapabilities(general=utf8_first), root_uri=root.as_uri()
            )
        )
        assert result.capabilities.position_encoding == types.PositionEncodingKind.Utf16
        uri = open_document(client, values)
        await wait_for_diagnostics(client, uri, lambda d: True)  # the values' findings first
        for _ in range(400):  # then the chart renders (and fails)
            if client.messages:
                break
            await asyncio.sleep(0.05)
        assert (bin_dir / "calls").read_text() == "fail\n"
        (shown,) = client.messages  # the render's error, once; the values' findings stay
        assert shown.type == types.MessageType.Warning
        assert "helm could not render" in shown.message and "boom" in shown.message

        # the same failure on a save, and on the next save after a change, is not shown again
        save = types.DidSaveTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri))
        client.text_document_did_save(save)
        await wait_for_diagnostics(client, uri, lambda d: True)
        replace_text(client, uri, 2, values.read_text(encoding="utf-8") + "# edited\n")
        await wait_for_diagnostics(client, uri, lambda d: True)
        assert (bin_dir / "calls").read_text() == "fail\nfail\n"  # a change does not render
        client.text_document_did_save(save)
        await wait_for_diagnostics(client, uri, lambda d: True)
        assert (bin_dir / "calls").read_text() == "fail\nfail\nfail\n" and len(client.messages) == 1

        (bin_dir / "mode").write_text("hang", encoding="utf-8")
        client.text_document_did_save(save)
        for _ in range(200):
            if (bin_dir / "pid").exists():
                break
            await asyncio.sleep(0.05)
        pid = int((bin_dir / "pid").read_text())
        replace_text(client, uri, 3, values.read_text(encoding="utf-8") + "\n")
        await wait_for_diagnostics(client, uri, lambda d: True, seconds=20)
        with pytest.raises(ProcessLookupError):  # killed (and reaped) long before its 60 s
            os.kill(pid, 0)
        await client.shutdown_session()
    finally:
        server = client._server  # a failed assertion: stop the server rather than wait for it
        if server is not None and server.returncode is None:
            server.kill()
        await client.stop()


async def test_hover_code_actions_and_completion(client: LanguageClient, workspace: Path):
    uri = open_document(client, workspace / "values.prod.yaml")
    diagnostics = await wait_for_diagnostics(client, uri, bool)
    (provider,) = [d for d in diagnostics if d.code == "SL603"]
    document = types.TextDocumentIdentifier(uri=uri)

    hover = await client.text_document_hover_async(
        types.HoverParams(text_document=document, position=provider.range.start)
    )
    assert hover is not None and isinstance(hover.contents, types.MarkupContent)
    assert "SL603" in hover.contents.value and "env-enum" in hover.contents.value
    nothing = await client.text_document_hover_async(
        types.HoverParams(text_document=document, position=types.Position(line=0, character=0))
    )
    assert nothing is None  # the comment line has no finding

    actions = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=document,
            range=provider.range,
            context=types.CodeActionContext(diagnostics=[provider]),
        )
    )
    assert actions
    titles = [a.title for a in actions if isinstance(a, types.CodeAction)]
    assert any("SL603" in title and "disable" in title.lower() for title in titles)
    # the provider's fix changes what Helm renders: offered, not preferred
    (unsafe,) = [
        a
        for a in actions
        if isinstance(a, types.CodeAction) and a.edit and not a.title.lower().startswith("disable")
    ]
    assert unsafe.kind == types.CodeActionKind.QuickFix and not unsafe.is_preferred
    assert unsafe.edit is not None and unsafe.edit.changes is not None
    assert "    SECRETS_PROVIDER: aws_sm " in applied(BROKEN, unsafe.edit.changes[uri])

    # `DEBUG: yes` (a YAML 1.1 boolean) has a safe fix: the preferred action
    (debug,) = [d for d in diagnostics if d.range.start.line == 11 and d.code == "SL104"]
    actions = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=document, range=debug.range, context=types.CodeActionContext(diagnostics=[debug])
        )
    )
    preferred = [a for a in actions or [] if isinstance(a, types.CodeAction) and a.is_preferred]
    assert len(preferred) == 1 and preferred[0].edit is not None and preferred[0].edit.changes is not None
    assert '    DEBUG: "true"\n' in applied(BROKEN, preferred[0].edit.changes[uri])

    # completion of an env key's allowed values, after `SECRETS_PROVIDER: `
    line = BROKEN.splitlines()[provider.range.start.line]
    items = await client.text_document_completion_async(
        types.CompletionParams(
            text_document=document,
            position=types.Position(line=provider.range.start.line, character=line.index(":") + 2),
        )
    )
    labels = [
        item.label for item in (items.items if isinstance(items, types.CompletionList) else items or [])
    ]
    assert "aws_sm" in labels and "vault" in labels

    said = everything_said(client) + (hover.contents.value if hover else "")
    assert not [secret for secret in SECRETS if secret in said]
