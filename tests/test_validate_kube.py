"""The built-in validator reaches kubeconform's verdicts (recorded runs, upstream fixtures) and jsonschema's."""

from __future__ import annotations

import json

import pytest

from starter_lint.manifests import stream
from starter_lint.options import Options
from starter_lint.pipeline import run
from starter_lint.validate.crds import CrdSchemas
from starter_lint.validate.json_schema import SchemaValidator
from starter_lint.validate.kube import BuiltinValidator
from starter_lint.validate.schemas import kube_schemas
from starter_lint.validate.verdicts import INVALID, MISSING, VALID

from .support import DATA, tree_nodes, widget_crd

KC = DATA / "kubeconform"
RECORDED = KC / "recordings" / "standalone-json-summary"
CASES = sorted(KC.glob("cases/*.yaml"))


@pytest.fixture(scope="module")
def validator():
    return BuiltinValidator("1.27")


def _recorded(case):
    report = json.loads((RECORDED / (case.stem + ".json")).read_text())
    return report, int((RECORDED / (case.stem + ".rc")).read_text().strip())


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_same_verdicts_and_errors_as_recorded_kubeconform(case, validator):
    """Every resource kubeconform listed as invalid is invalid here with the same (path, message)
    pairs; the ones it counted valid are valid; its "could not find schema" is a missing schema."""
    report, rc = _recorded(case)
    loaded = stream.load_text(case.read_text(), case.name)
    typed = [o for o in loaded.objects if o.api_version and o.kind]
    verdicts = {(o.kind, o.name, o.api_version): validator.validate(o.obj) for o in typed}
    listed = set()
    for resource in report["resources"]:
        key = (resource["kind"], resource["name"], resource["version"])
        listed.add(key)
        if resource["status"] == "statusInvalid":
            got = verdicts[key]
            assert got.status == INVALID
            assert [(e.pointer, e.message) for e in got.errors] == [
                (e["path"], e["msg"]) for e in resource["validationErrors"]
            ]
        elif "could not find schema" in resource["msg"]:
            assert verdicts[key].status == MISSING
        else:  # a document kubeconform could not read: ours is an SL102/SL103/SL704 finding
            assert loaded.problems or any(not (o.api_version and o.kind) for o in loaded.objects)
    valid = [v for k, v in verdicts.items() if k not in listed]
    assert all(v.status == VALID for v in valid)
    assert len(valid) == report["summary"]["valid"]
    # an input with no objects at all is an error of ours (a gate must not pass on nothing), where
    # kubeconform exits 0: compare the per-resource verdicts only
    per_resource = [(r, p) for r, p in loaded.problems if p.key != "no-objects"]
    failing = (
        any(p.severity is None for _, p in per_resource)
        or any(v.status != VALID for v in verdicts.values())
        or len(typed) < len(loaded.objects)
    )
    assert failing == (rc == 1)
    assert any(p.key == "no-objects" for _, p in loaded.problems) == (not loaded.objects and not per_resource)


