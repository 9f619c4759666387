"""Verdicts kept per distinct input (policy/admission_verdicts.py) give the findings of evaluating
every policy on every object: many near-identical objects (a chart rendered for many releases)
with a few that differ where the expressions read, under policies that read paths, the whole
object, the request, the namespace and params, and that fail on some inputs."""

from __future__ import annotations

from pathlib import Path

import pytest

from starter_lint import speedups
from starter_lint.context import Context
from starter_lint.manifests.stream import load_text
from starter_lint.options import Options
from starter_lint.policy import admission_eval
from starter_lint.policy.admission import parse_admission
from starter_lint.policy.admission_eval import evaluate_admission

from .test_policy_admission import binding, policy

pytest.importorskip("cel_expr_python", reason="CEL policies need cel-expr-python (Python 3.11+)")

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "policies"


def _policy(name: str, body: str) -> str:
    return "---\n" + policy(body, name=name) + binding(name, name=f"{name}-binding", actions="[Warn]")


POLICIES = "".join(
    "---\n" + path.read_text(encoding="utf-8") for path in sorted(EXAMPLES.glob("admission-*.yaml"))
) + "".join(
    (
        # reads `object` whole (`in object`): no paths to narrow the key to
        _policy(
            "whole-object",
            "  validations:\n    - expression: \"object.spec.replicas < 4 || 'paused' in object.spec\"\n"
            "      messageExpression: \"'too many: ' + string(object.spec.replicas) + "
            "(('status' in object) ? ' (with status)' : '')\"\n",
        ),
        _policy("request-name", "  validations:\n    - expression: \"!request.name.startsWith('bad')\"\n"),
        _policy(
            "namespace-object",
            "  validations:\n    - expression: \"namespaceObject == null || "
            "!('frozen' in namespaceObject.metadata.labels)\"\n",
        ),
        # methods on paths (read the whole list, the whole map) and an expression that fails on a string spec
        _policy(
            "one-container",
            "  validations:\n    - expression: object.spec.template.spec.containers.size() == 1\n"
            "    - expression: \"object.spec.template.spec.containers[0].image.startsWith('registry.')\"\n"
            "    - expression: object.metadata.labels.size() == 1\n",
        ),
    )
)


def _deployment(
    name, namespace="prod", replicas=3, labels="{app: api}", spec=None, image="registry.example.org/a:1"
):
    template = spec or (
        "\n      containers:\n        - name: app\n          image: " + image + "\n"
        "          resources: {requests: {cpu: 100m}, limits: {memory: 1Gi}}"
    )
    return (
        f"---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\n  namespace: {namespace}\n"
        f"  labels: {labels}\nspec:\n  replicas: {replicas}\n  template:\n    spec: {template}\n"
    )


MANIFESTS = (
    "---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: cold\n  labels: {frozen: 'yes'}\n"
    + "".join(_deployment(f"release{i:02d}-api") for i in range(40))
    + "".join(
        f"---\napiVersion: v1\nkind: Service\nmetadata:\n  name: release{i:02d}\n  namespace: prod\n"
        "  labels: {app.kubernetes.io/name: api, team: shop}\n"
        for i in range(10)
    )
    + _deployment("few-replicas", replicas=1)
    + _deployment("many-replicas", replicas=7)
    + _deployment("bad-name", labels="{app.kubernetes.io/name: api, team: shop}")
    + _deployment("untrusted", image="docker.io/a:1")
    + _deployment("frozen", namespace="cold")
    + _deployment("string-spec", spec="not-a-map")
    + _deployment(
        "two-containers",
        spec="\n      containers:\n        - {name: a, image: registry.example.org/a:1}\n"
        "        - {name: b, image: registry.example.org/b:1}",
    )
    + _deployment("release99-api")  # the same as the first ones again, after the others
)


def _findings() -> list:
    policies = parse_admission(load_text(POLICIES, "policies/policies.yaml").objects)
    ctx = Context(
        "target", manifests=load_text(MANIFESTS, "manifests.yaml"), options=Options(namespace="prod")
    )
    return [
        (rule, p.message, p.location, p.logical, p.severity, p.key, p.template)
        for rule, p in evaluate_admission(policies, ctx)
    ]


def test_kept_verdicts_give_the_findings_of_evaluating_each_object(monkeypatch):
    evaluations = []
    evaluate = admission_eval._evaluate
    monkeypatch.setattr(admission_eval, "_evaluate", lambda *a: evaluations.append(1) or evaluate(*a))
    kept = _findings()
    kept_evaluations = len(evaluations)
    monkeypatch.setattr(speedups, "FAST_PATHS", False)
    evaluations.clear()
    every = _findings()
    assert kept == every
    # each kind of finding is there: denials, warnings, a failure, the request's and namespace's
    messages = "\n".join(finding[1] for finding in every)
    for expected in (
        "spec.replicas must be between 2 and 10, not 1",
        "images must come from registry.example.org/, not docker.io/a:1",
        "too many: 7",
        "missing labels: app.kubernetes.io/name, team",
        'binding "request-name-binding") warns on Deployment/prod/bad-name',
        'binding "namespace-object-binding") warns on Deployment/cold/frozen',
        "Deployment/prod/string-spec: spec.validations[0].expression",
        "Deployment/prod/two-containers: failed expression: object.spec.template.spec.containers.size() == 1",
        "Deployment/prod/bad-name: failed expression: object.metadata.labels.size() == 1",
    ):
        assert expected in messages
    # findings on each near-identical release, at its own lines
    release_lines = {f[2].line for f in every if "release" in f[1] and "missing labels" in f[1]}
    assert len(release_lines) == 41
    # most evaluations were not made again (those reading names, the request or the whole object were)
    assert kept_evaluations < len(evaluations) / 3
