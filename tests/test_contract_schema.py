"""The values contract schema: valid draft-07, faithful to the contract, accepted by Helm itself."""

from __future__ import annotations

import json
import shutil

import pytest
import yaml
from jsonschema import Draft7Validator

from starter_lint.checks.values import values_schema
from starter_lint.context import Context
from starter_lint.options import Options
from starter_lint.pipeline import Target, build_context
from starter_lint.resources import schemas_dir
from starter_lint.validate import values_schema as values_contract
from starter_lint.values.layers import get_path

from .support import NEEDS_HELM_SDK, REPO, cli

SCHEMA_PATH = REPO / "schemas" / "values.schema.json"
DEFAULTS = yaml.safe_load((REPO / "schemas" / "contract-defaults.yaml").read_text(encoding="utf-8"))
PROD = yaml.safe_load((REPO / "examples" / "values.prod.yaml").read_text(encoding="utf-8"))

# values Helm must reject with the schema in the chart, and that the linter reports too
BAD_VALUES = [
    ("boolean in quotes", {"ingress": {"enabled": "yes"}}),
    ("store kind", {"externalSecrets": {"secretStoreRef": {"kind": "Vault"}}}),
    ("unknown key", {"ingress": {"tsl": []}}),
    ("env var name", {"api": {"env": {"1BAD": "x"}}}),
    ("quantity", {"api": {"resources": {"requests": {"cpu": "lots"}}}}),
    ("relative path", {"ingressPaths": {"api": "api"}}),
    ("host with scheme", {"ingress": {"hosts": [{"host": "https://app.acme.io"}]}}),
    ("bare host in hosts", {"ingress": {"hosts": ["app.acme.io"]}}),
    ("env value map", {"web": {"env": {"API_BASE_URL": {"url": "x"}}}}),
    ("replicas string", {"autoscaling": {"api": {"minReplicas": "2"}}}),
    ("external secret id", {"externalSecrets": {"api": {"data": {"DATABASE_URL": 5}}}}),
]
GOOD_VALUES = [
    ("example values", PROD),
    ("bare api host", {"ingress": {"apiHosts": ["api.acme.io"], "apiTls": [{"hosts": ["api.acme.io"]}]}}),
    ("env number and boolean (SL604 warns)", {"api": {"env": {"WORKERS": 4, "DEBUG": False}}}),
    ("extended resources", {"api": {"resources": {"limits": {"nvidia.com/gpu": 1, "memory": "1Gi"}}}}),
    ("wildcard host", {"ingress": {"hosts": [{"host": "*.acme.io"}], "tls": [{"hosts": ["*.acme.io"]}]}}),
    ("global", {"global": {"imageRegistry": "registry.acme.io"}}),
]


def _merged(values: dict) -> dict:
    from starter_lint.values.layers import coalesce

    return coalesce(values, DEFAULTS)


def test_schema_is_valid_draft7_and_shipped():
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    assert schema["$schema"] == "http://json-schema.org/draft-07/schema#"
    Draft7Validator.check_schema(schema)
    assert (schemas_dir() / "values.schema.json").read_text(encoding="utf-8") == SCHEMA_PATH.read_text(
        encoding="utf-8"
    )


def test_schema_command_prints_it():
    done = cli("schema")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def _properties(node, path=()):
    """(path, property schema) for every named property reachable from `node`."""
    for key, child in (node.get("properties") or {}).items():
        yield path + (key,), child
        for sub in values_contract.expand(child):
            yield from _properties(sub, path + (key,))


def test_every_contract_key_is_described_with_its_default():
    schema = values_contract.contract_schema()
    seen = {}
    for path, node in _properties(schema):
        assert node.get("description") or values_contract.follow_ref(node).get("description"), (
            f"{path} has no description"
        )
        seen[path] = node

    def leaves(data, path=()):
        yield path
        if isinstance(data, dict):
            for key, value in data.items():
                yield from leaves(value, path + (key,))

    for path in leaves(DEFAULTS):
        if not path or any(isinstance(p, int) for p in path):
            continue
        if (path[:2] == ("ingress", "hosts") or path[:2] == ("ingress", "tls")) and len(path) > 2:
            continue
        assert path in seen, f"contract key {'.'.join(path)} is not in the schema"
        assert seen[path].get("default") == get_path(DEFAULTS, path), f"{'.'.join(path)}: default differs"
    for extra in (
        ("api", "resources"),
        ("web", "resources"),
        ("worker", "resources"),
        ("api", "resources", "requests", "cpu"),
        ("ingress", "apiHosts"),
    ):
        assert extra in seen


def test_closed_and_open_objects():
    schema = values_contract.contract_schema()
    assert schema["additionalProperties"] is False
    verdict = values_contract.key_verdict(
        values_contract.child_nodes(values_contract.root_nodes(), "ingress")
    )
    assert not verdict.open and "tls" in verdict.names
    for path in (
        ("api", "env"),
        ("api", "secrets"),
        ("externalSecrets", "api", "data"),
        ("api", "resources", "requests"),
    ):
        nodes = values_contract.root_nodes()
        for key in path:
            nodes = values_contract.child_nodes(nodes, key)
        assert values_contract.key_verdict(nodes).open, path


@pytest.mark.parametrize("title,values", GOOD_VALUES, ids=[t for t, _ in GOOD_VALUES])
def test_good_values_pass_the_schema(title, values):
    assert list(Draft7Validator(values_contract.contract_schema()).iter_errors(_merged(values))) == []


