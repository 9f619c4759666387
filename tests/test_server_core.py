"""The language server's parts without a client (the end-to-end session is test_server_lsp.py):
which documents are values files, the config read and read again, findings as diagnostics, a
render stopped on request, and the `server` command's start-up (docs/editor.md)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

pytest.importorskip("lsprotocol", reason="needs the server extra: pip install -e '.[server]'")

from lsprotocol import types

from starter_lint import render
from starter_lint.catalog import load_catalog
from starter_lint.cli import run_cli
from starter_lint.findings import Finding, Location, Severity
from starter_lint.options import Options
from starter_lint.server.diagnostics import to_diagnostic
from starter_lint.server.positions import TextPositions
from starter_lint.server.workspace import Workspace, Workspaces, has_modeline, is_config_file

from .support import REPO


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    (tmp_path / ".git").mkdir()
    (tmp_path / "deploy").mkdir()
    (tmp_path / ".starter-lint.yaml").write_text(
        "targets:\n  prod: {values: [deploy/prod.yaml]}\n", encoding="utf-8"
    )
    return tmp_path


def test_which_documents_are_values_files(repo: Path):
    workspace = Workspace(str(repo))
    assert workspace.error is None
    assert workspace.is_values_document(str(repo / "deploy" / "prod.yaml"), "")  # the config lists it
    assert workspace.is_values_document(str(repo / "values.staging.yml"), "")
    assert workspace.is_values_document(str(repo / "charts" / "app" / "values.yaml"), "")
    assert not workspace.is_values_document(str(repo / "deploy" / "staging.yaml"), "api: {}\n")
    modeline = "# yaml-language-server: $schema=../schemas/values.schema.json\napi: {}\n"
    assert workspace.is_values_document(str(repo / "deploy" / "staging.yaml"), modeline)
    # another schema's modeline, or the modeline far down the file, is not the contract's
    assert not has_modeline("# yaml-language-server: $schema=https://json.schemastore.org/chart.json\n")
    assert not has_modeline("a: 1\n" * 10 + "# yaml-language-server: $schema=values.schema.json\n")
    assert is_config_file(str(repo / ".starter-lint.yml")) and not is_config_file(str(repo / "x.yaml"))


def test_options_are_those_of_check_with_the_file_named(repo: Path):
    workspace = Workspace(str(repo))
    path = str(repo / "deploy" / "prod.yaml")
    options = workspace.options_for(path, render=False)
    assert options is not None and workspace.options is not None
    assert (options.values_files, options.files, options.targets) == ([path], [], [])
    assert options.partial_run and not options.render and options.cwd == str(repo)
    assert [t.name for t in options.config_targets] == ["prod"]
    assert workspace.options.values_files == [] and workspace.options.render  # not changed
    assert workspace.options_for(path, render=True).render  # type: ignore[union-attr]


def test_a_broken_config_is_one_error_line_until_it_is_fixed(repo: Path):
    config = repo / ".starter-lint.yaml"
    config.write_text("targets: [not, a, mapping]\n", encoding="utf-8")
    workspace = Workspace(str(repo))
    assert workspace.options is None and workspace.options_for(str(repo / "values.yaml"), False) is None
    assert workspace.error is not None and workspace.error.startswith("error: .starter-lint.yaml:1:")
    assert "\n" not in workspace.error
    config.write_text("fail-on: warning\n", encoding="utf-8")
    assert workspace.reload() is None
    assert workspace.options is not None and workspace.options.fail_on == Severity.WARNING


def test_a_finding_as_a_diagnostic():
    text = "api:\n  image: x\n  env:\n    DEBUG: yes\n"
    related = (
        Finding("SL104", "ambiguous-scalar", Severity.NOTE, "seen here too", Location("values.yaml", 4, 5)),
        Finding("SL104", "ambiguous-scalar", Severity.NOTE, "and in", Location("other/values.b.yaml", 2, 3)),
        Finding("SL104", "ambiguous-scalar", Severity.NOTE, "rendered", Location("<rendered chart>", 9, 1)),
    )
    finding = Finding(
        "SL104",
        "ambiguous-scalar",
        Severity.NOTE,
        "api.env.DEBUG is read as a boolean",
        Location("values.yaml", 4, 12, 4, 15),
        notes=("the value comes from --set DEBUG=yes",),
        related=related,
    )
    diagnostic = to_diagnostic(finding, TextPositions(text), load_catalog(), "/repo", "values.yaml")
    assert diagnostic.range == types.Range(
        start=types.Position(line=3, character=11), end=types.Position(line=3, character=14)
    )
    assert diagnostic.severity == types.DiagnosticSeverity.Information
    assert (diagnostic.code, diagnostic.source) == ("SL104", "starter-lint")
    assert diagnostic.message == "api.env.DEBUG is read as a boolean\nthe value comes from --set DEBUG=yes"
    assert diagnostic.code_description is not None
    assert diagnostic.code_description.href.endswith("/docs/rules.md#sl104-ambiguous-scalar")
    # related places with a file: this document, another file of the workspace; a rendered
    # manifest has no file to link to
    assert [(r.location.uri, r.location.range.start) for r in diagnostic.related_information or []] == [
        ("file:///repo/values.yaml", types.Position(line=3, character=4)),
        ("file:///repo/other/values.b.yaml", types.Position(line=1, character=2)),
    ]


def test_a_render_is_stopped_when_cancelled(tmp_path: Path):
    render.CANCEL_RENDER.clear()
    timer = threading.Timer(0.3, render.CANCEL_RENDER.set)
    started = time.monotonic()
    timer.start()
    try:
        with pytest.raises(render.RenderCancelled):
            render._run_contained(
                [sys.executable, "-c", "import time; time.sleep(30)"], None, "chart", Options()
            )
    finally:
        timer.cancel()
        render.CANCEL_RENDER.clear()
    assert time.monotonic() - started < 10
    # not a RenderFailed: the pipeline never turns a cancelled render into a finding (SL705)
    assert not issubclass(render.RenderCancelled, render.RenderFailed)


def test_the_command_line_does_not_load_the_server():
    code = (
        "import sys\nfrom starter_lint.cli import run_cli\nrun_cli(['check', '--help'])\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'pygls', 'lsprotocol'}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True
    ).stdout
    assert out.strip().splitlines()[-1] == "[]"


def test_without_the_server_extra_server_is_one_line_and_exit_2(monkeypatch, capsys):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "pygls" else real(name, *a)
    )
    assert run_cli(["server"]) == 2
    err = capsys.readouterr().err
    assert err == (
        "starter-lint: error: starter-lint server needs the server extra: pip install 'starter-lint[server]'\n"
    )


def test_only_the_newest_text_is_analysed_and_published(monkeypatch, repo: Path):
    """Debounce: changes closer together than the delay give one analysis, of the newest text;
    a result for a version the document no longer has is dropped, not published."""
    import asyncio

    from starter_lint.server import analysis

    versions = {"uri": 1}
    analysed: list = []

    def slow_analyse(workspace, path, text, open_texts, render):
        analysed.append(text)
        time.sleep(0.6)  # the editor moves on meanwhile
        return analysis._Checked([], load_catalog(), has_chart=False)

    monkeypatch.setattr(analysis, "analyse", slow_analyse)
    published: list = []
    workspace = Workspace(str(repo))
    scheduler = analysis.Scheduler(
        lambda path: workspace,
        lambda uri: analysis._Document(str(repo / "values.yaml"), versions[uri], f"text {versions[uri]}"),
        dict,
        published.append,
        published.append,  # a log line would show as a str here, failing the test
    )

    async def session() -> None:
        for version in (2, 3, 4):  # typing: each change within the debounce of the last
            versions["uri"] = version
            scheduler.schedule("uri", delay=0.1)
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.3)  # the analysis of version 4 has started (at 0.1 s)
        versions["uri"] = 5  # ... and the text changes under it: its result is stale
        await asyncio.sleep(0.8)
        scheduler.schedule("uri")
        await asyncio.sleep(1.0)

    asyncio.run(session())
    scheduler.shutdown()
    assert analysed == ["text 4", "text 5"]
    assert [(a.version, a.text) for a in published] == [(5, "text 5")]


def test_each_document_is_checked_with_the_nearest_config_above_it(tmp_path: Path):
    # a monorepo opened at its root: the deployment's config sits in deploy/, as `check` run in
    # the document's folder would find it; a file with no config above it uses the folder's
    (tmp_path / ".git").mkdir()
    (tmp_path / "deploy" / "envs").mkdir(parents=True)
    (tmp_path / "deploy" / ".starter-lint.yaml").write_text(
        "targets:\n  prod: {values: [envs/prod.yaml]}\n", encoding="utf-8"
    )
    (tmp_path / "other").mkdir()
    workspaces = Workspaces([str(tmp_path)])
    prod = str(tmp_path / "deploy" / "envs" / "prod.yaml")
    deploy = workspaces.for_path(prod)
    assert deploy.root == str(tmp_path / "deploy")
    assert deploy.is_values_document(prod, "api: {}\n")  # the config lists it: no name needed
    assert workspaces.for_path(str(tmp_path / "deploy" / "values.yaml")) is deploy  # read once
    assert workspaces.for_path(str(tmp_path / "other" / "values.yaml")).root == str(tmp_path)
    # a file outside every workspace folder: its own repository's root
    outside = tmp_path.parent / f"{tmp_path.name}-elsewhere"
    (outside / ".git").mkdir(parents=True)
    assert workspaces.for_path(str(outside / "values.yaml")).root == str(outside)
    # a config that breaks is read again and reported; fixed, it is read again too
    (tmp_path / "deploy" / ".starter-lint.yaml").write_text("targets: 5\n", encoding="utf-8")
    (error,) = workspaces.reload()
    assert "targets" in error and workspaces.for_path(prod).options is None
    (tmp_path / "deploy" / ".starter-lint.yaml").write_text("fail-on: warning\n", encoding="utf-8")
    assert workspaces.reload() == [] and workspaces.for_path(prod).options is not None


def test_what_only_a_render_found_is_kept_while_its_line_reads_the_same():
    from starter_lint.server.analysis import _RenderOnly

    def finding(line: int, rule: str = "SL801") -> Finding:
        return Finding(rule, "hpa-target", Severity.ERROR, "found by the render", Location("v.yaml", line, 1))

    on_line_two, first_line = finding(2), finding(1, "SL704")
    kept = _RenderOnly("a: 1\nb: 2\nc: 3\n", [on_line_two], [first_line])
    assert kept.still_there("a: 1\nb: 2\nc: 4\n") == [first_line, on_line_two]  # another line changed
    assert kept.still_there("a: 1\nb: 5\nc: 3\n") == [first_line]  # its own line changed
    assert kept.still_there("a: 1\n") == [first_line]  # its line is gone


def test_a_log_file_that_cannot_be_opened_is_one_line_and_exit_2(tmp_path, capsys):
    assert run_cli(["server", "--log-file", str(tmp_path / "missing" / "server.log")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("starter-lint: error: --log-file ") and "cannot open" in err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_the_server_ends_when_its_input_closes_even_while_a_chart_renders(tmp_path: Path):
    # an editor that dies closes the server's stdin without shutdown: the server ends at once
    # and stops the render it was waiting for (a helm that would run for a minute)
    from .test_server_lsp import chart_repository

    bin_dir, root, values = chart_repository(tmp_path, "hang")
    env = {"PYTHONPATH": str(REPO), "PATH": f"{bin_dir}:/usr/bin:/bin"}
    messages = [
        {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "initialize",
            "params": {"capabilities": {}, "rootUri": root.as_uri()},
        },
        {"jsonrpc": "2.0", "method": "initialized", "params": {}},
        {
            "jsonrpc": "2.0",
            "method": "textDocument/didOpen",
            "params": {
                "textDocument": {
                    "uri": values.as_uri(),
                    "languageId": "yaml",
                    "version": 1,
                    "text": values.read_text(encoding="utf-8"),
                }
            },
        },
    ]
    process = subprocess.Popen(
        [sys.executable, "-m", "starter_lint", "server"],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=root,
        env=env,
    )
    assert process.stdin is not None
    for message in messages:
        body = json.dumps(message).encode("utf-8")
        process.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
    process.stdin.flush()
    try:
        for _ in range(600):  # the open's render has started helm
            if (bin_dir / "pid").exists():
                break
            time.sleep(0.05)
        helm = int((bin_dir / "pid").read_text())
        started = time.monotonic()
        process.stdin.close()
        process.wait(30)
        assert time.monotonic() - started < 20  # not helm's minute
        for _ in range(100):
            try:
                os.kill(helm, 0)
            except ProcessLookupError:
                break
            time.sleep(0.05)
        else:
            raise AssertionError("helm still runs after the server ended")
    finally:
        if process.poll() is None:
            process.kill()


def test_the_editor_leaves_the_configs_policies_to_check(tmp_path: Path):
    # a policy comes from the repository, and nothing could bound a runaway one in the server's
    # threaded process (final review): the editor does not evaluate them; `check` does, in a
    # child with memory and time limits
    from starter_lint.server import analysis

    (tmp_path / ".git").mkdir()
    (tmp_path / "policies").mkdir()
    shutil.copy(REPO / "examples" / "policies" / "values-production.yaml", tmp_path / "policies")
    (tmp_path / ".starter-lint.yaml").write_text("policies: [policies]\n", encoding="utf-8")
    values = tmp_path / "values.prod.yaml"
    text = "api:\n  image: registry.example.org/starter/app-api:latest\n  env: {ENVIRONMENT: production}\n"
    workspace = Workspace(str(tmp_path))
    assert workspace.options is not None and workspace.options.policies
    checked = analysis.analyse(workspace, str(values), text, {}, render=False)
    assert "ACME001" not in {f.rule for f in checked.findings}
    assert checked.findings  # the shipped rules still run
