"""SIGTERM (a cancelled CI job, `timeout`) ends a run as Ctrl-C does: every temporary file it
wrote is removed first (the values handed to helm hold the user's secrets; kubeconform's copies
hold the manifests' Secrets), its children are stopped, and it exits 143 with one line.

Python's default for SIGTERM ends the process where it is, leaving them all in the temporary
folder: on a self-hosted runner, for the next job to read.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .support import REPO

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGTERM") or os.name != "posix", reason="POSIX signals")

# a program that says it started (its pid, a line in `started`) then waits to be stopped
WAITER = """#!{python}
import os, sys, time
with open({started!r}, "a") as out:
    out.write(str(os.getpid()) + "\\n")
time.sleep(60)
"""

SECRET_VALUES = """\
api:
  env:
    DB_PASSWORD: s3cr3t-never-left-behind
"""

MANIFEST = """\
apiVersion: v1
kind: Secret
metadata:
  name: creds
stringData:
  password: s3cr3t-never-left-behind
"""


def _waiter(folder: Path, name: str) -> tuple[Path, Path]:
    folder.mkdir(exist_ok=True)
    started = folder / f"{name}.started"
    program = folder / name
    program.write_text(WAITER.format(python=sys.executable, started=str(started)), encoding="utf-8")
    program.chmod(0o755)
    return program, started


def _terminated(
    args: list, tmp_path: Path, started: Path, extra_path: str = "", waiting: int = 1
) -> tuple[int, str, list[int]]:
    """Run starter-lint with `args`, SIGTERM it once `waiting` programs have started (or the
    run's own time has passed): (exit code, stderr, the waiting programs' pids)."""
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    env = dict(os.environ, PYTHONPATH=str(REPO), TMPDIR=str(temporary))
    if extra_path:
        env["PATH"] = extra_path + os.pathsep + env.get("PATH", "")
    running = subprocess.Popen(
        [sys.executable, "-m", "starter_lint", *args],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    waited = time.monotonic() + 60
    while running.poll() is None and time.monotonic() < waited:
        if started.exists() and len(started.read_text().split()) >= waiting:
            break
        time.sleep(0.05)
    assert started.exists(), "the run never started its child"
    time.sleep(0.2)  # the children's pids are written; the run waits for them
    # the run alone (`kill`, a process manager); `timeout` signals the whole process group
    running.send_signal(signal.SIGTERM)
    _, stderr = running.communicate(timeout=30)
    assert list(temporary.iterdir()) == [], "a temporary file was left behind"
    return running.returncode, stderr, [int(pid) for pid in started.read_text().split()]


def _gone(pid: int) -> bool:
    waited = time.monotonic() + 10
    while time.monotonic() < waited:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        # a zombie of a reaped-later child counts as gone: it no longer runs
        try:
            with open(f"/proc/{pid}/stat", encoding="utf-8") as stat:
                if stat.read().rsplit(")", 1)[1].split()[0] == "Z":
                    return True
        except OSError:
            return True
        time.sleep(0.05)
    return False


def test_a_terminated_kubeconform_run_leaves_no_manifests_copy(tmp_path):
    (tmp_path / "secret.yaml").write_text(MANIFEST, encoding="utf-8")
    kubeconform, started = _waiter(tmp_path / "bin", "kubeconform")
    code, stderr, children = _terminated(
        [
            "check",
            "--validator",
            "kubeconform",
            "--kubeconform",
            str(kubeconform),
            "--manifests",
            "secret.yaml",
        ],
        tmp_path,
        started,
    )
    assert code == 143, stderr
    assert stderr.strip().splitlines() == ["starter-lint: terminated"], stderr
    assert all(_gone(child) for child in children), "kubeconform still runs"


def test_a_terminated_run_of_targets_in_turns_leaves_nothing_behind(tmp_path):
    """With `-j 2` a forked child checks a target while this process checks another: stopping,
    this process asks the child to stop (SIGTERM), so the child's copies of its target's
    manifests are removed too (SIGKILL, as before, left them)."""
    for name in ("a", "b", "c", "d"):
        (tmp_path / f"{name}.yaml").write_text(MANIFEST, encoding="utf-8")
    (tmp_path / ".starter-lint.yaml").write_text(
        "targets:\n" + "".join(f"  {n}:\n    manifests: [{n}.yaml]\n" for n in ("a", "b", "c", "d")),
        encoding="utf-8",
    )
    kubeconform, started = _waiter(tmp_path / "bin", "kubeconform")
    forks = (os.cpu_count() or 1) > 1 and sys.platform.startswith("linux")
    code, stderr, children = _terminated(
        ["check", "-j", "2", "--validator", "kubeconform", "--kubeconform", str(kubeconform)],
        tmp_path,
        started,
        waiting=2 if forks else 1,
    )
    assert code == 143, stderr
    assert stderr.strip().splitlines() == ["starter-lint: terminated"], stderr
    assert len(children) == (2 if forks else 1), children
    assert all(_gone(child) for child in children), "a kubeconform still runs"


def test_a_terminated_render_leaves_no_values_file(tmp_path):
    """The values file `helm template -f` reads holds the user's values, secrets included."""
    chart = tmp_path / "chart"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: c\nversion: 0.1.0\n", encoding="utf-8")
    (chart / "values.yaml").write_text("api: {}\n", encoding="utf-8")
    (tmp_path / "values.yaml").write_text(SECRET_VALUES, encoding="utf-8")
    bin_dir = tmp_path / "bin"
    _, started = _waiter(bin_dir, "helm")
    code, stderr, children = _terminated(
        ["check", "--chart", str(chart), "values.yaml"], tmp_path, started, extra_path=str(bin_dir)
    )
    assert code == 143, stderr
    assert stderr.strip().splitlines() == ["starter-lint: terminated"], stderr
    assert all(_gone(child) for child in children), "helm still runs"


