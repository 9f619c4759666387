"""A team's repository, checked the ways a team runs starter-lint (issue 10): by its config, as
the pre-commit values hook with the changed files, and with the chart's own values.yaml among
them. Each planted mistake (a `# planted: SLnnn` comment on its line) is reported exactly once,
at its line, and correct files give nothing, whichever way the files are checked.

The fixture is tests/fixtures/team-repo; the chart is the shipped example chart, copied to
charts/app. (Rendered-manifest checks with `--chart`, and their dedup against the values rules,
are tested elsewhere.)
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from .support import REPO, cli

FIXTURE = REPO / "tests" / "fixtures" / "team-repo"
PLANTED = re.compile(r"#\s*planted:\s*(SL\d{3})\b")
SECRET = "fake-stripe-key-0b7d41e9c2"


def planted(repo: Path, *files: str) -> list:
    """(rule, file, line) of every mistake planted in `files`, sorted."""
    out = []
    for name in files:
        for number, line in enumerate((repo / name).read_text(encoding="utf-8").splitlines(), start=1):
            out += [(match.group(1), name, number) for match in PLANTED.finditer(line)]
    return sorted(out)


@pytest.fixture
def repo(tmp_path) -> Path:
    shutil.copytree(FIXTURE, tmp_path / "team", ignore=shutil.ignore_patterns("README.md"))
    repo = tmp_path / "team"
    shutil.copytree(REPO / "examples" / "chart", repo / "charts" / "app")
    if shutil.which("git"):  # a repository of its own: config discovery stops at its root
        subprocess.run(["git", "init", "-q", str(repo)], check=True)
    return repo


def check(repo: Path, *args: str) -> tuple:
    """(exit code, targets of the JSON report, [(rule, path, line)] of the active findings)."""
    done = cli("check", "--format", "json", *args, cwd=repo)
    assert done.returncode in (0, 1), done.stderr
    assert SECRET not in done.stdout + done.stderr
    report = json.loads(done.stdout)
    found = sorted(
        (f["rule"], f["path"], f["line"])
        for t in report["targets"]
        for f in t["findings"]
        if not f["suppressed"]
    )
    return done.returncode, [t["name"] for t in report["targets"]], found


DEV, STAGING, PROD = "deploy/values.dev.yaml", "deploy/values.staging.yaml", "deploy/values.prod.yaml"
CHART_VALUES = "charts/app/values.yaml"


def test_the_fixture_plants_mistakes_in_two_environments(repo):
    assert {file for _, file, _ in planted(repo, DEV, STAGING, PROD)} == {DEV, PROD}
    assert len(planted(repo, DEV, PROD)) >= 6 and not planted(repo, STAGING, CHART_VALUES)


def test_a_checked_by_config(repo):
    code, targets, found = check(repo)
    assert targets == ["dev", "staging", "prod"]
    assert found == planted(repo, DEV, STAGING, PROD) and code == 1


def test_b_values_hook_with_the_changed_files(repo):
    code, targets, found = check(repo, "--", PROD, DEV)
    assert targets == ["prod", "dev"]  # each file checked as the target that lists it
    assert found == planted(repo, DEV, PROD) and code == 1
    # a correct environment gives nothing (alone it would miss the chart's resources and probes)
    assert check(repo, "--", STAGING) == (0, ["staging"], [])
    # the same findings as the config run gives for those targets
    assert check(repo, "--target", "prod", "--target", "dev")[2] == found


def test_c_values_hook_with_the_charts_values_yaml_among_the_changed_files(repo):
    code, targets, found = check(repo, "--", CHART_VALUES, STAGING, DEV)
    assert targets == [CHART_VALUES, "staging", "dev"]
    assert found == planted(repo, DEV) and code == 1  # chart defaults are no deployment: no placeholders …

    # a file-level mistake in the chart's defaults is reported, once, at its line
    values = repo / CHART_VALUES
    text = values.read_text(encoding="utf-8")
    values.write_text(
        text.replace(
            "worker:\n  # a dedicated",
            "worker:\n  enabled: no  # planted: SL104 no reads as false\n  # a dedicated",
            1,
        ).replace("  enabled: false\n", "", 1),
        encoding="utf-8",
    )
    assert planted(repo, CHART_VALUES)
    code, _, found = check(repo, "--", CHART_VALUES, STAGING)
    assert found == planted(repo, CHART_VALUES) and code == 0  # SL104 is a warning


def test_a_chart_values_yaml_beside_a_chart_yaml_needs_no_config(repo):
    (repo / ".starter-lint.yaml").unlink()
    code, targets, found = check(repo, "--", CHART_VALUES)
    assert (code, targets, found) == (0, [CHART_VALUES], [])
