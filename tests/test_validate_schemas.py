"""Schema sources: the standalone cache in kubeconform's layout, CRD conversion, --crd, versions."""

from __future__ import annotations

import json
import threading

import pytest
import yaml

from starter_lint.errors import StarterLintError
from starter_lint.validate import crds, schemas, standalone
from starter_lint.validate.kube import BuiltinValidator
from starter_lint.validate.verdicts import INVALID, MISSING, VALID

from .support import DATA, REPO

CRDS = DATA / "crds" / "external-secrets"


def test_kubeconform_file_names():
    assert schemas.kubeconform_name("apps/v1", "Deployment") == "deployment-apps-v1.json"
    assert schemas.kubeconform_name("v1", "ConfigMap") == "configmap-v1.json"
    assert schemas.kubeconform_name("networking.k8s.io/v1", "Ingress") == "ingress-networking-v1.json"
    assert (
        schemas.kubeconform_name("external-secrets.io/v1", "ExternalSecret")
        == "externalsecret-external-secrets-v1.json"
    )


def test_versions_are_normalised_and_checked():
    assert schemas.normalise_version("1.27") == "1.27.0"
    assert schemas.normalise_version("v1.27.3") == "1.27.0"
    with pytest.raises(StarterLintError, match="no bundled schemas"):
        schemas.normalise_version("1.19")
    with pytest.raises(StarterLintError, match=r"MAJOR\.MINOR"):
        schemas.normalise_version("latest")
    with pytest.raises(StarterLintError, match=r"MAJOR\.MINOR"):  # int() refuses 4,300 digits
        schemas.normalise_version("1." + "9" * 5000)


def test_standalone_cache_layout_is_built_once_and_atomically(tmp_path, monkeypatch):
    monkeypatch.setenv("STARTER_LINT_CACHE_DIR", str(tmp_path))
    results, errors = [], []

    def build():
        try:
            results.append(standalone.standalone_dir("1.27.4"))
        except Exception as exc:  # pragma: no cover - the assertion below shows it
            errors.append(exc)

    threads = [threading.Thread(target=build) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors and len(set(results)) == 1
    folder = results[0] / "v1.27.0-standalone-strict"
    assert (folder / ".complete").is_file()
    assert not [p for p in results[0].iterdir() if p.name.startswith(".build")]
    deployment = json.loads((folder / "deployment-apps-v1.json").read_text())
    text = json.dumps(deployment)
    assert "$ref" not in text.replace('"$ref": {"type"', "")  # only JSONSchemaProps' own "$ref" field
    assert deployment["additionalProperties"] is False
    container = deployment["properties"]["spec"]["properties"]["template"]["properties"]["spec"][
        "properties"
    ]["containers"]["items"]
    assert container["additionalProperties"] is False and "image" in container["properties"]
    assert (folder / "configmap-v1.json").is_file() and (
        folder / "horizontalpodautoscaler-autoscaling-v2.json"
    ).is_file()
    mtime = (folder / "configmap-v1.json").stat().st_mtime_ns
    standalone.standalone_dir("1.27")
    assert (folder / "configmap-v1.json").stat().st_mtime_ns == mtime


def test_recursive_crd_definition_is_cut():
    kube = schemas.kube_schemas("1.27")
    crd = schemas.inline_refs(
        kube.schema_for("apiextensions.k8s.io/v1", "CustomResourceDefinition"), kube.definitions
    )
    props = crd["properties"]["spec"]["properties"]["versions"]["items"]["properties"]["schema"][
        "properties"
    ]["openAPIV3Schema"]
    assert props["properties"]["items"] == {} or props["properties"]["not"] == {}


def test_shipped_crd_schemas_are_the_conversion_of_the_real_crds():
    generated = {}
    for path in sorted(CRDS.glob("*.yaml")):
        generated.update(crds.crd_to_schemas(yaml.load(path.read_text(), Loader=yaml.CSafeLoader)))
    shipped = {p.name: json.loads(p.read_text()) for p in (REPO / "schemas" / "crds").glob("*.json")}
    assert set(generated) == {
        "externalsecret-external-secrets-v1.json",
        "secretstore-external-secrets-v1.json",
        "clustersecretstore-external-secrets-v1.json",
    }
    assert shipped == generated


def test_crd_option_converts_yaml_and_takes_json_schemas(tmp_path):
    crd = {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "widgets.example.com"},
        "spec": {
            "group": "example.com",
            "names": {"kind": "Widget", "plural": "widgets"},
            "scope": "Namespaced",
            "versions": [
                {
                    "name": "v1",
                    "served": True,
                    "storage": True,
                    "schema": {
                        "openAPIV3Schema": {
                            "type": "object",
                            "properties": {
                                "spec": {
                                    "type": "object",
                                    "properties": {
                                        "size": {"x-kubernetes-int-or-string": True},
                                        "free": {
                                            "type": "object",
                                            "x-kubernetes-preserve-unknown-fields": True,
                                        },
                                    },
                                }
                            },
                        }
                    },
                }
            ],
        },
    }
    (tmp_path / "crd.yaml").write_text(yaml.safe_dump(crd))
    gadget = {
        "type": "object",
        "properties": {
            "spec": {
                "type": "object",
                "properties": {"n": {"type": "integer"}},
                "additionalProperties": False,
            }
        },
    }
    (tmp_path / "gadget-example-v1.json").write_text(json.dumps(gadget))
    validator = BuiltinValidator("1.27", crds.CrdSchemas([str(tmp_path)]))
    widget = {
        "apiVersion": "example.com/v1",
        "kind": "Widget",
        "metadata": {"name": "w"},
        "spec": {"size": "10Gi", "free": {"anything": 1}},
    }
    assert validator.validate(widget).status == VALID
    widget["spec"]["colour"] = "red"
    assert validator.validate(widget).status == INVALID
    assert (
        validator.validate({"apiVersion": "example.com/v1", "kind": "Gadget", "spec": {"n": "x"}}).status
        == INVALID
    )
    assert validator.validate({"apiVersion": "example.com/v2", "kind": "Widget"}).status == MISSING


