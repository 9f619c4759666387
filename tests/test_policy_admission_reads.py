"""What a verdict is kept under (policy/admission_verdicts.py): only what each `object.a.b` is read
for (whether it is there, a map's keys, the fields a macro reads of each item, or all of it), so
objects that differ elsewhere share a verdict; and the findings stay those of evaluating every
object, including where hiding a secret depends on more than what is read."""

from __future__ import annotations

import pytest

from starter_lint import speedups
from starter_lint.context import Context
from starter_lint.manifests.stream import load_text
from starter_lint.options import Options
from starter_lint.policy import admission_eval
from starter_lint.policy.admission import parse_admission
from starter_lint.policy.admission_eval import evaluate_admission
from starter_lint.policy.admission_verdicts import _reads

from .test_policy_admission import binding, policy

pytest.importorskip("cel_expr_python", reason="CEL policies need cel-expr-python (Python 3.11+)")


def _policy_of(*expressions: str):
    body = "  validations:\n" + "".join(f"    - expression: |-\n        {e}\n" for e in expressions)
    loaded = parse_admission(load_text("---\n" + policy(body) + binding(), "p.yaml").objects)
    return loaded.bindings[0].policy


def _uses(*expressions: str) -> dict | None:
    paths, _inputs = _reads(_policy_of(*expressions))
    return None if paths is None else {".".join(path): use for path, use in paths}


@pytest.mark.parametrize(
    "expression, expected",
    [
        ("has(object.spec.replicas)", {"spec.replicas": ("presence",)}),
        ("'team' in object.metadata.labels", {"metadata.labels": ("keys",)}),
        (
            "!has(object.metadata.labels) || !('a' in object.metadata.labels)",
            {"metadata.labels": ("keys",)},
        ),
        ("object.metadata.labels.team == 'x'", {"metadata.labels.team": ("whole",)}),
        (
            "'a' in object.metadata.labels && object.metadata.labels.size() > 1",
            {"metadata.labels": ("whole",)},
        ),
        # `in` applied to more than the path: a list joined to it
        ("'a' in object.spec.items + ['b']", {"spec.items": ("whole",)}),
        (
            "object.spec.containers.all(c, has(c.resources) && 'cpu' in c.resources.requests)",
            {"spec.containers": ("fields", ("resources",))},
        ),
        (
            "object.spec.containers.map(c, c.image) + object.spec.containers.filter(c, c.name == 'x').map(c, c.name)",
            {"spec.containers": ("fields", ("image", "name"))},
        ),
        # the item itself, a method on it, a nested macro naming the same variable: read whole
        ("object.spec.containers.all(c, c != null)", {"spec.containers": ("whole",)}),
        ("object.spec.containers.all(c, c.size() > 0)", {"spec.containers": ("whole",)}),
        ("object.spec.containers.all(c, c.ports.all(c, c.port > 0))", {"spec.containers": ("whole",)}),
        # a string the scanner does not read through (an escape), and a method that is no macro
        ("object.spec.containers.all(c, c.name != 'a\\'b')", {"spec.containers": ("whole",)}),
        ("object.spec.containers.exists(c, c.name == ')')", {"spec.containers": ("fields", ("name",))}),
        ("object.spec.args.join(',') == ''", {"spec.args": ("whole",)}),
        # presence joined with fields is the fields; keys and fields together are the whole
        (
            "has(object.spec.containers) && object.spec.containers.all(c, has(c.image))",
            {"spec.containers": ("fields", ("image",))},
        ),
        (
            "'a' in object.spec.x && object.spec.x.all(k, k.y)",
            {"spec.x": ("whole",)},
        ),
    ],
)
def test_each_path_is_read_for_what_the_expression_does_with_it(expression, expected):
    assert _uses(expression) == expected


def test_object_read_otherwise_is_read_whole():
    assert _uses("object.spec.containers.all(c, c.image != '')", "'spec' in object") is None


DEPLOYMENTS = "".join(
    f"""---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: r{i}-api
  namespace: prod
  labels: {{app: api, release: r{i}{", team: shop" if i % 3 == 0 else ""}}}
spec:
  replicas: {1 + i % 2}
  auth: {{secret: abc{", key: password" if i % 4 == 0 else ""}}}
  template:
    spec:
      containers:
        - name: app
          image: registry.example.org/app:1
          envFrom: [{{configMapRef: {{name: r{i}-config}}}}]
          env: [{{name: {"DB_PASSWORD" if i % 5 == 0 else "PLAIN"}, value: abc}}]
          resources: {{requests: {{cpu: 100m}}}}
"""
    for i in range(24)
)

POLICIES = "".join(
    "---\n"
    + policy("  validations:\n" + "".join(f"    - expression: |-\n        {e}\n" for e in exprs), name=name)
    + binding(name, name=f"{name}-binding", actions="[Warn]")
    for name, exprs in {
        "labels": ["['app', 'team'].all(l, has(object.metadata.labels) && l in object.metadata.labels)"],
        "limits": ["object.spec.template.spec.containers.all(c, has(c.resources.limits))"],
        # hiding `auth.secret` depends on the `key` beside it (the path reads it alone): a short
        # secret, hidden only where it is written
        "auth": ["!object.spec.auth.secret.startsWith('ab')"],
        # hiding an env `value` depends on the `name` beside it: inside what is read here
        "env": ["object.spec.template.spec.containers.all(c, c.env.all(e, e.value != 'abc'))"],
        "replicas": ["object.spec.replicas > 1"],
    }.items()
)


def _findings(manifests: str) -> list:
    policies = parse_admission(load_text(POLICIES, "policies/policies.yaml").objects)
    ctx = Context(
        "target", manifests=load_text(manifests, "manifests.yaml"), options=Options(namespace="prod")
    )
    return [
        (p.message, p.location, p.logical, p.severity, p.key)
        for _rule, p in evaluate_admission(policies, ctx)
    ]


def test_objects_differing_only_where_nothing_reads_share_verdicts(monkeypatch):
    evaluations = []
    evaluate = admission_eval._evaluate
    monkeypatch.setattr(admission_eval, "_evaluate", lambda *a: evaluations.append(1) or evaluate(*a))
    kept = _findings(DEPLOYMENTS)
    kept_evaluations = len(evaluations)
    monkeypatch.setattr(speedups, "FAST_PATHS", False)
    evaluations.clear()
    every = _findings(DEPLOYMENTS)
    assert kept == every
    messages = [finding[0] for finding in every]
    # the label keys (team or not), the limits and the replicas decide; the secrets stay hidden
    assert sum("Policy \"labels\"" in m for m in messages) == 16
    assert sum("Policy \"limits\"" in m for m in messages) == 24
    assert sum("Policy \"replicas\"" in m for m in messages) == 12
    # a `secret:` beside a `key:` is a Secret's name and shown; alone it is a credential, hidden
    assert sum("Policy \"auth\"" in m for m in messages) == 6
    # an env value under a secret-like name is hidden, under another name it is not
    assert sum("Policy \"env\"" in m for m in messages) == 19
    assert len(evaluations) == 24 * 5
    # labels: two key sets; limits, replicas: one or two inputs; auth: two (shown or hidden);
    # env: two (hidden or not)
    assert kept_evaluations <= 2 + 1 + 2 + 2 + 2
