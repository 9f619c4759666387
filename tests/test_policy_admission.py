"""Admission policies evaluated against rendered objects (SL901), with the real CEL engine.

Each case is our own copy of an example of the Kubernetes documentation, "Validating Admission
Policy" (kubernetes.io/docs/reference/access-authn-authz/validating-admission-policy/), named by
its section; the verdict expected is the one the page gives for a CREATE of that object.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from starter_lint.context import Context
from starter_lint.findings import Severity
from starter_lint.manifests.stream import load_text
from starter_lint.options import Options
from starter_lint.policy.admission import parse_admission
from starter_lint.policy.admission_eval import evaluate_admission

from .test_policy_admission_load import HEAD

pytest.importorskip("cel_expr_python", reason="CEL policies need cel-expr-python (Python 3.11+)")

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "policies"


def policy(body: str, name: str = "demo-policy.example.com", failure: str = "Fail") -> str:
    return HEAD.format(name=name, failure=failure) + body


def binding(
    policy_name="demo-policy.example.com", actions="[Deny]", extra="", name="demo-binding-test.example.com"
):
    return (
        "---\napiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingAdmissionPolicyBinding\n"
        f"metadata:\n  name: {name}\nspec:\n  policyName: {policy_name}\n  validationActions: {actions}\n{extra}"
    )


def deployment(
    name="api", namespace="prod", replicas=3, labels=None, image="registry.example.org/api:1.0", extra=""
):
    labels = labels if labels is not None else {"app": name}
    return f"""\
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
  namespace: {namespace}
  labels: {labels}