def test_bad_crd_option_is_one_clear_error(tmp_path):
    (tmp_path / "x.yaml").write_text("apiVersion: v1\nkind: ConfigMap\n")
    with pytest.raises(StarterLintError, match="no CustomResourceDefinition"):
        crds.CrdSchemas([str(tmp_path / "x.yaml")])
    with pytest.raises(StarterLintError, match="no such file"):
        crds.CrdSchemas([str(tmp_path / "missing.yaml")])
    (tmp_path / "y.yaml").write_text("a: [\n")
    with pytest.raises(StarterLintError, match="not valid YAML"):
        crds.CrdSchemas([str(tmp_path / "y.yaml")])


def test_definitions_are_parsed_when_asked_for_and_a_damaged_cache_is_only_slower(tmp_path, monkeypatch):
    monkeypatch.setenv("STARTER_LINT_CACHE_DIR", str(tmp_path))
    fresh = schemas.KubeSchemas("1.27")  # no cache: from the package, the texts stored
    name = fresh.kinds[("apps/v1", "Deployment")]
    expected = fresh.definitions[name]
    assert fresh.definitions[name] is expected  # parsed once: the validator compiles by identity
    stored = next(tmp_path.rglob("v1.27.0-definition-texts.json"))
    texts = json.loads(stored.read_text())
    assert set(texts) == set(fresh.definitions) and json.loads(texts[name]) == expected
    texts[name] = texts[name][:-7]  # cut short: not JSON
    stored.write_text(json.dumps(texts))
    damaged = schemas.KubeSchemas("1.27")
    assert damaged.definitions[name] == expected
    assert name in damaged.definitions and "no such definition" not in damaged.definitions
    texts[name] = "[]"  # JSON, but no schema
    stored.write_text(json.dumps(texts))
    assert schemas.KubeSchemas("1.27").definitions[name] == expected
    stored.write_text(json.dumps({name: expected}))  # another layout: read from the package again
    assert schemas.KubeSchemas("1.27").definitions[name] == expected
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "a"},
        "spec": {"replicas": "x"},
    }
    verdicts = [BuiltinValidator("1.27").validate(deployment).status for _ in range(2)]
    assert verdicts == [INVALID, INVALID]


def test_the_earlier_definitions_cache_file_is_removed_when_the_texts_are_written(tmp_path, monkeypatch):
    monkeypatch.setenv("STARTER_LINT_CACHE_DIR", str(tmp_path))
    schemas.KubeSchemas("1.27").definitions  # noqa: B018 (writes the cache)
    folder = next(tmp_path.rglob("v1.27.0-definition-texts.json")).parent
    (folder / "v1.27.0-definition-texts.json").unlink()
    old = folder / "v1.27.0-definitions.json"
    old.write_text("{}", encoding="utf-8")
    schemas.KubeSchemas("1.27").definitions  # noqa: B018
    assert not old.exists() and (folder / "v1.27.0-definition-texts.json").exists()


@pytest.mark.parametrize(
    "kinds", [[1], [["v1", "ConfigMap"]], [[["v1"], "ConfigMap", "x"]], {"v1": "ConfigMap"}]
)
def test_a_kinds_cache_of_another_layout_is_rebuilt(tmp_path, monkeypatch, kinds):
    monkeypatch.setenv("STARTER_LINT_CACHE_DIR", str(tmp_path))
    expected = schemas.KubeSchemas("1.27").kinds
    stored = next(tmp_path.rglob("v1.27.0-kinds.json"))
    stored.write_text(json.dumps(kinds), encoding="utf-8")
    assert schemas.KubeSchemas("1.27").kinds == expected


def test_a_definition_missing_from_the_cache_is_read_from_the_package(tmp_path, monkeypatch):
    monkeypatch.setenv("STARTER_LINT_CACHE_DIR", str(tmp_path))
    fresh = schemas.KubeSchemas("1.27")
    name = fresh.kinds[("apps/v1", "Deployment")]
    expected = fresh.definitions[name]
    next(tmp_path.rglob("v1.27.0-definition-texts.json")).write_text("{}", encoding="utf-8")
    assert schemas.KubeSchemas("1.27").schema_for("apps/v1", "Deployment") == expected
