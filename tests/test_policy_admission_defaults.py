"""The API server's defaults an admission policy reads (policy/admission_defaults.py): filled in
where the render left a field out, never over what it set, on a copy."""

from __future__ import annotations

import copy

import pytest

from starter_lint.policy.admission_defaults import with_defaults

from .support import cli

DEPLOYMENT = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "api"},
    "spec": {
        "template": {
            "spec": {
                "containers": [
                    {
                        "name": "api",
                        "image": "registry.example.org/app-api:1.8.2",
                        "ports": [{"containerPort": 80}],
                    },
                    {"name": "proxy", "image": "envoy"},
                ]
            }
        }
    },
}


def test_an_autoscaled_deployment_reads_one_replica_and_empty_resources():
    before = copy.deepcopy(DEPLOYMENT)
    defaulted = with_defaults(DEPLOYMENT)
    assert before == DEPLOYMENT  # the rendered object is left as it was
    assert defaulted["spec"]["replicas"] == 1
    pod = defaulted["spec"]["template"]["spec"]
    assert pod["restartPolicy"] == "Always" and pod["dnsPolicy"] == "ClusterFirst"
    api, proxy = pod["containers"]
    assert api["resources"] == {} and api["ports"] == [{"containerPort": 80, "protocol": "TCP"}]
    assert api["imagePullPolicy"] == "IfNotPresent" and proxy["imagePullPolicy"] == "Always"


def test_what_the_render_sets_is_kept():
    rendered = copy.deepcopy(DEPLOYMENT)
    rendered["spec"]["replicas"] = 3
    rendered["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"] = "Always"
    defaulted = with_defaults(rendered)
    assert defaulted["spec"]["replicas"] == 3
    assert defaulted["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"] == "Always"


def test_a_job_gets_no_restart_policy_and_a_service_its_type_and_ports():
    job = {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "spec": {"template": {"spec": {"containers": [{"name": "x"}]}}},
    }
    assert "restartPolicy" not in with_defaults(job)["spec"]["template"]["spec"]
    assert "replicas" not in with_defaults(job)["spec"]
    service = {"apiVersion": "v1", "kind": "Service", "spec": {"ports": [{"port": 80}]}}
    spec = with_defaults(service)["spec"]
    assert spec["type"] == "ClusterIP" and spec["ports"] == [
        {"port": 80, "protocol": "TCP", "targetPort": 80}
    ]


def test_other_kinds_and_odd_shapes_are_left_alone():
    config = {"apiVersion": "v1", "kind": "ConfigMap", "data": {"a": "b"}}
    assert with_defaults(config) is config
    odd = {"apiVersion": "apps/v1", "kind": "Deployment", "spec": {"template": {"spec": {"containers": "x"}}}}
    assert with_defaults(odd)["spec"]["replicas"] == 1
    assert with_defaults({"apiVersion": "apps/v1", "kind": "Deployment", "spec": None}) is not None


def test_the_docs_replica_limit_admits_a_deployment_that_leaves_replicas_to_the_server(tmp_path):
    # kubernetes.io/docs/reference/access-authn-authz/validating-admission-policy/ ("Getting
    # started"): `object.spec.replicas <= 5` — an autoscaled chart renders no replicas, the API
    # server defaults them to 1 before admission, and admits
    pytest.importorskip("cel_expr_python", reason="CEL policies need cel-expr-python (Python 3.11+)")
    (tmp_path / ".git").mkdir()
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "limit.yaml").write_text(
        "apiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingAdmissionPolicy\n"
        "metadata: {name: replica-limit}\nspec:\n  failurePolicy: Fail\n  matchConstraints:\n"
        "    resourceRules:\n    - {apiGroups: [apps], apiVersions: [v1], operations: [CREATE], resources: [deployments]}\n"
        "  validations:\n  - expression: object.spec.replicas <= 5\n---\n"
        "apiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingAdmissionPolicyBinding\n"
        "metadata: {name: replica-limit}\nspec: {policyName: replica-limit, validationActions: [Deny]}\n",
        encoding="utf-8",
    )
    manifest = tmp_path / "rendered.yaml"
    manifest.write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: default}\n"
        "spec:\n  selector: {matchLabels: {app: api}}\n  template:\n    metadata: {labels: {app: api}}\n"
        "    spec: {containers: [{name: api, image: 'app:1'}]}\n",
        encoding="utf-8",
    )
    done = cli(
        "check", "--manifests", "rendered.yaml", "--policy", "policies", "--select", "SL901", cwd=tmp_path
    )
    assert done.returncode == 0, done.stdout + done.stderr
    manifest.write_text(
        manifest.read_text(encoding="utf-8").replace("spec:\n  selector", "spec:\n  replicas: 9\n  selector")
    )
    done = cli(
        "check", "--manifests", "rendered.yaml", "--policy", "policies", "--select", "SL901", cwd=tmp_path
    )
    assert done.returncode == 1 and "replica-limit" in done.stdout


