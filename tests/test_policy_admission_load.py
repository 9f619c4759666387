"""Bad admission policies fail loudly: one `file:line: message` InputError (exit 2), never a
traceback and never a silent pass. Shapes follow the API reference (kubernetes.io/docs/reference/
kubernetes-api/policy-resources/validating-admission-policy-v1/ and ...-binding-v1/)."""

from __future__ import annotations

import pytest

from starter_lint.errors import InputError
from starter_lint.manifests.stream import load_text
from starter_lint.policy.admission import parse_admission

# a policy's first lines, shared with test_policy_admission.py
HEAD = """\
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata:
  name: {name}
spec:
  failurePolicy: {failure}
  matchConstraints:
    resourceRules:
      - apiGroups: [apps]
        apiVersions: [v1]
        operations: [CREATE, UPDATE]
        resources: [deployments]
"""
POLICY = (
    HEAD.format(name="replica-limit", failure="Fail")
    + "  validations:\n    - expression: object.spec.replicas <= 5\n"
)
BINDING = """\
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata:
  name: replica-limit-prod
spec:
  policyName: replica-limit
  validationActions: [Deny]
"""


class Compiled:
    def __init__(self, source):
        self.source = source

    def evaluate(self, activation):
        raise AssertionError("not evaluated in these tests")


