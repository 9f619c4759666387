"""The redaction primitives: the one URL-credential parser, secret columns of a values file,
excerpt redaction, finding scrubbing, --set provenance and the SL103/SL104 messages."""

from __future__ import annotations

import json

import pytest

from starter_lint import redact
from starter_lint.findings import Finding, Fix, Location, Severity
from starter_lint.options import Options
from starter_lint.pipeline import Report, TargetResult, run
from starter_lint.redact import (
    REDACTED,
    redact_set_expression,
    redact_values,
    scrub_finding,
    url_credentials,
    url_password,
)
from starter_lint.redact_source import _unloaded_secret_columns, redact_line, secret_columns
from starter_lint.report import text_format
from starter_lint.values.layers import layer_values
from starter_lint.yamlio import load_values

from .support import NEEDS_HELM_SDK


@pytest.mark.parametrize(
    "url, password",
    [
        ("postgres://admin:a@db", "a"),  # the password is also inside the user
        ("redis://pw:pw@r", "pw"),  # user and password are the same text
        ("redis://:secretpw@cache:6379/0", "secretpw"),  # no user
        ("postgres://u:pa/ss@h/db", "pa/ss"),  # `/` in the password
        ("postgres://u:p@ss@h:5432/db", "p@ss"),  # `@` in the password: the last `@` ends it
        ("amqp://u:p?a#ss@mq", "p?a#ss"),  # `?` and `#` in the password
        ("  https://bot:t0ken@hooks.example.org/x  ", "t0ken"),  # surrounding blanks
        ("https://u:ünï€@h", "ünï€"),
    ],
)
def test_url_credentials_finds_the_password(url, password):
    start, end = url_credentials(url)
    assert url[start:end] == password == url_password(url)
    assert redact.redact_url(url) == url[:start] + REDACTED + url[end:]


@pytest.mark.parametrize(
    "text",
    [
        "https://user@host/x",  # no password
        "https://u:@host",  # an empty password
        "http://host:8080/@me",  # a port, then a path with `@`
        "http://[::1]:80/x@y",  # an IPv6 host
        "https://host/a:b@c",  # `:` and `@` in the path
        "mailto:a@b.example",  # no authority
        "user:pw@host",  # no scheme
        "https://app.example.org",
        12345,
        None,
    ],
)
def test_url_credentials_ignores_what_holds_none(text):
    assert url_credentials(text) is None and url_password(text) is None


def test_redact_values_rebuilds_urls_from_the_password_span():
    values = {
        "api": {
            "env": {
                "DATABASE_URL": "postgres://admin:a@db",
                "REDIS_URL": "redis://pw:pw@r",
                "CACHE_URL": "redis://u:pa/ss@c",
                "API_TOKEN": 755123,
                "LOG": "debug",
            },
            "secrets": {"X": "postgres://u:p@h"},
        }
    }
    env = redact_values(values)["api"]["env"]
    assert env["DATABASE_URL"] == "postgres://admin:<redacted>@db"
    assert env["REDIS_URL"] == "redis://pw:<redacted>@r"
    assert env["CACHE_URL"] == "redis://u:<redacted>@c"
    assert env["API_TOKEN"] == REDACTED and env["LOG"] == "debug"
    assert redact_values(values)["api"]["secrets"]["X"] == REDACTED  # a secret path goes whole


VALUES = '''\
api:
  image: registry/app-api:tag
  env:
    API_TOKEN: 0755123
    DATABASE_URL: "postgres://admin:a@db:5432/app"
    CACHE_URL: redis://u:pa/ss@c
    ODD_URL: "postgres://u:p\\u0061ss@h"
    LOG_LEVEL: debug
  secrets:
    KEY: |
      line one
      line two
    INLINE: {A: b}
'''


def test_secret_columns_cover_secret_values_and_url_passwords_only():
    loaded = load_values(VALUES, "v.yaml")
    lines = VALUES.splitlines()
    columns = secret_columns(loaded)

    def shown(line):
        return [lines[line - 1][col - 1 : end - 1] for col, end in columns.get(line, [])]

    assert shown(4) == ["0755123"]
    assert shown(5) == ["a"]  # the password, not the `a` of `admin`
    assert columns[5] == [(lines[4].index(":a@") + 2, lines[4].index(":a@") + 3)]
    assert shown(6) == ["pa/ss"]
    assert shown(7) == ['postgres://u:p\\u0061ss@h']  # written with an escape: the whole scalar
    assert shown(10) == ["|"] and shown(11) == ["      line one"] and shown(12) == ["      line two"]
    assert shown(13) == ["b"]
    assert not {1, 2, 3, 8, 9} & set(columns)  # keys, images, plain values stay


