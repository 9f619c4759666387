"""A team's repository checked with `--chart` (and its committed render via `--manifests`): every
planted mistake is reported exactly once, at its line, and the correct environment gives nothing.

tests/fixtures/team_repo holds the environments; each planted mistake is marked `planted: SLnnn`
on its line. The chart is the example chart with the drop-in values.schema.json, so a values file
the schema refuses is not rendered (SL705, folded into the SL100 finding that explains it).
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
from pathlib import Path

import pytest

from .support import REPO, cli
from .test_related import shared_sarif_check

FIXTURE = Path(__file__).parent / "fixtures" / "team_repo"
ENVIRONMENTS = ("dev", "staging", "prod")
_PLANTED = re.compile(r"#\s*planted:\s*(SL\d{3})")
_FINDING_LINE = re.compile(r"^(\S+):(\d+):\d+: (?:error|warning|note) (SL\d{3}) ")

pytestmark = pytest.mark.skipif(
    not (shutil.which("helm") or importlib.util.find_spec("helm_python")),
    reason="renders the chart: pip install helm-python-sdk",
)


def planted(path: Path) -> list:
    """(display path, line, rule) of every mistake marked in the file."""
    shown = f"deploy/{path.name}"
    return sorted(
        (shown, number, match.group(1))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        for match in [_PLANTED.search(line)]
        if match
    )


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> Path:
    """The team's repository: deploy/ from the fixture, the chart under charts/app, a git root,
    and the committed render of production (`helm template` output) in deploy/rendered.prod.yaml."""
    root = tmp_path_factory.mktemp("team")
    shutil.copytree(FIXTURE / "deploy", root / "deploy")
    shutil.copytree(REPO / "examples" / "chart", root / "charts" / "app")
    shutil.copy(REPO / "schemas" / "values.schema.json", root / "charts" / "app" / "values.schema.json")
    (root / ".git").mkdir()
    from starter_lint import render
    from starter_lint.options import Options
    from starter_lint.pipeline import build_context, plan_targets

    options = Options(files=["deploy/values.prod.yaml"], chart="charts/app", cwd=str(root))
    old = os.getcwd()
    os.chdir(root)
    try:
        ctx, _ = build_context(plan_targets(options)[0], options)
        (text,) = render.render_chart("charts/app", ctx, options).sources.values()
    finally:
        os.chdir(old)
    (root / "deploy" / "rendered.prod.yaml").write_text(text, encoding="utf-8")
    return root


def test_the_fixture_plants_mistakes_in_two_environments():
    counts = {env: len(planted(FIXTURE / "deploy" / f"values.{env}.yaml")) for env in ENVIRONMENTS}
    assert counts["dev"] == 0 and counts["staging"] >= 1 and counts["prod"] >= 5


def reported_in_text(stdout: str) -> list:
    return sorted(
        (m.group(1), int(m.group(2)), m.group(3)) for m in map(_FINDING_LINE.match, stdout.splitlines()) if m
    )


def command(env: str, with_render: bool) -> list:
    args = ["check", "-f", f"deploy/values.{env}.yaml", "--chart", "charts/app"]
    return args + (["--manifests", "deploy/rendered.prod.yaml"] if with_render else [])


def report_as(repo: Path, env: str, with_render: bool, *formats) -> list:
    """The same check run once in-process, rendered in each format (JSON, SARIF)."""
    from starter_lint.catalog import load_catalog
    from starter_lint.options import Options
    from starter_lint.pipeline import run
    from starter_lint.report import render

    options = Options(
        files=[f"deploy/values.{env}.yaml"],
        chart="charts/app",
        cwd=str(repo),
        manifests=["deploy/rendered.prod.yaml"] if with_render else [],
    )
    old = os.getcwd()
    os.chdir(repo)
    try:
        report = run(options)
        return [render(report, load_catalog(), Options(format=fmt, cwd=str(repo))) for fmt in formats]
    finally:
        os.chdir(old)


CASES = [(env, False) for env in ENVIRONMENTS] + [("prod", True)]


@pytest.mark.parametrize("env,with_render", CASES, ids=[f"{e}{'-manifests' if r else ''}" for e, r in CASES])
def test_each_planted_mistake_is_reported_once_at_its_line(repo, env, with_render):
    expected = planted(repo / "deploy" / f"values.{env}.yaml")

    text = cli(*command(env, with_render), "-q", cwd=repo)
    assert text.returncode == (1 if expected else 0), text.stderr
    assert reported_in_text(text.stdout) == expected, text.stdout

    as_json, as_sarif = report_as(repo, env, with_render, "json", "sarif")
    document = json.loads(as_json)
    findings = [f for t in document["targets"] for f in t["findings"] if not f["suppressed"]]
    assert sorted((f["path"], f["line"], f["rule"]) for f in findings) == expected
    if with_render:  # consequences seen in the committed render point at its lines
        related = [r for f in findings for r in f["related"] if r["path"] == "deploy/rendered.prod.yaml"]
        assert {r["rule"] for r in related} == {"SL801", "SL804", "SL806"}
        assert all(r["line"] > 1 for r in related)

    (repo / "out.sarif").write_text(as_sarif, encoding="utf-8")
    log = json.loads(as_sarif)
    results = [r for run_ in log["runs"] for r in run_["results"]]
    located = sorted(
        (
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            r["locations"][0]["physicalLocation"]["region"]["startLine"],
            r["ruleId"],
        )
        for r in results
    )
    assert located == expected
    shared_sarif_check(repo / "out.sarif", repo)


def test_the_render_failure_is_explained_by_the_schema_finding(repo):
    (as_json,) = report_as(repo, "staging", False, "json")
    (finding,) = [f for t in json.loads(as_json)["targets"] for f in t["findings"]]
    assert finding["rule"] == "SL100"
    assert [r["rule"] for r in finding["related"]] == ["SL705"]