# kubeconform v0.7.0's verdict on each of its own fixtures (strict, Kubernetes 1.27, no CRD
# schemas): "pass" = exit 0; "fail" = some resource invalid or in error (missing schema, unreadable).
UPSTREAM = {
    "blank.yaml": "pass",
    "comment.yaml": "pass",
    "list_empty_valid.yaml": "pass",
    "crd_schema.yaml": "fail",  # apiextensions.k8s.io/v1beta1: no schema at 1.27
    "duplicate_property.yaml": "fail",  # yaml: key "containers" already set
    "duplicates-non-namespaced.yaml": "pass",
    "duplicates-skipped-kinds.yaml": "fail",
    "duplicates-with-namespace-default.yaml": "pass",
    "duplicates-with-namespace.yaml": "pass",
    "duplicates.yaml": "pass",
    "extra_property.yaml": "fail",
    "folder": "pass",
    "full_domain_group.yaml": "pass",
    "generate_name.yaml": "pass",
    "grafana-alert-rule-group-sample.yaml": "fail",
    "httpproxy.yaml": "fail",
    "int_or_string.yaml": "pass",
    "invalid.yaml": "fail",
    "list_invalid.yaml": "fail",
    "list_valid.yaml": "pass",
    "missing_apiversion.yaml": "fail",
    "missing_kind.yaml": "fail",
    "missing_kind_value.yaml": "fail",
    "multi_invalid.yaml": "fail",
    "multi_invalid_resources.yaml": "fail",
    "multi_valid.yaml": "pass",
    "multi_valid_source.yaml": "pass",
    "multi_with_list.yaml": "pass",
    "null_array.yaml": "pass",
    "null_string.yaml": "pass",
    "quantity.yaml": "pass",
    "same-kind-different-api.yaml": "fail",  # apps/v1beta1: no schema at 1.27
    "same-object-different-namespace-default.yaml": "pass",
    "same-object-different-namespace.yaml": "pass",
    "test_crd.yaml": "fail",
    "unconventional_keys.yaml": "pass",
    "valid.json": "pass",
    "valid.yaml": "pass",
    "valid_version.yaml": "pass",
}
# where we look further than kubeconform: the same object twice (SL704)
DUPLICATES = {
    "duplicates-non-namespaced.yaml",
    "duplicates.yaml",
    "duplicates-with-namespace.yaml",
    "duplicates-skipped-kinds.yaml",
    "same-kind-different-api.yaml",
}


def test_every_upstream_fixture_has_an_expected_verdict():
    present = {p.name for p in (KC / "upstream-fixtures").iterdir() if p.name != "LICENSE"}
    assert present == set(UPSTREAM)


@pytest.mark.parametrize("name", sorted(UPSTREAM))
def test_upstream_fixture_verdicts(name):
    options = Options(
        manifests=[str(KC / "upstream-fixtures" / name)],
        validator="builtin",
        select=["SL1", "SL7"],
        cwd=str(KC / "upstream-fixtures"),
    )
    report = run(options)
    errors = [f for f in report.active if str(f.severity) == "error"]
    # kubeconform passes an input with no objects; starter-lint fails it on purpose (SL704)
    nothing = [f for f in errors if f.rule == "SL704" and "no Kubernetes objects" in f.message]
    assert bool(nothing) == (name in ("blank.yaml", "comment.yaml", "list_empty_valid.yaml"))
    not_duplicates = [
        f for f in errors if not (f.rule == "SL704" and ("defined twice" in f.message or f in nothing))
    ]
    assert ("fail" if not_duplicates else "pass") == UPSTREAM[name], [f.message for f in errors]
    assert any("defined twice" in f.message for f in errors) == (name in DUPLICATES)


def _objects_of_all_inputs():
    for path in sorted(KC.glob("cases/*.yaml")) + sorted((KC / "upstream-fixtures").rglob("*.y*ml")):
        for obj in stream.load_text(path.read_text(), path.name).objects:
            if obj.api_version and obj.kind:
                yield f"{path.name}:{obj.ref}", obj.obj


def test_same_error_paths_as_jsonschema_on_standalone_schemas(validator):
    """Cross-check of the interpreter: jsonschema on the inlined (standalone) schema agrees."""
    jsonschema = pytest.importorskip("jsonschema")
    from starter_lint.validate.schemas import inline_refs

    schemas = kube_schemas("1.27")
    checked = 0
    for label, obj in _objects_of_all_inputs():
        schema = schemas.schema_for(obj["apiVersion"], obj["kind"])
        if schema is None:
            continue
        standalone = inline_refs(schema, schemas.definitions)
        theirs = sorted(
            "/" + "/".join(map(str, e.absolute_path)) if e.absolute_path else ""
            for e in jsonschema.Draft202012Validator(standalone).iter_errors(obj)
        )
        ours = sorted(e.pointer for e in validator.validate(obj).errors)
        assert ours == theirs, label
        checked += 1
    assert checked > 30


# what a mutation writes in place of a value: every JSON type, nullable fields' null, an unknown key
_MUTATIONS = [None, 1, 1.5, 2.0, True, "x", [], {}, {"unknown": 1}, [1, "a"], [{"name": 3}]]