def test_redact_line_moves_the_caret_columns():
    line = '    DATABASE_URL: "postgres://admin:a@db"'
    start = line.index(":a@") + 2
    text, column = redact_line(line, [(start, start + 1)])
    assert text == '    DATABASE_URL: "postgres://admin:<redacted>@db"'
    assert column(5) == 5  # before the secret: unchanged
    assert column(start) == start  # at its start: the start of <redacted>
    assert column(start + 1) == start + len(REDACTED)  # one past it: one past <redacted>
    assert column(len(line) + 1) == len(text) + 1
    text, column = redact_line("name: app-api-token-x", (), ["api-token"])
    assert text == "name: app-<redacted>-x"
    assert column(12, is_end=True) == 11 + len(REDACTED)  # inside the secret, as an end column


def _finding(**changes) -> Finding:
    base = Finding(
        "SL205",
        "secret-in-env",
        Severity.ERROR,
        "leaks hunter2-secret and api",
        Location("values.yaml", 3, 5),
        logical="api.env.hunter2-secret",
        fix=Fix("set it to hunter2-secret", safe=False),
        key="k",
        suppressed="accepted: hunter2-secret",
        notes=("note hunter2-secret",),
    )
    return base.with_(**changes)


def test_scrub_finding_scrubs_the_human_text_and_nothing_else():
    finding = _finding()
    clean = scrub_finding(finding, {"hunter2-secret", "api", "error", "SL205"})
    assert clean.message == "leaks <redacted> and api"  # `api` is shorter than 6: left alone
    assert clean.logical == "api.env.<redacted>"
    assert clean.fix.description == "set it to <redacted>" and clean.fix.safe is False
    assert clean.suppressed == "accepted: <redacted>" and clean.notes == ("note <redacted>",)
    assert (clean.rule, clean.severity, clean.location, clean.key) == (
        finding.rule,
        finding.severity,
        finding.location,
        finding.key,
    )
    assert scrub_finding(finding, {"abc", "error"}) is finding


@pytest.mark.parametrize("where", ["message", "logical", "suppressed", "notes", "fix", "related"])
def test_scrub_finding_finds_a_secret_in_any_one_text(where):
    """The quick look (no secret in message or logical) never skips a text that holds one."""
    plain = _finding(message="m", logical="l", fix=None, suppressed=None, notes=(), related=())
    secret = "hunter2-secret"
    holding = {
        "message": {"message": f"m {secret}"},
        "logical": {"logical": f"l.{secret}"},
        "suppressed": {"suppressed": f"ok {secret}"},
        "notes": {"notes": (f"n {secret}",)},
        "fix": {"fix": Fix(f"set {secret}")},
        "related": {"related": (plain.with_(message=f"r {secret}"),)},
    }[where]
    scrubbed = scrub_finding(plain.with_(**holding), {secret})
    assert secret not in repr(scrubbed) and "<redacted>" in repr(scrubbed)
    assert scrub_finding(plain, {secret}) is plain


def test_scrub_finding_scrubs_raw_text_so_escaping_cannot_hide_a_secret():
    secret = 'pw&<%"ü€-x'
    clean = scrub_finding(_finding(message=f"value {secret} here"), {secret})
    assert clean.message == "value <redacted> here"


def test_set_expressions_are_redacted_once_when_layered(monkeypatch):
    expression = "api.replicas=2,api.secrets.X=hunter2,api.env.DATABASE_URL=postgres://u:pw-1@h/db"
    layered = layer_values(None, [], [(expression, "set"), ("api.env.API_TOKEN=0755", "set-string")])
    monkeypatch.setattr(redact, "values_secrets", lambda *_: pytest.fail("origin() re-walked the layer"))
    shown = layered.origin(("api", "replicas")).describe()
    assert shown == (
        "--set api.replicas=2,api.secrets.X=<redacted>,api.env.DATABASE_URL=postgres://u:<redacted>@h/db"
    )
    assert layered.origin(("api", "env", "API_TOKEN")).text == "--set-string api.env.API_TOKEN=<redacted>"


def test_redact_set_expression_keeps_keys_and_other_values():
    assert redact_set_expression("a.b=api,c=x\\,y", {"api"}) == "a.b=<redacted>,c=x\\,y"
    assert redact_set_expression("web.env.NAME=api,api.env.X=1", set()) == "web.env.NAME=api,api.env.X=1"
    assert redact_set_expression("list={a,b},api.secrets.L={s1,s2}", {"s1", "s2"}) == (
        "list={a,b},api.secrets.L=<redacted>"
    )