spec:
  replicas: {replicas}
  template:
    spec:
      containers:
        - name: {name}
          image: {image}
{extra}"""


def namespace(name, labels):
    return f"---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: {name}\n  labels: {labels}\n"


def evaluate(policy_text, manifests_text, release_namespace="default"):
    policies = parse_admission(load_text(policy_text, "policies/policy.yaml").objects)
    manifests = load_text(manifests_text, "manifests.yaml")
    ctx = Context("target", manifests=manifests, options=Options(namespace=release_namespace))
    found = list(evaluate_admission(policies, ctx))
    assert all(rule == "SL901" for rule, _ in found)
    return [problem for _, problem in found]


REPLICA_LIMIT = policy("  validations:\n    - expression: object.spec.replicas <= 5\n")


# "Getting Started with Validating Admission Policy": demo-policy.example.com denies a
# Deployment with more than 5 replicas with "failed expression: object.spec.replicas <= 5"
def test_replica_limit_denies_more_than_five_at_the_replicas_line():
    [problem] = evaluate(REPLICA_LIMIT + binding(), deployment(replicas=7))
    assert problem.message == (
        'ValidatingAdmissionPolicy "demo-policy.example.com" (binding "demo-binding-test.example.com") '
        "denies Deployment/prod/api: failed expression: object.spec.replicas <= 5"
    )
    assert problem.severity == Severity.ERROR
    assert (problem.location.path, problem.location.line) == ("manifests.yaml", 9)  # `replicas: 7`
    assert problem.logical == "Deployment/prod/api#/spec/replicas"


def test_replica_limit_admits_five():
    assert evaluate(REPLICA_LIMIT + binding(), deployment(replicas=5)) == []


def test_a_policy_without_a_binding_does_nothing():
    # "Each policy must be bound to at least one binding to take effect"
    assert evaluate(REPLICA_LIMIT, deployment(replicas=7)) == []


def test_the_policy_only_matches_its_resources():
    stateful = deployment(replicas=7).replace("kind: Deployment", "kind: StatefulSet")
    assert evaluate(REPLICA_LIMIT + binding(), stateful) == []


# the same page's binding narrows to namespaces labelled environment: test
TEST_NAMESPACES = "  matchResources:\n    namespaceSelector:\n      matchLabels:\n        environment: test\n"


def test_binding_namespace_selector_reads_the_namespace_in_the_render():
    manifests = namespace("prod", {"environment": "test"}) + deployment(replicas=7)
    assert len(evaluate(REPLICA_LIMIT + binding(extra=TEST_NAMESPACES), manifests)) == 1
    manifests = namespace("prod", {"environment": "production"}) + deployment(replicas=7)
    assert evaluate(REPLICA_LIMIT + binding(extra=TEST_NAMESPACES), manifests) == []


def test_binding_namespace_selector_reads_a_namespace_from_the_policy_files():
    policies = REPLICA_LIMIT + binding(extra=TEST_NAMESPACES) + namespace("prod", {"environment": "test"})
    assert len(evaluate(policies, deployment(replicas=7))) == 1


def test_an_unknown_namespace_is_a_note_not_a_guess():
    [problem] = evaluate(REPLICA_LIMIT + binding(extra=TEST_NAMESPACES), deployment(replicas=7))
    assert problem.severity == Severity.NOTE
    assert 'namespace "prod"' in problem.message and "no Namespace object" in problem.message


def test_an_object_without_namespace_is_in_the_release_namespace():
    manifests = namespace("staging", {"environment": "test"}) + deployment(replicas=7).replace(
        "  namespace: prod\n", ""
    )
    [problem] = evaluate(
        REPLICA_LIMIT + binding(extra=TEST_NAMESPACES), manifests, release_namespace="staging"
    )
    assert "Deployment/api" in problem.message


# "Parameter resources": the limit comes from a params object (here a ConfigMap, maxReplicas)
PARAMS_POLICY = policy(
    "  validations:\n"
    "    - expression: object.spec.replicas <= int(params.data.maxReplicas)\n"
    "      messageExpression: \"'object.spec.replicas must be no greater than ' + params.data.maxReplicas\"\n"
    "      reason: Invalid\n",
    name="replicalimit-policy.example.com",
).replace("spec:\n", "spec:\n  paramKind:\n    apiVersion: v1\n    kind: ConfigMap\n", 1)


def params_binding(action="Deny", ref="name: replica-limit-test.example.com"):
    return binding(
        "replicalimit-policy.example.com",
        extra=f"  paramRef:\n    {ref}\n    namespace: default\n    parameterNotFoundAction: {action}\n",
        name="replicalimit-binding-test.example.com",
    )


def config_map(name="replica-limit-test.example.com", maximum="3", labels=None):
    return (
        f"---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n  namespace: default\n"
        f"  labels: {labels or {}}\ndata:\n  maxReplicas: '{maximum}'\n"
    )


def test_params_from_a_config_map_set_the_limit_and_the_message():
    [problem] = evaluate(PARAMS_POLICY + params_binding() + config_map(maximum="3"), deployment(replicas=4))
    assert problem.message.endswith(
        "denies Deployment/prod/api: object.spec.replicas must be no greater than 3 (reason: Invalid)"
    )
    assert evaluate(PARAMS_POLICY + params_binding() + config_map(maximum="5"), deployment(replicas=4)) == []


def test_params_by_selector_evaluate_each_and_report_a_validation_once():
    # "If multiple params are matched, the policy is evaluated against each and the results ANDed"
    ref = "selector:\n      matchLabels:\n        limits: replicas"
    params = config_map("a", "3", {"limits": "replicas"}) + config_map("b", "2", {"limits": "replicas"})
    problems = evaluate(PARAMS_POLICY + params_binding(ref=ref) + params, deployment(replicas=4))
    assert len(problems) == 1 and "no greater than 3" in problems[0].message
    params = config_map("a", "9", {"limits": "replicas"}) + config_map("b", "3", {"limits": "other"})
    assert evaluate(PARAMS_POLICY + params_binding(ref=ref) + params, deployment(replicas=4)) == []


# ParamRef API reference: "If set to Deny, then no matched parameters will be subject to the
# failurePolicy of the policy"; Allow: "treated as successful validation"
def test_params_not_found_with_deny_is_a_finding_under_failure_policy_fail():
    [problem] = evaluate(PARAMS_POLICY + params_binding("Deny"), deployment(replicas=1))
    assert "no params object (ConfigMap) matches the binding's paramRef" in problem.message
    assert problem.severity == Severity.ERROR


def test_params_not_found_with_deny_under_failure_policy_ignore_is_nothing():
    ignoring = PARAMS_POLICY.replace("failurePolicy: Fail", "failurePolicy: Ignore")
    assert evaluate(ignoring + params_binding("Deny"), deployment(replicas=1)) == []


def test_params_not_found_with_allow_skips_the_policy():
    assert evaluate(PARAMS_POLICY + params_binding("Allow"), deployment(replicas=9)) == []


# "Validation actions": Deny -> the request fails, Warn -> a warning to the client, Audit -> the
# audit event; starter-lint reports them as error, warning and note
@pytest.mark.parametrize(
    "actions,severity,verb",
    [
        ("[Deny]", Severity.ERROR, "denies"),
        ("[Warn]", Severity.WARNING, "warns on"),
        ("[Audit]", Severity.NOTE, "audits"),
        ("[Deny, Audit]", Severity.ERROR, "denies"),
        ("[Warn, Audit]", Severity.WARNING, "warns on"),
    ],
)
def test_validation_actions_set_the_severity(actions, severity, verb):
    required = policy(
        "  validations:\n    - expression: \"has(object.metadata.labels) && 'team' in object.metadata.labels\"\n"
        "      message: every workload needs a team label\n",
        name="required-labels",
    )
    [problem] = evaluate(required + binding("required-labels", actions), deployment())
    assert problem.severity == severity
    assert f"{verb} Deployment/prod/api: every workload needs a team label" in problem.message
    assert problem.logical == "Deployment/prod/api#/metadata/labels"  # the field the expression reads


# "Matching requests: matchConditions": all must be true for the policy to apply
MATCH_CONDITIONS = policy(
    "  matchConditions:\n"
    "    - name: exclude-kube-system\n"
    "      expression: request.namespace != 'kube-system'\n"
    "    - name: exclude-leases\n"
    "      expression: \"!(request.resource.group == 'coordination.k8s.io' && request.resource.resource == 'leases')\"\n"
    "    - name: exclude-kubelet-requests\n"
    "      expression: \"!('system:nodes' in request.userInfo.groups)\"\n"
    "  validations:\n    - expression: object.spec.replicas <= 5\n"
)


def test_match_conditions_exclude_a_namespace():
    assert evaluate(MATCH_CONDITIONS + binding(), deployment(namespace="kube-system", replicas=9)) == []
    assert len(evaluate(MATCH_CONDITIONS + binding(), deployment(namespace="prod", replicas=9))) == 1


# "Error handling": a matchCondition that errors -> failurePolicy; one false condition wins
def test_a_match_condition_that_fails_is_decided_by_failure_policy():
    failing = policy(
        "  matchConditions:\n    - name: broken\n      expression: object.metadata.annotations['x'] == 'y'\n"
        "  validations:\n    - expression: object.spec.replicas <= 5\n"
    )
    [problem] = evaluate(failing + binding(), deployment(replicas=1))
    assert (
        "spec.matchConditions[0].expression" in problem.message and "failurePolicy is Fail" in problem.message
    )
    ignoring = failing.replace("failurePolicy: Fail", "failurePolicy: Ignore")
    assert evaluate(ignoring + binding(), deployment(replicas=9)) == []
    with_false = failing.replace(
        "  validations:", "    - name: never\n      expression: 'false'\n  validations:"
    )
    assert evaluate(with_false + binding(), deployment(replicas=9)) == []


# "Variable composition" with "Message expression" and namespaceObject: the image must be from
# the registry of the namespace's environment
VARIABLES = policy(
    "  variables:\n"
    "    - name: environment\n"
    "      expression: \"'environment' in namespaceObject.metadata.labels ? namespaceObject.metadata.labels['environment'] : 'prod'\"\n"
    "    - name: exempt\n"
    "      expression: \"has(object.metadata.labels) && 'exempt' in object.metadata.labels && object.metadata.labels['exempt'] == 'true'\"\n"
    "    - name: containers\n"
    "      expression: object.spec.template.spec.containers\n"
    "    - name: containersToCheck\n"
    "      expression: variables.containers.filter(c, c.image.contains('example.com/'))\n"
    "  validations:\n"
    "    - expression: variables.exempt || variables.containersToCheck.all(c, c.image.startsWith(variables.environment + '.'))\n"
    "      messageExpression: \"'only ' + variables.environment + ' images are allowed in namespace ' + namespaceObject.metadata.name\"\n",
    name="image-matches-namespace-environment.policy.example.com",
)
VARIABLES_BINDING = binding("image-matches-namespace-environment.policy.example.com")


def test_variables_and_message_expression_with_the_namespace_object():
    manifests = namespace("prod", {"environment": "staging"}) + deployment(image="prod.example.com/api:1")
    [problem] = evaluate(VARIABLES + VARIABLES_BINDING, manifests)
    assert problem.message.endswith("only staging images are allowed in namespace prod")
    assert problem.logical == "Deployment/prod/api#/metadata/labels"
    manifests = namespace("prod", {"environment": "staging"}) + deployment(image="staging.example.com/api:1")
    assert evaluate(VARIABLES + VARIABLES_BINDING, manifests) == []
    exempt = deployment(image="prod.example.com/api:1", labels={"exempt": "true"})
    assert (
        evaluate(VARIABLES + VARIABLES_BINDING, namespace("prod", {"environment": "staging"}) + exempt) == []
    )


def test_a_variable_that_fails_fails_the_validation_reading_it():
    broken = policy(
        "  variables:\n"
        "    - name: nothing\n"
        "      expression: object.spec.nothing.here\n"
        "  validations:\n"
        "    - expression: variables.nothing == 1\n",
        name="broken-variable",
    )
    [problem] = evaluate(broken + binding("broken-variable"), deployment(image="prod.example.com/api:1"))
    # the cause is said: the variable, not the validation reading it
    assert "failurePolicy is Fail" in problem.message and "spec.variables[0].expression" in problem.message


def test_a_namespace_object_nobody_gives_is_a_note_not_a_guessed_failure():
    # no Namespace object: namespaceObject is null here, never in the cluster, so the variable
    # reading it fails only offline: a note saying which Namespace to add (team review)
    [problem] = evaluate(VARIABLES + VARIABLES_BINDING, deployment(image="prod.example.com/api:1"))
    assert problem.severity == Severity.NOTE
    assert 'read the Namespace object of namespace "prod"' in problem.message


def test_object_selector_picks_labelled_objects():
    selected = binding(
        extra="  matchResources:\n    objectSelector:\n      matchLabels:\n        tier: web\n"
    )
    manifests = deployment("api", replicas=9) + deployment("web", replicas=9, labels={"tier": "web"})
    [problem] = evaluate(REPLICA_LIMIT + selected, manifests)
    assert "Deployment/prod/web" in problem.message


def test_exclude_resource_rules_leave_out_a_named_object():
    excluding = REPLICA_LIMIT.replace(
        "  validations:",
        "    excludeResourceRules:\n      - apiGroups: [apps]\n        apiVersions: [v1]\n"
        "        operations: [CREATE]\n        resources: [deployments]\n        resourceNames: [legacy]\n"
        "  validations:",
    )
    manifests = deployment("legacy", replicas=9) + deployment("api", replicas=9)
    assert ["Deployment/prod/api" in p.message for p in evaluate(excluding + binding(), manifests)] == [True]


# "Failure policy": an expression that errors at run time
RUNTIME_ERROR = "  validations:\n    - expression: int(object.metadata.annotations['max-surge']) <= 2\n"


def test_failure_policy_fail_reports_an_evaluation_error():
    manifests = deployment(extra="").replace("  labels:", "  annotations: {max-surge: ten}\n  labels:")
    [problem] = evaluate(policy(RUNTIME_ERROR) + binding(), manifests)
    assert "spec.validations[0].expression" in problem.message and "failurePolicy is Fail" in problem.message
    assert problem.severity == Severity.ERROR


def test_failure_policy_ignore_drops_an_evaluation_error():
    manifests = deployment().replace("  labels:", "  annotations: {max-surge: ten}\n  labels:")
    assert evaluate(policy(RUNTIME_ERROR, failure="Ignore") + binding(), manifests) == []


def test_a_validation_that_is_not_a_bool_is_an_error_not_a_pass():
    [problem] = evaluate(
        policy("  validations:\n    - expression: object.spec.replicas\n") + binding(), deployment()
    )
    assert "returned int, not a bool" in problem.message


def test_a_message_expression_that_fails_falls_back_to_the_message():
    text = policy(
        "  validations:\n    - expression: object.spec.replicas <= 5\n"
        "      message: at most five\n      messageExpression: object.metadata.nope\n"
    )
    [problem] = evaluate(text + binding(), deployment(replicas=9))
    assert problem.message.endswith(": at most five")


def test_the_examples_folder_policies_load_and_judge_a_deployment():
    text = "".join(
        "---\n" + path.read_text(encoding="utf-8") for path in sorted(EXAMPLES.glob("admission-*.yaml"))
    )
    good = deployment(replicas=3, labels={"app.kubernetes.io/name": "api", "team": "core"}).replace(
        "          image: registry.example.org/api:1.0\n",
        "          image: registry.example.org/api:1.0\n"
        "          resources: {requests: {cpu: 100m}, limits: {memory: 256Mi}}\n",
    )
    assert evaluate(text, good) == []
    bad = deployment(replicas=12, labels={"app.kubernetes.io/name": "api"}, image="docker.io/library/nginx:1")
    messages = sorted(p.message.split(": ", 1)[1] for p in evaluate(text, bad))
    assert messages == [
        "every container needs resources.limits.memory",
        "every container needs resources.requests.cpu",
        "images must come from registry.example.org/, not docker.io/library/nginx:1 (reason: Forbidden)",
        "missing labels: team",
        "spec.replicas must be between 2 and 10, not 12 (reason: Invalid)",
    ]


# through the whole pipeline (`check --policy`): the finding is at the values line, and scrubbed
SECRET_POLICY = """\
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata:
  name: secret-size
