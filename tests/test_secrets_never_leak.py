"""Secret values never reach any output (docs/design/secrets.md): planted secrets in every place a values file
can hold one, run through the CLI in every output format and through `values`."""

from __future__ import annotations

import json
import textwrap

import pytest

from starter_lint.options import Options
from starter_lint.pipeline import run
from starter_lint.report import FORMATS

from .support import NEEDS_HELM_SDK, REPO, cli

PLANTED = {
    "static-secret": "SEKRET-PLANT-1-static-db",
    "static-secret-quote": 'SEKRET-PLANT-2-with"quote',
    "web-secret": "SEKRET-PLANT-3-nextauth",
    "worker-secret": "SEKRET-PLANT-4-worker",
    "env-password": "SEKRET-PLANT-5-dbpass",
    "env-token": "SEKRET-PLANT-6-token",
    "env-stripe": "SEKRET-PLANT-7-stripe",
    "url-password": "SEKRET-PLANT-8-pgpw",
    "redis-password": "SEKRET-PLANT-9-redispw",
    "numeric-password": "987654321",
    "set-secret": "SEKRET-PLANT-10-from-set",
}

VALUES = textwrap.dedent(f"""\
    externalSecrets:
      enabled: false
    api:
      image: "registry.example.org/starter/app-api:1.8.2"
      env:
        DB_PASSWORD: "{PLANTED['env-password']}"
        API_TOKEN: "{PLANTED['env-token']}"
        STRIPE_SECRET_KEY: "{PLANTED['env-stripe']}"
        DATABASE_URL: "postgres://app:{PLANTED['url-password']}@db.internal:5432/app"
        REDIS_URL: "redis://:{PLANTED['redis-password']}@cache.internal:6379/0"
        ADMIN_PASSWORD: {PLANTED['numeric-password']}
      secrets:
        DATABASE_URL: "{PLANTED['static-secret']}"
        SESSION_SECRET: '{PLANTED['static-secret-quote']}'
    web:
      secrets:
        NEXTAUTH_SECRET: "{PLANTED['web-secret']}"
    worker:
      enabled: true
      image: "registry.example.org/starter/app-api:1.8.2"
      secrets:
        DATABASE_URL: "{PLANTED['worker-secret']}"
    """)
SET = f"worker.secrets.REDIS_URL={PLANTED['set-secret']}"


@pytest.fixture()
def planted(tmp_path):
    (tmp_path / "values.yaml").write_text(VALUES, encoding="utf-8")
    return tmp_path


def _assert_clean(text: str, where: str):
    for kind, secret in PLANTED.items():
        assert secret not in text, f"{kind} secret leaked in {where}"
        assert json.dumps(secret)[1:-1] not in text, f"{kind} secret leaked (JSON-escaped) in {where}"


def test_checks_never_put_a_secret_in_a_finding(planted):
    """Not only the output scrubber: the messages and fixes themselves hold no secret."""
    report = run(Options(files=[str(planted / "values.yaml")], set=[(SET, "set")], cwd=str(planted)))
    rules = {f.rule for f in report.active}
    assert {"SL205", "SL206", "SL604"} <= rules
    for finding in report.findings:
        _assert_clean(finding.message, f"{finding.rule} message")
        if finding.fix is not None:
            _assert_clean(f"{finding.fix.description} {finding.fix.value!r}", f"{finding.rule} fix")


def test_text_and_json_reports_hold_no_secret_but_report_the_findings(planted):
    text = cli("check", "-f", "values.yaml", "--set", SET, "--no-color", cwd=planted)
    assert text.returncode == 1, text.stderr
    _assert_clean(text.stdout + text.stderr, "text output")
    for key in (
        "api.env.DB_PASSWORD",
        "api.env.API_TOKEN",
        "api.env.STRIPE_SECRET_KEY",
        "api.env.DATABASE_URL",
        "api.env.REDIS_URL",
        "api.secrets.DATABASE_URL",
        "web.secrets.NEXTAUTH_SECRET",
        "worker.secrets.DATABASE_URL",
    ):
        assert key in text.stdout, f"no finding names {key}"

    result = cli("check", "-f", "values.yaml", "--set", SET, "--format", "json", cwd=planted)
    assert result.returncode == 1, result.stderr
    _assert_clean(result.stdout + result.stderr, "json output")
    document = json.loads(result.stdout)
    findings = [f for t in document["targets"] for f in t["findings"]]
    by_rule = {}
    for finding in findings:
        by_rule.setdefault(finding["rule"], []).append(finding["message"])
    assert len(by_rule["SL205"]) == 6  # five secret-like names / URLs with credentials + ADMIN_PASSWORD
    assert len(by_rule["SL206"]) == 4  # file literals only: the --set value is not in a file


