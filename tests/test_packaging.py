"""The wheel carries rules/ and schemas/ and works from another directory in a fresh venv.

Offline: the wheel is built without build isolation, installed with --no-deps into a new venv,
and the dependencies are borrowed from the test venv through a .pth path entry (a plain path,
so the test venv's own editable-install hooks are not processed).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

from .support import REPO


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    build = tmp_path_factory.mktemp("build-src")
    # build from a copy: setuptools writes build/ and *.egg-info into the source tree
    source = build / "src"
    shutil.copytree(
        REPO,
        source,
        ignore=shutil.ignore_patterns(
            ".venv",
            ".git",
            "build",
            "dist",
            "*.egg-info",
            "__pycache__",
            ".pytest_cache",
            ".hypothesis",
            "bench",
        ),
    )
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(out),
            str(source),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    wheels = list(out.glob("starter_lint-*.whl"))
    assert len(wheels) == 1
    return wheels[0]


def test_wheel_contains_rules_and_schemas(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    rule_files = sorted(p.name for p in (REPO / "rules").glob("SL*.yaml"))
    for name in rule_files:
        assert f"starter_lint/_data/rules/{name}" in names
    assert "starter_lint/_data/schemas/contract-defaults.yaml" in names
    for schema in (REPO / "schemas").rglob("*.json"):
        assert "starter_lint/_data/schemas/" + schema.relative_to(REPO / "schemas").as_posix() in names


def test_installed_wheel_runs_from_another_directory(wheel, tmp_path):
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    bindir = env_dir / ("Scripts" if os.name == "nt" else "bin")
    python = bindir / "python"
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    # install the wheel with the test venv's pip into the fresh venv's site-packages
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "--no-index",
            "-q",
            "--target",
            purelib,
            str(wheel),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    Path(purelib, "borrowed-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    work = tmp_path / "elsewhere"
    work.mkdir()
    shutil.copy(REPO / "examples" / "values.prod.yaml", work / "values.prod.yaml")
    shutil.copy(REPO / "examples" / "values.broken.yaml", work / "values.broken.yaml")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH",)}

    def run(*args):
        return subprocess.run(
            [str(python), "-m", "starter_lint", *args],
            cwd=work,
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )

    where = subprocess.run(
        [str(python), "-c", "import starter_lint; print(starter_lint.__file__)"],
        cwd=work,
        capture_output=True,
        text=True,
        env=env,
    )
    assert where.stdout.startswith(purelib), where.stdout + where.stderr
    clean = run("check", "values.prod.yaml")
    assert clean.returncode == 0, clean.stdout + clean.stderr
    broken = run("check", "values.broken.yaml")
    assert broken.returncode == 1, broken.stdout + broken.stderr
    assert "values.broken.yaml:" in broken.stdout
    listing = run("rules")
    assert listing.returncode == 0 and "SL103" in listing.stdout
    assert run("explain", "SL103").returncode == 0
    schema = run("schema")
    assert schema.returncode == 0 and '"$schema"' in schema.stdout