def test_same_error_paths_as_jsonschema_on_broken_objects(validator):
    """The type tests, objects, arrays and choices the interpreter specializes (a nullable field,
    an IntOrString) against jsonschema, on the inputs' objects with values replaced at random."""
    import copy
    import random

    jsonschema = pytest.importorskip("jsonschema")
    from starter_lint.pointer import build
    from starter_lint.validate.schemas import inline_refs

    schemas = kube_schemas("1.27")
    rng = random.Random(12)
    standalone: dict = {}
    broken = 0
    for label, obj in _objects_of_all_inputs():
        schema = schemas.schema_for(obj["apiVersion"], obj["kind"])
        places = [path for path, _ in tree_nodes(obj) if len(path) >= 2]
        if schema is None or not places:
            continue
        key = (obj["apiVersion"], obj["kind"])
        if key not in standalone:
            standalone[key] = jsonschema.Draft202012Validator(inline_refs(schema, schemas.definitions))
        for _ in range(3):
            mutated = copy.deepcopy(obj)
            for path in rng.sample(places, min(len(places), rng.randint(1, 3))):
                node = mutated
                try:
                    for part in path[:-1]:
                        node = node[part]
                    node[path[-1]] = copy.deepcopy(rng.choice(_MUTATIONS))
                except (KeyError, IndexError, TypeError):  # its parent was replaced already
                    continue
            theirs = sorted(build(*e.absolute_path) for e in standalone[key].iter_errors(mutated))
            ours = sorted(e.pointer for e in validator.validate(mutated).errors)
            assert ours == theirs, label
            broken += bool(theirs)
    assert broken > 50


def test_shipped_crd_schemas_accept_and_reject_like_the_crd():
    validator = BuiltinValidator("1.27", CrdSchemas())
    good = {
        "apiVersion": "external-secrets.io/v1",
        "kind": "ExternalSecret",
        "metadata": {"name": "a"},
        "spec": {
            "secretStoreRef": {"name": "vault", "kind": "ClusterSecretStore"},
            "data": [{"secretKey": "DATABASE_URL", "remoteRef": {"key": "db"}}],
        },
    }
    assert validator.validate(good).status == VALID
    bad = json.loads(json.dumps(good))
    bad["spec"]["secretStoreRef"]["kind"] = "Vault"  # enum SecretStore/ClusterSecretStore
    bad["spec"]["data"][0]["secretKey"] = "not a key!"  # pattern
    bad["spec"]["refreshIntervall"] = "1h"  # unknown field
    messages = {e.pointer: e.message for e in validator.validate(bad).errors}
    assert "one of" in messages["/spec/secretStoreRef/kind"]
    assert (
        "pattern" in messages["/spec/data/0/secretKey"]
        and "not a key" not in messages["/spec/data/0/secretKey"]
    )
    assert "refreshIntervall" in messages["/spec"]
    store = {
        "apiVersion": "external-secrets.io/v1",
        "kind": "ClusterSecretStore",
        "metadata": {"name": "v"},
        "spec": {
            "provider": {
                "vault": {"server": "https://vault", "auth": {"tokenSecretRef": {"name": "t", "key": "k"}}}
            }
        },
    }
    assert validator.validate(store).status == VALID
    assert validator.validate(dict(store, apiVersion="external-secrets.io/v1beta1")).status == MISSING


def test_recursive_references_are_cut_like_standalone_schemas():
    definitions = {
        "Node": {
            "type": "object",
            "properties": {"child": {"$ref": "#/$defs/Node"}, "n": {"type": "integer"}},
            "additionalProperties": False,
        }
    }
    interpreter = SchemaValidator(definitions)
    schema = {"$ref": "#/$defs/Node"}
    assert interpreter.errors(schema, {"n": 1, "child": {"anything": "goes"}}) == []
    [error] = interpreter.errors(schema, {"n": "x"})
    assert (error.pointer, error.message) == ("/n", "got string, want integer")


