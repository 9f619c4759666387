"""Findings on a rendered chart point at the values line that caused them, where that is unique."""

from __future__ import annotations

import os

from starter_lint.options import Options
from starter_lint.pipeline import run
from starter_lint.pointer import value_at as resolve_pointer

from .support import REPO

VALUES = """\
api:
  image: "registry.example.org/starter/app-api:1.8.2"
autoscaling:
  api:
    minReplicas: 7
    maxReplicas: 3
ingress:
  hosts:
    - host: app.acme-corp.io
    - host: shop.acme-corp.io
  tls:
    - secretName: app-tls
      hosts:
        - app.acme-corp.io
"""


def _check(tmp_path, select):
    (tmp_path / "values.yaml").write_text(VALUES)
    old = os.getcwd()
    os.chdir(tmp_path)
    try:
        return run(
            Options(
                files=["values.yaml"],
                chart=str(REPO / "examples" / "chart"),
                cwd=str(tmp_path),
                select=select,
            )
        )
    finally:
        os.chdir(old)


def test_rendered_finding_points_at_the_values_line(tmp_path):
    report = _check(tmp_path, ["SL801", "SL804"])
    by_rule = {f.rule: f for f in report.active}
    hpa = by_rule["SL801"]
    assert (hpa.location.path, hpa.location.line) == ("values.yaml", 5)
    assert hpa.template.endswith("templates/hpa.yaml")
    assert any(note.startswith("rendered at <rendered ") for note in hpa.notes)
    tls = by_rule["SL804"]
    assert (tls.location.path, tls.location.line) == ("values.yaml", 10)


def test_ambiguous_values_keep_the_rendered_location(tmp_path):
    # minReplicas 2 appears twice in the effective values (api from the user, web from the chart's
    # defaults — only user lines count) and "true"-like flags are never traced
    report = _check(tmp_path, ["SL701", "SL8"])
    for finding in report.active:
        if finding.location.path.startswith("<rendered"):
            assert not any(n.startswith("rendered at") for n in finding.notes)


def test_resolve_pointer():
    data = {"a/b": [{"c~d": 1}]}
    assert resolve_pointer(data, "/a~1b/0/c~0d") == 1
    assert resolve_pointer(data, "/a~1b/3") is None
    assert resolve_pointer(data, "") is data


def test_env_entries_trace_to_their_component(tmp_path):
    """`"true"` is set in api.env and worker.env alike: the API Deployment's entry is api.env's."""
    (tmp_path / "values.yaml").write_text(
        "api:\n  env:\n    ENABLE_BILLING_RETRY_WORKER: \"true\"\n"
        "worker:\n  enabled: true\n  env:\n    ENABLE_BILLING_RETRY_WORKER: \"true\"\n"
        "    ENABLE_BILLING_STREAM_REPLAY: \"true\"\n    BILLING_RETRY_DEPLOYMENT_MODE: \"dedicated\"\n"
    )
    old = os.getcwd()
    os.chdir(tmp_path)
    try:
        report = run(
            Options(
                files=["values.yaml"],
                chart=str(REPO / "examples" / "chart"),
                cwd=str(tmp_path),
                select=["SL806"],
            )
        )
    finally:
        os.chdir(old)
    found = [f for f in report.active if "billing retries" in f.message]
    assert found and all((f.location.path, f.location.line) == ("values.yaml", 3) for f in found)
    assert all("the worker runs it" in f.message for f in found)


def test_fingerprints_do_not_depend_on_the_working_directory(tmp_path):
    import json
    import shutil

    from .support import cli

    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    shutil.copytree(REPO / "examples" / "chart", repo / "deploy" / "chart")
    shutil.copy(REPO / "examples" / "values.broken.yaml", repo / "deploy" / "values.yaml")

    def fingerprints(cwd, chart, values):
        done = cli("check", "--chart", chart, "-f", values, "--format", "json", cwd=cwd)
        assert done.returncode == 1, done.stderr
        return sorted(f["fingerprint"] for t in json.loads(done.stdout)["targets"] for f in t["findings"])

    from_root = fingerprints(repo, "deploy/chart", "deploy/values.yaml")
    from_inside = fingerprints(repo / "deploy", "chart", "values.yaml")
    from_outside = fingerprints(tmp_path, "repo/deploy/chart", "repo/deploy/values.yaml")
    assert from_root == from_inside == from_outside
