"""The hard limits on a policy's cost (policy/limits.py): the hostile review's runaway policies
stop quickly with one clear outcome, with the limits made small so no test allocates much."""

from __future__ import annotations

import decimal
import functools
import os
import time

import pytest

pytest.importorskip("cel_expr_python", reason="cel-expr-python has wheels for Python 3.11+ only")

from starter_lint.errors import InputError, StarterLintError
from starter_lint.policy import cel, limits
from starter_lint.policy.cel import CelEvaluationError, compile_expression

from .support import run_in_process

_NO_FORK = "the policy child needs fork (Linux, no threads)"


def needs_fork(test):
    """Skip unless the child can be forked when the test runs (not only when it is collected: a
    thread another test left running makes run_limited evaluate in this process, without the
    memory bound a runaway test relies on)."""

    @functools.wraps(test)
    def run(*args, **kwargs):
        if not limits.can_fork():
            pytest.skip(_NO_FORK)
        return test(*args, **kwargs)

    return run


def evaluate(source: str, **values: object) -> object:
    return compile_expression(source, values).evaluate(values)


def test_the_python_functions_draw_from_a_budget_reset_at_each_evaluation(monkeypatch):
    monkeypatch.setattr(limits, "COST_BUDGET", 1000)
    assert evaluate("l.max()", l=list(range(600))) == 599
    assert evaluate("l.max()", l=list(range(600))) == 599  # the same again: the budget was reset
    with pytest.raises(CelEvaluationError, match="cost limit exceeded"):
        evaluate("[1, 2].map(i, l.max()).size() > 0", l=list(range(600)))


def test_sets_over_maps_are_charged_per_pair(monkeypatch):
    monkeypatch.setattr(limits, "COST_BUDGET", 1000)
    maps = [{"k": str(i)} for i in range(40)]  # 40 x 40 comparisons: beyond 1,000
    with pytest.raises(CelEvaluationError, match="cost limit exceeded"):
        evaluate("sets.contains(a, b)", a=maps, b=maps)
    assert evaluate("sets.contains(a, b)", a=maps[:20], b=maps[:20]) is True


def test_a_quantity_is_capped_as_kubernetes_caps_it():
    assert evaluate("quantity('1e999999') == quantity('9223372036854775807')") is True
    assert evaluate("string(quantity('1e-999999'))") == "0.000000001"  # rounded up to a nano
    assert evaluate("quantity('9e999999').add(quantity('9e999999')).isGreaterThan(quantity('1'))") is True


def test_an_arithmetic_error_of_a_function_is_a_cel_error_message():
    def fails(*_):
        raise decimal.InvalidOperation()

    with pytest.raises(RuntimeError, match="InvalidOperation"):
        cel._guarded(fails)("x")


@needs_fork
def test_the_child_gives_back_its_result_and_raises_its_errors():
    assert limits.run_limited(lambda: [("SL901", "a")], ["p.yaml"]) == [("SL901", "a")]

    def refuses():
        raise InputError("bad policy")

    with pytest.raises(InputError, match="bad policy"):
        limits.run_limited(refuses, ["p.yaml"])


@needs_fork
def test_an_error_that_does_not_pickle_and_a_child_that_dies_are_one_line_each():
    def breaches():
        raise limits.PolicyLimitExceeded("a limit", ["p.yaml"])  # its constructor takes two arguments

    with pytest.raises(
        StarterLintError, match=r"^policy evaluation stopped: a limit exceeded \(policy files: p\.yaml\)$"
    ):
        limits.run_limited(breaches, ["p.yaml"])
    with pytest.raises(
        StarterLintError, match=r"^policy evaluation failed: its process ended with exit code 7 "
    ):
        limits.run_limited(lambda: os._exit(7), ["p.yaml"])


@needs_fork
def test_the_child_is_stopped_at_its_memory_limit(monkeypatch):
    monkeypatch.setattr(limits, "MEMORY_MARGIN", 64 << 20)
    with pytest.raises(
        limits.PolicyLimitExceeded, match=r"memory limit of 64 MiB exceeded \(policy files: p\.yaml\)$"
    ):
        limits.run_limited(lambda: bytearray(256 << 20), ["p.yaml"])


@needs_fork
def test_the_child_is_killed_at_its_time_limit(monkeypatch):
    monkeypatch.setattr(limits, "TIME_LIMIT", 0.5)
    started = time.monotonic()
    with pytest.raises(limits.PolicyLimitExceeded, match=r"time limit of 0\.5 seconds exceeded"):
        limits.run_limited(lambda: time.sleep(30), ["p.yaml"])
    assert time.monotonic() - started < 5


def _values_policy(expression: str) -> str:
    return (
        "apiVersion: starter-lint.io/v1\nkind: ValuesPolicy\nmetadata: {name: run}\n"
        f"spec:\n  id: ACME001\n  summary: run\n  validations:\n    - expression: {expression!r}\n"
        "      message: m\n"
    )


