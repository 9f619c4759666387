"""SARIF 2.1.0: every example of every rule gives a file that passes the SARIF checks
(`sarif_rules.py`: the official schema plus GitHub's rules) with the example dir as repo root."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from starter_lint.catalog import load_catalog
from starter_lint.findings import Finding, Location, Severity
from starter_lint.options import Options
from starter_lint.pipeline import Report, TargetResult, run
from starter_lint.report import render

from .support import NEEDS_HELM_SDK, REPO, all_examples, cli, example_options


def check_sarif(checker, path: Path, root: Path) -> None:
    """Asserts that the file passes the schema and GitHub's rules, placed in `root`."""
    found = checker.problems_in_file(path, root)
    assert not found, f"SARIF problems in {path}:\n" + "\n".join(found)


def sarif_of(options: Options, directory: Path) -> dict:
    old = os.getcwd()
    os.chdir(directory)
    try:
        options.format = "sarif"
        report = run(options)
        text = render(report, load_catalog(), options)
    finally:
        os.chdir(old)
    (directory / "out.sarif").write_text(text, encoding="utf-8")
    return json.loads(text)


def results(log: dict) -> list:
    return [r for run_ in log["runs"] for r in run_["results"]]


FAILING = [e for e in all_examples() if e[3]]


@pytest.mark.parametrize("rule,example", [e[1:3] for e in FAILING], ids=[e[0] for e in FAILING])
def test_every_failing_example_gives_valid_sarif(rule, example, tmp_path, checker):
    log = sarif_of(example_options(example, tmp_path), tmp_path)
    check_sarif(checker, tmp_path / "out.sarif", tmp_path)
    hits = [r for r in results(log) if r["ruleId"] == rule.id]
    notes = [
        n
        for run_ in log["runs"]
        for inv in run_["invocations"]
        for n in inv["toolExecutionNotifications"]
        if n["associatedRule"]["id"] == rule.id
    ]
    # the consequence of another rule's finding is that result's related location (related.py)
    related = [
        loc
        for r in results(log)
        for loc in r.get("relatedLocations", ())
        if loc["message"]["text"].startswith(rule.id + " ")
    ]
    assert hits or notes or related, f"{rule.id} is missing from the SARIF of {example.title!r}"
    for hit in hits:
        run_rules = log["runs"][0]["tool"]["driver"]["rules"]
        assert run_rules[hit["ruleIndex"]]["id"] == rule.id
        assert hit["partialFingerprints"]["starterLint/v1"]
        uri = hit["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        assert not uri.startswith(("/", "file:")), uri


def test_shipped_examples_give_valid_sarif(tmp_path, checker):
    shutil.copytree(REPO / "examples", tmp_path / "examples")
    done = cli(
        "check",
        "examples/values.broken.yaml",
        "examples/values.prod.yaml",
        "--format",
        "sarif",
        "--output",
        "out.sarif",
        cwd=tmp_path,
    )
    assert done.returncode == 1, done.stderr
    check_sarif(checker, tmp_path / "out.sarif", tmp_path)
    log = json.loads((tmp_path / "out.sarif").read_text())
    ids = [run_["automationDetails"]["id"] for run_ in log["runs"]]
    assert ids == ["starter-lint/examples/values.broken.yaml/", "starter-lint/examples/values.prod.yaml/"]
    assert log["runs"][0]["results"] and not [
        r for r in log["runs"][1]["results"] if r.get("level") == "error"
    ]
    # the secret in the broken example never reaches the SARIF
    assert "sk_live_do_not_commit_me" not in (tmp_path / "out.sarif").read_text()


def test_chart_example_gives_valid_sarif(tmp_path, checker):
    if not shutil.which("helm"):
        pytest.importorskip("helm_python", reason=NEEDS_HELM_SDK)
    shutil.copytree(REPO / "examples", tmp_path / "examples")
    done = cli(
        "check",
        "--chart",
        "examples/chart",
        "-f",
        "examples/values.prod.yaml",
        "--format",
        "sarif",
        "--output",
        "out.sarif",
        cwd=tmp_path,
    )
    assert done.returncode in (0, 1), done.stderr
    check_sarif(checker, tmp_path / "out.sarif", tmp_path)


def test_rules_carry_help_levels_tags_and_security_severity(tmp_path):
    (tmp_path / "v.yaml").write_text("worker:\n  enabled: yes\n")
    log = sarif_of(Options(cwd=str(tmp_path), values_files=[str(tmp_path / "v.yaml")]), tmp_path)
    catalog = load_catalog()
    rules = log["runs"][0]["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == list(catalog)
    for descriptor in rules:
        rule = catalog[descriptor["id"]]
        assert descriptor["shortDescription"]["text"] and len(descriptor["shortDescription"]["text"]) <= 1024
        assert descriptor["fullDescription"]["text"] and len(descriptor["fullDescription"]["text"]) <= 1024
        assert rule.rationale.split()[0] in descriptor["help"]["text"]
        assert descriptor["help"]["markdown"] == rule.help_markdown()
        assert descriptor["helpUri"].startswith("https://")
        assert descriptor["helpUri"].endswith(f"/docs/rules.md#{rule.id.lower()}-{rule.name}")
        assert descriptor["defaultConfiguration"]["level"] == str(rule.severity)
        assert set(rule.tags[:9]) <= set(descriptor["properties"]["tags"])
        if rule.security_severity is not None:
            assert descriptor["properties"]["security-severity"] == f"{rule.security_severity:.1f}"
            assert "security" in descriptor["properties"]["tags"]
        else:
            assert "security-severity" not in descriptor["properties"]


def _fingerprints(log: dict) -> dict:
    return {
        (r["ruleId"], r["locations"][0].get("logicalLocations", [{}])[0].get("fullyQualifiedName")): (
            r["partialFingerprints"]["starterLint/v1"],
            r["locations"][0]["physicalLocation"]["region"]["startLine"],
        )
        for r in results(log)
    }


def test_fingerprints_survive_moved_lines(tmp_path):
    values = tmp_path / "values.yaml"
    body = "worker:\n  enabled: yes\napi:\n  env:\n    APP_VERSION: 1.10\n"
    values.write_text(body)
    before = _fingerprints(sarif_of(Options(cwd=str(tmp_path), values_files=[str(values)]), tmp_path))
    values.write_text("# a comment\n# another\n\n" + body)
    after = _fingerprints(sarif_of(Options(cwd=str(tmp_path), values_files=[str(values)]), tmp_path))
    assert ("SL104", "worker.enabled") in before and ("SL104", "api.env.APP_VERSION") in before
    assert before.keys() == after.keys()
    assert all(before[key][0] == after[key][0] for key in before)
    for key in [("SL104", "worker.enabled"), ("SL104", "api.env.APP_VERSION")]:
        assert before[key][0] == after[key][0], f"fingerprint of {key} changed when lines moved"
        assert after[key][1] == before[key][1] + 3


def test_suppressed_findings_stay_with_suppressions(tmp_path, checker):
    values = tmp_path / "values.yaml"
    values.write_text(
        "worker:\n  # starter-lint: disable=SL104 the chart reads it as a bool anyway\n  enabled: yes\n"
    )
    log = sarif_of(Options(cwd=str(tmp_path), values_files=[str(values)]), tmp_path)
    check_sarif(checker, tmp_path / "out.sarif", tmp_path)
    hit = next(r for r in results(log) if r["ruleId"] == "SL104")
    assert hit["suppressions"] == [
        {"kind": "inSource", "status": "accepted", "justification": "the chart reads it as a bool anyway"}
    ]


def test_findings_without_a_file_still_give_valid_sarif(tmp_path, checker):
    # --set only: no file in the target, so results go to the run's notifications
    log = sarif_of(
        Options(cwd=str(tmp_path), set=[("worker.enabled=maybe", "set")], select=["SL1"]), tmp_path
    )
    check_sarif(checker, tmp_path / "out.sarif", tmp_path)
    assert log["runs"][0]["results"] == [] or all(
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results(log)
    )
    # with a values file in the target, a --set finding points at that file, line 1
    (tmp_path / "values.yaml").write_text("api:\n  replicas: 1\n")
    log = sarif_of(
        Options(
            cwd=str(tmp_path), files=[str(tmp_path / "values.yaml")], set=[("worker.enabled=maybe", "set")]
        ),
        tmp_path,
    )
    check_sarif(checker, tmp_path / "out.sarif", tmp_path)


def test_pseudo_files_resolve_to_template_or_primary_file(tmp_path, checker):
    chart = tmp_path / "charts" / "app"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: app\nversion: 0.1.0\n")
    (chart / "templates" / "deployment.yaml").write_text("kind: Deployment\n")
    (tmp_path / "values.yaml").write_text("api: {}\n")
    rendered = Finding(
        "SL104",
        "ambiguous-scalar",
        Severity.ERROR,
        "rendered problem",
        Location("<rendered>", 40, 3),
        logical="Deployment/prod/api#/spec/replicas",
        template="app/templates/deployment.yaml",
    )
    stdin = Finding(
        "SL104",
        "ambiguous-scalar",
        Severity.WARNING,
        "from stdin",
        Location("<stdin>", 7, 1),
        logical="Service/prod/api",
    )
    options = Options(
        cwd=str(tmp_path), chart=str(chart), files=[str(tmp_path / "values.yaml")], format="sarif"
    )
    report = Report(
        targets=[TargetResult(name="values.yaml", findings=[rendered, stdin], files=["values.yaml"])]
    )
    log = json.loads(render(report, load_catalog(), options))
    (tmp_path / "out.sarif").write_text(json.dumps(log))
    check_sarif(checker, tmp_path / "out.sarif", tmp_path)
    by_message = {
        r["message"]["text"].split(" \\[")[0]: r for r in results(log)
    }  # SARIF escapes the object reference `\[…\]`
    first = by_message["rendered problem"]["locations"][0]["physicalLocation"]
    assert first["artifactLocation"]["uri"] == "charts/app/templates/deployment.yaml"
    assert first["region"] == {"startLine": 1}
    assert "Deployment/prod/api" in by_message["rendered problem"]["message"]["text"]
    second = by_message["from stdin"]["locations"][0]["physicalLocation"]
    assert second["artifactLocation"]["uri"] == "values.yaml" and second["region"] == {"startLine": 1}


def test_uris_are_relative_to_the_git_root_and_encoded(tmp_path, checker):
    (tmp_path / ".git").mkdir()
    sub = tmp_path / "deploy dir"
    sub.mkdir()
    (sub / "values:prod.yaml").write_text("worker:\n  enabled: yes\n")
    log = sarif_of(Options(cwd=str(sub), values_files=[str(sub / "values:prod.yaml")]), sub)
    shutil.move(str(sub / "out.sarif"), tmp_path / "out.sarif")
    check_sarif(checker, tmp_path / "out.sarif", tmp_path)
    uri = results(log)[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == "deploy%20dir/values%3Aprod.yaml"


def test_one_run_per_target_and_one_run_beyond_the_limit(tmp_path, checker):
    for i in range(3):
        (tmp_path / f"v{i}.yaml").write_text("worker:\n  enabled: yes\n")
    files = [str(tmp_path / f"v{i}.yaml") for i in range(3)]
    log = sarif_of(Options(cwd=str(tmp_path), values_files=files), tmp_path)
    assert [r["automationDetails"]["id"] for r in log["runs"]] == [
        f"starter-lint/v{i}.yaml/" for i in range(3)
    ]
    for i in range(3, 22):
        (tmp_path / f"v{i}.yaml").write_text("worker:\n  enabled: yes\n")
    files = [str(tmp_path / f"v{i}.yaml") for i in range(22)]
    log = sarif_of(Options(cwd=str(tmp_path), values_files=files), tmp_path)
    check_sarif(checker, tmp_path / "out.sarif", tmp_path)
    assert [r["automationDetails"]["id"] for r in log["runs"]] == ["starter-lint/"]
    assert {r["properties"]["target"] for r in results(log)} == {f"v{i}.yaml" for i in range(22)}


def test_columns_are_utf16_code_units(tmp_path, checker):
    values = tmp_path / "values.yaml"
    values.write_text("api:\n  env:\n    GREETING: \"😀\"  # 😀\n    \"😀\": yes\n", encoding="utf-8")
    log = sarif_of(Options(cwd=str(tmp_path), values_files=[str(values)], select=["SL104"]), tmp_path)
    check_sarif(checker, tmp_path / "out.sarif", tmp_path)
    region = results(log)[0]["locations"][0]["physicalLocation"]["region"]
    # `yes` starts at code point 10 of line 4 and at UTF-16 unit 11 (the emoji is two units)
    assert region["startLine"] == 4 and region["startColumn"] == 11 and region["endColumn"] == 14


def test_ci_example_gates_and_uploads_sarif():
    import yaml

    workflow = yaml.safe_load((REPO / "examples" / "ci" / "github-workflow-pip.yml").read_text())
    steps = [step for job in workflow["jobs"].values() for step in job["steps"]]
    runs = [step.get("run", "") for step in steps]
    assert any(r.startswith("starter-lint check") and "|| " not in r for r in runs), "no gating check step"
    assert any("--format sarif" in r and "--output starter-lint.sarif" in r for r in runs)
    upload = next(s for s in steps if str(s.get("uses", "")).startswith("github/codeql-action/upload-sarif@"))
    assert upload["with"]["sarif_file"] == "starter-lint.sarif" and upload["with"]["category"]
    readme = (REPO / "README.md").read_text()
    assert "github/codeql-action/upload-sarif" in readme and "id: starter-lint" in readme


def test_chart_outside_the_repository_gives_valid_sarif(tmp_path, checker):
    """Templates outside the repo cannot be annotated: results fall back to files inside it."""
    if not shutil.which("helm"):
        pytest.importorskip("helm_python", reason=NEEDS_HELM_SDK)
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    shutil.copytree(REPO / "examples" / "chart", tmp_path / "elsewhere" / "chart")
    shutil.copy(REPO / "examples" / "values.broken.yaml", repo / "values.yaml")
    done = cli(
        "check",
        "--chart",
        str(tmp_path / "elsewhere" / "chart"),
        "-f",
        "values.yaml",
        "--format",
        "sarif",
        "--output",
        "out.sarif",
        cwd=repo,
    )
    assert done.returncode == 1, done.stderr
    check_sarif(checker, repo / "out.sarif", repo)
    log = json.loads((repo / "out.sarif").read_text())
    uris = {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        for run in log["runs"]
        for r in run["results"]
    }
    assert uris == {"values.yaml"}