NAMESPACE_POLICY = (
    "apiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingAdmissionPolicy\nmetadata: {name: env-label}\n"
    "spec:\n  matchConstraints:\n    resourceRules:\n"
    "    - {apiGroups: [apps], apiVersions: [v1], operations: [CREATE], resources: [deployments]}\n"
    "  validations:\n"
    "  - expression: \"namespaceObject.metadata.labels['env'] == 'prod' ? object.spec.replicas >= 10 : true\"\n"
    "---\napiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingAdmissionPolicyBinding\n"
    "metadata: {name: env-label}\nspec: {policyName: env-label, validationActions: [Deny]}\n"
)


def test_a_policy_reading_an_unknown_namespace_is_a_note_not_a_guessed_denial(tmp_path):
    # namespaceObject is null here only because no Namespace object gives the namespace: in the
    # cluster it exists, so the failure is said so (a note), as for a namespaceSelector
    pytest.importorskip("cel_expr_python", reason="CEL policies need cel-expr-python (Python 3.11+)")
    (tmp_path / ".git").mkdir()
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "env.yaml").write_text(NAMESPACE_POLICY, encoding="utf-8")
    deployment = (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a, namespace: team-a}\nspec:\n  replicas: 5\n"
        "  selector: {matchLabels: {app: a}}\n  template: {metadata: {labels: {app: a}}, spec: {containers: [{name: c, image: x}]}}\n"
    )
    (tmp_path / "rendered.yaml").write_text(deployment, encoding="utf-8")
    done = cli(
        "check", "--manifests", "rendered.yaml", "--policy", "policies", "--select", "SL901", cwd=tmp_path
    )
    assert done.returncode == 0, done.stdout
    assert 'note SL901' in done.stdout and 'namespace "team-a"' in done.stdout
    # with the Namespace given (env: prod), the policy is evaluated and denies 5 replicas
    (tmp_path / "policies" / "ns.yaml").write_text(
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: team-a, labels: {env: prod}}\n", encoding="utf-8"
    )
    done = cli(
        "check", "--manifests", "rendered.yaml", "--policy", "policies", "--select", "SL901", cwd=tmp_path
    )
    assert done.returncode == 1 and "error SL901" in done.stdout


def test_a_failure_that_does_not_read_the_namespace_is_still_a_failure(tmp_path):
    # final review: a policy that reads namespaceObject somewhere must not turn every failure
    # into the unknown-namespace note — a failing expression that does not read it denies
    pytest.importorskip("cel_expr_python", reason="CEL policies need cel-expr-python (Python 3.11+)")
    (tmp_path / ".git").mkdir()
    (tmp_path / "policies").mkdir()
    both = NAMESPACE_POLICY.replace(
        "  validations:\n",
        "  validations:\n  - expression: object.spec.template.spec.hostNetwork == false\n",
    )
    (tmp_path / "policies" / "env.yaml").write_text(both, encoding="utf-8")
    (tmp_path / "rendered.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a, namespace: team-a}\nspec:\n"
        "  selector: {matchLabels: {app: a}}\n  template: {metadata: {labels: {app: a}}, spec: {containers: [{name: c, image: x}]}}\n",
        encoding="utf-8",
    )
    done = cli(
        "check", "--manifests", "rendered.yaml", "--policy", "policies", "--select", "SL901", cwd=tmp_path
    )
    assert done.returncode == 1 and "error SL901" in done.stdout and "failurePolicy is Fail" in done.stdout


def test_a_field_rendered_as_null_is_defaulted_too():
    # `replicas: {{ .Values.replicas }}` with the value unset renders null; the API server
    # defaults it as if it were left out
    rendered = copy.deepcopy(DEPLOYMENT)
    rendered["spec"]["replicas"] = None
    rendered["spec"]["template"]["spec"]["containers"][0]["resources"] = None
    defaulted = with_defaults(rendered)
    assert defaulted["spec"]["replicas"] == 1
    assert defaulted["spec"]["template"]["spec"]["containers"][0]["resources"] == {}