@pytest.mark.parametrize(
    "color, output, expected",
    [(True, "report.txt", False), (True, None, True), (False, None, False), (None, "report.txt", False)],
)
def test_colour_never_goes_into_a_file(monkeypatch, color, output, expected):
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert text_format.use_color(Options(color=color, output=output)) is expected


def test_text_excerpts_come_from_the_findings_target_with_secret_columns_hidden():
    text_a = "api:\n  env:\n    JWT_SECRET: api\n"
    text_b = "web:\n  image: registry/app-api:tag\n  other: api-x\n"
    finding_a = Finding(
        "SL205", "secret-in-env", Severity.ERROR, "m", Location("values.yaml", 3, 17, 3, 20), target="a"
    )
    finding_b = Finding("SL601", "image-tag", Severity.ERROR, "m", Location("values.yaml", 2, 10), target="b")
    finding_m = Finding("SL801", "x", Severity.ERROR, "m", Location("out.yaml", 3, 3), target="b")
    target_a = TargetResult("a", [finding_a], [], sources={"values.yaml": text_a}, secrets=frozenset({"api"}))
    target_b = TargetResult(
        "b",
        [finding_b, finding_m],
        [],
        sources={"values.yaml": text_b, "out.yaml": text_b},
        secrets=frozenset({"api"}),
    )
    target_a.secret_columns = {"values.yaml": {3: [(17, 20)]}}
    target_b.secret_columns = {"values.yaml": {}}
    out = text_format.render(Report([target_a, target_b]), {}, Options(color=False))
    assert "    3 |     JWT_SECRET: <redacted>\n      |                 ^~~~~~~~~~\n" in out
    assert "    2 |   image: registry/app-api:tag\n" in out  # a values line with no secret: exact
    assert "    3 |   other: <redacted>-x\n" in out  # a manifest line: every secret string


def _report(tmp_path, text):
    (tmp_path / "values.yaml").write_text(text, encoding="utf-8")
    return run(Options(files=[str(tmp_path / "values.yaml")], cwd=str(tmp_path), select=["SL103", "SL104"]))


def test_sl104_names_a_secret_key_without_its_text(tmp_path):
    report = _report(
        tmp_path, "api:\n  env:\n    API_TOKEN: 0755123\n    SIGNING_KEY: 1234.50\n    MODE: 0755\n"
    )
    messages = {f.logical: f.message for f in report.findings if f.rule == "SL104"}
    for key in ("API_TOKEN", "SIGNING_KEY"):
        message = messages[f"api.env.{key}"]
        assert f"api.env.{key}" in message and "quote it" in message
        for text in ("0755123", str(0o755123), "1234.5"):
            assert text not in message
    assert "`0755` is read as the octal number 493" in messages["api.env.MODE"]  # not a secret


def test_sl103_fingerprint_survives_moved_lines(tmp_path):
    text = "api:\n  replicas: 1\n  replicas: 2\n  replicas: 3\n"
    before = sorted(f.fingerprint for f in _report(tmp_path, text).findings if f.rule == "SL103")
    after = sorted(
        f.fingerprint for f in _report(tmp_path, "# moved\n\n" + text).findings if f.rule == "SL103"
    )
    assert len(before) == 2 and len(set(before)) == 2  # a key written three times: two findings
    assert before == after


def test_lists_and_maps_under_secret_env_keys_stay_hidden(tmp_path):
    from .support import cli

    (tmp_path / "v.yaml").write_text(
        'api:\n  env:\n    STRIPE_SECRET_KEY: ["sk_live_x123"]\n    DB_PASSWORD: {v: "pw123456"}\n'
    )
    outputs = [
        cli("check", "v.yaml", "--format", fmt, cwd=tmp_path).stdout for fmt in ("text", "json", "sarif")
    ]
    outputs += [
        cli("values", "-f", "v.yaml", *extra, cwd=tmp_path).stdout
        for extra in ((), ("--provenance",), ("--format", "json"))
    ]
    for output in outputs:
        assert output and "sk_live_x123" not in output and "pw123456" not in output


