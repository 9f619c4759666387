"""A policy never sees a secret, so no expression can print one: the hostile review's reproducers
(a secret reversed, upper-cased, spaced out, cut in chunks, or quoted by CEL's own error about a
key built from it) in every output format, for values policies and admission policies (SL901).
What stays visible: that a secret is set (`has()`, `in`), and every other value."""

from __future__ import annotations

import base64
import json
import shutil
from pathlib import Path

import pytest

pytest.importorskip("cel_expr_python", reason="cel-expr-python has wheels for Python 3.11+ only")

from starter_lint.option_table import FORMATS
from starter_lint.redact import REDACTED, manifest_secret_parts, redacted_copy, secret_parts

from .support import cli, run_in_process

SECRET = "hunter2-very-secret"
TOKEN = "tok-abcdef-123456"
# what a secret must not show as: itself and each transformation the reproducers applied
FORMS = (
    SECRET,
    SECRET[::-1],
    SECRET.upper(),
    " ".join(SECRET),
    SECRET[:5],  # "hunte": the 5-character chunks slipped under the 6-character scrubbing
    SECRET[5:10],
    SECRET[10:],
    TOKEN,
    TOKEN[::-1],
    base64.b64encode(SECRET.encode()).decode(),
    base64.b64encode(SECRET.encode()).decode()[::-1],
)

VALUES = f"""\
api:
  image: "registry.example.org/starter/app-api:1.8.2"
  secrets:
    DB_PASSWORD: "{SECRET}"
  env:
    ENVIRONMENT: production
postgresql:
  auth:
    password: "{TOKEN}"
"""


def values_policy(validations: str) -> str:
    return f"""\
apiVersion: starter-lint.io/v1
kind: ValuesPolicy
metadata: {{name: leak}}
spec:
  id: ACME001
  summary: leak
  validations:
{validations}"""


LEAKS = """\
    - expression: "values[values.api.secrets.DB_PASSWORD.split('').reverse().join('')] == 1"
      message: m
    - expression: "values[values.postgresql.auth.password.upperAscii()] == 1"
      message: m
    - expression: "false"
      messageExpression: "values.api.secrets.DB_PASSWORD.split('').reverse().join('') + ' ' + values.postgresql.auth.password.split('').reverse().join('')"
    - expression: "false"
      messageExpression: "values.api.secrets.DB_PASSWORD.upperAscii()"
    - expression: "false"
      messageExpression: "values.api.secrets.DB_PASSWORD.split('').join(' ')"
    - expression: "false"
      messageExpression: "values.api.secrets.DB_PASSWORD.substring(0, 5) + '|' + values.api.secrets.DB_PASSWORD.substring(5, 10) + '|' + values.api.secrets.DB_PASSWORD.substring(10)"
    - expression: "false"
      messageExpression: "'sees ' + values.api.secrets.DB_PASSWORD"
"""


@pytest.fixture
def repo(tmp_path):
    (tmp_path / ".git").mkdir()
    (tmp_path / "pol").mkdir()
    (tmp_path / "values.yaml").write_text(VALUES)
    return tmp_path


def assert_no_secret(text: str) -> None:
    for form in FORMS:
        assert form not in text, (form, text)


@pytest.mark.parametrize("fmt", FORMATS)
def test_no_transformation_of_a_secret_value_reaches_any_format(repo, fmt):
    (repo / "pol" / "p.yaml").write_text(values_policy(LEAKS))
    code, out, err = run_in_process(
        ["check", "values.yaml", "--policy", "pol", "--select", "ACME001", "--format", fmt], repo
    )
    assert code == 1, err
    assert_no_secret(out + err)
    assert "ACME001" in out


def test_the_policy_sees_redacted_where_the_secret_was(repo):
    (repo / "pol" / "p.yaml").write_text(values_policy(LEAKS))
    _, out, _ = run_in_process(
        ["check", "values.yaml", "--policy", "pol", "--select", "ACME001", "--format", "json"], repo
    )
    messages = [f["message"] for f in json.loads(out)["targets"][0]["findings"]]
    assert any('Key not found in map : ">detcader<"' in m for m in messages)  # CEL quotes the key
    assert f"{REDACTED[::-1]} {REDACTED[::-1]}" in messages
    assert f"sees {REDACTED}" in messages


def test_a_policy_can_test_that_a_secret_is_set_and_read_other_values(repo):
    """Presence is visible, content is not: `size()` is the size of "<redacted>"."""
    (repo / "pol" / "p.yaml").write_text(
        values_policy(
            """\
    - expression: "has(values.api.secrets.DB_PASSWORD) && 'DB_PASSWORD' in values.api.secrets"
      message: presence
    - expression: "!has(values.api.secrets.MISSING)"
      message: absence
    - expression: "values.api.env.ENVIRONMENT == 'production' && values.api.image.endsWith(':1.8.2')"
      message: others
    - expression: "values.api.secrets.DB_PASSWORD == '<redacted>' && size(values.api.secrets.DB_PASSWORD) == 10"
      message: content
"""
        )
    )
    code, out, err = run_in_process(["check", "values.yaml", "--policy", "pol", "--select", "ACME001"], repo)
    assert code == 0 and "ACME001" not in out, out + err


