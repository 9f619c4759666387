"""Attacks on secret hiding (issue 15): a secret planted in every shape a stranger's pull request
can give it must reach no output of any format or subcommand, raw or as written (escaped,
folded, base64), and the inputs stay byte for byte as they were.

Every planted secret contains PLNT (or is the base64 of such a text, listed in BASE64), which
no format escapes, so one search finds it in any output.
"""

from __future__ import annotations

import base64
import hashlib
import json
import tempfile
import textwrap
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from starter_lint.report import FORMATS

from .support import run_in_process

BASE64 = [base64.b64encode(text.encode()).decode() for text in ("PLNTm6-base64-one", "PLNTm7-base64-two")]

# Values: an env list (shell and name/value forms), a JDBC URL, a URL inside a sentence, an
# anchor aliased into secrets (plain and escaped), a map merged (`<<`) into env, a map aliased
# as env, a folded secret; `DEBUG: yes` gives `fix --diff` something to change next to them.
VALUES = textwrap.dedent("""\
    externalSecrets:
      enabled: false
    common: &pw PLNT-anchor-1
    escaped: &esc "PLNT\\x2descaped-2"
    base: &envbase
      DB_PASSWORD: PLNT-merged-3
    tokens: &tokens
      API_TOKEN: "PLNT\\x2daliased-map-4"
    api:
      image: "registry.example.org/starter/app-api:1.8.2"
      env:
        - DB_PASSWORD=PLNT-list-5
        - {name: API_TOKEN, value: PLNT-flow-6}
        - name: JDBC_URL
          value: jdbc:postgresql://app:PLNT-jdbc-7@db.internal/app
        - name: NOTE
          value: "reach https://bob:PLNT-sentence-8@example.com/x today"
      secrets:
        DATABASE_URL: *pw
        SESSION_SECRET: *esc
        FOLDED: >
          PLNT-folded-9a
          PLNT-folded-9b
    web:
      env:
        DEBUG: yes
        <<: *envbase
        NEXT_PUBLIC_URL: https://example.com
    worker:
      enabled: true
      image: "registry.example.org/starter/app-api:1.8.2"
      env: *tokens
    """)

# A YAML tag on a secret: the loader cannot decode it, and its error used to quote it.
TAGGED = textwrap.dedent("""\
    api:
      env:
        STRIPE_SECRET_KEY: !!int sk_live_PLNT-tag-10
        DEBUG: yes
    """)

# Manifests: a tag on a Secret's value (a constructor error), syntax errors on secret lines
# (plain, escaped, folded onto the next line, base64 over lines), a duplicate key in a Secret
# (the document loads, the excerpt shows the escaped and the base64 value), an env value with a
# syntax error, a URL password on a broken line.
MANIFESTS = {
    "tagged.yaml": """\
        apiVersion: v1
        kind: Secret
        metadata:
          name: tagged
        stringData:
          password: !!int hunter2PLNTm1
        """,
    "broken.yaml": """\
        apiVersion: v1
        kind: Secret
        metadata:
          name: broken
        stringData:
          password: "PLNTm2" x: [
        """,
    "escaped.yaml": """\
        apiVersion: v1
        kind: Secret
        metadata:
          name: escaped
        stringData:
          password: "PLN\\x54m3" x: [
        """,
    "folded.yaml": """\
        apiVersion: v1
        kind: Secret
        metadata:
          name: folded
        stringData:
          password: PLNTm4a
            PLNTm4b: [
        """,
    "base64-lines.yaml": f"""\
        apiVersion: v1
        kind: Secret
        metadata:
          name: lines
        data:
          cert: {BASE64[0][:8]}
            {BASE64[0][8:]}: [
        """,
    "duplicate.yaml": f"""\
        apiVersion: v1
        kind: Secret
        metadata:
          name: duplicate
        data:
          token: {BASE64[1]}
          token: {BASE64[1]}
        stringData:
          password: "PLN\\x54m5"
          password: "PLN\\x54m5"
        """,
    "env.yaml": """\
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: app
        spec:
          template:
            spec:
              containers:
                - name: app
                  env:
                    - name: DB_PASSWORD
                      value: "PLNTm8" x: [
        """,
    "url.yaml": """\
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: urls
        data:
          url: postgres://app:PLNTm9@db.internal/app x: [
        """,
}


def _tree_hash(root: Path) -> dict:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _assert_hidden(output: str, where: str) -> None:
    assert "PLNT" not in output, f"a planted secret leaked in {where}:\n{output}"
    for encoded in BASE64:
        assert encoded[:8] not in output and encoded[8:] not in output, f"a base64 secret leaked in {where}"