class Refused(Exception):
    """What the engine raises for a bad expression: a message (and a column)."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


def fake_compiler(seen):
    def compile_expression(source, variables):
        seen.append((source, tuple(sorted(variables))))
        if "((" in source:
            raise Refused("Syntax error: mismatched input")
        return Compiled(source)

    return compile_expression


def parse(text, path="policies/replicas.yaml"):
    seen: list = []
    return parse_admission(load_text(text, path).objects, fake_compiler(seen)), seen


def error_of(text) -> str:
    with pytest.raises(InputError) as raised:
        parse(text)
    return str(raised.value)


def test_a_valid_policy_and_binding_are_read_and_every_expression_compiled_once():
    policies, seen = parse(POLICY + BINDING)
    assert list(policies.policies) == ["replica-limit"]
    [binding] = policies.bindings
    assert binding.policy.name == "replica-limit" and binding.actions == ("Deny",)
    assert seen == [
        ("object.spec.replicas <= 5", ("namespaceObject", "object", "oldObject", "params", "request"))
    ]


def test_variables_are_declared_only_to_a_policy_that_has_some():
    text = POLICY.replace(
        "  validations:\n",
        "  variables:\n    - name: replicas\n      expression: object.spec.replicas\n  validations:\n",
    )
    _, seen = parse(text)
    assert all("variables" in variables for _, variables in seen)


def test_other_documents_are_params_and_namespaces_give_labels():
    text = POLICY + "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: limits}\ndata: {max: '3'}\n"
    text += (
        "---\napiVersion: v1\nkind: Namespace\nmetadata: {name: prod, labels: {environment: production}}\n"
    )
    policies, _ = parse(text)
    assert [d.obj["kind"] for d in policies.params] == ["ConfigMap"]
    assert policies.namespaces == {"prod": {"environment": "production"}}
    assert not policies  # no binding: nothing to evaluate


@pytest.mark.parametrize(
    "old,new,expected",
    [
        (
            "  failurePolicy: Fail\n",
            "  failurePolicy: Fail\n  foo: 1\n",
            "policies/replicas.yaml:7: ValidatingAdmissionPolicy: unknown field spec.foo",
        ),
        (
            "failurePolicy: Fail",
            "failurePolicy: Never",
            "policies/replicas.yaml:6: ValidatingAdmissionPolicy: spec.failurePolicy must be one of Fail, Ignore, not 'Never'",
        ),
        (
            "operations: [CREATE, UPDATE]",
            "operations: [CREATE, PATCH]",
            ":11: ValidatingAdmissionPolicy: spec.matchConstraints.resourceRules[0].operations[1] must be one of",
        ),
        (
            "    - expression: object.spec.replicas <= 5\n",
            "    - message: too many\n",
            ":14: ValidatingAdmissionPolicy: missing required field spec.validations[0].expression",
        ),
        (
            "<= 5",
            "<= ((5",
            "policies/replicas.yaml:14: spec.validations[0].expression: Syntax error: mismatched input",
        ),
        (
            "object.spec.replicas <= 5",
            "authorizer.requestResource.check('create').allowed()",
            ":14: spec.validations[0].expression: `authorizer` cannot be evaluated offline",
        ),
        (
            "apiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingAdmissionPolicy\n",
            "apiVersion: admissionregistration.k8s.io/v1alpha9\nkind: ValidatingAdmissionPolicy\n",
            ":1: ValidatingAdmissionPolicy apiVersion must be one of",
        ),
        (
            "  matchConstraints:\n    resourceRules:\n",
            "  matchConstraints:\n    namespaceSelector: {}\n    rules:\n",
            ":9: ValidatingAdmissionPolicy: unknown field spec.matchConstraints.rules",
        ),
        (
            "    - expression",
            "    - reason: Teapot\n      expression",
            ":14: ValidatingAdmissionPolicy: spec.validations[0].reason must be one of",
        ),
    ],
)
def test_a_bad_policy_is_one_error_at_its_line(old, new, expected):
    assert old in POLICY
    assert expected in error_of(POLICY.replace(old, new) + BINDING)


@pytest.mark.parametrize(
    "old,new,expected",
    [
        (
            "policyName: replica-limit",
            "policyName: replica-limits",
            ':21: binding "replica-limit-prod" names ValidatingAdmissionPolicy "replica-limits", which the policy files do not contain (policies: replica-limit)',
        ),
        (
            "validationActions: [Deny]",
            "validationActions: [Deny, Warn]",
            ":22: spec.validationActions: Deny and Warn may not be used together",
        ),
        (
            "validationActions: [Deny]",
            "validationActions: [Block]",
            ":22: ValidatingAdmissionPolicyBinding: spec.validationActions[0] must be one of Deny, Warn, Audit",
        ),
        (
            "validationActions: [Deny]",
            "validationActions: []",
            ":22: spec.validationActions must not be empty",
        ),
        (
            "  validationActions: [Deny]\n",
            "",
            ":20: ValidatingAdmissionPolicyBinding: missing required field spec.validationActions",
        ),
        (
            "  policyName: replica-limit\n",
            "  policyName: replica-limit\n  paramRef: {name: limits}\n",
            ":22: ValidatingAdmissionPolicyBinding: missing required field spec.paramRef.parameterNotFoundAction",
        ),
        (
            "  policyName: replica-limit\n",
            "  policyName: replica-limit\n  paramRef: {name: a, selector: {}, parameterNotFoundAction: Deny}\n",
            "spec.paramRef: set exactly one of name and selector",
        ),
    ],
)
def test_a_bad_binding_is_one_error_at_its_line(old, new, expected):
    # the binding's lines follow the policy's 15 in the file
    assert old in BINDING
    message = error_of(POLICY + BINDING.replace(old, new))
    assert message.startswith("policies/replicas.yaml:") and expected in message


def test_a_policy_with_param_kind_needs_a_param_ref_in_its_binding():
    text = POLICY.replace("spec:\n", "spec:\n  paramKind: {apiVersion: v1, kind: ConfigMap}\n", 1)
    assert "has a paramKind, so its binding needs spec.paramRef" in error_of(text + BINDING)


def test_a_policy_defined_twice_names_the_first():
    assert 'is defined twice (first at policies/replicas.yaml:1)' in error_of(POLICY + "---\n" + POLICY)


def test_a_policy_without_validations_is_refused():
    text = POLICY.split("  validations:")[0]
    assert "spec.validations: a policy needs validations" in error_of(text)


def test_a_binding_file_before_its_policy_file_still_finds_it():
    policies, _ = parse(BINDING + "---\n" + POLICY)
    assert policies.bindings[0].policy.name == "replica-limit"


def test_a_param_ref_namespace_for_a_cluster_scoped_param_kind_is_refused():
    # ParamRef: "If paramKind is cluster-scoped, this field MUST be unset"
    text = POLICY.replace("spec:\n", "spec:\n  paramKind: {apiVersion: v1, kind: Namespace}\n", 1)
    ref = "  paramRef: {name: a, namespace: b, parameterNotFoundAction: Deny}\n"
    message = error_of(text + BINDING.replace("  validationActions", ref + "  validationActions"))
    assert ":23: spec.paramRef.namespace must be unset: the paramKind Namespace is cluster-scoped" in message
