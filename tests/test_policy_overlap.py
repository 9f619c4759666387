"""The policy stage runs beside the shipped checks (policy/limits.py `start_limited`, pipeline.py):
its child starts before them and hands back finished findings, so the report is the one a
stage run in this process gives, a check's error still ends the run with that error, and no
child is left behind."""

from __future__ import annotations

import json
import os
import select
import time

import pytest

pytest.importorskip("cel_expr_python", reason="cel-expr-python has wheels for Python 3.11+ only")

from starter_lint import pipeline
from starter_lint.errors import InputError
from starter_lint.policy import limits
from starter_lint.related import POLICY

from .support import REPO, bench_module, run_in_process
from .test_policy_limits import needs_fork


@pytest.fixture(scope="module")
def releases_with_policies(tmp_path_factory):
    """Four releases of the benchmark's chart shape and its 20 policies (bench/policies.py):
    errors, warnings and notes of SL901 on most objects, beside the shipped rules' findings."""
    root = tmp_path_factory.mktemp("overlap")
    (root / ".git").mkdir()
    bench_module("inputs").releases(root / "releases", 4)
    bench_module("policies").policy_files(root / "policies", copies=2)
    return root


@needs_fork
def test_the_child_starts_before_the_result_is_asked_for():
    reader, writer = os.pipe()

    def signals():
        os.write(writer, b"x")  # the child's copy of the pipe: seen by this process at once
        return "done"

    pending = limits.start_limited(signals, ["p.yaml"])
    try:
        # a stage that only ran when asked would never write: bounded so a failure cannot hang
        ready, _, _ = select.select([reader], [], [], 30)
        assert ready, "the policy child did not start before its result was asked for"
        assert pending.result() == "done"
    finally:
        os.close(reader)
        os.close(writer)


@needs_fork
def test_stop_ends_and_reaps_the_child():
    pending = limits.start_limited(lambda: time.sleep(60), ["p.yaml"])
    pid = pending.pid
    assert pid is not None
    pending.stop()
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # killed and waited for: no such child any more
    pending.stop()  # a second stop is harmless


def test_without_fork_the_work_runs_when_the_result_is_asked_for(monkeypatch):
    monkeypatch.setattr(limits, "can_fork", lambda: False)
    ran: list = []
    pending = limits.start_limited(lambda: ran.append(1) or "here", ["p.yaml"])
    assert ran == [] and pending.pid is None
    assert pending.result() == "here" and ran == [1]


def _reports(root, monkeypatch, fork: bool) -> dict:
    if not fork:
        monkeypatch.setattr(limits, "can_fork", lambda: False)
    reports = {}
    for fmt in ("text", "json", "sarif"):
        args = ["check", "--validator", "builtin", "--format", fmt, "--manifests", "releases"]
        code, out, err = run_in_process(args + ["--policy", "policies"], root)
        assert (code, err) == (1, "")
        reports[fmt] = out
    return reports


@needs_fork
def test_findings_finished_in_the_child_are_those_finished_here(releases_with_policies, monkeypatch):
    forked = _reports(releases_with_policies, monkeypatch, fork=True)
    assert "SL901" in forked["text"] and "SL806" in forked["text"]
    assert forked == _reports(releases_with_policies, monkeypatch, fork=False)


@needs_fork
def test_a_check_failing_while_the_stage_runs_is_the_error_and_leaves_no_child(
    releases_with_policies, monkeypatch
):
    started: list = []
    start = limits.start_limited

    def spy(work, files):
        started.append(start(work, files))
        return started[-1]

    def fails(*_):
        raise InputError("a check failed")

    monkeypatch.setattr(limits, "start_limited", spy)
    monkeypatch.setattr(pipeline, "run_checks", fails)
    args = ["check", "--validator", "builtin", "--manifests", "releases", "--policy", "policies"]
    code, _, err = run_in_process(args, releases_with_policies)
    assert code == 2 and err.strip() == "starter-lint: error: a check failed"
    assert len(started) == 1 and started[0].pid is not None
    with pytest.raises(ChildProcessError):
        os.waitpid(started[0].pid, os.WNOHANG)


def test_no_policy_finding_is_related_to_another_rules():
    """The child finishes the policies' findings without the others': that holds while no
    ownership of related.py names SL901 (values policies' ids are never shipped ids)."""
    assert all("SL901" not in (ownership.owner, ownership.consequence) for ownership in POLICY)


_SECRET = "hunter2-correct-horse-battery"


def _deployment(containers: list, name: str = "web") -> str:
    listed = "".join(f"        - {{name: {item}, image: '{image}'}}\n" for item, image in containers)
    return (
        "apiVersion: v1\nkind: Secret\nmetadata: {name: creds}\n"
        f"stringData: {{password: {_SECRET}}}\n---\n"
        f"apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: {name}}}\n"
        "spec:\n  selector: {matchLabels: {app: a}}\n  template:\n    metadata: {labels: {app: a}}\n"
        "    spec:\n      containers:\n" + listed
    )