def test_the_language_server_ends_at_once_on_sigterm(tmp_path):
    """An editor (or a process manager) stopping the server with SIGTERM while it holds the
    pipes: the server keeps SIGTERM's default. Raised as an exception, it waited for pygls'
    thread reading stdin: a server only SIGKILL could end."""
    pytest.importorskip("pygls")
    server = subprocess.Popen(
        [sys.executable, "-m", "starter_lint", "server"],
        cwd=tmp_path,
        env=dict(os.environ, PYTHONPATH=str(REPO)),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        body = b'{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"capabilities":{}}}'
        assert server.stdin is not None and server.stdout is not None
        server.stdin.write(b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
        server.stdin.flush()
        server.stdout.readline()  # its answer's first line: the server runs, stdin still open
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=10) in (-signal.SIGTERM, 128 + signal.SIGTERM)  # (by a watcher thread)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()


def test_a_removal_cut_short_by_an_interrupt_is_finished_first(tmp_path, monkeypatch):
    """Ctrl-C or SIGTERM's exception arriving while kubeconform's copies are removed: the rest
    are removed before the interrupt goes on (it left the copies not yet removed)."""
    import shutil

    from starter_lint.paths import remove_all

    folder = tmp_path / "starter-lint-kubeconform-x"
    folder.mkdir()
    for n in range(50):
        (folder / f"{n:05d}.yaml").write_text(MANIFEST, encoding="utf-8")
    real_rmtree = shutil.rmtree
    calls = []

    def cut_short(path, ignore_errors=False):
        calls.append(path)
        if len(calls) == 1:  # a few removed, then the signal's exception
            for copy in sorted(folder.iterdir())[:10]:
                copy.unlink()
            raise KeyboardInterrupt
        real_rmtree(path, ignore_errors=ignore_errors)

    monkeypatch.setattr(shutil, "rmtree", cut_short)
    with pytest.raises(KeyboardInterrupt):
        remove_all(str(folder))
    assert not folder.exists() and len(calls) == 2
    single = tmp_path / "starter-lint-values-x.json"
    single.write_text("{}", encoding="utf-8")
    remove_all(str(single))
    remove_all(str(single))  # gone already: nothing to do
    assert not single.exists()


HELM_WAITING = """#!{python}
import os, sys, time
if sys.argv[1:2] == ["version"]:
    print("v3.14.0")
    sys.exit(0)
with open({started!r}, "a") as out:
    out.write(str(os.getpid()) + "\\n")
time.sleep(60)
"""


def _message(body: dict) -> bytes:
    import json

    text = json.dumps(body).encode()
    return b"Content-Length: %d\r\n\r\n%s" % (len(text), text)


def test_a_language_server_ended_mid_render_leaves_no_values_file_nor_helm(tmp_path):
    """SIGTERM while the server renders a chart (in its analysis thread) on save: before it ends
    at once, it kills helm's process group (a session of its own, which outlived the server) and
    removes the values file helm was reading (the user's values, secrets included)."""
    pytest.importorskip("pygls")
    repo = tmp_path / "repo"
    (repo / "chart" / "templates").mkdir(parents=True)
    (repo / "chart" / "Chart.yaml").write_text("apiVersion: v2\nname: c\nversion: 0.1.0\n", encoding="utf-8")
    (repo / "chart" / "values.yaml").write_text("api: {}\n", encoding="utf-8")
    (repo / "values.yaml").write_text(SECRET_VALUES, encoding="utf-8")
    (repo / ".starter-lint.yaml").write_text(
        "targets:\n  prod: {chart: chart, values: [values.yaml]}\n", encoding="utf-8"
    )
    bin_dir, temporary = tmp_path / "bin", tmp_path / "tmp"
    bin_dir.mkdir()
    temporary.mkdir()
    started = tmp_path / "helm.started"
    (bin_dir / "helm").write_text(
        HELM_WAITING.format(python=sys.executable, started=str(started)), encoding="utf-8"
    )
    (bin_dir / "helm").chmod(0o755)
    env = dict(os.environ, PYTHONPATH=str(REPO), TMPDIR=str(temporary))
    env["PATH"] = str(bin_dir) + os.pathsep + env.get("PATH", "")
    server = subprocess.Popen(
        [sys.executable, "-m", "starter_lint", "server"],
        cwd=repo,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        uri = (repo / "values.yaml").as_uri()
        assert server.stdin is not None
        for body in (
            {"jsonrpc": "2.0", "id": 1, "method": "initialize",
             "params": {"processId": None, "rootUri": repo.as_uri(), "capabilities": {}}},
            {"jsonrpc": "2.0", "method": "initialized", "params": {}},
            {"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": {
                "uri": uri, "languageId": "yaml", "version": 1, "text": SECRET_VALUES}}},
            {"jsonrpc": "2.0", "method": "textDocument/didSave", "params": {"textDocument": {"uri": uri}}},
        ):  # fmt: skip
            server.stdin.write(_message(body))
        server.stdin.flush()
        waited = time.monotonic() + 60
        while not started.exists() and server.poll() is None and time.monotonic() < waited:
            time.sleep(0.05)
        assert started.exists(), "the server never rendered"
        assert [p.name.startswith("starter-lint-values-") for p in temporary.iterdir()] == [True]
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=10) in (-signal.SIGTERM, 128 + signal.SIGTERM)  # (by a watcher thread)
        assert list(temporary.iterdir()) == [], "the values file was left behind"
        assert all(_gone(pid) for pid in map(int, started.read_text().split())), "helm still runs"
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