spec:
  matchConstraints:
    resourceRules:
      - apiGroups: [""]
        apiVersions: [v1]
        operations: [CREATE]
        resources: [secrets]
  validations:
    - expression: "!has(object.data) || !('password' in object.data)"
      messageExpression: "'password ' + object.data.password + ', token ' + object.stringData.token"
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata:
  name: secret-size
spec:
  policyName: secret-size
  validationActions: [Deny]
"""
SECRET = """\
apiVersion: v1
kind: Secret
metadata:
  name: db
data:
  password: aHVudGVyMi1zM2NyZXQ=
stringData:
  token: tok-9f8e7d6c5b4a
"""


def _check(tmp_path, policy_text, manifests_text):
    from .support import run_in  # deferred: the pipeline, for these end-to-end cases only

    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "policy.yaml").write_text(policy_text, encoding="utf-8")
    (tmp_path / "manifests.yaml").write_text(manifests_text, encoding="utf-8")
    options = Options(cwd=str(tmp_path), select=["SL901"])
    options.manifests.append(str(tmp_path / "manifests.yaml"))
    options.policies = ["policies"]
    return [f for f in run_in(tmp_path, options).active if f.rule == "SL901"]


def test_a_message_expression_cannot_print_a_secret_value(tmp_path):
    # the policy puts the values in its message, but it is handed the Secret with them hidden
    [raw] = evaluate(SECRET_POLICY, SECRET)
    assert raw.message.endswith("password <redacted>, token <redacted>")
    [finding] = _check(tmp_path, SECRET_POLICY, SECRET)
    assert finding.message.startswith(
        'ValidatingAdmissionPolicy "secret-size" (binding "secret-size") denies'
    )
    assert "aHVudGVyMi1zM2NyZXQ=" not in finding.message and "tok-9f8e7d6c5b4a" not in finding.message
    assert "<redacted>" in finding.message


def test_a_finding_is_reported_through_the_pipeline_at_the_object_line(tmp_path):
    [finding] = _check(tmp_path, REPLICA_LIMIT + binding(), deployment(replicas=7))
    assert (finding.location.path, finding.location.line, finding.severity) == (
        "manifests.yaml",
        9,
        Severity.ERROR,
    )
    assert finding.name == "admission-policy"


@pytest.mark.parametrize(
    "old,new,expected",
    [
        (
            "  failurePolicy: Fail\n",
            "  failurePolicy: Fail\n  foo: 1\n",
            "policy.yaml:7: ValidatingAdmissionPolicy: unknown field spec.foo",
        ),
        ("policyName: demo-policy.example.com", "policyName: nope", "policy.yaml:21: binding"),
        ("<= 5", "<= )", "policy.yaml:14:43: spec.validations[0].expression: Syntax error"),
    ],
)
def test_a_bad_policy_is_exit_2_with_one_line(tmp_path, old, new, expected):
    from .support import cli  # deferred: a process of its own, for these cases only

    (tmp_path / "policies").mkdir()
    text = REPLICA_LIMIT + binding()
    assert old in text
    (tmp_path / "policies" / "policy.yaml").write_text(text.replace(old, new), encoding="utf-8")
    (tmp_path / "manifests.yaml").write_text(deployment(replicas=7), encoding="utf-8")
    done = cli("check", "--manifests", "manifests.yaml", "--policy", "policies", cwd=tmp_path)
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.count("\n") == 1 and expected in done.stderr and "Traceback" not in done.stderr


def test_a_finding_on_a_rendered_object_is_traced_to_the_values_line(tmp_path):
    # what `check --chart` does with it: the rendered `replicas: 7` is the values' replicaCount
    from starter_lint.catalog import load_catalog
    from starter_lint.manifests.trace import trace_to_values
    from starter_lint.pipeline import build_context, to_finding
    from starter_lint.targets import Target

    values = tmp_path / "values.prod.yaml"
    values.write_text("api:\n  replicaCount: 7\n", encoding="utf-8")
    options = Options(cwd=str(tmp_path))
    ctx, _ = build_context(Target("prod", [str(values)]), options)
    rendered = "# Source: starter/templates/api-deployment.yaml\n" + deployment(replicas=7).removeprefix(
        "---\n"
    )
    ctx.manifests = load_text(rendered, "<rendered>")
    ctx.manifests.rendered_by = "helm"
    policies = parse_admission(load_text(REPLICA_LIMIT + binding(), "policies/policy.yaml").objects)
    findings = [to_finding(r, p, ctx, load_catalog(), options) for r, p in evaluate_admission(policies, ctx)]
    [traced] = trace_to_values(findings, ctx)
    assert (traced.location.path, traced.location.line) == ("values.prod.yaml", 2)
    assert traced.notes == ("rendered at <rendered>:9",)


def test_an_object_without_kind_is_not_admitted_so_not_evaluated():
    everything = REPLICA_LIMIT.replace("resources: [deployments]", "resources: ['*']").replace(
        "apiGroups: [apps]", "apiGroups: ['*']"
    )
    untyped = deployment(replicas=9).replace("kind: Deployment\n", "")
    assert evaluate(everything + binding(), untyped) == []
    assert len(evaluate(everything + binding(), deployment(replicas=9))) == 1


def test_the_namespace_object_is_the_whole_namespace_annotations_too():
    # a policy may read more of namespaceObject than its labels (team review: annotations were
    # dropped, so a guarded check passed silently and an unguarded one failed)
    owner = policy(
        "  validations:\n"
        "    - expression: \"object.metadata.labels['owner'] == namespaceObject.metadata.annotations['owner']\"\n"
        "      message: the owner label must be the namespace's owner\n",
        name="owner",
    )
    annotated = (
        "---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: prod\n  annotations: {owner: alice}\n"
    )
    [problem] = evaluate(owner + binding("owner"), annotated + deployment(labels={"owner": "bob"}))
    assert problem.message.endswith("the owner label must be the namespace's owner")
    assert evaluate(owner + binding("owner"), annotated + deployment(labels={"owner": "alice"})) == []


def _rules(resources: str, indent: str = "      ") -> str:
    return (
        f"{indent}- apiGroups: [apps]\n{indent}  apiVersions: [v1]\n{indent}  operations: [CREATE]\n"
        f"{indent}  resources: [{resources}]\n"
    )


@pytest.mark.parametrize("fast", [True, False])
def test_bindings_that_narrow_by_kind_alone_select_only_that_kind(fast, monkeypatch):
    """A binding whose matching reads only the request's kind (no selector, no resourceNames) is
    matched once per kind (admission_eval._candidates): its resourceRules, and its policy's
    excludeResourceRules, still leave the other kinds out, as matching each object does."""
    from starter_lint import speedups

    monkeypatch.setattr(speedups, "FAST_PATHS", fast)
    both = REPLICA_LIMIT.replace("resources: [deployments]", "resources: [deployments, statefulsets]")
    without_deployments = both.replace(
        "  validations:", "    excludeResourceRules:\n" + _rules("deployments") + "  validations:"
    ).replace("name: demo-policy.example.com", "name: no-deployments.example.com")
    policies = (
        both
        + binding(extra="  matchResources:\n    resourceRules:\n" + _rules("statefulsets"))
        + "---\n"
        + without_deployments
        + binding(policy_name="no-deployments.example.com", name="no-deployments-binding.example.com")
    )
    stateful = deployment("db", replicas=9).replace("kind: Deployment", "kind: StatefulSet")
    manifests = deployment("api", replicas=9) + stateful + deployment("web", replicas=9)
    found = sorted(p.message.split(" denies ")[1].split(":")[0] for p in evaluate(policies, manifests))
    assert found == ["StatefulSet/prod/db", "StatefulSet/prod/db"]  # one per binding, no Deployment