@pytest.mark.parametrize("fmt", [f for f in FORMATS if f not in ("text", "json")])
def test_other_formats_hold_no_secret(planted, fmt):
    result = cli("check", "-f", "values.yaml", "--set", SET, "--format", fmt, cwd=planted)
    assert result.returncode == 1, result.stderr
    _assert_clean(result.stdout + result.stderr, f"{fmt} output")
    assert "SL205" in result.stdout and "SL206" in result.stdout


@pytest.mark.parametrize(
    "extra", [(), ("--format", "json"), ("--provenance",), ("--provenance", "--format", "json")]
)
def test_values_command_redacts_without_show_secrets(planted, extra):
    result = cli("values", "-f", "values.yaml", "--set", SET, *extra, cwd=planted)
    assert result.returncode == 0, result.stderr
    _assert_clean(result.stdout + result.stderr, f"values {' '.join(extra)}")
    assert "<redacted>" in result.stdout
    assert "db.internal" in result.stdout  # a URL keeps its host, only the password goes


def test_show_secrets_is_the_only_way_to_see_them(planted):
    result = cli("values", "-f", "values.yaml", "--show-secrets", cwd=planted)
    assert result.returncode == 0, result.stderr
    assert PLANTED["static-secret"] in result.stdout


# Secrets that defeated a text search of the serialized output or a regex URL parser: written
# as octal- or version-looking numbers, passwords equal to or inside the user name, passwords
# with `/` and `@`, and characters every format escapes (`&` `<` `"` in XML, `%` in workflow
# commands, non-ASCII). Each string secret starts with PLNT, which no escaping changes.
TRICKY = textwrap.dedent("""\
    externalSecrets:
      enabled: false
    api:
      image: "registry.example.org/starter/app-api:1.8.2"
      env:
        API_TOKEN: 0755123
        SIGNING_KEY: 1234.50
        DATABASE_URL: "postgres://admin:a@db.internal:5432/app"
        REDIS_URL: "redis://pw:pw@r.internal:6379/0"
        CACHE_URL: "redis://app:PLNTslash/pw-9@cache.internal:6379/1"
        QUEUE_URL: "amqp://app:PLNTat@pw-8@mq.internal:5672"
      secrets:
        SESSION_SECRET: 'PLNTxml&amp;<b>"q"-7'
    web:
      secrets:
        NEXTAUTH_SECRET: "PLNTpct%25%0A-6"
    worker:
      enabled: true
      image: "registry.example.org/starter/app-api:1.8.2"
      secrets:
        DATABASE_URL: "PLNTüñï€-5"
    """)
# how the numbers are written, and what YAML reads them as
TRICKY_NUMBERS = ("0755123", str(0o755123), "1234.50", "1234.5")
TRICKY_SET = "api.secrets.EXTRA=PLNTset&<%-4"


@pytest.fixture()
def tricky(tmp_path):
    (tmp_path / "values.yaml").write_text(TRICKY, encoding="utf-8")
    return tmp_path


def _assert_no_tricky_secret(text: str, where: str):
    assert "PLNT" not in text, f"a planted secret leaked in {where}"
    for number in TRICKY_NUMBERS:
        assert number not in text, f"the numeric secret {number} leaked in {where}"