def test_crd_keywords():
    interpreter = SchemaValidator()
    schema = {
        "type": "object",
        "properties": {
            "s": {"type": "string", "minLength": 2, "maxLength": 3, "pattern": "^a"},
            "n": {"type": "number", "minimum": 1, "maximum": 5, "multipleOf": 0.5},
            "l": {
                "type": "array",
                "minItems": 1,
                "maxItems": 2,
                "uniqueItems": True,
                "items": {"type": "integer"},
            },
            "i": {"oneOf": [{"type": "string"}, {"type": "integer"}]},
            "any": {"anyOf": [{"type": "string"}, {"type": "boolean"}]},
        },
    }
    ok = {"s": "ab", "n": 2.5, "l": [1], "i": 3, "any": True}
    assert interpreter.errors(schema, ok) == []
    bad = {"s": "b", "n": 7.25, "l": [1, 1, 2], "i": 1.5, "any": 3}
    pointers = sorted(e.pointer for e in interpreter.errors(schema, bad))
    assert pointers == ["/any", "/i", "/l", "/l", "/n", "/n", "/s", "/s"]
    assert interpreter.errors({"type": "integer"}, True)[0].message == "got boolean, want integer"
    assert interpreter.errors({"type": "integer"}, 3.0) == []


def test_property_names_as_jsonschema_decides_them():
    """`propertyNames` (the values contract's env names; no Kubernetes schema has it): each key
    is validated as a string, one error at the first bad key; jsonschema agrees on every case."""
    jsonschema = pytest.importorskip("jsonschema")
    schema = {
        "type": "object",
        "propertyNames": {"pattern": "^[a-z]+$", "maxLength": 4},
        "additionalProperties": {"type": "string"},
    }
    interpreter = SchemaValidator()
    # (not `ab\n`: RE2's `$`, as Go's and the API server's, is the text's end; Python's also
    # matches before a final line break, which is why the values contract's pass runs Python's)
    for value in ({}, {"ab": "x"}, {"ab": "x", "Bad": "y"}, {"toolong": "x"}, {"ab": 1}):
        ours = interpreter.errors(schema, value)
        theirs = list(jsonschema.Draft7Validator(schema).iter_errors(value))
        assert bool(ours) == bool(theirs), value
    [error] = interpreter.errors(schema, {"ok": "x", "Bad": "y"})
    assert (error.pointer, error.at, error.message) == ("", "/Bad", "a property name is not valid")
    assert SchemaValidator().errors({"propertyNames": False}, {"a": 1})
    assert SchemaValidator().errors({"propertyNames": False}, {}) == []


@pytest.mark.parametrize(
    "schema, value",
    [
        ({"type": "array", "items": False}, [1]),
        ({"type": "array", "items": False}, []),
        ({"anyOf": [False, {"type": "string"}]}, 1),
        ({"anyOf": [False, {"type": "string"}]}, "x"),
        ({"not": False}, 1),
        ({"properties": {"a": False}}, {"a": 1}),
        ({"properties": {"a": False}}, {"b": 1}),
        ({"additionalProperties": False, "properties": {"a": True}}, {"a": 1, "b": 2}),
    ],
)
def test_boolean_schemas_as_jsonschema_decides_them(schema, value):
    """`false` allows nothing, `true` everything, wherever a schema may stand."""
    jsonschema = pytest.importorskip("jsonschema")
    ours = SchemaValidator().errors(schema, value)
    assert bool(ours) == bool(list(jsonschema.Draft7Validator(schema).iter_errors(value)))


@pytest.mark.parametrize(
    "value, multiple, messages",
    [
        (int("3" * 400), 3, []),  # an integer past what a float holds: exact
        (int("3" * 400) + 1, 3, ["not multipleOf 3"]),
        (10**400, 0.5, []),  # a quotient a float cannot hold: exact fractions, as jsonschema
        (7.5, 2.5, []),
        (7.6, 2.5, ["not multipleOf 2.5"]),
        (float("inf"), 3, ["not multipleOf 3"]),
    ],
)
def test_multiple_of_any_number_a_manifest_holds(value, multiple, messages):
    schema = {"type": "number", "multipleOf": multiple}
    assert [e.message for e in SchemaValidator().errors(schema, value)] == messages