_GOOD, _BAD = ("app", "registry.example.org/app:1"), ("sidecar", "docker.io/x:1")


def _policy_report(repo, monkeypatch, fork: bool, manifests: str, fmt: str) -> str:
    """The report of `check --select SL901` on `manifests` under the trusted-registries example,
    the policy stage forked or run here."""
    if fork and not limits.can_fork():
        pytest.skip("the policy child needs fork (Linux, no threads)")
    if not fork:
        monkeypatch.setattr(limits, "can_fork", lambda: False)
    (repo / ".git").mkdir(exist_ok=True)
    (repo / "policies").mkdir(exist_ok=True)
    source = REPO / "examples" / "policies" / "admission-trusted-registries.yaml"
    (repo / "policies" / "p.yaml").write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    (repo / "m.yaml").write_text(manifests, encoding="utf-8")
    args = ["check", "--validator", "builtin", "--format", fmt, "--manifests", "m.yaml"]
    code, out, err = run_in_process(args + ["--policy", "policies", "--select", "SL901"], repo)
    assert (code, err) == (1, "")
    return out


def _policy_finding(repo, monkeypatch, fork: bool, manifests: str) -> dict:
    """The one SL901 finding of `manifests` (_policy_report), from the JSON report."""
    out = _policy_report(repo, monkeypatch, fork, manifests, "json")
    assert _SECRET not in out
    [finding] = json.loads(out)["targets"][0]["findings"]
    return finding


@pytest.mark.parametrize("fork", [True, False], ids=["forked", "here"])
def test_a_policy_finding_is_named_by_item_like_every_finding(tmp_path, monkeypatch, fork):
    """Its identity names the container, not its position: reordering the list keeps a baseline."""
    first = _policy_finding(tmp_path, monkeypatch, fork, _deployment([_GOOD, _BAD]))
    second = _policy_finding(tmp_path, monkeypatch, fork, _deployment([_BAD, _GOOD]))
    assert first["logical"].endswith("/containers/1/image") and second["logical"].endswith(
        "/containers/0/image"
    )
    assert first["fingerprint"] == second["fingerprint"]


@pytest.mark.parametrize("fork", [True, False], ids=["forked", "here"])
def test_a_policy_finding_is_scrubbed_like_every_finding(tmp_path, monkeypatch, fork):
    """A name that is a secret of the target (policies read it hidden; the message names the object)."""
    finding = _policy_finding(tmp_path, monkeypatch, fork, _deployment([_BAD], name=_SECRET))
    assert "docker.io/x:1" in finding["message"] and "Deployment/<redacted>" in finding["message"]


@needs_fork
def test_the_time_limit_counts_from_when_the_result_is_asked_for(monkeypatch):
    """Slow checks (kubeconform, a shared core) before the result is taken are not the policies'."""
    monkeypatch.setattr(limits, "TIME_LIMIT", 0.5)
    pending = limits.start_limited(lambda: "done", ["p.yaml"])
    time.sleep(1)  # this process's own work, longer than the limit
    assert pending.result() == "done"


@pytest.mark.parametrize("fork", [True, False], ids=["forked", "here"])
def test_an_excerpt_of_a_policy_finding_hides_a_manifest_secret(tmp_path, monkeypatch, fork):
    """Only SL901 reports (no finding of the shipped checks): the excerpt of the finding's line
    still hides the secret the manifests hold there."""
    manifests = _deployment([(_SECRET, "docker.io/x:1")])  # a container named by the secret
    out = _policy_report(tmp_path, monkeypatch, fork, manifests, "text")
    assert "SL901" in out and "hunter2" not in out


def test_too_many_pairs_is_raised_after_a_failing_check(releases_with_policies, monkeypatch):
    """The pair limit is the policy stage's error, taken where its result is: a check failing
    first is the run's error, as when the stage ran after the checks."""

    def fails(*_):
        raise InputError("a check failed")

    monkeypatch.setattr(limits, "MAX_BINDING_PAIRS", 1)
    monkeypatch.setattr(pipeline, "run_checks", fails)
    args = ["check", "--validator", "builtin", "--manifests", "releases", "--policy", "policies"]
    code, _, err = run_in_process(args, releases_with_policies)
    assert code == 2 and err.strip() == "starter-lint: error: a check failed"
    monkeypatch.undo()
    monkeypatch.setattr(limits, "MAX_BINDING_PAIRS", 1)
    code, _, err = run_in_process(args, releases_with_policies)
    assert code == 2 and "policy evaluation stopped" in err