def test_review_round_two_leaks_are_closed(tmp_path):
    """A string where the secrets map belongs, a --set syntax error, a short secret's SL104 fix."""
    from .support import cli

    (tmp_path / "s.yaml").write_text(
        'externalSecrets: {enabled: false}\napi: {secrets: "hunter2-supersecret"}\n'
    )
    outputs = [cli("check", "s.yaml", "--format", fmt, cwd=tmp_path) for fmt in ("text", "json", "sarif")]
    outputs.append(cli("values", "-f", "s.yaml", "--provenance", cwd=tmp_path))
    outputs.append(
        cli(
            "check",
            "s.yaml",
            "--set",
            "api.secrets.DATABASE_URL=postgres://u:hunter2pw@h/db,oops",
            cwd=tmp_path,
        )
    )
    (tmp_path / "short.yaml").write_text("api:\n  env:\n    DB_PASSWORD: 017\n")
    outputs.append(cli("check", "short.yaml", "--select", "SL104", "--format", "json", cwd=tmp_path))
    for done in outputs:
        text = done.stdout + done.stderr
        assert "hunter2" not in text
    assert "15" not in json.loads(outputs[-1].stdout)["targets"][0]["findings"][0]["fix"]["description"]


def test_a_render_failure_nothing_would_report_is_exit_2(tmp_path):
    """SL705 not selected: a chart that does not render must not pass silently."""
    pytest.importorskip("helm_python", reason=NEEDS_HELM_SDK)
    from .support import REPO, cli

    (tmp_path / "p.yaml").write_text("autoscaling:\n  api: 3\n")
    done = cli(
        "check", "-f", "p.yaml", "--chart", str(REPO / "examples" / "chart"), "--select", "SL8", cwd=tmp_path
    )
    assert done.returncode == 2 and "could not render" in done.stderr


def test_stdin_manifests_are_read_once_for_every_target(tmp_path):
    from .support import REPO, cli

    for name in ("a.yaml", "b.yaml"):
        (tmp_path / name).write_text((REPO / "examples" / "values.prod.yaml").read_text())
    stream = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata: {a: b}\n"
    done = cli(
        "check",
        "a.yaml",
        "b.yaml",
        "--manifests",
        "-",
        "--select",
        "SL704",
        "--format",
        "json",
        cwd=tmp_path,
        stdin=stream,
    )
    assert done.returncode == 0, done.stdout
    assert [t["objects"] for t in json.loads(done.stdout)["targets"]] == [1, 1]


@pytest.mark.parametrize(
    "name",
    [
        "NEXT_PUBLIC_SENTRY_DSN",
        "RECAPTCHA_SITE_KEY",
        "NEXT_PUBLIC_POSTHOG_KEY",
        "STRIPE_PUBLISHABLE_KEY",
        "JWT_PUBLIC_KEY",
        "VITE_MAPS_KEY",
    ],
)
def test_browser_public_keys_are_not_secrets(name):
    assert not redact.is_secret_key(name)


@pytest.mark.parametrize(
    "name",
    ["STRIPE_SECRET_KEY", "SENTRY_DSN", "RECAPTCHA_SECRET_KEY", "DB_PASSWORD", "GITHUB_TOKEN", "SIGNING_KEY"],
)
def test_secret_keys_stay_secret(name):
    assert redact.is_secret_key(name)


# ---------------------------------------------------------------------------------------------
# Secrets by value and by shape (issue 15)


@pytest.mark.parametrize(
    "text, shown",
    [
        ("jdbc:postgresql://u:pw1@h/db", "jdbc:postgresql://u:<redacted>@h/db"),  # behind a non-scheme prefix
        ("see https://bob:pw2@example.com/x today", "see https://bob:<redacted>@example.com/x today"),
        ("a=redis://:pw3@r b=amqp://u:pw4@mq", "a=redis://:<redacted>@r b=amqp://u:<redacted>@mq"),
        ("http://host:8080/a@b and mailto:x@y", "http://host:8080/a@b and mailto:x@y"),  # a port, no scheme
    ],
)
def test_url_passwords_are_found_anywhere_in_a_string(text, shown):
    assert redact.redact_url(text) == shown


def test_secret_parts_know_env_lists_entries_and_assignments():
    values = {
        "api": {
            "env": [
                "DB_PASSWORD=pw1",
                "DEBUG=1",
                {"name": "API_TOKEN", "value": 42},
                {"name": "HOST", "value": "h"},
            ],
            "extra": [{"name": "SIGNING_KEY", "value": "pw2"}],
        }
    }
    parts = {path: spans for path, _value, spans in redact.secret_parts(values)}
    assert parts == {
        ("api", "env", 0): [(12, 15)],
        ("api", "env", 2, "value"): None,
        ("api", "extra", 0, "value"): None,
    }
    assert redact_values(values)["api"]["env"][:3] == [
        "DB_PASSWORD=<redacted>",
        "DEBUG=1",
        {"name": "API_TOKEN", "value": REDACTED},
    ]


