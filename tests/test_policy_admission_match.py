"""Which rendered objects an admission policy applies to, as the API server matches a CREATE.

The expected verdicts follow kubernetes.io/docs/reference/access-authn-authz/validating-admission-policy/
("Matching requests: matchConstraints") and the RuleWithOperations / MatchResources API reference
(kubernetes.io/docs/reference/kubernetes-api/policy-resources/validating-admission-policy-v1/).
"""

from __future__ import annotations

import pytest

from starter_lint.policy.admission_match import (
    NAMESPACE_NAME_LABEL,
    Request,
    Unknown,
    crd_resources,
    guess_resource,
    matches,
    may_select_kind,
    reads_more_than_kind,
    rule_matches,
    selector_matches,
)

DEPLOYMENT = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "api", "namespace": "prod", "labels": {"app": "api", "tier": "backend"}},
}
CLUSTER_ROLE = {
    "apiVersion": "rbac.authorization.k8s.io/v1",
    "kind": "ClusterRole",
    "metadata": {"name": "reader"},
}


def rule(**fields):
    return {
        "apiGroups": ["apps"],
        "apiVersions": ["v1"],
        "operations": ["CREATE"],
        "resources": ["deployments"],
        **fields,
    }


def request(obj=DEPLOYMENT, namespace="default"):
    return Request.of(obj, namespace)


def test_request_of_a_deployment_names_group_version_resource_and_namespace():
    req = request()
    assert (req.group, req.version, req.resource, req.namespace, req.namespaced) == (
        "apps",
        "v1",
        "deployments",
        "prod",
        True,
    )
    cel = req.as_cel()
    assert (
        cel["operation"] == "CREATE"
        and cel["userInfo"]["groups"] == []
        and cel["resource"]["resource"] == "deployments"
    )


def test_an_object_without_namespace_is_in_the_release_namespace_and_a_cluster_scoped_one_in_none():
    assert (
        request({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "a"}}, "staging").namespace
        == "staging"
    )
    assert request(CLUSTER_ROLE, "staging").namespace == ""


@pytest.mark.parametrize(
    "kind,plural",
    [("Widget", "widgets"), ("Policy", "policies"), ("Ingress", "ingresses"), ("Gateway", "gateways")],
)
def test_a_custom_kind_gets_kubectls_plural(kind, plural):
    assert guess_resource(kind) == plural


def test_a_crd_in_the_render_gives_its_plural_and_scope():
    crd = {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "octopi.example.org"},
        "spec": {
            "group": "example.org",
            "scope": "Cluster",
            "names": {"kind": "Octopus", "plural": "octopi"},
        },
    }
    obj = {"apiVersion": "example.org/v1", "kind": "Octopus", "metadata": {"name": "o", "namespace": "x"}}
    req = Request.of(obj, "default", crd_resources([crd]))
    assert (req.resource, req.namespaced, req.namespace) == ("octopi", False, "")
    assert Request.of(obj, "default").resource == "octopuses"  # without it: kubectl's guess


@pytest.mark.parametrize(
    "resources,expected",
    [
        (["deployments"], True),
        (["*"], True),  # every resource, no subresource
        (["*/*"], True),  # every resource and subresource
        (["deployments/scale"], False),  # a subresource only: a CREATE of the object is not one
        (["*/scale"], False),
        (["statefulsets"], False),
    ],
)
def test_resources_star_and_subresources(resources, expected):
    assert rule_matches(rule(resources=resources), request(), exact=True) is expected


@pytest.mark.parametrize(
    "fields,expected",
    [
        ({"operations": ["UPDATE"]}, False),
        ({"operations": ["*"]}, True),
        ({"apiGroups": [""]}, False),
        ({"apiGroups": ["*"]}, True),
        ({"scope": "Cluster"}, False),
        ({"scope": "Namespaced"}, True),
        ({"resourceNames": ["web"]}, False),
        ({"resourceNames": ["api"]}, True),
    ],
)
def test_operations_groups_scope_and_resource_names(fields, expected):
    assert rule_matches(rule(**fields), request(), exact=True) is expected


def test_match_policy_exact_needs_the_version_equivalent_does_not():
    beta = rule(apiVersions=["v1beta2"])
    assert rule_matches(beta, request(), exact=True) is False
    assert rule_matches(beta, request(), exact=False) is True
    assert matches({"resourceRules": [beta]}, request(), {}, True) is True  # Equivalent is the default
    assert matches({"resourceRules": [beta], "matchPolicy": "Exact"}, request(), {}, True) is False


def test_exclude_resource_rules_win_over_resource_rules():
    constraints = {
        "resourceRules": [rule(resources=["*"])],
        "excludeResourceRules": [rule(resourceNames=["api"])],
    }
    assert matches(constraints, request(), {}, True) is False
    other = dict(DEPLOYMENT, metadata={**DEPLOYMENT["metadata"], "name": "web"})
    assert matches(constraints, request(other), {}, True) is True


