"""More credentials stay hidden (docs/design/secrets.md): a number under a credential name, the
names that end in `Pass`, `erlangCookie`, `connectionString`, `secretKeyBase`, a PEM private key
under any key, and a list or camelCase flow key in a document no parser reads; and a GitLab-style
`password: {secret: <Secret name>, key: …}` keeps the Secret's name readable in findings."""

from __future__ import annotations

import pytest

from starter_lint.redact import _secret_by_path, is_credential_name, secret_parts, values_secrets
from starter_lint.redact_source import _unloaded_lines, redact_line
from starter_lint.textio import split_lines

from .support import cli

MORE_NAMES = [
    "erlangCookie",
    "keystorePass",
    "adminPass",
    "smtpPass",
    "connectionString",
    "secretKeyBase",
    "secret_key_base",
    "passWord",
]
STILL_PLAIN = ["bypass", "passThrough", "cookieName", "connectionTimeout", "keyBase", "passwordLength"]


@pytest.mark.parametrize("name", MORE_NAMES)
def test_more_credential_names(name):
    assert is_credential_name(name)
    assert list(secret_parts({"a": {name: "s3cr3t-value"}})) == [(("a", name), "s3cr3t-value", None)]


@pytest.mark.parametrize("name", STILL_PLAIN)
def test_names_near_them_stay_plain(name):
    assert not is_credential_name(name)


@pytest.mark.parametrize("value", [987654321, 0, 2.5])
def test_a_number_under_a_credential_name_is_secret(value):
    values = {"auth": {"password": value, "replicas": value}}
    assert _secret_by_path(("auth", "password"), value)
    assert list(secret_parts(values)) == [(("auth", "password"), value, None)]


@pytest.mark.parametrize("value", [True, False])
def test_a_bool_under_a_credential_name_never_is(value):
    values = {"auth": {"password": value}}
    assert not _secret_by_path(("auth", "password"), value)
    assert list(secret_parts(values)) == [] and values_secrets(values) == set()


def test_values_output_hides_a_numeric_password_as_written(tmp_path):
    (tmp_path / "v.yaml").write_text(
        "auth:\n  password: 987654321\n  enabled: true\nglobal:\n  PASSWORD: 0x5EC2E7\n  replicas: 3\n"
    )
    done = cli("values", "-f", "v.yaml", "--provenance", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "987654321" not in done.stdout and "6210279" not in done.stdout
    assert "5EC2E7" not in done.stdout
    assert "enabled: true" in done.stdout and "replicas: 3" in done.stdout


PEM = "-----BEGIN RSA PRIVATE KEY-----\nMIIEpSECRETbody\n-----END RSA PRIVATE KEY-----\n"


def test_a_pem_private_key_is_secret_whatever_its_key():
    values = {"tls": {"crt": "-----BEGIN CERTIFICATE-----\nMIIC\n", "material": PEM}}
    assert list(secret_parts(values)) == [(("tls", "material"), PEM, None)]
    assert _secret_by_path(("tls", "material"), PEM)
    assert "MIIEpSECRETbody" in values_secrets(values)


def test_a_secret_beside_key_or_name_is_a_reference():
    """GitLab's `password: {secret: …, key: …}` names a Secret; a lone `secret:` is a credential."""
    values = {
        "psql": {"password": {"secret": "gitlab-postgresql-password", "key": "postgresql-password"}},
        "redis": {"auth": {"secret": "gitlab-redis", "name": "x"}},
        "app": {"secret": "lone-secret-value"},
        "list": {"secret": ["in-a-list"], "key": "k"},
    }
    assert list(secret_parts(values)) == [(("app", "secret"), "lone-secret-value", None)]


def test_a_finding_names_the_referenced_secret(tmp_path):
    (tmp_path / "v.yaml").write_text(
        "global:\n  psql:\n    password:\n      secret: gitlab-postgresql-password\n"
        "      key: postgresql-password\n"
    )
    (tmp_path / "m.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n"
        "      containers:\n      - name: w\n        image: r.example/w:1.0\n        env:\n"
        "        - name: DB_PASS\n          valueFrom:\n"
        "            secretKeyRef: {name: gitlab-postgresql-password, key: postgresql-password}\n"
    )
    done = cli("check", "-f", "v.yaml", "--manifests", "m.yaml", "--select", "SL805", cwd=tmp_path)
    assert "reads Secret gitlab-postgresql-password" in done.stdout, done.stdout + done.stderr
    assert "<redacted>" not in done.stdout


UNREADABLE = {
    "list-at-key-indent": 'auth:\n  password:\n  - "{s}\\/x"\n  - other\n',
    "list-at-top": 'passwords:\n- "{s}\\/x"\n',
    "list-after-anchor": 'auth:\n  password: &pw # c\n  - "{s}\\/x"\n',
    "env-list": 'api:\n  env:\n    X_TOKEN:\n    - "{s}\\/x"\n',
    "flow-camel": 'auth: {{adminPassword: {s}, x: "\\/"}}\n',
    "flow-camel-in-list": 'users:\n- {{name: bob, rootPassword: {s}, x: "\\/"}}\n',
}


@pytest.mark.parametrize("name", sorted(UNREADABLE))
def test_an_unreadable_document_hides_lists_and_camel_case_flow_keys(name):
    secret = "UnreadablePW42value"
    lines = split_lines(UNREADABLE[name].format(s=secret))
    columns = dict(_unloaded_lines(lines, 0, len(lines), True))
    for number, line in enumerate(lines, 1):
        shown, _column = redact_line(line, columns.get(number, ()))
        assert secret not in shown, f"{name}: line {number} {shown!r}"


def test_an_unreadable_document_ends_the_list_where_it_ends():
    """A same-indent list continues a block only after a key with nothing after it."""
    lines = split_lines('auth:\n  password:\n  - "p\\/x"\nlist:\n- plain-item\n')
    columns = dict(_unloaded_lines(lines, 0, len(lines), True))
    assert 3 in columns and 5 not in columns and 4 not in columns


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_an_unreadable_list_never_reaches_check_output(tmp_path, fmt):
    (tmp_path / "v.yaml").write_text('a: 1\n---\nauth:\n  password:\n  - "SeqPW6secret\\/x"\n')
    done = cli(
        "check", "--helm-version", "3", "-f", "v.yaml", "--select", "SL102", "--format", fmt, cwd=tmp_path
    )
    assert "SL102" in done.stdout, done.stdout + done.stderr
    assert "SeqPW6secret" not in done.stdout + done.stderr


@pytest.mark.parametrize("name", ["maxTokens", "max_tokens", "minTokens", "numTokens"])
def test_a_count_of_tokens_is_no_credential(name):
    # an LLM chart's `maxTokens: 4096` is a limit, not a secret; `githubToken` still is one
    assert not is_credential_name(name) and is_credential_name("githubToken")