MANIFESTS = f"""\
apiVersion: v1
kind: Secret
metadata: {{name: db, namespace: default}}
type: Opaque
data:
  password: {base64.b64encode(SECRET.encode()).decode()}
stringData:
  token: "{TOKEN}"
---
apiVersion: v1
kind: ConfigMap
metadata: {{name: settings, namespace: default}}
data:
  apiToken: "{TOKEN}"
  copied: "jdbc url with {SECRET} pasted in"
  mode: production
"""

ADMISSION = """\
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: leak}
spec:
  matchConstraints:
    resourceRules:
      - {apiGroups: [""], apiVersions: ["v1"], operations: ["CREATE"], resources: ["secrets", "configmaps"]}
  validations:
    - expression: "false"
      messageExpression: "'data=' + object.data.map(k, object.data[k] + '/' + object.data[k].split('').reverse().join('')).join(',') + (has(object.stringData) ? ' tok=' + object.stringData.token.split('').reverse().join('') : '')"
    - expression: "object.kind != 'ConfigMap' || object.data.mode == 'production'"
      message: the ConfigMap's other values are seen as they are
    - expression: "object.kind != 'Secret' || (has(object.data.password) && has(object.stringData.token))"
      message: a Secret's keys are seen
    - expression: "object[object.kind == 'Secret' ? object.stringData.token.split('').reverse().join('') : 'x'] == 1"
      message: m
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: b}
spec: {policyName: leak, validationActions: [Deny]}
"""


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_admission_policy_sees_no_secret_of_a_rendered_object(tmp_path, fmt):
    (tmp_path / ".git").mkdir()
    (tmp_path / "pol").mkdir()
    (tmp_path / "pol" / "vap.yaml").write_text(ADMISSION)
    (tmp_path / "manifests.yaml").write_text(MANIFESTS)
    code, out, err = run_in_process(
        ["check", "--manifests", "manifests.yaml", "--policy", "pol", "--select", "SL901", "--format", fmt],
        tmp_path,
    )
    assert code == 1, err
    assert_no_secret(out + err)
    if fmt == "json":
        messages = [f["message"] for f in json.loads(out)["targets"][0]["findings"]]
        assert any(m.endswith(f"tok={REDACTED[::-1]}") for m in messages), messages
        # the ConfigMap's credential-named key and the string holding the Secret's text: hidden
        assert any("apiToken" not in m and f"{REDACTED}/{REDACTED[::-1]}" in m for m in messages)
        assert any(f"jdbc url with {REDACTED} pasted in" in m for m in messages), messages
        assert not any("seen" in m for m in messages), messages  # presence and other values hold
        assert any(f'Key not found in map : "{REDACTED[::-1]}"' in m for m in messages), messages


def test_redacted_copy_copies_only_the_way_to_a_secret():
    obj = {
        "kind": "Secret",
        "metadata": {"name": "db", "labels": {"a": "b"}},
        "data": {"password": "cGFzcw==", "user": "dXNlcg=="},
        "spec": [{"x": 1}],
    }
    hidden = redacted_copy(obj, manifest_secret_parts(obj))
    assert hidden["data"] == {"password": REDACTED, "user": REDACTED}
    assert obj["data"]["password"] == "cGFzcw=="  # the object itself is untouched
    assert hidden["metadata"] is obj["metadata"] and hidden["spec"] is obj["spec"]  # shared
    plain = {"kind": "ConfigMap", "data": {"mode": "x"}}
    assert redacted_copy(plain, manifest_secret_parts(plain)) is plain  # nothing secret: no copy
    url = {"db": {"url": "postgres://u:pw-secret-1@db/prod"}, "list": [{"password": 5}]}
    assert redacted_copy(url, secret_parts(url)) == {
        "db": {"url": f"postgres://u:{REDACTED}@db/prod"},
        "list": [{"password": REDACTED}],
    }
    assert redacted_copy({"a": "x pw-secret-1 y"}, [], {"pw-secret-1"}) == {"a": f"x {REDACTED} y"}


REVIEWED = Path(__file__).parent / "data" / "policy_review"


def test_the_request_a_policy_reads_has_the_objects_secrets_hidden_too(tmp_path):
    # final review: a Deployment named after a secret's text; request.name must read as
    # object.metadata.name reads (both hidden), and never print the text
    repo = tmp_path / "repo"
    shutil.copytree(REVIEWED / "request_name", repo)
    (repo / ".git").mkdir()
    done = cli(
        "check", "values.yaml", "--manifests", "m.yaml", "--policy", "pol", "--select", "SL901", cwd=repo
    )
    assert done.returncode == 0, done.stdout
    assert "HUNTER2PW" not in done.stdout.upper()


def test_a_short_secret_hides_no_values_string_that_merely_equals_it(tmp_path):
    # final review: `db.password: test` hid `stage: test` from a values policy, a false finding
    repo = tmp_path / "repo"
    shutil.copytree(REVIEWED / "short_secret", repo)
    (repo / ".git").mkdir()
    done = cli("check", "values.yaml", "--policy", "pol", "--select", "ACME010", cwd=repo)
    assert done.returncode == 0 and "ACME010" not in done.stdout, done.stdout