@pytest.mark.parametrize("fmt", FORMATS)
def test_escaped_numeric_and_url_secrets_reach_no_format(tricky, fmt):
    result = cli("check", "-f", "values.yaml", "--set", TRICKY_SET, "--format", fmt, cwd=tricky)
    assert result.returncode == 1, result.stderr
    _assert_no_tricky_secret(result.stdout + result.stderr, f"{fmt} output")
    for key in ("api.env.API_TOKEN", "api.env.SIGNING_KEY", "api.env.CACHE_URL", "api.env.QUEUE_URL"):
        assert key in result.stdout, f"no {fmt} finding names {key}"


def test_passwords_with_slash_and_at_are_reported_by_sl205(tricky):
    result = cli("check", "-f", "values.yaml", "--format", "json", "--select", "SL205,SL104", cwd=tricky)
    document = json.loads(result.stdout)
    found = {(f["rule"], f["logical"]) for t in document["targets"] for f in t["findings"]}
    for key in ("API_TOKEN", "SIGNING_KEY", "DATABASE_URL", "REDIS_URL", "CACHE_URL", "QUEUE_URL"):
        assert ("SL205", f"api.env.{key}") in found
    assert {("SL104", "api.env.API_TOKEN"), ("SL104", "api.env.SIGNING_KEY")} <= found


@pytest.mark.parametrize(
    "extra", [(), ("--format", "json"), ("--provenance",), ("--provenance", "--format", "json")]
)
def test_values_command_hides_only_the_password(tricky, extra):
    result = cli("values", "-f", "values.yaml", "--set", TRICKY_SET, *extra, cwd=tricky)
    assert result.returncode == 0, result.stderr
    _assert_no_tricky_secret(result.stdout + result.stderr, f"values {' '.join(extra)}")
    # the password is replaced where it is, not where its text first occurs
    assert "postgres://admin:<redacted>@db.internal:5432/app" in result.stdout
    assert "redis://pw:<redacted>@r.internal:6379/0" in result.stdout
    assert "redis://app:<redacted>@cache.internal:6379/1" in result.stdout
    assert "amqp://app:<redacted>@mq.internal:5672" in result.stdout
    if "--provenance" in extra:
        assert "api.secrets.EXTRA=<redacted>" in result.stdout