@pytest.mark.parametrize(
    "schema, value, messages",
    [
        ({"oneOf": [{"type": "string"}, {"type": "integer"}]}, "x", []),
        ({"oneOf": [{"type": "string"}, {"type": "integer"}]}, 3, []),
        ({"oneOf": [{"type": "string"}, {"type": "integer"}]}, [], ["oneOf failed, none matched"]),
        (
            {"oneOf": [{"type": "integer"}, {"type": "number"}]},
            3,
            ["valid against schemas at indexes 0 and 1"],
        ),
        ({"anyOf": [{"type": "integer"}, {"type": "number", "description": "a note"}]}, 3, []),
        ({"anyOf": [{"type": ["string", "null"]}, {"type": "boolean", "format": "x"}]}, None, []),
        (
            {"anyOf": [{"type": "string", "minLength": 2}, {"type": "boolean"}]},
            "a",
            ["anyOf failed, none matched"],
        ),
        ({"type": ["object", "null"], "required": ["a"]}, None, []),
        ({"type": ["null", "array"], "minItems": 1}, [], ["minimum 1 items required, but found 0 items"]),
        ({"type": ["boolean", "null"]}, "true", ["got string, want null or boolean"]),
        ({"type": "array"}, {}, ["got object, want array"]),
        ({"type": ["integer", "null"]}, 2.5, ["got number, want null or integer"]),
        ({"type": ["integer", "null"]}, None, []),
    ],
)
def test_type_and_choice_messages(schema, value, messages):
    """The shapes compiled without a call of their type predicate (a nullable field, a branch of a
    choice that only names a type) say what the general path says."""
    assert [e.message for e in SchemaValidator().errors(schema, value)] == messages


def test_sl701_names_the_crd_schema_for_a_custom_kind(tmp_path):
    path = tmp_path / "m.yaml"
    path.write_text(
        "apiVersion: external-secrets.io/v1\nkind: ExternalSecret\nmetadata: {name: x}\n"
        "spec: {refreshInterval: 5}\n---\n"
        "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {ports: [{port: x}]}\n",
        encoding="utf-8",
    )
    report = run(Options(manifests=[str(path)], validator="builtin", select=["SL701"], cwd=str(tmp_path)))
    by_kind = {f.logical.split("/")[0]: f.message for f in report.active}
    assert by_kind["ExternalSecret"].endswith(
        "fix it to match the ExternalSecret schema (external-secrets.io/v1)"
    )
    assert by_kind["Service"].endswith("fix it to match the Kubernetes 1.27 schema")


# a CRD whose spec's properties are each test's (a keyword holding a value of the wrong kind)
_MALFORMED_SCHEMA = "{type: object, properties: {spec: {type: object, properties: %s}}}"


@pytest.mark.parametrize(
    "properties, message",
    [
        (f"{{size: {{type: {kind}}}}}", "the CRD schema of Widget (example.com/v1) cannot be used")
        for kind in ("5", "true", "[null]", "[string, 5]", "[[string]]")
    ]
    + [("[1, 2]", "--crd crd.yaml: its openAPIV3Schema has a keyword holding a value of the wrong kind")],
)
def test_a_crd_schema_with_a_keyword_of_the_wrong_kind_is_one_error_line(tmp_path, properties, message):
    from .support import cli

    (tmp_path / "crd.yaml").write_text(widget_crd(_MALFORMED_SCHEMA % properties), encoding="utf-8")
    (tmp_path / "m.yaml").write_text(
        "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\nspec: {size: 3}\n", encoding="utf-8"
    )
    done = cli("check", "--validator", "builtin", "--crd", "crd.yaml", "--manifests", "m.yaml", cwd=tmp_path)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.startswith(f"starter-lint: error: {message}") and done.stderr.count("\n") == 1


@pytest.mark.parametrize("text", ["", "foo: bar\n", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n"])
def test_missing_kubeconform_asked_for_is_exit_2_whatever_the_input(tmp_path, text):
    from .support import cli

    path = tmp_path / "m.yaml"
    path.write_text(text, encoding="utf-8")
    empty = tmp_path / "bin"
    empty.mkdir()
    result = cli(
        "check",
        "--manifests",
        str(path),
        "--validator",
        "kubeconform",
        cwd=str(tmp_path),
        env={"PATH": str(empty)},
    )
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "kubeconform is not on PATH" in result.stderr and "Traceback" not in result.stderr
