"""Manifests on standard input (`helm template … | starter-lint check --manifests - --format sarif`):
findings are SARIF results located at the chart template named by `# Source:` (in whichever chart
folder of the repository has that chart name), else at the target's values file, and a finding
with no file at all is a notification that says why (issue 10 item 8)."""

from __future__ import annotations

import json
import subprocess

from .support import cli
from .test_sarif import check_sarif, results

DEPLOYMENT = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: starter-api
spec:
  replicas: 1
  selector:
    matchLabels: {app: api}
  template:
    metadata:
      labels: {app: api}
    spec:
      containers:
        - name: api
          image: registry.example.org/app-api:1.8.2
"""
HPA = """apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: starter-api
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: starter-api}
  minReplicas: 6
  maxReplicas: 4
"""


def _stream(with_sources: bool) -> str:
    def doc(template, text):
        return f"---\n# Source: {template}\n{text}" if with_sources else f"---\n{text}"

    return doc("starter/templates/api-deployment.yaml", DEPLOYMENT) + doc("starter/templates/hpa.yaml", HPA)


def _repository(tmp_path):
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=False, capture_output=True)
    (tmp_path / ".git").mkdir(exist_ok=True)
    chart = tmp_path / "charts" / "app"  # the folder is not named like the chart
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: starter\nversion: 0.1.0\n")
    for name in ("api-deployment.yaml", "hpa.yaml"):
        (chart / "templates" / name).write_text("# template\n")
    return chart


def _sarif(tmp_path, *args, stdin: str) -> dict:
    done = cli(
        "check",
        "--manifests",
        "-",
        "--select",
        "SL801",
        "--format",
        "sarif",
        *args,
        cwd=tmp_path,
        stdin=stdin,
    )
    assert done.returncode == 1, done.stderr
    (tmp_path / "out.sarif").write_text(done.stdout)
    return json.loads(done.stdout)


def test_stdin_findings_are_results_at_the_template_of_a_chart_named_like_source(tmp_path, checker):
    _repository(tmp_path)
    log = _sarif(tmp_path, stdin=_stream(with_sources=True))
    check_sarif(checker, tmp_path / "out.sarif", tmp_path)
    hits = results(log)
    assert [r["ruleId"] for r in hits] == ["SL801"]
    location = hits[0]["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "charts/app/templates/hpa.yaml"
    assert (
        "\\<stdin\\>" in hits[0]["message"]["text"]
    )  # where it really is (Markdown-escaped), in the message
    assert not log["runs"][0]["invocations"][0]["toolExecutionNotifications"]


def test_stdin_findings_without_source_go_to_the_values_file(tmp_path, checker):
    _repository(tmp_path)
    (tmp_path / "values.yaml").write_text("api:\n  replicas: 1\n")
    log = _sarif(tmp_path, "-f", "values.yaml", stdin=_stream(with_sources=False))
    check_sarif(checker, tmp_path / "out.sarif", tmp_path)
    hits = results(log)
    assert [r["ruleId"] for r in hits] == ["SL801"]
    assert hits[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "values.yaml"


def test_stdin_findings_with_no_file_at_all_say_why(tmp_path, checker):
    (tmp_path / ".git").mkdir()
    log = _sarif(tmp_path, stdin=_stream(with_sources=False))
    check_sarif(checker, tmp_path / "out.sarif", tmp_path)
    assert results(log) == []
    notes = log["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert [n["associatedRule"]["id"] for n in notes] == ["SL801"]
    assert (
        "standard input" in notes[0]["message"]["text"] and "--manifests FILE" in notes[0]["message"]["text"]
    )
    # with a `# Source:` comment but no such chart in the repository, the reason names the template
    log = _sarif(tmp_path, stdin=_stream(with_sources=True))
    text = log["runs"][0]["invocations"][0]["toolExecutionNotifications"][0]["message"]["text"]
    assert "starter/templates/hpa.yaml" in text and "--chart" in text