def _attack(directory: Path, text: str, values_code: int) -> dict:
    """Every subcommand and format over one planted values file: {where: stdout + stderr}, each
    checked for the planted secrets, and the file checked unchanged after all of them."""
    (directory / "values.yaml").write_text(text, encoding="utf-8")
    before = _tree_hash(directory)
    runs = [
        (f"check --format {fmt}", ["check", "values.yaml", "--format", fmt, "--no-color"]) for fmt in FORMATS
    ]
    runs += [
        ("values", ["values", "-f", "values.yaml"]),
        ("values --provenance", ["values", "-f", "values.yaml", "--provenance"]),
        ("values --provenance json", ["values", "-f", "values.yaml", "--provenance", "--format", "json"]),
        ("fix --diff", ["fix", "values.yaml", "--diff"]),
        ("baseline", ["baseline", "values.yaml"]),
    ]
    shown = {}
    for where, args in runs:
        code, stdout, stderr = run_in_process(args, directory)
        expected = (
            (values_code,) if where.startswith("values") else (0, 1, 2) if where == "fix --diff" else (0, 1)
        )
        assert code in expected and "internal error" not in stderr, f"{where}: {stderr}"
        _assert_hidden(stdout + stderr, where)
        shown[where] = stdout + stderr
    assert _tree_hash(directory) == before
    return shown


def test_secrets_in_every_values_shape_reach_no_output(tmp_path):
    shown = _attack(tmp_path, VALUES, 0)
    # hidden where written, the rest kept: the URL's host, an env item's name, a public URL
    assert "jdbc:postgresql://app:<redacted>@db.internal/app" in shown["values"]
    assert "DB_PASSWORD=<redacted>" in shown["values"]
    assert "https://bob:<redacted>@example.com/x" in shown["values"]
    assert "NEXT_PUBLIC_URL: https://example.com" in shown["values"]
    assert "common: &pw <redacted>" in shown["check --format text"]  # the anchor's own line
    # rewriting the file would also normalise the escaped secret on line 4 (same value, other
    # text): a patch that applies would have to show that line, so fix refuses the diff
    assert "no --diff: the fix changes line 4, which holds a secret value" in shown["fix --diff"]


def test_a_tagged_secret_is_named_by_its_key_not_its_value(tmp_path):
    shown = _attack(tmp_path, TAGGED, 2)
    assert (
        "cannot decode a !!str as a !!int (the value of `api.env.STRIPE_SECRET_KEY`)"
        in shown["check --format text"]
    )
    assert "values.yaml:3:24:" in shown["values"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_manifest_secrets_in_broken_and_escaped_documents_reach_no_output(tmp_path, fmt):
    folder = tmp_path / "rendered"
    folder.mkdir()
    for name, text in MANIFESTS.items():
        (folder / name).write_text(textwrap.dedent(text), encoding="utf-8")
    before = _tree_hash(tmp_path)
    code, stdout, stderr = run_in_process(
        ["check", "--manifests", "rendered", "--format", fmt, "--no-color"], tmp_path
    )
    assert code == 1, stderr
    assert "internal error" not in stderr
    _assert_hidden(stdout + stderr, f"check --manifests --format {fmt}")
    assert _tree_hash(tmp_path) == before
    if fmt == "text":
        # every broken document is reported, at its line, its secret hidden
        for name, line in (
            ("tagged", 6),
            ("broken", 6),
            ("escaped", 6),
            ("folded", 7),
            ("base64-lines", 7),
            ("env", 12),
            ("url", 6),
        ):
            assert f"rendered/{name}.yaml:{line}:" in stdout, name
        assert "the value cannot be read as its tag !!int says" in stdout
        assert "url: postgres://app:<redacted>@db.internal/app x: [" in stdout
        assert "    7 |   token: <redacted>" in stdout  # a located base64 value
        assert '   10 |   password: "<redacted>"' in stdout  # a located escaped value


@pytest.mark.parametrize("command", ["values", "check"])
def test_a_set_error_never_quotes_the_rest_of_a_password(tmp_path, command):
    args = [command, "--set", "api.secrets.DB_PASSWORD=p@ssPLNT,PLNTSECRET"]
    code, stdout, stderr = run_in_process(args, tmp_path)
    assert code == 2
    _assert_hidden(stdout + stderr, f"{command} --set")
    assert 'key "<redacted>" has no value' in stderr
    # a fragment no secret covers is still quoted, so the error says what is wrong
    code, _stdout, stderr = run_in_process([command, "--set", "api.replicas=2,oops"], tmp_path)
    assert code == 2 and 'key "oops" has no value' in stderr


# ---------------------------------------------------------------------------------------------
# Property: a random secret in a random shape, with random noise around it

secret_text = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.~+/=", min_size=4, max_size=20
).map(lambda s: "PLNT" + s)
secret_key = st.sampled_from(
    ["DB_PASSWORD", "API_TOKEN", "STRIPE_SECRET_KEY", "SIGNING_KEY", "OAUTH_CLIENT_SECRET"]
)


def _escaped(secret: str) -> str:
    """A double-quoted YAML scalar spelling every other character as \\xNN."""
    return '"' + "".join(f"\\x{ord(c):02x}" if i % 2 else c for i, c in enumerate(secret)) + '"'