@pytest.mark.parametrize("title,values", BAD_VALUES, ids=[t for t, _ in BAD_VALUES])
def test_bad_values_fail_the_schema(title, values):
    assert list(Draft7Validator(values_contract.contract_schema()).iter_errors(_merged(values)))


@pytest.fixture(scope="module")
def helm_chart(tmp_path_factory):
    """A chart with the contract as values.yaml and the schema as its values.schema.json."""
    helm_python = pytest.importorskip("helm_python", reason=NEEDS_HELM_SDK)
    chart = tmp_path_factory.mktemp("chart") / "starter"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: starter\nversion: 0.1.0\n", encoding="utf-8")
    shutil.copy(REPO / "schemas" / "contract-defaults.yaml", chart / "values.yaml")
    shutil.copy(SCHEMA_PATH, chart / "values.schema.json")
    (chart / "templates" / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  image: {{ .Values.api.image | quote }}\n",
        encoding="utf-8",
    )
    loaded = helm_python.Chart.load(str(chart))
    yield helm_python, loaded
    loaded.close()


@pytest.mark.parametrize("title,values", GOOD_VALUES, ids=[t for t, _ in GOOD_VALUES])
def test_helm_accepts_good_values(helm_chart, title, values):
    _, chart = helm_chart
    chart.validate_schema(chart.merge_values(values))


@pytest.mark.parametrize("title,values", BAD_VALUES, ids=[t for t, _ in BAD_VALUES])
def test_helm_rejects_bad_values(helm_chart, title, values):
    helm_python, chart = helm_chart
    assert helm_python.errors.HelmValuesError is helm_python.HelmValuesError
    with pytest.raises(helm_python.errors.HelmValuesError):
        chart.validate_schema(chart.merge_values(values))


# ---------------------------------------------------------------------------------------------
# SL100 messages


def _context(tmp_path, text: str, select=None) -> Context:
    path = tmp_path / "values.yaml"
    path.write_text(text, encoding="utf-8")
    options = Options(files=[str(path)], cwd=str(tmp_path), select=select)
    ctx, problems = build_context(Target("t", [str(path)]), options)
    assert not problems
    return ctx


def test_sl100_points_at_the_value_and_names_the_expectation(tmp_path):
    ctx = _context(tmp_path, "autoscaling:\n  enabled: true\n  api:\n    maxReplicas: ten\n", ["SL100"])
    [problem] = list(values_schema(ctx))
    assert problem.path == ("autoscaling", "api", "maxReplicas")
    assert ctx.locate(problem.path).line == 4
    assert problem.message == "autoscaling.api.maxReplicas must be a whole number, not a string"


def test_sl100_leaves_unknown_keys_to_sl101(tmp_path):
    ctx = _context(tmp_path, "ingress:\n  tsl: []\n", ["SL100"])
    assert list(values_schema(ctx)) == []


def test_sl100_never_prints_a_secret(tmp_path):
    secret = "postgres://app:hunter2-pw@db.internal:5432/app"
    text = (
        f"api:\n  env:\n    DB_PASSWORD: [{json.dumps(secret)}]\n"
        f"  secrets:\n    DATABASE_URL: {{url: {json.dumps(secret)}}}\n"
    )
    ctx = _context(tmp_path, text, ["SL100"])
    messages = [p.message for p in values_schema(ctx)]
    assert len(messages) == 2
    assert not any("hunter2" in m for m in messages)
    assert values_contract.shown(("api", "env", "DB_PASSWORD"), "s3cret") == ""
    assert values_contract.shown(("api", "env", "DATABASE_URL"), secret) == ""
    assert values_contract.shown(("api", "env", "ENVIRONMENT"), "production") == ' ("production")'


def test_sl100_defers_to_the_dedicated_rule_only_when_it_runs(tmp_path):
    text = "ingress:\n  hosts:\n    - host: App.Acme.io\n"
    alone = [p.message for p in values_schema(_context(tmp_path, text, ["SL100"]))]
    assert alone == [
        'ingress.hosts[0].host ("App.Acme.io") must be a lower-case DNS host name '
        "without scheme, port or path (`*.` wildcard allowed)"
    ]
    assert list(values_schema(_context(tmp_path, text, ["SL100", "SL306"]))) == []


def test_anyof_is_explained_through_the_fitting_branch(tmp_path):
    ctx = _context(
        tmp_path, "ingress:\n  apiHosts:\n    - 5\n    - {host: 'a b'}\n    - API.acme.io\n", ["SL100"]
    )
    messages = sorted(p.message for p in values_schema(ctx))
    assert messages[0] == "ingress.apiHosts[0] must be a mapping or a string, not a number"
    assert messages[1].startswith('ingress.apiHosts[1].host ("a b") must be a lower-case DNS host name')
    assert messages[2].startswith('ingress.apiHosts[2] ("API.acme.io") must be')


def test_the_example_values_are_clean():
    done = cli("check", "examples/values.prod.yaml", cwd=str(REPO))
    assert done.returncode == 0, done.stdout + done.stderr


def test_env_key_names_are_reported_at_the_key(tmp_path):
    ctx = _context(tmp_path, "api:\n  env:\n    GOOD: x\n    9LIVES: y\n", ["SL100"])
    [problem] = list(values_schema(ctx))
    assert problem.path == ("api", "env", "9LIVES") and ctx.locate(problem.path).line == 4
    assert 'the key "9LIVES" is not a valid environment variable name' in problem.message
    assert list(values_schema(_context(tmp_path, "api:\n  env:\n    9LIVES: y\n", ["SL100", "SL605"]))) == []
