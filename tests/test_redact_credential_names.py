"""A key whose name says it holds a credential makes its string value secret, wherever it is
(docs/design/secrets.md): Bitnami-style `auth.password`, `auth.postgresPassword`,
`global.postgresql.auth.postgresPassword`, MinIO's `accessKey`/`secretKey`, `jwtSecret`, …,
hidden from `values` output, check findings in every format, `--set-file` content and globals
copied down into subcharts; the names that only name or point at a secret stay visible."""

from __future__ import annotations

import json

import pytest

from starter_lint.redact import (
    _secret_by_path,
    is_credential_name,
    is_secret_path,
    manifest_secrets,
    secret_parts,
    values_secrets,
)
from starter_lint.report import FORMATS

from .support import cli

CREDENTIAL_NAMES = [
    "password",
    "postgresPassword",
    "replicationPassword",
    "rootPassword",
    "adminPassword",
    "jwtSecret",
    "clientSecret",
    "client-secret",
    "apiKey",
    "APIKey",
    "api_key",
    "accessKey",
    "secretKey",
    "secretAccessKey",
    "privateKey",
    "signingKey",
    "encryptionKey",
    "masterKey",
    "githubToken",
    "token",
    "credentials",
    "passwd",
    "pwd",
    "passphrase",
    "DB_PASSWORD",
    "password2",
    # plurals: a list of credentials (a map written there names its own parts)
    "apiKeys",
    "accessKeys",
    "privateKeys",
    "signing_keys",
    "clientSecrets",
]
PLAIN_NAMES = [
    "existingSecret",  # the NAME of a Secret
    "existingPasswordSecret",
    "existingSecretPasswordKey",  # a key name inside that Secret
    "adminPasswordKey",
    "usePasswordFiles",
    "passwordSecretName",
    "passwordFile",
    "tokenSecretRef",
    "secretKeyRef",
    "key",
    "rootUser",
    "username",
    "certFilename",
    "publicKey",
    "NEXT_PUBLIC_API_KEY",
    "imagePullSecrets",
    "secretName",
    "accessKeyId",
    "tokenTTL",
    "secretKeys",  # names of the keys in a Secret (`secretKeys.adminPasswordKey`)
    "publicKeys",
    "",
    "123",
]


@pytest.mark.parametrize("name", CREDENTIAL_NAMES)
def test_credential_names(name):
    assert is_credential_name(name)
    assert _secret_by_path(("sub", "auth", name), "s3cret")
    assert [p for p, _v, _s in secret_parts({"sub": {"auth": {name: "s3cret"}}})] == [("sub", "auth", name)]


@pytest.mark.parametrize("name", PLAIN_NAMES)
def test_names_that_only_point_at_a_secret_are_not_secret(name):
    assert not is_credential_name(name)
    assert not is_secret_path(("sub", "auth", name), "my-release-postgresql")
    assert list(secret_parts({"sub": {"auth": {name: "my-release-postgresql"}}})) == []


def test_non_string_keys_are_no_names():
    assert not is_credential_name(0) and not is_credential_name(True) and not is_credential_name(None)


@pytest.mark.parametrize("value", [True, False])
def test_bools_never_become_secret_by_name(value):
    """Numbers do (`password: 987654321`, tests/test_redact_more_credentials.py)."""
    values = {"auth": {"password": value, "usePasswordFiles": value}}
    assert not _secret_by_path(("auth", "password"), value)
    assert list(secret_parts(values)) == []
    assert values_secrets(values) == set()  # so `true` is never scrubbed from a message


