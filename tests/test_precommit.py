"""The pre-commit hooks, run for real: `pre-commit try-repo` installs this working tree into its
own environment (pip, from PyPI for the dependencies) and runs the values hook on a temporary
git repository with a broken and a clean values file.

The working tree is copied into a temporary git repository and committed there, so the test
checks the files as they are now, whatever the checkout's HEAD holds. PRE_COMMIT_HOME lives in
the test's temporary directory; the environment is built once per module (about 10 s with a
warm pip cache).
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from .support import REPO

GIT = shutil.which("git")
pytestmark = pytest.mark.skipif(GIT is None, reason="git is not installed")


def git(*args, cwd):
    return subprocess.run(
        [
            GIT,
            "-c",
            "user.email=test@example.org",
            "-c",
            "user.name=test",
            "-c",
            "commit.gpgsign=false",
            *args,
        ],
        cwd=cwd,
        check=True,
        capture_output=True,
        text=True,
    )


def start_pre_commit(*args, cwd, home):
    """pre-commit in the background (try-repo installs a fresh environment every time, so the
    two runs below go in parallel)."""
    return subprocess.Popen(
        [sys.executable, "-m", "pre_commit", *args],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={
            "PATH": "/usr/bin:/bin",
            "HOME": str(home),
            "PRE_COMMIT_HOME": str(home / "cache"),
            "PIP_DISABLE_PIP_VERSION_CHECK": "1",
            "PIP_NO_COMPILE": "1",
            "NO_COLOR": "1",
            "PIP_CACHE_DIR": str(Path.home() / ".cache" / "pip"),
        },
    )


def test_manifest_validates():
    done = subprocess.run(
        [sys.executable, "-m", "pre_commit", "validate-manifest", str(REPO / ".pre-commit-hooks.yaml")],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def _pypi_reachable() -> bool:
    try:
        socket.create_connection(("pypi.org", 443), timeout=5).close()
        return True
    except OSError:
        return False


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory):
    """A committed copy of the working tree (tracked and untracked, not ignored, files)."""
    if not (REPO / ".git").exists():
        pytest.skip("not a git checkout")
    if not _pypi_reachable():
        pytest.skip("PyPI is not reachable: pre-commit cannot install the hook's dependencies")
    source = tmp_path_factory.mktemp("hook-repo")
    listed = (
        subprocess.run(
            [GIT, "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=REPO,
            check=True,
            capture_output=True,
        )
        .stdout.decode()
        .split("\0")
    )
    for name in filter(None, listed):
        path = REPO / name
        if path.is_file() and not name.startswith((".venv/", "build/")):
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, source / name)
    git("init", "-q", cwd=source)
    git("add", "-A", cwd=source)
    git("commit", "-q", "-m", "snapshot", cwd=source)
    return source


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    project = tmp_path_factory.mktemp("project")
    (project / "values.broken.yaml").write_text((REPO / "examples" / "values.broken.yaml").read_text())
    (project / "values.prod.yaml").write_text((REPO / "examples" / "values.prod.yaml").read_text())
    (project / "templates").mkdir()
    (project / "templates" / "values-configmap.yaml").write_text(
        "data:\n  {{- toYaml .Values.x | nindent 2 }}\n"
    )
    (project / "ci.yaml").write_text("on: push\n")
    git("init", "-q", cwd=project)
    git("add", "-A", cwd=project)
    return project


@pytest.fixture(scope="module")
def runs(hook_repo, project, tmp_path_factory):
    """(exit code, output) of the values hook on the broken file, and on the clean file plus a
    template and a non-values YAML file."""
    home = tmp_path_factory.mktemp("pre-commit-home")
    processes = {
        "broken": start_pre_commit(
            "try-repo",
            str(hook_repo),
            "starter-lint",
            "--files",
            "values.broken.yaml",
            cwd=project,
            home=home / "a",
        ),
        "clean": start_pre_commit(
            "try-repo",
            str(hook_repo),
            "starter-lint",
            "--verbose",
            "--files",
            "values.prod.yaml",
            "templates/values-configmap.yaml",
            "ci.yaml",
            cwd=project,
            home=home / "b",
        ),
    }
    out = {}
    for name, process in processes.items():
        output, _ = process.communicate(timeout=600)
        out[name] = (process.returncode, output)
    return out


def test_values_hook_fails_on_a_broken_file(runs):
    code, output = runs["broken"]
    assert code == 1, output
    assert "Failed" in output and "values.broken.yaml:" in output and " SL" in output
    assert "sk_live_do_not_commit_me" not in output


def test_values_hook_passes_on_a_clean_file_and_skips_templates(runs):
    code, output = runs["clean"]
    assert code == 0, output
    assert "Passed" in output
    # only the values file reached the hook: templates are excluded, other YAML does not match
    assert "in 1 target" in output
