"""Removed and not-yet-served apiVersions, with their replacements (SL703's knowledge)."""

from __future__ import annotations

import pytest

from starter_lint.validate.apis import ApiVersions


@pytest.fixture(scope="module")
def apis():
    return ApiVersions("1.27")


@pytest.mark.parametrize(
    "api_version,kind,replacement,served",
    [
        ("autoscaling/v2beta2", "HorizontalPodAutoscaler", "autoscaling/v2", False),
        ("autoscaling/v2beta1", "HorizontalPodAutoscaler", "autoscaling/v2", False),
        ("policy/v1beta1", "PodDisruptionBudget", "policy/v1", False),
        ("batch/v1beta1", "CronJob", "batch/v1", False),
        ("extensions/v1beta1", "Ingress", "networking.k8s.io/v1", False),
        ("flowcontrol.apiserver.k8s.io/v1beta2", "FlowSchema", "flowcontrol.apiserver.k8s.io/v1", True),
        (
            "flowcontrol.apiserver.k8s.io/v1beta3",
            "PriorityLevelConfiguration",
            "flowcontrol.apiserver.k8s.io/v1",
            True,
        ),
        ("external-secrets.io/v1beta1", "ExternalSecret", "external-secrets.io/v1", False),
        ("external-secrets.io/v1beta1", "ClusterSecretStore", "external-secrets.io/v1", False),
        ("resource.k8s.io/v1alpha2", "ResourceClaim", "resource.k8s.io/v1", True),  # from the bundled schemas
    ],
)
def test_removed(apis, api_version, kind, replacement, served):
    problem = apis.check(api_version, kind)
    assert problem is not None and problem.replacement == replacement
    assert problem.served_at_minimum == served


def test_not_yet_served_at_the_minimum(apis):
    problem = apis.check("flowcontrol.apiserver.k8s.io/v1", "FlowSchema")
    assert "not served by Kubernetes 1.27" in problem.message
    assert problem.replacement == "flowcontrol.apiserver.k8s.io/v1beta3"
    assert ApiVersions("1.29").check("flowcontrol.apiserver.k8s.io/v1", "FlowSchema") is None


@pytest.mark.parametrize(
    "api_version,kind",
    [
        ("apps/v1", "Deployment"),
        ("autoscaling/v2", "HorizontalPodAutoscaler"),
        ("external-secrets.io/v1", "ExternalSecret"),
        ("monitoring.coreos.com/v1", "ServiceMonitor"),
    ],
)
def test_current_or_unknown(apis, api_version, kind):
    assert apis.check(api_version, kind) is None
