"""The repository's own .pre-commit-config.yaml (for working on starter-lint, not the hooks it
publishes): it is valid, names the ruff, mypy and examples hooks, and its ruff pin is the one the
`test` extra installs. No network: pre-commit only validates the file here."""

from __future__ import annotations

import configparser
import re
import subprocess
import sys

import yaml

from .support import REPO

CONFIG = REPO / ".pre-commit-config.yaml"


def _config() -> dict:
    return yaml.safe_load(CONFIG.read_text(encoding="utf-8"))


def _hooks(repo_url: str) -> dict:
    return {
        hook["id"]: hook for repo in _config()["repos"] if repo["repo"] == repo_url for hook in repo["hooks"]
    }


def _test_extra_pin(package: str) -> str:
    setup = configparser.ConfigParser()
    setup.read(REPO / "setup.cfg", encoding="utf-8")
    for line in setup["options.extras_require"]["test"].splitlines():
        match = re.fullmatch(rf"{re.escape(package)}==(\S+)", line.strip())
        if match:
            return match.group(1)
    raise AssertionError(f"setup.cfg: the test extra does not pin {package}")


def test_pre_commit_validates_the_config():
    done = subprocess.run(
        [sys.executable, "-m", "pre_commit", "validate-config", str(CONFIG)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_ruff_lints_and_formats_at_the_pinned_version():
    (ruff,) = [
        repo for repo in _config()["repos"] if repo["repo"] == "https://github.com/astral-sh/ruff-pre-commit"
    ]
    assert {hook["id"] for hook in ruff["hooks"]} >= {"ruff-check", "ruff-format"}
    assert ruff["rev"] == "v" + _test_extra_pin("ruff")


def test_mypy_checks_the_package_offline():
    mypy = _hooks("local")["mypy"]
    assert mypy["language"] == "system"
    assert mypy["entry"].split() == ["mypy", "starter_lint"]
    assert mypy["pass_filenames"] is False
    _test_extra_pin("mypy")


def test_starter_lint_checks_the_clean_examples():
    hook = _hooks("local")["starter-lint-examples"]
    assert hook["entry"].split()[-2:] == ["starter_lint", "check"]
    assert hook["args"][-1] == "--", "file names must come after `--`, as in the published hook"
    files = re.compile(hook["files"])
    assert files.search("examples/values.prod.yaml")
    assert files.search("examples/clean/gateway-no-ingress.yaml")
    assert not files.search("examples/values.broken.yaml"), "the broken example fails on purpose"
