"""What a verdict is kept under (policy/admission_verdicts.py): only what each `object.a.b` is read
for (whether it is there, a map's keys, the fields a macro reads of each item, or all of it), so
objects that differ elsewhere share a verdict; and the findings stay those of evaluating every
object, including where hiding a secret depends on more than what is read."""

from __future__ import annotations

import time
from types import SimpleNamespace

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
        # map's list holds what its expressions compute of the fields they read (of nothing
        # else: used any way, it reads those fields); filter and sortBy return the items
        # themselves, which what follows may read whole: the list is read whole
        ("object.spec.containers.map(c, c.image)[0] == 'x'", {"spec.containers": ("fields", ("image",))}),
        (
            "object.spec.containers.map(c, c.name == 'a', c.image).all(i, i == 'x')",
            {"spec.containers": ("fields", ("image", "name"))},
        ),
        (
            "object.spec.containers.map(c, c.image) + object.spec.containers.filter(c, c.name == 'x').map(c, c.name)",
            {"spec.containers": ("whole",)},
        ),
        ("object.spec.containers.filter(c, c.name == 'a')[0].image == 'x'", {"spec.containers": ("whole",)}),
        ("object.spec.containers.sortBy(c, c.name)[0].image == 'x'", {"spec.containers": ("whole",)}),
        ("object.spec.containers.map(c, c.name, c).size() > 0", {"spec.containers": ("whole",)}),
        # two variables (index or key, item): the item is the second, read whole
        ("object.spec.containers.all(i, c, c.image != '')", {"spec.containers": ("whole",)}),
        ("object.spec.containers.exists(i, c, c.image != '')", {"spec.containers": ("whole",)}),
        ("object.spec.containers.exists_one(c, c.image != '')", {"spec.containers": ("fields", ("image",))}),
        # `object.a` written in a string or comment is no read
        ("object.spec.x == 'object.spec.y' // object.spec.z", {"spec.x": ("whole",)}),
        # the item itself, a method on it, a nested macro naming the same variable: read whole
        ("object.spec.containers.all(c, c != null)", {"spec.containers": ("whole",)}),
        ("object.spec.containers.all(c, c.size() > 0)", {"spec.containers": ("whole",)}),
        ("object.spec.containers.all(c, c.ports.all(c, c.port > 0))", {"spec.containers": ("whole",)}),
        # a string with an escape, and a method that is no macro
        ("object.spec.containers.all(c, c.name != 'a\\'b')", {"spec.containers": ("fields", ("name",))}),
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


def _reads_of(source: str) -> dict | None:
    """_uses of an expression not compiled (one CEL would not take, or too deep for it)."""
    validation = SimpleNamespace(expression=SimpleNamespace(source=source), message_expression=None)
    paths, _inputs = _reads(SimpleNamespace(match_conditions=[], variables=[], validations=[validation]))
    return None if paths is None else {".".join(path): use for path, use in paths}


@pytest.mark.parametrize(
    "expression, expected",
    [
        # a comment or string with an apostrophe or parenthesis does not hide the body
        (
            "object.spec.containers.all(c, // it's the registry\n c.image.startsWith('r') // that's all\n )",
            {"spec.containers": ("fields", ("image",))},
        ),
        (
            "object.spec.containers.all(c, c.name == ')' || c) // (",
            {"spec.containers": ("whole",)},
        ),
        # a boolean macro's result dotted or indexed: not used as a boolean, read whole
        ("object.spec.containers.exists(c, c.name == 'a').x", {"spec.containers": ("whole",)}),
        ("object.spec.containers.all(c, c.x)[0]", {"spec.containers": ("whole",)}),
        # more arguments than the macro takes with one variable
        ("object.spec.containers.map(a, b, c, c.x)", {"spec.containers": ("whole",)}),
        ("object.spec.containers.all(c, c.x, c.y)", {"spec.containers": ("whole",)}),
        # a body that does not close: read whole
        ("object.spec.containers.all(c, c.x", {"spec.containers": ("whole",)}),
    ],
)
def test_reads_told_from_the_code_alone(expression, expected):
    assert _reads_of(expression) == expected


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


def _dep(name: str, containers: str) -> str:
    return f"""---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
  namespace: prod
spec:
  template:
    spec:
      containers: {containers}
"""


# one object passes, the other must be denied: a verdict shared between them misses the Deny
PASSES_AND_FAILS = _dep("good", "[{name: app, image: 'registry.example.org/a:1'}]") + _dep(
    "bad", "[{name: app, image: 'evil.io/a:1'}]"
)
_APPS = "object.spec.template.spec.containers.filter(c, c.name == 'app')"


@pytest.mark.parametrize(
    "expression, variables",
    [
        (f"{_APPS}.all(x, x.image.startsWith('registry.example.org/'))", ""),
        (
            "variables.apps.all(x, x.image.startsWith('registry.example.org/'))",
            f'  variables:\n    - name: apps\n      expression: "{_APPS}"\n',
        ),
        (f"{_APPS}[0].image.startsWith('registry.example.org/')", ""),
        (
            "object.spec.template.spec.containers.map(c, c).all(x, x.image.startsWith('registry.example.org/'))",
            "",
        ),
        (
            "object.spec.template.spec.containers.map(c, c.image).all(i, i.startsWith('registry.example.org/'))",
            "",
        ),
        (
            "object.spec.template.spec.containers.map(c, c.name == 'app', c.image)"
            ".all(i, i.startsWith('registry.example.org/'))",
            "",
        ),
        ("object.spec.template.spec.containers.all(i, c, c.image.startsWith('registry.example.org/'))", ""),
        ("!object.spec.template.spec.containers.exists(i, c, c.image.startsWith('evil'))", ""),
        (
            "object.spec.template.spec.containers.all(c, // it's the registry\n"
            "        c.image.startsWith(\"registry.example.org/\") // that's all\n        )",
            "",
        ),
    ],
)
def test_a_deny_is_never_shared_from_an_object_that_passes(monkeypatch, expression, variables):
    body = variables + "  validations:\n    - expression: |-\n        " + expression + "\n"

    def findings() -> list:
        policies = parse_admission(load_text("---\n" + policy(body) + binding(), "p.yaml").objects)
        ctx = Context(
            "target", manifests=load_text(PASSES_AND_FAILS, "m.yaml"), options=Options(namespace="prod")
        )
        return [(p.message, str(p.location), p.logical) for _rule, p in evaluate_admission(policies, ctx)]

    shared = findings()
    monkeypatch.setattr(speedups, "FAST_PATHS", False)
    every = findings()
    assert shared == every
    assert [logical for _m, _l, logical in every] == ["Deployment/prod/bad#/spec/template/spec/containers"]


def test_what_is_read_is_found_in_time_linear_in_the_expression():
    # ~95 KB of paths, and 4,000 nested macros: each once scanned (seconds when quadratic)
    started = time.process_time()
    long = " || ".join(["object.a.b == 1"] * 5000)
    nested = "object.a.all(c, " * 4000 + "c.x" + ")" * 4000
    assert _reads_of(long) == {"a.b": ("whole",)}
    assert _reads_of(nested) == {"a": ("whole",)}
    assert time.process_time() - started < 5