SHORT = textwrap.dedent("""\
    externalSecrets:
      enabled: false
    api:
      env:
        JWT_SECRET: "api"
    """)


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_short_secret_does_not_rewrite_the_rest_of_the_output(tmp_path, fmt):
    """A 3-letter secret is hidden where it is written, but `api` and `error` elsewhere stay."""
    (tmp_path / "values.yaml").write_text(SHORT, encoding="utf-8")
    result = cli("check", "-f", "values.yaml", "--format", fmt, "--no-color", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    out = result.stdout
    assert "registry/app-api:tag" in out  # SL105: api.image is the placeholder
    assert "api.env.JWT_SECRET" in out and "<redacted>-" not in out and "app-<redacted>" not in out
    if fmt == "json":
        document = json.loads(out)
        severities = {f["severity"] for t in document["targets"] for f in t["findings"]}
        assert "error" in severities and severities <= {"error", "warning", "note"}
    elif fmt == "text":
        assert '    5 |     JWT_SECRET: "<redacted>"' in out  # the excerpt hides the secret, exactly
        assert "    3 | api:" in out  # and keeps the key `api`
        assert ": error SL205 " in out
    elif fmt == "sarif":
        assert '"level": "error"' in out
    elif fmt == "github":
        assert "::error " in out
    else:
        assert 'type="error"' in out or "<failure" in out


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_suppression_reason_that_holds_a_secret_is_scrubbed(tmp_path, fmt):
    """A config ignore's reason is the repository's text, added to findings after they were
    scrubbed: a secret of the target in it is hidden too (and in an expired ignore's note)."""
    (tmp_path / "values.yaml").write_text(
        (REPO / "examples" / "values.broken.yaml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    (tmp_path / ".starter-lint.yaml").write_text(
        textwrap.dedent(
            """\
            targets:
              broken: {values: [values.yaml], set: ["api.env.SECRET_X=hunter2-in-git"]}
            ignores:
              - rules: [SL2]
                reason: hunter2-in-git legacy
              - rules: [SL1]
                reason: expired hunter2-in-git
                expires: 2000-01-01
            """
        ),
        encoding="utf-8",
    )
    done = cli("check", "--config", ".starter-lint.yaml", "--format", fmt, cwd=tmp_path)
    assert done.returncode in (0, 1), done.stderr
    assert "hunter2-in-git" not in done.stdout + done.stderr
    if fmt == "json":
        report = json.loads(done.stdout)
        reasons = {f.get("suppressed") for t in report["targets"] for f in t["findings"]}
        assert "<redacted> legacy" in reasons


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_password_of_a_url_secret_whole_is_hidden_alone_too(tmp_path, fmt):
    """A Secret's value (and a value under `secrets:`) is hidden whole; the password of a URL in
    it is a secret on its own as well, where the repository names it without the URL: a config
    ignore's reason, an expired ignore's note, an inline directive's comment on a line SL107
    shows after the run, in a target that has no other finding (found by the hostile review;
    the same before)."""
    secret = textwrap.dedent(
        """\
        apiVersion: v1
        kind: Secret
        metadata: {name: s1, namespace: default}
        stringData:
          url: "postgres://user:urlpa55word@db:5432/x"
        """
    )
    (tmp_path / "m.yaml").write_text(
        secret
        + textwrap.dedent(
            """\
            ---
            apiVersion: autoscaling/v2
            kind: HorizontalPodAutoscaler
            metadata: {name: h1, namespace: default}
            spec:
              scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: d1}
              minReplicas: 5
              maxReplicas: 2
            """
        ),
        encoding="utf-8",
    )
    (tmp_path / "clean.yaml").write_text(
        secret + "---\napiVersion: v1\nkind: ConfigMap  # starter-lint: disable=SL8 urlpa55word is fine\n"
        "metadata: {name: c1, namespace: default}\n",
        encoding="utf-8",
    )
    (tmp_path / ".starter-lint.yaml").write_text(
        textwrap.dedent(
            """\
            targets:
              hpa: {manifests: [m.yaml]}
              clean: {manifests: [clean.yaml]}
            ignores:
              - rules: [SL801]
                reason: "urlpa55word legacy"
              - rules: [SL801]
                reason: "expired urlpa55word"
                expires: 2000-01-01
            """
        ),
        encoding="utf-8",
    )
    done = cli("check", "--config", ".starter-lint.yaml", "--format", fmt, cwd=tmp_path)
    assert done.returncode in (0, 1), done.stderr
    assert "urlpa55word" not in done.stdout + done.stderr
    assert "SL107" in done.stdout  # the findings are there (SL801's, suppressed, where shown)
    assert "SL801" in done.stdout or fmt in ("text", "github")
    if fmt == "json":
        report = json.loads(done.stdout)
        reasons = {f.get("suppressed") for t in report["targets"] for f in t["findings"]}
        assert "<redacted> legacy" in reasons


def test_a_values_directive_naming_a_secret_only_the_render_holds_is_scrubbed(tmp_path):
    """A target whose only finding is SL107 (added after the run) for a values file's directive:
    the render's secrets are found for it too, so the excerpt hides a secret that only the
    rendered Secret makes one (found by the hostile review; the same before)."""
    pytest.importorskip("helm_python", reason=NEEDS_HELM_SDK)
    chart = tmp_path / "chart"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: mini\nversion: 0.1.0\n", encoding="utf-8")
    (chart / "values.yaml").write_text('db: {conn: ""}\n', encoding="utf-8")
    (chart / "templates" / "secret.yaml").write_text(
        "apiVersion: v1\nkind: Secret\nmetadata: {name: mini}\nstringData:\n"
        "  conn: {{ .Values.db.conn | quote }}\n",
        encoding="utf-8",
    )
    (tmp_path / "v.yaml").write_text(
        'db:\n  conn: "s3cretConn99"  # starter-lint: disable=SL104\n', encoding="utf-8"
    )
    (tmp_path / ".starter-lint.yaml").write_text(
        "targets:\n  t: {chart: chart, values: [v.yaml]}\n", encoding="utf-8"
    )
    done = cli("check", "--config", ".starter-lint.yaml", "--select", "SL104,SL107", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "SL107" in done.stdout and "<redacted>" in done.stdout
    assert "s3cretConn99" not in done.stdout + done.stderr