def _repo(tmp_path, policy: str, manifests: str = ""):
    (tmp_path / ".git").mkdir()
    (tmp_path / "pol").mkdir()
    (tmp_path / "pol" / "p.yaml").write_text(policy)
    (tmp_path / "values.yaml").write_text("api:\n  image: registry.example.org/app-api:1.2.3\n")
    (tmp_path / "m.yaml").write_text(manifests)
    return tmp_path


# the review's string-growth reproducer: a string joined 100 times inside four nested maps (1.6 GB)
_JOINED = "[a" + ",a" * 99 + "].join()"
_GROWTH = (
    "size("
    + "[" * 3
    + "['abcdefgh'].map(a, "
    + _JOINED
    + ")[0]"
    + ("].map(a, " + _JOINED + ")[0]") * 3
    + ") > 0"
)


@needs_fork
def test_a_policy_building_a_huge_string_stops_the_run_with_one_line(tmp_path, monkeypatch):
    monkeypatch.setattr(limits, "MEMORY_MARGIN", 256 << 20)
    repo = _repo(tmp_path, _values_policy(_GROWTH))
    code, out, err = run_in_process(["check", "values.yaml", "--policy", "pol", "--select", "ACME001"], repo)
    assert code == 2
    assert err.strip().splitlines() == [
        "starter-lint: error: policy evaluation stopped: the memory limit of 256 MiB exceeded (policy files: pol/p.yaml)"
    ]
    assert "Traceback" not in out + err


# the review's CPU reproducer, smaller: max() of a 10,000-element list 1,000 times
_MAX_CALLS = (
    "["
    + ",".join(["'" + "abcdefghij" * 1000 + "'.split('')"])
    + "].map(l, ["
    + ",".join(str(i) for i in range(1000))
    + "].map(i, l.max())).size() > 0"
)


def test_a_policy_calling_a_function_too_often_is_a_cost_limit_finding(tmp_path, monkeypatch):
    monkeypatch.setattr(limits, "COST_BUDGET", 50_000)
    repo = _repo(tmp_path, _values_policy(_MAX_CALLS))
    started = time.monotonic()
    code, out, err = run_in_process(["check", "values.yaml", "--policy", "pol", "--select", "ACME001"], repo)
    assert "could not be evaluated: cost limit exceeded (more than 50,000 elements examined)" in out
    assert code == 1 and "Traceback" not in out + err
    assert time.monotonic() - started < 20


def test_too_many_bindings_times_objects_stop_the_run_with_one_line(tmp_path, monkeypatch):
    monkeypatch.setattr(limits, "MAX_BINDING_PAIRS", 3)
    policy = (
        "apiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingAdmissionPolicy\nmetadata: {name: p}\n"
        "spec:\n  matchConstraints:\n    resourceRules:\n"
        '      - {apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [configmaps]}\n'
        "  validations:\n    - expression: 'true'\n"
    )
    for name in ("b0", "b1"):
        policy += (
            "---\napiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingAdmissionPolicyBinding\n"
            f"metadata: {{name: {name}}}\nspec: {{policyName: p, validationActions: [Warn]}}\n"
        )
    manifests = "".join(f"---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: c{i}}}\n" for i in range(2))
    repo = _repo(tmp_path, policy, manifests)
    args = ["check", "--manifests", "m.yaml", "--policy", "pol", "--select", "SL901"]
    code, _, err = run_in_process(args, repo)
    assert code == 2
    assert err.strip() == (
        "starter-lint: error: policy evaluation stopped: 2 bindings x 2 objects: the limit of 3 pairs"
        " exceeded (policy files: pol/p.yaml)"
    )
    monkeypatch.setattr(limits, "MAX_BINDING_PAIRS", 4)
    assert run_in_process(args, repo)[0] == 0


class _Node:
    pass


def _a_cycle_is_collected() -> tuple:
    """This process's young-collection threshold, and whether a cycle of objects that became
    garbage is freed by the collections that allocations trigger (no gc.collect() asked)."""
    import gc
    import weakref

    first = _Node()
    first.me = first
    probe = weakref.ref(first)
    del first
    # a young collection frees it, or one of the middle generation (every 10th) if a young one
    # came first: 11 thresholds of containers (a _Node is one) reach both
    for _ in range(11 * gc.get_threshold()[0]):
        node = _Node()
        node.me = node
    return gc.get_threshold()[0], probe() is None


def test_the_policy_child_still_collects_cycles():
    """Its young collections are rarer (what it allocates is its findings, alive until sent), not
    gone: cyclic garbage a policy run makes is freed within the memory limit."""
    threshold, freed = limits.run_limited(_a_cycle_is_collected, ["p.yaml"])
    assert freed
    if limits.can_fork():  # else the stage ran here, with this process's collector
        assert threshold == limits._CHILD_COLLECTION_THRESHOLD
