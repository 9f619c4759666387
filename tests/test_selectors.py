"""The pod selector index (manifests/selectors.py, SL802) answers as a scan of every pod template
does: the pods a selector matches, the ports they declare and the closest template, on a few
hundred generated objects in three namespaces with shared, distinct, missing and ill-typed labels."""

from __future__ import annotations

import math
import random

import pytest

from starter_lint.manifests.model import ManifestObject
from starter_lint.manifests.selectors import PodSelectorIndex
from starter_lint.manifests.workloads import pod_template

NAMESPACES = ("", "team-a", "team-b")  # "" is the release namespace
LABEL_VALUES = {
    "app": ["shop", "blog", 1, True],
    "tier": ["api", "web", "worker", ["list"]],
    "part-of": ["starter"],
    "zone": ["a", "b", "c", {"not": "text"}],
}


def _deployment(rng: random.Random, i: int) -> ManifestObject:
    labels = {k: rng.choice(v) for k, v in LABEL_VALUES.items() if rng.random() < 0.7}
    labels["id"] = f"d{i % 40}"  # some templates share every label
    ports = [
        {
            "name": rng.choice(["http", "metrics", 8080, None]),
            "containerPort": rng.choice([8080, 9090, "80", 1.0, math.nan, [1]]),
        }
        for _ in range(rng.randint(0, 2))
    ]
    metadata: dict = {"name": f"d{i}"}
    namespace = rng.choice(NAMESPACES)
    if namespace:
        metadata["namespace"] = namespace
    obj = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": metadata,
        "spec": {
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": "c", "ports": ports}]},
            }
        },
    }
    return ManifestObject(obj, "x.yaml", i, 1)


def _selector(rng: random.Random) -> dict:
    selector = {k: rng.choice(v + ["missing"]) for k, v in LABEL_VALUES.items() if rng.random() < 0.5}
    if rng.random() < 0.5:
        selector["id"] = f"d{rng.randrange(50)}"
    return selector or {"app": "shop"}


def _matches(template, selector: dict) -> bool:
    return all(k in template.labels and template.labels[k] == v for k, v in selector.items())


def _hashable(selector: dict) -> bool:
    try:
        hash(frozenset(selector.items()))
    except TypeError:
        return False
    return True


@pytest.mark.parametrize("seed", range(5))
def test_the_index_answers_as_a_scan_of_every_template(seed):
    rng = random.Random(seed)
    templates = [t for t in (pod_template(_deployment(rng, i)) for i in range(300)) if t is not None]
    index = PodSelectorIndex(templates, "default")
    for _ in range(300):
        selector = _selector(rng)
        namespace = rng.choice(NAMESPACES) or "default"
        in_namespace = [t for t in templates if (t.obj.namespace or "default") == namespace]
        selected = index.matching(namespace, selector)
        # a label value that cannot be a key matches no pod (a schema error SL701 reports)
        expected = [t for t in in_namespace if _matches(t, selector)] if _hashable(selector) else []
        assert selected.templates == expected
        declared = [
            (p.get("name"), p.get("containerPort"))
            for t in expected
            for _, c in t.containers()
            for p in c.get("ports", [])
        ]
        assert selected.declared == declared
        for name in ("http", "metrics", "grpc"):
            assert selected.declares_name(name) == any(n == name for n, _ in declared)
        for number in (8080, 9090, 80, 1, 1.0, math.nan):
            assert selected.declares_number(number) == any(v == number for _, v in declared)
        scanned = (
            max(in_namespace, key=lambda t: sum(t.labels.get(k) == v for k, v in selector.items()))
            if in_namespace
            else None
        )
        assert index.closest(namespace, selector) is scanned


def test_a_namespace_without_pods_has_no_closest_template():
    template = pod_template(_deployment(random.Random(1), 0))
    assert template is not None
    index = PodSelectorIndex([template], "default")
    assert index.closest("elsewhere", {"app": "shop"}) is None
    assert index.matching("elsewhere", {"app": "shop"}).templates == []