def test_a_list_at_a_credential_name_is_secret_a_map_names_its_own_parts():
    values = {
        "auth": {"passwords": ["pw-one", ["pw-two"]], "existingSecret": "pg-auth"},
        "credentials": {"user": "admin-user", "password": "cred-pw", "enabled": True},
        "tokens": [{"name": "ci", "token": "tok-1"}],
    }
    found = {path: value for path, value, _spans in secret_parts(values)}
    assert found == {
        ("auth", "passwords", 0): "pw-one",
        ("auth", "passwords", 1, 0): "pw-two",
        ("credentials", "password"): "cred-pw",
        ("tokens", 0, "token"): "tok-1",
    }
    for path, value in found.items():
        assert _secret_by_path(path, value)  # the two classifiers agree
    assert not _secret_by_path(("credentials", "user"), "admin-user")
    assert not _secret_by_path(("tokens", 0, "name"), "ci")
    assert _secret_by_path(("credentials",), {"user": "x"})  # a map written there is not shown whole
    assert not _secret_by_path(("credentials", "enabled"), True)


def test_manifests_follow_the_name_rule_too():
    config_map = {"kind": "ConfigMap", "data": {"password": "cm-password-1", "host": "db"}}
    assert manifest_secrets(config_map) == {"cm-password-1"}
    deployment = {
        "kind": "Deployment",
        "spec": {
            "automountServiceAccountToken": False,
            "env": [
                {"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}}
            ],
        },
    }
    assert manifest_secrets(deployment) == set()  # a reference to a Secret holds none


def test_a_map_that_points_at_a_credential_keeps_its_secret_names():
    """A `secret:` volume, External Secrets' `clientSecret: {name, key}` selector and
    cert-manager's `privateKey` settings name or describe a credential: their Secret names stay
    readable (a finding that names the Secret a pod reads must not print `<redacted>`)."""
    secret_volume = {"secretName": "starter-api-secrets", "items": [{"key": "DB", "path": "db"}]}
    token = {"serviceAccountToken": {"path": "token", "audience": "vault"}}
    pod = {
        "kind": "Pod",
        "spec": {
            "volumes": [
                {"name": "c", "secret": secret_volume},
                {"name": "p", "projected": {"sources": [token]}},
            ]
        },
    }
    selector = {"clientSecret": {"name": "azure-sp", "key": "client-secret"}}
    store = {"kind": "ClusterSecretStore", "spec": {"provider": {"azurekv": {"authSecretRef": selector}}}}
    certificate = {
        "kind": "Certificate",
        "spec": {"privateKey": {"algorithm": "ECDSA", "rotationPolicy": "Always"}},
    }
    for obj in (pod, store, certificate):
        assert manifest_secrets(obj) == set(), obj["kind"]


def test_set_expression_hides_a_credential_named_value():
    from starter_lint.redact import redact_set_expression

    assert redact_set_expression("postgresql.auth.password=hunter22,replicas=2", ()) == (
        "postgresql.auth.password=<redacted>,replicas=2"
    )
    assert redact_set_expression("auth.existingSecret=pg-auth", ()) == "auth.existingSecret=pg-auth"


# --- through the CLI, over a chart with a Bitnami-style subchart ---------------------------------

PLANTED = {
    "pg-password": "PLANT-pg-auth-password-1",
    "pg-admin": "PLANT-pg-admin-password-2",
    "global-postgres": "PLANT-global-postgres-3",
    "redis-password": "PLANT-redis-password-4",
    "minio-secret": "PLANT-minio-secret-key-5",
    "set-file": "PLANT-from-set-file-6",
    "set": "PLANT-from-set-7",
}
CHART = "apiVersion: v2\nname: {name}\nversion: 0.1.0\n"
SUB_VALUES = """\
auth:
  password: ""
  postgresPassword: ""
  existingSecret: ""
  usePasswordFiles: false
  secretKeys:
    adminPasswordKey: postgres-password
global:
  postgresql:
    auth:
      postgresPassword: ""
"""
VALUES = f"""\
global:
  postgresql:
    auth:
      postgresPassword: {PLANTED["global-postgres"]}
postgresql:
  auth:
    password: "{PLANTED["pg-password"]}"
    adminPassword: {PLANTED["pg-admin"]}
    existingSecret: pg-auth-existing
    usePasswordFiles: true
redis:
  auth:
    password: {PLANTED["redis-password"]}
minio:
  secretKey: '{PLANTED["minio-secret"]}'
  rootUser: minio-admin
"""


@pytest.fixture()
def chart_dir(tmp_path):
    files = {
        "chart/Chart.yaml": CHART.format(name="app")
        + "dependencies:\n  - name: postgresql\n    version: 0.1.0\n",
        "chart/values.yaml": "redis:\n  auth:\n    password: ''\nminio:\n  secretKey: ''\n  rootUser: ''\n",
        "chart/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\ndata:\n  x: '1'\n",
        "chart/charts/postgresql/Chart.yaml": CHART.format(name="postgresql"),
        "chart/charts/postgresql/values.yaml": SUB_VALUES,
        "chart/charts/postgresql/templates/s.yaml": (
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: pg\n"
            "stringData:\n  password: {{ .Values.auth.password | quote }}\n"
        ),
        "values.yaml": VALUES,
        "pw.txt": PLANTED["set-file"],
    }
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return tmp_path


def _assert_clean(text: str, where: str):
    for kind, secret in PLANTED.items():
        assert secret not in text, f"{kind} leaked in {where}"
        assert secret[:12] not in text, f"part of {kind} leaked in {where}"


VALUES_ARGS = (
    "-f",
    "values.yaml",
    "--chart",
    "chart",
    "--set-file",
    "postgresql.auth.postgresPassword=pw.txt",
    "--set",
    f"redis.auth.password={PLANTED['set']}",
)


@pytest.mark.parametrize(
    "extra", [(), ("--format", "json"), ("--provenance",), ("--provenance", "--format", "json")]
)
def test_values_output_hides_credentials_and_keeps_the_rest(chart_dir, extra):
    result = cli("values", *VALUES_ARGS, *extra, cwd=chart_dir)
    assert result.returncode == 0, result.stderr
    _assert_clean(result.stdout + result.stderr, f"values {' '.join(extra)}")
    assert "<redacted>" in result.stdout
    # names of Secrets, key names, bools and user names stay visible
    for shown in ("pg-auth-existing", "postgres-password", "minio-admin"):
        assert shown in result.stdout
    if "--format" in extra and "--provenance" not in extra:
        values = json.loads(result.stdout)
        auth = values["postgresql"]["auth"]
        assert auth["usePasswordFiles"] is True and auth["password"] == "<redacted>"
        assert auth["postgresPassword"] == "<redacted>"  # the --set-file content
        # the global, as the parent sets it and as it is copied down into the subchart
        assert values["global"]["postgresql"]["auth"]["postgresPassword"] == "<redacted>"
        assert values["postgresql"]["global"]["postgresql"]["auth"]["postgresPassword"] == "<redacted>"
        assert values["minio"] == {"secretKey": "<redacted>", "rootUser": "minio-admin"}


def test_show_secrets_still_shows_them(chart_dir):
    result = cli("values", *VALUES_ARGS, "--show-secrets", cwd=chart_dir)
    assert result.returncode == 0, result.stderr
    for kind, secret in PLANTED.items():
        assert (secret in result.stdout) == (kind != "redis-password"), kind  # --set replaces it


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("manifests", [(), ("--manifests", "/dev/null")])
def test_check_findings_hide_credentials_in_every_format(chart_dir, fmt, manifests):
    """SL101 points at `postgresql.auth.adminPassword` (not a key of the subchart): the finding
    names the key, its excerpt shows the line without the password."""
    result = cli(
        "check", *VALUES_ARGS, "--select", "SL101", "--format", fmt, "--no-color", *manifests, cwd=chart_dir
    )
    assert result.returncode == 1, result.stdout + result.stderr
    _assert_clean(result.stdout + result.stderr, f"check --format {fmt}")
    assert "adminPassword" in result.stdout


@pytest.mark.parametrize(
    "document, number, hidden",
    [
        ('kind: ConfigMap\ndata:\n  postgresPassword: "a" x: [\n', 3, (21, 29)),
        ("auth:\n  jwtSecret:\n    abc: [\n", 3, (5, 11)),  # a value folded below the key
        ('auth:\n  existingSecret: "a" x: [\n', 2, None),
    ],
)
def test_a_document_that_does_not_load_hides_credential_names_by_shape(document, number, hidden):
    from starter_lint.redact_source import _unloaded_secret_columns

    assert _unloaded_secret_columns(document.splitlines(), number) == ([hidden] if hidden else [])


def test_name_value_items_of_any_env_list_and_a_list_of_api_keys_are_hidden(tmp_path):
    """`NAME=value` items hide their secret-like values in every list of environment variables
    a chart may call its own (`extraEnv`, `podEnv`, `ENV`), not only `env`; the items of a list
    of credentials (`apiKeys`) are hidden whole."""
    values = {
        "api": {
            "extraEnv": ["DB_PASSWORD=hunter2-secret", "LOG_LEVEL=debug"],
            "ENV": ["API_TOKEN=tok-123456789"],
            "apiKeys": ["sk-live-abcdef123456"],
        }
    }
    found = {path: spans for path, _value, spans in secret_parts(values)}
    assert set(found) == {
        ("api", "extraEnv", 0),
        ("api", "ENV", 0),
        ("api", "apiKeys", 0),
    }
    assert found[("api", "apiKeys", 0)] is None  # whole
    (tmp_path / "v.yaml").write_text(
        "api:\n  extraEnv:\n    - DB_PASSWORD=hunter2-secret\n    - LOG_LEVEL=debug\n"
        "  apiKeys:\n    - sk-live-abcdef123456\n",
        encoding="utf-8",
    )
    shown = cli("values", "-f", "v.yaml", cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert "hunter2-secret" not in shown.stdout and "sk-live-abcdef123456" not in shown.stdout
    assert "LOG_LEVEL=debug" in shown.stdout and "DB_PASSWORD=<redacted>" in shown.stdout


def test_a_value_from_reference_below_a_secret_like_env_key_stays_readable():
    """`DB_PASSWORD: {valueFrom: {secretKeyRef: {name, key}}}` (an env map, as app-template
    charts write it) names where the secret is: the Secret's name and key are no secret, and
    findings that quote them (SL207 comparing Secret names) must show them."""
    values = {
        "sidecar": {
            "extraEnv": {
                "DB_PASSWORD": {"valueFrom": {"secretKeyRef": {"name": "app-secrets-prod", "key": "pw"}}},
                "API_TOKEN": "tok-123456789",
                "SIGNING_KEY": {"valueFrom": "not-a-reference-just-text"},
            }
        }
    }
    found = {path for path, _value, _spans in secret_parts(values)}
    assert found == {
        ("sidecar", "extraEnv", "API_TOKEN"),
        ("sidecar", "extraEnv", "SIGNING_KEY", "valueFrom"),  # a string where the map belongs
    }
    assert (
        _secret_by_path(("sidecar", "extraEnv", "DB_PASSWORD", "valueFrom", "secretKeyRef", "name")) is False
    )
    # a reference inside a secret map is still inside the secret map
    assert _secret_by_path(("api", "secrets", "env", "DB_PASSWORD", "valueFrom", "secretKeyRef", "name"))


@pytest.mark.parametrize("name", ["redis-password", "db.password", "api-key", "x-token", "SMTP-PASSWORD"])
def test_an_env_name_may_use_dashes_and_dots(name):
    """`{name: redis-password, value: …}`: env names written with `-` or `.` (as charts name
    Secret keys) are secret-like as their `_` spelling is."""
    from starter_lint.redact import is_secret_key

    assert is_secret_key(name)
    entry = {"env": [{"name": name, "value": "hunter2-value"}]}
    assert [value for _path, value, _spans in secret_parts(entry)] == ["hunter2-value"]
