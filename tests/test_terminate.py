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

# a program that says it started (its pid in `started`) then waits to be stopped
WAITER = """#!{python}
import os, sys, time
with open({started!r}, "w") as out:
    out.write(str(os.getpid()))
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


def _terminated(args: list, tmp_path: Path, started: Path, extra_path: str = "") -> tuple[int, str, int]:
    """Run starter-lint with `args`, SIGTERM it once `started` exists: (exit code, stderr, the
    waiting child's pid)."""
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
    while not started.exists() and running.poll() is None and time.monotonic() < waited:
        time.sleep(0.05)
    assert started.exists(), "the run never started its child"
    time.sleep(0.1)  # the child's pid is written; the run is waiting for it
    running.send_signal(signal.SIGTERM)  # the run alone, as `timeout` and a runner's cancel do
    _, stderr = running.communicate(timeout=30)
    assert list(temporary.iterdir()) == [], "a temporary file was left behind"
    return running.returncode, stderr, int(started.read_text())


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
    code, stderr, child = _terminated(
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
    assert _gone(child), "kubeconform still runs"


def test_a_terminated_render_leaves_no_values_file(tmp_path):
    """The values file `helm template -f` reads holds the user's values, secrets included."""
    chart = tmp_path / "chart"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: c\nversion: 0.1.0\n", encoding="utf-8")
    (chart / "values.yaml").write_text("api: {}\n", encoding="utf-8")
    (tmp_path / "values.yaml").write_text(SECRET_VALUES, encoding="utf-8")
    bin_dir = tmp_path / "bin"
    _, started = _waiter(bin_dir, "helm")
    code, stderr, child = _terminated(
        ["check", "--chart", str(chart), "values.yaml"], tmp_path, started, extra_path=str(bin_dir)
    )
    assert code == 143, stderr
    assert stderr.strip().splitlines() == ["starter-lint: terminated"], stderr
    assert _gone(child), "helm still runs"