def test_values_hide_every_copy_of_a_secret_and_keep_short_words_inside_others():
    loaded = load_values("common: &pw hunter22\nname: api\napi:\n  secrets:\n    DB: *pw\n    X: api\n")
    shown = redact_values(loaded.data, redact.values_secrets(loaded.data))
    assert shown == {
        "common": REDACTED,
        "name": REDACTED,
        "api": {"secrets": {"DB": REDACTED, "X": REDACTED}},
    }
    assert redact_values({"image": "app-api:1"}, {"api"}) == {
        "image": "app-api:1"
    }  # short: whole values only


def test_an_alias_copied_secret_is_hidden_where_the_anchor_writes_it():
    # APP_DSN is secret as an env key only (its name holds no credential word), so the anchor
    # itself is not secret: only the alias makes it one
    text = 'base: &b\n  APP_DSN: "hu\\x6eter"\n  other: x\napi:\n  env: *b\n'
    loaded = load_values(text)
    assert loaded.origin_span(("api", "env", "APP_DSN")).line == 2
    assert secret_columns(loaded) == {2: [(13, 22)]}  # the escaped source, inside its quotes


def test_set_errors_hide_a_fragment_inside_a_secret_value():
    from starter_lint.values.setargs import SetSyntaxError, apply_set

    with pytest.raises(SetSyntaxError) as raised:
        apply_set({}, "api.env.DB_PASSWORD=a,b[x]=1")
    assert "a,b" not in str(raised.value) and '"<redacted>"' not in str(raised.value)
    assert redact.set_secret_spans("x=1,api.secrets.K=p,q,y=2") == [(18, 21)]


@pytest.mark.parametrize(
    "document, number, hidden",
    [
        ("kind: Secret\nstringData:\n  password: \"a\" x: [\n", 3, (3, 21)),
        ("kind: Secret\ndata:\n  cert: YWJj\n    ZGVm: [\n", 4, (5, 12)),
        ("kind: Secret\nstringData: {password: !!int x}\n", 2, (13, 32)),
        ("kind: ConfigMap\ndata:\n  plain: \"a\" x: [\n", 3, None),  # not a Secret
        ("env:\n  - name: DB_PASSWORD\n    value: \"a\" x: [\n", 3, (12, 20)),
        ("env:\n  - name: HOST\n    value: \"a\" x: [\n", 3, None),
        ("env:\n  - {name: API_TOKEN, value: !!int x}\n", 2, (30, 38)),
        ("kind: Secret\n---\nkind: Pod\ndata:\n  x: [\n", 5, None),  # another document's kind
    ],
)
def test_lines_of_a_document_that_does_not_load_are_hidden_by_their_shape(document, number, hidden):
    lines = document.splitlines()
    assert _unloaded_secret_columns(lines, number) == ([hidden] if hidden else [])


def test_a_secret_data_value_is_hidden_decoded_too():
    """A Secret's `data` is base64: its decoded text is a secret wherever it shows (a ConfigMap
    or a message holding the password in clear), not only its encoding."""
    from starter_lint.redact import manifest_secrets

    secret = {"kind": "Secret", "data": {"password": "aHVudGVyMi12ZXJ5LXNlY3JldA=="}}
    assert manifest_secrets(secret) == {"aHVudGVyMi12ZXJ5LXNlY3JldA==", "hunter2-very-secret"}


@pytest.mark.parametrize(
    "expression, hidden",
    [
        ("extraEnv[0]=DB_PASSWORD=hunter2-value", "hunter2-value"),  # an env list item
        ("apiKeys[0]=sk-live-123456", "sk-live-123456"),  # a list at a credential name
        ("passwords[1]=hunter2-value", "hunter2-value"),
        ("env[0].name=DB_PASSWORD,env[0].value=hunter2-value", "hunter2-value"),  # beside its name
        ("env[0]=DB_PASSWORD=hunter2-value,{", "hunter2-value,{"),  # malformed after it
    ],
)
def test_a_set_expression_hides_what_values_would_hide(expression, hidden):
    """A `--set` expression (an error line quotes it, provenance shows it) is read with the
    same classifier as loaded values, its key as Helm reads it (`[0]` a list item)."""
    assert [expression[a:b] for a, b in redact.set_secret_spans(expression)] == [hidden]
    assert redact.set_secret_spans("env[0].name=LOG_LEVEL,env[0].value=debug") == []


@pytest.mark.parametrize("command", ["values", "check"])
def test_a_set_error_line_never_shows_an_env_secret(tmp_path, command):
    from .support import cli

    done = cli(command, "--set", "extraEnv[0]=DB_PASSWORD=hunter2-value,{", cwd=tmp_path)
    assert done.returncode == 2 and "hunter2" not in done.stderr + done.stdout
