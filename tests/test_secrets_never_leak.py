"""Secret values never reach any output (SPEC §4): planted secrets in every place a values file
can hold one, run through the CLI in every output format and through `values`."""
from __future__ import annotations

import json
import textwrap

import pytest

from starter_lint.options import Options
from starter_lint.pipeline import run
from starter_lint.report import FORMATS

from .support import cli

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
    report = run(Options(files=[str(planted / "values.yaml")], set=[(SET, False)], cwd=str(planted)))
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
    for key in ("api.env.DB_PASSWORD", "api.env.API_TOKEN", "api.env.STRIPE_SECRET_KEY", "api.env.DATABASE_URL",
                "api.env.REDIS_URL", "api.secrets.DATABASE_URL", "web.secrets.NEXTAUTH_SECRET",
                "worker.secrets.DATABASE_URL"):
        assert key in text.stdout, f"no finding names {key}"

    result = cli("check", "-f", "values.yaml", "--set", SET, "--format", "json", cwd=planted)
    assert result.returncode == 1, result.stderr
    _assert_clean(result.stdout + result.stderr, "json output")
    document = json.loads(result.stdout)
    findings = [f for t in document["targets"] for f in t["findings"]]
    by_rule = {}
    for finding in findings:
        by_rule.setdefault(finding["rule"], []).append(finding["message"])
    assert len(by_rule["SL205"]) == 6   # five secret-like names / URLs with credentials + ADMIN_PASSWORD
    assert len(by_rule["SL206"]) == 4   # file literals only: the --set value is not in a file


@pytest.mark.parametrize("fmt", [f for f in FORMATS if f not in ("text", "json")])
def test_other_formats_hold_no_secret(planted, fmt):
    result = cli("check", "-f", "values.yaml", "--set", SET, "--format", fmt, cwd=planted)
    if result.returncode == 2 and "not available in this build" in result.stderr:
        pytest.skip(f"the {fmt} format is not part of this build yet")
    assert result.returncode == 1, result.stderr
    _assert_clean(result.stdout + result.stderr, f"{fmt} output")
    assert "SL205" in result.stdout and "SL206" in result.stdout


@pytest.mark.parametrize("extra", [(), ("--format", "json"), ("--provenance",), ("--provenance", "--format", "json")])
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