SHAPES = {
    "env-map": lambda key, s: f"api:\n  env:\n    {key}: {_escaped(s)}\n",
    "env-list": lambda key, s: f"api:\n  env:\n    - {key}={s}\n",
    "env-flow": lambda key, s: f"api:\n  env:\n    - {{name: {key}, value: {_escaped(s)}}}\n",
    "jdbc": lambda key, s: f"api:\n  env:\n    - name: URL\n      value: jdbc:mysql://u:{s}@h:3306/db\n",
    "sentence": lambda key, s: f"api:\n  env:\n    NOTE: \"see amqp://u:{s}@mq/x here\"\n",
    "anchor": lambda key, s: f"x: &a {_escaped(s)}\napi:\n  secrets:\n    {key}: *a\n",
    "merge": lambda key, s: f"b: &b\n  {key}: {_escaped(s)}\napi:\n  env:\n    <<: *b\n",
    "alias-map": lambda key, s: f"b: &b\n  {key}: >-\n    {s}\n    {s}\napi:\n  env: *b\n",
    "tag": lambda key, s: f"api:\n  env:\n    {key}: !!float {s}\n",
}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    shape=st.sampled_from(sorted(SHAPES)),
    key=secret_key,
    secret=secret_text,
    noise=st.lists(
        st.sampled_from(
            ["web:\n  env:\n    DEBUG: yes\n", "worker:\n  enabled: true\n", "ingress:\n  enabled: false\n"]
        ),
        max_size=2,
        unique=True,
    ),
)
def test_planted_secrets_in_any_shape_reach_no_output(shape, key, secret, noise):
    with tempfile.TemporaryDirectory() as tmp:
        text = SHAPES[shape](key, secret) + "".join(noise)
        Path(tmp, "values.yaml").write_text(text, encoding="utf-8")
        before = _tree_hash(Path(tmp))
        for fmt in FORMATS:
            code, out, err = run_in_process(["check", "values.yaml", "--format", fmt, "--no-color"], tmp)
            assert code in (0, 1), err
            _assert_hidden(out + err, f"{shape} {fmt}")
        for args in (["values", "-f", "values.yaml", "--provenance"], ["fix", "values.yaml", "--diff"]):
            code, out, err = run_in_process(args, tmp)
            assert code in (0, 1, 2) and "internal error" not in err, err
            _assert_hidden(out + err, f"{shape} {' '.join(args)}")
        assert _tree_hash(Path(tmp)) == before
        json.loads(run_in_process(["check", "values.yaml", "--format", "json"], tmp)[1])


def test_a_template_that_prints_a_secret_in_its_error_prints_it_hidden(tmp_path):
    """A chart (a stranger's pull request changes templates too) fails with a secret's value."""
    import os
    import shutil

    from .support import REPO, cli

    chart = tmp_path / "chart"
    shutil.copytree(REPO / "examples" / "chart", chart)
    (chart / "templates" / "leak.yaml").write_text(
        '{{ fail (printf "got %s and %s" .Values.api.secrets.DATABASE_URL .Values.common) }}\n'
    )
    values = (REPO / "examples" / "values.prod.yaml").read_text(encoding="utf-8")
    (tmp_path / "values.yaml").write_text(
        values + "common: &pw PLNT-template-11\nworker:\n  secrets:\n    DATABASE_URL: *pw\n",
        encoding="utf-8",
    )
    env = {
        "PATH": os.pathsep.join(
            p for p in os.environ.get("PATH", "").split(os.pathsep) if not (Path(p) / "helm").exists()
        )
    }
    done = cli("check", "--chart", "chart", "-f", "values.yaml", cwd=tmp_path, env=env)
    assert done.returncode == 2 and "got " in done.stderr, done.stdout + done.stderr
    _assert_hidden(done.stdout + done.stderr, "a render failure")


TAGS = [
    "!!int",
    "!!float",
    "!!bool",
    "!!null",
    "!!timestamp",
    "!!binary",
    "!!str",
    "!!map",
    "!!seq",
    "!!set",
    "!!omap",
    "!!merge",
    "!custom",
    "!",
    "!!python/name:os.system",
]


@settings(max_examples=60, deadline=None)
@given(tag=st.sampled_from(TAGS), secret=secret_text, quoted=st.booleans(), key=secret_key)
def test_no_loader_error_quotes_the_scalar_it_refuses(tag, secret, quoted, key):
    """Both loaders build their errors without the scalar's text, whatever the tag does to it."""
    from starter_lint.manifests.stream import load_text
    from starter_lint.yamlio import YamlLoadError, load_values

    scalar = f'{tag} "{secret}"' if quoted else f"{tag} {secret}"
    try:
        load_values(f"api:\n  env:\n    {key}: {scalar}\n", "values.yaml")
    except YamlLoadError as exc:
        assert "PLNT" not in exc.message
    manifests = load_text(
        f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\nstringData:\n  {key}: {scalar}\n", "m.yaml"
    )
    for _rule, problem in manifests.problems:
        assert "PLNT" not in problem.message