@pytest.mark.parametrize(
    "selector,expected",
    [
        ({}, True),
        ({"matchLabels": {"app": "api"}}, True),
        ({"matchLabels": {"app": "web"}}, False),
        ({"matchExpressions": [{"key": "tier", "operator": "In", "values": ["backend", "db"]}]}, True),
        ({"matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["backend"]}]}, False),
        ({"matchExpressions": [{"key": "missing", "operator": "NotIn", "values": ["x"]}]}, True),
        ({"matchExpressions": [{"key": "app", "operator": "Exists"}]}, True),
        ({"matchExpressions": [{"key": "app", "operator": "DoesNotExist"}]}, False),
        ({"matchLabels": {"app": "api"}, "matchExpressions": [{"key": "x", "operator": "Exists"}]}, False),
    ],
)
def test_label_selectors(selector, expected):
    assert selector_matches(selector, DEPLOYMENT["metadata"]["labels"]) is expected


def test_object_selector_narrows_a_binding_without_resource_rules():
    assert matches({"objectSelector": {"matchLabels": {"app": "api"}}}, request(), {}, False) is True
    assert matches({"objectSelector": {"matchLabels": {"app": "web"}}}, request(), {}, False) is False


PROD_ONLY = {"resourceRules": [rule()], "namespaceSelector": {"matchLabels": {"environment": "production"}}}


def test_namespace_selector_reads_the_labels_of_a_known_namespace():
    assert matches(PROD_ONLY, request(), {"prod": {"environment": "production"}}, True) is True
    assert matches(PROD_ONLY, request(), {"prod": {"environment": "test"}}, True) is False


def test_an_unknown_namespace_is_said_so_not_guessed():
    with pytest.raises(Unknown) as raised:
        matches(PROD_ONLY, request(), {}, True)
    assert raised.value.namespace == "prod"


def test_the_name_label_of_every_namespace_is_known_without_a_namespace_object():
    # the API server sets kubernetes.io/metadata.name on every namespace
    by_name = {
        "resourceRules": [rule()],
        "namespaceSelector": {"matchLabels": {NAMESPACE_NAME_LABEL: "prod"}},
    }
    assert matches(by_name, request(), {}, True) is True


def test_a_cluster_scoped_object_always_matches_a_namespace_selector():
    constraints = {
        "resourceRules": [
            {"apiGroups": ["*"], "apiVersions": ["*"], "operations": ["*"], "resources": ["*"]}
        ],
        "namespaceSelector": {"matchLabels": {"environment": "production"}},
    }
    assert matches(constraints, request(CLUSTER_ROLE), {}, True) is True


def test_a_namespace_is_matched_by_its_own_labels():
    namespace = {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": "prod", "labels": {"environment": "production"}},
    }
    constraints = {
        "resourceRules": [
            {"apiGroups": [""], "apiVersions": ["v1"], "operations": ["CREATE"], "resources": ["namespaces"]}
        ],
        "namespaceSelector": {"matchLabels": {"environment": "production"}},
    }
    assert matches(constraints, request(namespace), {}, True) is True


def test_a_policy_needs_resource_rules_a_binding_does_not():
    assert matches({}, request(), {}, True) is False
    assert matches({}, request(), {}, False) is True
    assert matches(None, request(), {}, False) is True


def test_the_rules_cache_gives_the_same_verdicts_and_minds_resource_names():
    cache: dict = {}
    by_name = {"resourceRules": [rule(resourceNames=["api"])]}
    other = dict(DEPLOYMENT, metadata={**DEPLOYMENT["metadata"], "name": "web"})
    for _ in range(2):  # the second time from the cache
        assert matches(by_name, request(), {}, True, cache) is True
        assert matches(by_name, request(other), {}, True, cache) is False
        assert matches(PROD_ONLY, request(), {"prod": {"environment": "test"}}, True, cache) is False


def test_may_select_kind_rules_out_only_what_no_name_namespace_or_label_could_select():
    # admission_eval skips a binding for every object of a kind its policy cannot select
    deployment = Request.of(DEPLOYMENT, "default")
    role = Request.of(CLUSTER_ROLE, "default")
    for match in (
        {"resourceRules": [rule()]},
        {"resourceRules": [rule()], "objectSelector": {"matchLabels": {"app": "other"}}},
    ):
        assert may_select_kind(match, deployment) and not may_select_kind(match, role)
    # the whole kind excluded: no object of it is selected
    assert not may_select_kind({"resourceRules": [rule()], "excludeResourceRules": [rule()]}, deployment)
    # names decide: a Deployment named otherwise may be selected (or not excluded)
    assert may_select_kind({"resourceRules": [rule(resourceNames=["web"])]}, deployment)
    assert may_select_kind(
        {"resourceRules": [rule()], "excludeResourceRules": [rule(resourceNames=["api"])]}, deployment
    )


def test_a_match_that_reads_only_the_kind_answers_for_every_object_of_it():
    """admission_eval matches such a binding once per kind of request (_candidates); anything
    that reads a name, labels or a namespace keeps matching object by object."""
    assert not reads_more_than_kind(None)
    assert not reads_more_than_kind({"resourceRules": [rule()], "excludeResourceRules": [rule()]})
    assert not reads_more_than_kind(
        {"resourceRules": [rule()], "objectSelector": {}, "namespaceSelector": {}}
    )
    for match in (
        {"resourceRules": [rule()], "objectSelector": {"matchLabels": {"app": "web"}}},
        {"namespaceSelector": {"matchExpressions": [{"key": "env", "operator": "Exists"}]}},
        {"resourceRules": [rule(resourceNames=["web"])]},
        {"resourceRules": [rule()], "excludeResourceRules": [rule(resourceNames=["api"])]},
    ):
        assert reads_more_than_kind(match)
    # what it reads no more: two objects of the kind with other names, labels and namespaces agree
    kind_only = {"resourceRules": [rule()]}
    other = {**DEPLOYMENT, "metadata": {"name": "x", "namespace": "else", "labels": {"a": "b"}}}
    assert matches(kind_only, Request.of(DEPLOYMENT, "default"), {}, True) is matches(
        kind_only, Request.of(other, "default"), {}, True
    )
