"""The contract rules SL201–SL605: their semantics, run through the real pipeline, and the clean
production configurations in examples/clean/ on which every rule of the catalog is silent."""

from __future__ import annotations

import textwrap
from decimal import Decimal
from pathlib import Path

import pytest

from starter_lint.checks import load_checks
from starter_lint.checks.contract import Flag, covers, helm_string, host_problem, parse_quantity, read_flag
from starter_lint.context import Context
from starter_lint.findings import Severity
from starter_lint.image_ref import image_problem
from starter_lint.options import Options
from starter_lint.pipeline import run
from starter_lint.values.layers import Layer, layer_values
from starter_lint.yamlio import load_values

from .support import REPO

CLEAN = sorted((REPO / "examples" / "clean").glob("*.yaml"))

# A complete, correct configuration for the API side, reused where a test needs the rest quiet.
COMPLETE_API_ENV = """\
api:
  env:
    ENVIRONMENT: "production"
    APP_PUBLIC_URL: "https://app.acme-corp.io"
    SECRETS_PROVIDER: "aws_sm"
    AUTH_KEY_STORAGE_BACKEND: "secret-manager"
    AUTH_KEY_STORAGE_PROVIDER: "aws_sm"
    AUTH_KEY_SECRET_NAME: "prod/auth-signing-key"
    STORAGE_PROVIDER: "s3"
"""


def check(tmp_path: Path, values: str, rules, set_args=()):
    """Active findings of `rules` for one values file layered over the contract defaults."""
    path = tmp_path / "values.yaml"
    path.write_text(textwrap.dedent(values), encoding="utf-8")
    options = Options(
        files=[str(path)],
        set=[(s, "set") for s in set_args],
        cwd=str(tmp_path),
        select=[rules] if isinstance(rules, str) else list(rules),
    )
    return run(options).active


def messages(findings, rule=None):
    return [f.message for f in findings if rule is None or f.rule == rule]


# ---------------------------------------------------------------------------------------------
# Secrets: the active path decides


def test_external_secrets_data_satisfies_required_secrets(tmp_path):
    found = check(
        tmp_path,
        """
        externalSecrets:
          api:
            data: {DATABASE_URL: prod/db, REDIS_URL: prod/redis}
    """,
        "SL202",
    )
    assert found == []


def test_static_secrets_do_not_count_while_external_secrets_is_on(tmp_path):
    found = check(
        tmp_path,
        """
        api:
          secrets: {DATABASE_URL: "${DB}", REDIS_URL: "${REDIS}"}
    """,
        "SL202",
    )
    assert sorted(f.logical for f in found) == [
        "externalSecrets.api.data.DATABASE_URL",
        "externalSecrets.api.data.REDIS_URL",
    ]
    assert all("switched off" in f.message for f in found)


def test_static_mode_reads_component_secrets(tmp_path):
    found = check(
        tmp_path,
        """
        externalSecrets:
          enabled: false
          api:
            data: {DATABASE_URL: prod/db, REDIS_URL: prod/redis}
        api:
          secrets: {DATABASE_URL: "${DB}"}
    """,
        "SL202",
    )
    assert [f.logical for f in found] == ["api.secrets.REDIS_URL"]
    assert "add api.secrets.REDIS_URL" in found[0].message
    assert "externalSecrets.api.data.REDIS_URL is set, but that path is switched off" in found[0].message


def test_worker_secrets_required_only_when_enabled(tmp_path):
    api_only = """
        externalSecrets:
          api:
            data: {DATABASE_URL: prod/db, REDIS_URL: prod/redis}
    """
    assert check(tmp_path, api_only, "SL202") == []
    found = check(tmp_path, textwrap.dedent(api_only) + "worker:\n  enabled: true\n", "SL202")
    assert sorted(f.logical for f in found) == [
        "externalSecrets.worker.data.DATABASE_URL",
        "externalSecrets.worker.data.REDIS_URL",
    ]


def test_required_secret_from_plain_env_counts(tmp_path):
    found = check(
        tmp_path,
        """
        api:
          env: {REDIS_URL: "redis://redis:6379/0"}
        externalSecrets:
          api:
            data: {DATABASE_URL: prod/db}
    """,
        ["SL202", "SL205"],
    )
    assert found == []


def test_required_secret_points_at_nearest_user_key(tmp_path):
    found = check(
        tmp_path,
        """
        externalSecrets:
          api:
            data:
              DATABASE_URL: prod/db
    """,
        "SL202",
    )
    assert [(f.location.line, f.logical) for f in found] == [(4, "externalSecrets.api.data.REDIS_URL")]


def test_secret_store_ref(tmp_path):
    found = check(
        tmp_path,
        """
        externalSecrets:
          secretStoreRef: {name: "  ", kind: Vault}
    """,
        "SL201",
    )
    assert sorted(f.logical for f in found) == [
        "externalSecrets.secretStoreRef.kind",
        "externalSecrets.secretStoreRef.name",
    ]
    assert (
        check(
            tmp_path,
            """
        externalSecrets:
          enabled: false
          secretStoreRef: {name: "", kind: Vault}
    """,
            "SL201",
        )
        == []
    )
    fixed = check(tmp_path, "externalSecrets:\n  secretStoreRef: {kind: secretstore}\n", "SL201")
    assert messages(fixed) == [
        "externalSecrets.secretStoreRef.kind is not SecretStore or ClusterSecretStore: write SecretStore"
    ]


@pytest.mark.parametrize(
    "key,valid",
    [
        ("DATABASE_URL", True),
        ("otel.service.name", True),
        ("-x", True),
        ("_X", True),
        ("2FA_SECRET", False),
        ("MY VAR", False),
        ("A=B", False),
        ("ÄPFEL", False),
        ("", False),
    ],
)
def test_secret_key_names(tmp_path, key, valid):
    found = check(
        tmp_path,
        f"""
        externalSecrets:
          api:
            data: {{"{key}": prod/x}}
    """,
        "SL203",
    )
    assert (found == []) == valid, messages(found)


def test_empty_provider_identifier(tmp_path):
    found = check(
        tmp_path,
        """
        externalSecrets:
          api:
            data: {DATABASE_URL: "", REDIS_URL: prod/redis}
    """,
        "SL203",
    )
    assert [f.logical for f in found] == ["externalSecrets.api.data.DATABASE_URL"]
    assert "empty provider secret identifier" in found[0].message


def test_inactive_secrets_both_modes(tmp_path):
    on = check(tmp_path, "api:\n  secrets: {DATABASE_URL: '${DB}'}\n", "SL204")
    assert [f.logical for f in on] == ["api.secrets.DATABASE_URL"]
    assert "move it to externalSecrets.api.data.DATABASE_URL" in on[0].message
    off = check(
        tmp_path,
        """
        externalSecrets:
          enabled: false
          web:
            data: {API_BASE_URL: prod/api_base_url}
    """,
        "SL204",
    )
    assert [f.logical for f in off] == ["externalSecrets.web.data.API_BASE_URL"]
    assert "move it to web.secrets.API_BASE_URL" in off[0].message


def test_inactive_secrets_ignore_chart_defaults_and_disabled_worker():
    """Keys the chart's values.yaml sets are not the user's to fix; a disabled worker is not rendered."""
    base = load_values(
        "externalSecrets:\n  enabled: true\n  api:\n    data: {DATABASE_URL: prod/db}\n",
        "chart/values.yaml",
        chart_defaults=True,
    )
    user = load_values(
        "externalSecrets:\n  enabled: false\nworker:\n  secrets: {}\n"
        "api:\n  secrets: {DATABASE_URL: '${DB}'}\n",
        "values.yaml",
    )
    layered = layer_values(
        Layer("chart/values.yaml", "base", base.data, base), [Layer("values.yaml", "file", user.data, user)]
    )
    ctx = Context(target="values.yaml", values=layered, loaded=[user])
    assert list(load_checks()["SL204"].function(ctx)) == []


@pytest.mark.parametrize(
    "key,value,fires",
    [
        ("DB_PASSWORD", "pw-value", True),
        ("API_TOKEN", "tok-value", True),
        ("STRIPE_SECRET_KEY", "sk_live_x", True),
        ("JWT_SECRET", "jwt-value", True),
        ("SENTRY_DSN", "https://k@o.ingest.sentry.io/1", True),
        ("DATABASE_URL", "postgres://u:pw@db/app", True),
        ("CACHE", "redis://:pw@cache:6379", True),
        ("DATABASE_URL", "postgres://db.internal:5432/app", False),
        ("AUTH_KEY_SECRET_NAME", "prod/k", False),
        ("STRIPE_PUBLISHABLE_KEY", "pk_live_x", False),
        ("AWS_ACCESS_KEY_ID", "AKIA", False),
        ("DB_PASSWORD", "", False),
    ],
)
def test_secret_in_env(tmp_path, key, value, fires):
    found = check(tmp_path, f"api:\n  env:\n    {key}: {value!r}\n", "SL205")
    assert bool(found) == fires, messages(found)
    if fires:
        assert f"api.env.{key}" in found[0].message and "externalSecrets.api.data" in found[0].message
        assert value not in found[0].message


def test_secret_in_env_of_disabled_worker_is_still_reported(tmp_path):
    found = check(tmp_path, "worker:\n  enabled: false\n  env: {DB_PASSWORD: hunter2x}\n", "SL205")
    assert [f.logical for f in found] == ["worker.env.DB_PASSWORD"]


def test_static_secrets_committed(tmp_path):
    found = check(
        tmp_path,
        """
        externalSecrets: {enabled: false}
        api:
          secrets:
            DATABASE_URL: "postgres://app:pw@db/app"
            REDIS_URL: "${REDIS_URL}"
            SESSION_SECRET: "ENC[AES256_GCM,data:abc=,iv:x,tag:y,type:str]"
            EMPTY: ""
    """,
        "SL206",
        set_args=["api.secrets.FROM_CLI=literal-from-cli"],
    )
    assert [f.logical for f in found] == ["api.secrets.DATABASE_URL"]
    assert "pw" not in found[0].message.replace("provider", "")


def test_static_secret_literal_committed_in_external_mode_too(tmp_path):
    found = check(tmp_path, "web:\n  secrets: {NEXTAUTH_SECRET: literal-value}\n", ["SL204", "SL206"])
    assert sorted(f.rule for f in found) == ["SL204", "SL206"]


# ---------------------------------------------------------------------------------------------
# Ingress and TLS


@pytest.mark.parametrize(
    "pattern,host,expected",
    [
        ("a.example.org", "a.example.org", True),
        ("*.example.org", "a.example.org", True),
        ("*.example.org", "a.b.example.org", False),
        ("*.example.org", "example.org", False),
        ("*.example.org", "*.example.org", True),
        ("a.example.org", "b.example.org", False),
    ],
)
def test_wildcard_coverage(pattern, host, expected):
    assert covers(pattern, host) is expected


TLS_FOR = """
    ingress:
      hosts:
        - host: {host}
      tls:
        - secretName: app-tls
          hosts: ["{tls}"]
"""


@pytest.mark.parametrize(
    "host,tls,fires",
    [
        ("app.acme-corp.io", "app.acme-corp.io", False),
        ("App.Acme-Corp.io", "app.acme-corp.io", False),  # case-insensitive (SL306 reports case)
        ("app.acme-corp.io", "*.acme-corp.io", False),
        ("eu.app.acme-corp.io", "*.acme-corp.io", True),
        ("acme-corp.io", "*.acme-corp.io", True),
        ("admin.acme-corp.io", "app.acme-corp.io", True),
    ],
)
def test_tls_host_coverage(tmp_path, host, tls, fires):
    found = check(tmp_path, TLS_FOR.format(host=host, tls=tls), "SL301")
    assert bool(found) == fires, messages(found)


def test_bare_string_hosts_and_ingress_disabled(tmp_path):
    values = """
        ingress:
          enabled: {enabled}
          hosts: [app.acme-corp.io, admin.acme-corp.io]
          tls: [{{secretName: t, hosts: [app.acme-corp.io]}}]
    """
    found = check(tmp_path, values.format(enabled="true"), "SL3")
    assert [(f.rule, f.logical) for f in found] == [("SL301", "ingress.hosts[1]")]
    assert check(tmp_path, values.format(enabled="false"), "SL3") == []


def test_tls_orphans(tmp_path):
    found = check(
        tmp_path,
        """
        ingress:
          hosts: [{host: app.acme-corp.io}]
          apiHosts: [{host: api.acme-corp.io}]
          tls: [{secretName: t, hosts: [app.acme-corp.io, API.acme-corp.io, old.acme-corp.io, "*.acme-corp.io"]}]
    """,
        "SL302",
    )
    assert [f.logical for f in found] == ["ingress.tls[0].hosts[2]"]


def test_api_hosts_covered_by_api_tls_or_tls(tmp_path):
    base = """
        ingress:
          hosts: [{host: app.acme-corp.io}]
          tls: [{secretName: app-tls, hosts: [app.acme-corp.io]}]
          apiHosts: [{host: api.acme-corp.io}, api-eu.acme-corp.io]
    """
    found = check(tmp_path, base, "SL304")
    assert sorted(f.logical for f in found) == ["ingress.apiHosts[0].host", "ingress.apiHosts[1]"]
    base = textwrap.dedent(base)
    with_api_tls = (
        base + "  apiTls: [{secretName: api-tls, hosts: [api.acme-corp.io, API-EU.acme-corp.io]}]\n"
    )
    assert check(tmp_path, with_api_tls, "SL304") == []
    wildcard = base.replace("hosts: [app.acme-corp.io]", "hosts: ['*.acme-corp.io']")
    assert check(tmp_path, wildcard, "SL304") == []
    orphan = with_api_tls.replace("API-EU.acme-corp.io", "api-eu.acme-corp.io, api-us.acme-corp.io")
    assert [f.logical for f in check(tmp_path, orphan, "SL304")] == ["ingress.apiTls[0].hosts[2]"]


def test_tls_secret_names(tmp_path):
    found = check(
        tmp_path,
        """
        ingress:
          hosts: [{host: a.acme-corp.io}, {host: b.acme-corp.io}]
          tls:
            - {hosts: [a.acme-corp.io]}
            - {secretName: Bad_Name, hosts: [b.acme-corp.io]}
          apiTls:
            - {secretName: shared, hosts: [a.acme-corp.io]}
            - {secretName: shared, hosts: [b.acme-corp.io]}
            - {secretName: shared, hosts: [a.acme-corp.io]}
    """,
        "SL303",
    )
    assert [f.logical for f in found] == [
        "ingress.tls[0].secretName",
        "ingress.tls[1].secretName",
        "ingress.apiTls[1].secretName",
    ]


@pytest.mark.parametrize(
    "paths,expected",
    [
        ({"api": "/api", "web": "/"}, []),
        ({"api": "/bff", "web": "/", "apiHost": "/"}, []),
        ({"api": "api"}, ["api"]),
        ({"apiHost": "v1"}, ["apiHost"]),
        ({"web": "/api"}, ["web"]),  # only web changed: blame web
        ({"api": "/api", "web": "/api"}, ["api"]),
        ({"api": "/api/", "web": "/api"}, ["api"]),
        ({"api": "/", "web": "/app"}, ["api"]),
        ({"web": "/api/app"}, ["web"]),
        ({"api": "/api v2"}, ["api"]),
        ({"api": "/app/api", "web": "/app"}, []),
    ],
)
def test_ingress_paths(tmp_path, paths, expected):
    body = "".join(f"  {k}: {v!r}\n" for k, v in paths.items())
    found = check(tmp_path, "ingressPaths:\n" + body, "SL305")
    assert sorted(f.logical.split(".")[-1] for f in found) == sorted(expected), messages(found)


@pytest.mark.parametrize(
    "api_hosts,paths,fragment",
    [
        ("[{host: app.acme-corp.io}]", "", "/ on that host leads to both the web and the API Service"),
        ("[APP.acme-corp.io]", "", "leads to both"),  # hosts compare as DNS does
        ("[{host: app.acme-corp.io}]", "ingressPaths: {apiHost: /api}\n", "/api on that host leads to both"),
        (
            "[{host: app.acme-corp.io}]",
            "ingressPaths: {apiHost: /v1}\n",
            "ingressPaths.apiHost (/v1) on that host shadows",
        ),
        ("[{host: api.acme-corp.io}]", "", None),
        ("[{host: x.acme-corp.io}]", "", None),  # the wildcard host is another name: the exact host wins
    ],
)
def test_host_in_hosts_and_api_hosts(tmp_path, api_hosts, paths, fragment):
    found = check(
        tmp_path,
        "ingress:\n  hosts: [{host: app.acme-corp.io}, '*.acme-corp.io']\n"
        f"  apiHosts: {api_hosts}\n" + paths,
        "SL305",
    )
    if fragment is None:
        assert found == []
    else:
        assert len(found) == 1 and found[0].logical.startswith("ingress.apiHosts[0]"), messages(found)
        assert (
            fragment in found[0].message
            and "is also in ingress.hosts (ingress.hosts[0].host)" in found[0].message
        )


@pytest.mark.parametrize(
    "host,reason,suggestion",
    [
        ("app.acme-corp.io", None, None),
        ("*.acme-corp.io", None, None),
        ("https://app.acme-corp.io/", "scheme", "app.acme-corp.io"),
        ("app.acme-corp.io:443", "port", "app.acme-corp.io"),
        ("app.acme-corp.io/api", "path", "app.acme-corp.io"),
        ("App.Acme-Corp.io", "upper-case", "app.acme-corp.io"),
        ("a.*.acme-corp.io", "wildcard", None),
        ("*acme-corp.io", "wildcard", None),
        ("10.0.0.1", "IP address", None),
        ("-app.acme-corp.io", "not a DNS name", None),
        ("app.acme-corp.io.", "dot", "app.acme-corp.io"),
        ("app_1.acme-corp.io", "not a DNS name", None),
    ],
)
def test_host_format(host, reason, suggestion):
    problem = host_problem(host)
    if reason is None:
        assert problem is None
    else:
        assert reason in problem[0] and problem[1] == suggestion


def test_host_format_finding_and_safe_case_fix(tmp_path):
    found = check(
        tmp_path,
        """
        ingress:
          hosts: [{host: App.acme-corp.io}, {host: "app.acme-corp.io:8443"}]
          tls: [{secretName: t, hosts: [app.acme-corp.io]}]
    """,
        "SL306",
    )
    by_path = {f.logical: f for f in found}
    assert set(by_path) == {"ingress.hosts[0].host", "ingress.hosts[1].host"}
    case_fix = by_path["ingress.hosts[0].host"].fix
    assert (
        case_fix.safe
        and case_fix.value == "app.acme-corp.io"
        and case_fix.path == ("ingress", "hosts", 0, "host")
    )
    assert by_path["ingress.hosts[1].host"].fix is None
    assert "write app.acme-corp.io" in by_path["ingress.hosts[1].host"].message


@pytest.mark.parametrize(
    "url,hosts,expected",
    [
        ("https://app.acme-corp.io", "[{host: app.acme-corp.io}]", []),
        ("https://APP.acme-corp.io/path", "[{host: app.acme-corp.io}]", []),
        ("http://app.acme-corp.io", "[{host: app.acme-corp.io}]", ["scheme"]),
        ("https://www.acme-corp.io", "[{host: app.acme-corp.io}]", ["host"]),
        ("https://eu.acme-corp.io", "['*.acme-corp.io']", []),
        ("https://api.acme-corp.io", "[{host: app.acme-corp.io}]\n  apiHosts: [api.acme-corp.io]", []),
        ("app.acme-corp.io", "[{host: app.acme-corp.io}]", ["not-url"]),
        ("https://app.acme-corp.io:8443", "[{host: app.acme-corp.io}]", ["port"]),
        ("https://app.acme-corp.io:443/x", "[{host: app.acme-corp.io}]", []),
        ("http://bob:pw-secret-1@app.acme-corp.io", "[{host: app.acme-corp.io}]", ["scheme"]),
        ("https://u:pw-secret-2@other.io", "[{host: app.acme-corp.io}]", ["host"]),
        ("https://u:pw/sec@ret-3@app.acme-corp.io:8443", "[{host: app.acme-corp.io}]", ["port"]),
    ],
)
def test_public_url_host(tmp_path, url, hosts, expected):
    found = check(
        tmp_path, f"api:\n  env:\n    APP_PUBLIC_URL: {url!r}\ningress:\n  hosts: {hosts}\n", "SL307"
    )
    assert sorted(f.key for f in found) == expected, messages(found)


def test_public_url_messages_never_print_the_password_and_suggest_a_host(tmp_path):
    base = "api:\n  env:\n    APP_PUBLIC_URL: {url!r}\ningress:\n  hosts: ['*.acme-corp.io', {{host: app.acme-corp.io}}]\n"
    for url in ("http://bob:pw-secret-1@app.acme-corp.io/x", "https://u:pw/sec@ret-3@other.io"):
        found = check(tmp_path, base.format(url=url), "SL307")
        assert found and not any(
            "pw-secret" in f.message or "sec@ret" in f.message or "pw/" in f.message for f in found
        ), messages(found)
    found = check(tmp_path, base.format(url="app.acme-corp.io"), "SL307")
    assert [f.message for f in found] == [
        "api.env.APP_PUBLIC_URL is not a URL: write https://app.acme-corp.io"
    ]


def test_public_url_ignored_without_ingress(tmp_path):
    assert (
        check(
            tmp_path,
            "api:\n  env: {APP_PUBLIC_URL: 'http://x.acme-corp.io'}\ningress: {enabled: false}\n",
            "SL307",
        )
        == []
    )


# ---------------------------------------------------------------------------------------------
# Billing

WORKER_ON = """
    worker:
      enabled: true
      env:
        ENABLE_BILLING_RETRY_WORKER: "true"
        ENABLE_BILLING_STREAM_REPLAY: "true"
        BILLING_RETRY_DEPLOYMENT_MODE: "dedicated"
"""


@pytest.mark.parametrize(
    "api_env,worker,fires",
    [
        ('ENABLE_BILLING_RETRY_WORKER: "true"', True, ["ENABLE_BILLING_RETRY_WORKER"]),
        ('ENABLE_BILLING_STREAM_REPLAY: "TRUE"', True, ["ENABLE_BILLING_STREAM_REPLAY"]),
        ('ENABLE_BILLING_RETRY_WORKER: "false"', True, []),
        ('ENABLE_BILLING_RETRY_WORKER: "0"', True, []),
        ('ENABLE_BILLING_RETRY_WORKER: "Off"', True, []),
        ("ENABLE_BILLING_RETRY_WORKER: 0", True, []),
        # set in api.env (so the chart's auto-disable does not apply) to what the app cannot read: its default, on
        ('ENABLE_BILLING_RETRY_WORKER: "maybe"', True, ["ENABLE_BILLING_RETRY_WORKER"]),
        # the chart's defaults have no such key, so Helm keeps the null and renders "<nil>": on
        ("ENABLE_BILLING_RETRY_WORKER: null", True, ["ENABLE_BILLING_RETRY_WORKER"]),
        ("{}", True, []),
        ('ENABLE_BILLING_RETRY_WORKER: "true"', False, []),
    ],
)
def test_billing_single_owner(tmp_path, api_env, worker, fires):
    values = (WORKER_ON if worker else "") + f"\n    api:\n      env:\n        {api_env}\n"
    found = check(tmp_path, values, "SL401")
    assert [f.logical.split(".")[-1] for f in found] == fires


@pytest.mark.parametrize(
    "values,fires",
    [
        # the worker disabled and both flags off in the API: nobody runs billing
        (
            'worker: {enabled: false}\napi:\n  env: {ENABLE_BILLING_RETRY_WORKER: "false", ENABLE_BILLING_STREAM_REPLAY: "no"}\n',
            ["api.env.ENABLE_BILLING_RETRY_WORKER"],
        ),
        ('api:\n  env: {ENABLE_BILLING_STREAM_REPLAY: "0"}\n', ["api.env.ENABLE_BILLING_STREAM_REPLAY"]),
        # the worker's flags off, the API auto-disabled by the chart
        (
            'worker:\n  enabled: true\n  env: {ENABLE_BILLING_RETRY_WORKER: "false", ENABLE_BILLING_STREAM_REPLAY: "false"}\n',
            ["worker.env.ENABLE_BILLING_RETRY_WORKER"],
        ),
        # the worker's flags unset: the app default (on) runs them in the worker
        ('worker: {enabled: true}\n', []),
        # the worker's flag from a secret cannot be read: counted as on
        (
            'worker:\n  enabled: true\n  env: {ENABLE_BILLING_STREAM_REPLAY: "false"}\n'
            'externalSecrets:\n  worker:\n    data: {ENABLE_BILLING_RETRY_WORKER: prod/x}\n',
            ["worker.env.ENABLE_BILLING_STREAM_REPLAY"],
        ),
        ('api:\n  env: {ENABLE_BILLING_RETRY_WORKER: "true"}\n', []),
    ],
)
def test_billing_without_an_owner(tmp_path, values, fires):
    found = [f for f in check(tmp_path, values, "SL401") if f.key == "no-owner"]
    assert [f.logical for f in found] == fires
    assert all(f.message.startswith("no workload runs") for f in found)


@pytest.mark.parametrize(
    "value,state",
    [
        ("true", Flag.ON),
        (" Yes ", Flag.ON),
        ("1", Flag.ON),
        ("ON", Flag.ON),
        (True, Flag.ON),
        (1, Flag.ON),
        ("false", Flag.OFF),
        ("No", Flag.OFF),
        ("0", Flag.OFF),
        ("off", Flag.OFF),
        (False, Flag.OFF),
        (0, Flag.OFF),
        (None, Flag.UNSET),
        ("", Flag.UNSET),
        ("maybe", Flag.UNSET),
        (2, Flag.UNSET),
        ({}, Flag.UNSET),
    ],
)
def test_read_flag(value, state):
    assert read_flag(value) is state


def test_worker_billing_flags_one_problem_per_missing_setting_with_safe_fix(tmp_path):
    found = check(tmp_path, "worker:\n  enabled: true\n", "SL402")
    fixes = sorted((f.fix.path, f.fix.value, f.fix.safe) for f in found)
    assert fixes == [
        (("worker", "env", "BILLING_RETRY_DEPLOYMENT_MODE"), "dedicated", True),
        (("worker", "env", "ENABLE_BILLING_RETRY_WORKER"), "true", True),
        (("worker", "env", "ENABLE_BILLING_STREAM_REPLAY"), "true", True),
    ]
    assert all(f.location.line == 1 for f in found)  # worker.env is not in the file: `worker:` is
    wrong = check(tmp_path, WORKER_ON.replace('"dedicated"', '"shared"'), "SL402")
    assert [(f.logical, f.fix.safe) for f in wrong] == [("worker.env.BILLING_RETRY_DEPLOYMENT_MODE", False)]
    assert check(tmp_path, WORKER_ON, "SL402") == []
    assert check(tmp_path, "worker:\n  enabled: false\n", "SL402") == []


@pytest.mark.parametrize(
    "values,fires",
    [
        ("api:\n  image: registry.example.org/a:1\n", True),  # the contract defaults: HPA 2–10
        ("autoscaling:\n  enabled: false\n", False),
        ("autoscaling:\n  api: {maxReplicas: 1, minReplicas: 1}\n", False),
        ("autoscaling:\n  enabled: false\napi:\n  replicaCount: 2\n", False),  # no contract key: SL101's
        ("autoscaling:\n  enabled: false\napi:\n  replicas: 1\n", False),
        (WORKER_ON, False),
        (
            "api:\n  env: {ENABLE_BILLING_RETRY_WORKER: 'false', ENABLE_BILLING_STREAM_REPLAY: 'false'}\n",
            False,
        ),
        ("api:\n  env: {ENABLE_BILLING_RETRY_WORKER: 'false'}\n", True),  # replay still runs
    ],
)
def test_multi_replica_billing(tmp_path, values, fires):
    found = check(tmp_path, values, "SL403")
    assert bool(found) == fires, messages(found)
    if fires:
        assert "worker.enabled=true" in found[0].message


def test_multi_replica_billing_names_what_runs(tmp_path):
    found = check(tmp_path, "api:\n  env: {ENABLE_BILLING_RETRY_WORKER: 'false'}\n", "SL403")
    assert "stream replay run" in found[0].message and "billing retries" not in found[0].message
    assert "10 replicas (autoscaling.api.maxReplicas)" in found[0].message


def test_worker_image_skew(tmp_path):
    values = "api:\n  image: r.io/app-api:1.2.0\nworker:\n  enabled: {on}\n  image: r.io/app-api:{tag}\n"
    assert [f.logical for f in check(tmp_path, values.format(on="true", tag="1.1.0"), "SL404")] == [
        "worker.image"
    ]
    assert check(tmp_path, values.format(on="true", tag="1.2.0"), "SL404") == []
    assert check(tmp_path, values.format(on="false", tag="1.1.0"), "SL404") == []


def test_worker_image_skew_compares_digests_and_spelling(tmp_path):
    digest = "sha256:" + "a" * 64
    values = "api:\n  image: {api}\nworker:\n  enabled: true\n  image: {worker}\n"
    # one digest pins one image, with or without a tag beside it
    assert (
        check(
            tmp_path,
            values.format(api=f"r.io/app-api:2.4.1@{digest}", worker=f"r.io/app-api@{digest}"),
            "SL404",
        )
        == []
    )
    other = "sha256:" + "b" * 64
    assert (
        len(
            check(
                tmp_path,
                values.format(api=f"r.io/app-api:2.4.1@{digest}", worker=f"r.io/app-api:2.4.1@{other}"),
                "SL404",
            )
        )
        == 1
    )
    assert (
        len(
            check(tmp_path, values.format(api=f"r.io/app-api@{digest}", worker="r.io/app-api:2.4.1"), "SL404")
        )
        == 1
    )
    # equal only after stripping is not equal
    found = check(tmp_path, values.format(api='" r.io/app-api:1.2.0 "', worker="r.io/app-api:1.2.0"), "SL404")
    assert len(found) == 1 and '" r.io/app-api:1.2.0 "' in found[0].message and found[0].fix is None


def test_worker_image_skew_never_recommends_the_placeholder(tmp_path):
    found = check(tmp_path, "worker:\n  enabled: true\n  image: r.io/app-api:1.2.0\n", "SL404")
    assert len(found) == 1 and "set both to the published API image" in found[0].message
    assert "set worker.image to" not in found[0].message
    assert found[0].fix is None


# ---------------------------------------------------------------------------------------------
# Autoscaling and resources


def test_hpa_min_max(tmp_path):
    found = check(tmp_path, "autoscaling:\n  web: {minReplicas: 5, maxReplicas: 3}\n", "SL501")
    assert [f.logical for f in found] == ["autoscaling.web.minReplicas"]
    assert (
        check(tmp_path, "autoscaling:\n  enabled: false\n  web: {minReplicas: 5, maxReplicas: 3}\n", "SL501")
        == []
    )


@pytest.mark.parametrize(
    "values,expected",
    [
        ("autoscaling:\n  api: {minReplicas: 0}\n", [("autoscaling.api.minReplicas", Severity.ERROR)]),
        (
            "autoscaling:\n  targetCPUUtilizationPercentage: 150\n",
            [("autoscaling.targetCPUUtilizationPercentage", Severity.WARNING)],
        ),
        (
            "autoscaling:\n  targetCPUUtilizationPercentage: 0\n",
            [("autoscaling.targetCPUUtilizationPercentage", Severity.ERROR)],
        ),
        ("autoscaling:\n  targetCPUUtilizationPercentage: 100\n", []),
        ("autoscaling:\n  targetCPUUtilizationPercentage: 1\n", []),
    ],
)
def test_hpa_bounds(tmp_path, values, expected):
    found = check(tmp_path, values, "SL502")
    assert [(f.logical, f.severity) for f in found] == expected


def test_hpa_needs_cpu_request(tmp_path):
    found = check(tmp_path, "api:\n  resources: {requests: {cpu: 1}}\n", "SL503")
    assert [f.logical for f in found] == ["web.resources.requests.cpu"]
    assert check(tmp_path, "autoscaling:\n  enabled: false\n", "SL503") == []


@pytest.mark.parametrize(
    "text,amount",
    [
        ("500m", Decimal("0.5")),
        ("0.5", Decimal("0.5")),
        (1, Decimal(1)),
        ("512Mi", Decimal(512 * 2**20)),
        ("1G", Decimal(10**9)),
        ("1e3", Decimal(1000)),
        ("1.5Gi", Decimal(3 * 2**29)),
        ("100k", Decimal(100_000)),
        (0.25, Decimal("0.25")),
        ("2E-3", Decimal("0.002")),
    ],
)
def test_parse_quantity(text, amount):
    assert parse_quantity(text) == amount


@pytest.mark.parametrize("text", ["500 m", "1.5.0", "Mi", "-1", "1gb", "abc", True, None, ""])
def test_bad_quantities(text):
    with pytest.raises(ValueError):
        parse_quantity(text)


RESOURCES = """
    {component}:
      resources:
        requests: {{cpu: {cpu}, memory: {memory}}}
        limits: {{memory: {limit}}}
"""


def _resources(component, cpu="250m", memory="256Mi", limit="512Mi"):
    return RESOURCES.format(component=component, cpu=cpu, memory=memory, limit=limit)


def test_resources_complete_without_cpu_limit_is_clean(tmp_path):
    assert check(tmp_path, _resources("api") + _resources("web"), "SL504") == []


def test_resources_worker_only_when_enabled(tmp_path):
    both = _resources("api") + _resources("web")
    assert check(tmp_path, both + "    worker:\n      enabled: false\n", "SL504") == []
    found = check(tmp_path, both + "    worker:\n      enabled: true\n", "SL504")
    assert sorted(f.logical for f in found) == [
        "worker.resources.limits.memory",
        "worker.resources.requests.cpu",
        "worker.resources.requests.memory",
    ]


@pytest.mark.parametrize(
    "cpu,memory,limit,expected",
    [
        ("2", "1Gi", "1Gi", []),
        ("250m", "1.5Gi", "1Gi", ["api.resources.requests.memory"]),
        ("250 m", "256Mi", "512Mi", ["api.resources.requests.cpu"]),
        ("250m", "512", "1Gi", ["api.resources.requests.memory"]),  # bytes
        ("250m", "512m", "1Gi", ["api.resources.requests.memory"]),  # millibytes
        ("250m", "1e9", "1G", []),
    ],
)
def test_resource_quantities(tmp_path, cpu, memory, limit, expected):
    found = check(tmp_path, _resources("api", cpu, memory, limit) + _resources("web"), "SL504")
    assert [f.logical for f in found] == expected, messages(found)


def test_cpu_request_above_cpu_limit(tmp_path):
    values = "api:\n  resources: {requests: {cpu: 1500m, memory: 1Gi}, limits: {cpu: 1, memory: 1Gi}}\n"
    found = check(tmp_path, values + textwrap.dedent(_resources("web")), "SL504")
    assert [f.logical for f in found] == ["api.resources.requests.cpu"]
    assert "above api.resources.limits.cpu" in found[0].message


# ---------------------------------------------------------------------------------------------
# Images and env


@pytest.mark.parametrize(
    "image,pinned",
    [
        ("registry.example.org/app-api:1.8.2", True),
        ("registry.example.org/app-api:1.15.0-rc.2", True),
        ("registry.example.org:5000/app-api:1.2", True),
        ("app-api@sha256:" + "a" * 64, True),
        ("r.io/app-api:1.2@sha256:" + "0" * 64, True),
        ("registry.example.org:5000/app-api", False),
        ("registry.example.org/app-api", False),
        ("registry.example.org/app-api:latest", False),
        ("registry.example.org/app-api:Latest", False),
        ("registry.example.org/app-api:nightly", False),
        ("registry.example.org/app-api:develop", False),
        ("app-api@sha256:abc", False),
        (" registry.example.org/app-api:1.8.2 ", False),
        ("registry.example.org/app-api:1.8.2\n", False),
        ("registry.example.org/app-api@sha256:" + "a" * 64 + " ", False),
        ("", False),
        (None, False),
    ],
)
def test_image_pinning(image, pinned):
    assert (image_problem(image) is None) is pinned


def test_image_with_surrounding_whitespace(tmp_path):
    found = check(
        tmp_path, "api:\n  image: |\n    r.io/app-api:2.4.1\nweb:\n  image: ' r.io/app-web:2.4.1'\n", "SL601"
    )
    assert sorted(f.logical for f in found) == ["api.image", "web.image"]
    assert all("leading or trailing whitespace" in f.message for f in found)
    assert {f.fix.value for f in found} == {"r.io/app-api:2.4.1", "r.io/app-web:2.4.1"}
    assert not any(f.fix.safe for f in found)  # the rendered image changes


def test_disabled_worker_image_not_reported(tmp_path):
    values = "worker:\n  enabled: {on}\n  image: r.io/app-api:latest\n"
    assert check(tmp_path, values.format(on="false"), "SL601") == []
    assert [f.logical for f in check(tmp_path, values.format(on="true"), "SL601")] == ["worker.image"]


def test_required_env_from_env_or_active_secrets(tmp_path):
    assert [f.logical for f in check(tmp_path, COMPLETE_API_ENV, "SL602")] == ["web.env.API_BASE_URL"]
    active = COMPLETE_API_ENV + "externalSecrets:\n  web:\n    data: {API_BASE_URL: prod/api_base_url}\n"
    assert check(tmp_path, active, "SL602") == []
    inactive = COMPLETE_API_ENV + "web:\n  secrets: {API_BASE_URL: 'https://x'}\n"
    assert [f.logical for f in check(tmp_path, inactive, "SL602")] == ["web.env.API_BASE_URL"]


def test_required_env_points_at_env_and_names_the_key(tmp_path):
    values = COMPLETE_API_ENV.replace('    STORAGE_PROVIDER: "s3"\n', "") + "web:\n  env: {API_BASE_URL: x}\n"
    found = check(tmp_path, values, "SL602")
    assert [(f.location.line, f.logical) for f in found] == [(2, "api.env.STORAGE_PROVIDER")]
    assert found[0].message.startswith("api.env.STORAGE_PROVIDER is not set: add it")


@pytest.mark.parametrize(
    "value,suggestion",
    [
        ("aws-secrets", "aws_sm"),
        ("AWS_SM", "aws_sm"),
        ("azure", "azure_kv"),
        ("google-secret-manager", "gcp_sm"),
        ("hashicorp-vault", "vault"),
        ("infiscal", "infisical"),
        ("vault", None),
        ("k8s", None),
    ],
)
def test_secrets_provider_enum(tmp_path, value, suggestion):
    found = check(tmp_path, f"api:\n  env: {{SECRETS_PROVIDER: {value!r}}}\n", "SL603")
    if value == "vault":
        assert found == []
        return
    assert len(found) == 1
    if suggestion:
        assert f'write "{suggestion}"' in found[0].message and found[0].fix.value == suggestion
    else:
        assert "use one of aws_sm" in found[0].message and found[0].fix is None


def test_auth_key_storage_backend_enum(tmp_path):
    found = check(tmp_path, "api:\n  env: {AUTH_KEY_STORAGE_BACKEND: local}\n", "SL603")
    assert [f.logical for f in found] == ["api.env.AUTH_KEY_STORAGE_BACKEND"]
    assert check(tmp_path, "api:\n  env: {AUTH_KEY_STORAGE_BACKEND: secret-manager}\n", "SL603") == []


@pytest.mark.parametrize(
    "value,rendered",
    [
        (True, "true"),
        (False, "false"),
        (1, "1"),
        (8080, "8080"),
        (1.5, "1.5"),
        (0.0001, "0.0001"),
        (1000000, "1e+06"),
        (123456789, "1.23456789e+08"),
        (-3, "-3"),
        (100000, "100000"),
        (12345678901234567890, "1.2345678901234567e+19"),
        (2**53 + 1, "9.007199254740992e+15"),
        (999999, "999999"),
        (0.00001, "1e-05"),
        (1e21, "1e+21"),
        (-1000000, "-1e+06"),
    ],
)
def test_helm_string(value, rendered):
    assert helm_string(value) == rendered


@pytest.mark.parametrize(
    "line,key,quoted,safe",
    [
        ("DEBUG: true", "DEBUG", "true", True),
        ("FLAG: yes", "FLAG", "true", True),
        ("WORKERS: 1", "WORKERS", "1", True),
        ("PORT: 8080", "PORT", "8080", True),
        ("VERSION: 1.10", "VERSION", "1.10", False),  # Helm would pass "1.1"
        ("LIMIT: 1000000", "LIMIT", "1000000", False),  # Helm would pass "1e+06"
        ("SIZE: 123456789", "SIZE", "123456789", False),  # Helm would pass "1.23456789e+08"
        (
            "ID: 12345678901234567890",
            "ID",
            "12345678901234567890",
            False,
        ),  # as written, not 12345678901234567000
        ("PORT: 0800", "PORT", "0800", False),  # Helm would pass "800"
        ("HEX: 0x1F", "HEX", "0x1F", False),  # Helm would pass "31"
        ("RATIO: 0.5", "RATIO", "0.5", True),
    ],
)
def test_env_value_type(tmp_path, line, key, quoted, safe):
    found = check(tmp_path, f"api:\n  env:\n    {line}\n", "SL604")
    assert len(found) == 1
    finding = found[0]
    assert finding.severity == Severity.WARNING
    assert f'write {key}: "{quoted}"' in finding.message
    assert finding.fix.value == quoted and finding.fix.safe is safe
    assert finding.fix.path == ("api", "env", key)


def test_env_value_type_names_what_helm_renders(tmp_path):
    found = check(tmp_path, "api:\n  env:\n    ID: 12345678901234567890\n", "SL604")
    assert len(found) == 1 and "the number 1.2345678901234567e+19 as Helm renders it" in found[0].message
    assert "12345678901234567000" not in found[0].message


def test_env_value_type_never_echoes_secret_values(tmp_path):
    found = check(tmp_path, "api:\n  env:\n    ADMIN_PASSWORD: 98765432\n", "SL604")
    assert len(found) == 1 and "98765432" not in found[0].message and found[0].fix is None
    assert check(tmp_path, "api:\n  env: {A: 'true', B: '1'}\n", "SL604") == []


def test_env_null_value_renders_nil(tmp_path):
    # Helm keeps a user null that the chart's defaults do not have; `toString` makes it "<nil>"
    found = check(tmp_path, "api:\n  env: {FEATURE_X: null, ENVIRONMENT: ~}\n", ("SL604", "SL602"))
    by_key = {(f.rule, f.logical): f.message for f in found}
    assert "renders as the string <nil>" in by_key[("SL604", "api.env.FEATURE_X")]
    assert "renders as the string <nil>" in by_key[("SL604", "api.env.ENVIRONMENT")]
    assert by_key[("SL602", "api.env.ENVIRONMENT")].startswith("api.env.ENVIRONMENT is null")
    assert by_key[("SL602", "api.env.APP_PUBLIC_URL")].startswith("api.env.APP_PUBLIC_URL is not set")
    assert ("SL602", "api.env.FEATURE_X") not in by_key
    empty = check(tmp_path, "api:\n  env: {ENVIRONMENT: ''}\n", "SL602")
    assert any(f.message.startswith("api.env.ENVIRONMENT is empty") for f in empty)


def test_env_names_and_double_definitions(tmp_path):
    found = check(
        tmp_path,
        """
        api:
          env:
            "LOG LEVEL": "info"
            DATABASE_URL: "postgres://db/app"
            LOG_LEVEL: "info"
        externalSecrets:
          api:
            data: {DATABASE_URL: prod/db}
    """,
        "SL605",
    )
    assert sorted((f.logical, f.key) for f in found) == [
        ('api.env."LOG LEVEL"', "name"),
        ("api.env.DATABASE_URL", "both"),
    ]


def test_disabled_worker_env_not_checked(tmp_path):
    values = "worker:\n  enabled: {on}\n  env: {{'BAD NAME': 1}}\n"
    assert check(tmp_path, values.format(on="false"), ["SL604", "SL605"]) == []
    assert sorted(f.rule for f in check(tmp_path, values.format(on="true"), ["SL604", "SL605"])) == [
        "SL604",
        "SL605",
    ]


# ---------------------------------------------------------------------------------------------
# Whole configurations


def test_there_are_enough_clean_configurations():
    assert len(CLEAN) >= 6


@pytest.mark.parametrize("path", CLEAN + [REPO / "examples" / "values.prod.yaml"], ids=lambda p: p.name)
def test_clean_configuration_is_silent_under_every_rule(path):
    report = run(Options(values_files=[str(path)], cwd=str(REPO)))
    shown = "\n".join(f"{f.location.line}: {f.rule} {f.message}" for f in report.active)
    assert not report.active, f"{path.name}:\n{shown}"


def test_clean_configurations_cover_the_topologies():
    texts = {p.name: p.read_text(encoding="utf-8") for p in CLEAN}
    assert any("worker:\n  enabled: true" in t for t in texts.values())
    assert any("worker:\n  enabled: false" in t or "worker:" not in t for t in texts.values())
    assert any("externalSecrets:\n  enabled: false" in t for t in texts.values())
    assert any('"*.' in t for t in texts.values())
    assert any("apiHosts:\n    -" in t for t in texts.values())


def test_broken_example_fires_many_contract_rules():
    report = run(Options(values_files=[str(REPO / "examples" / "values.broken.yaml")], cwd=str(REPO)))
    # a finding folded into another's as a related location (SL604 under SL104) fired too
    fired = {f.rule for owner in report.active for f in (owner,) + owner.related}
    expected = {
        "SL201",
        "SL202",
        "SL203",
        "SL204",
        "SL205",
        "SL206",
        "SL301",
        "SL304",
        "SL307",
        "SL401",
        "SL402",
        "SL404",
        "SL501",
        "SL502",
        "SL503",
        "SL504",
        "SL601",
        "SL602",
        "SL603",
        "SL604",
    }
    assert expected <= fired, sorted(expected - fired)
    assert report.failed


def test_security_rules_carry_a_security_severity():
    from starter_lint.catalog import load_catalog

    for rule in load_catalog().values():
        if rule.id[:3] in ("SL2", "SL3") and rule.id != "SL305":
            assert rule.security_severity is not None, rule.id


def test_an_invalid_env_name_points_at_the_key(tmp_path):
    from starter_lint.options import Options
    from starter_lint.pipeline import run

    (tmp_path / "v.yaml").write_text('api:\n  env:\n    1FOO: "x"\n')
    report = run(Options(values_files=[str(tmp_path / "v.yaml")], select=["SL605"], cwd=str(tmp_path)))
    [finding] = report.active
    assert (finding.location.line, finding.location.col) == (3, 5)


def test_values_schema_names_a_fraction_where_a_whole_number_is_wanted(tmp_path):
    found = check(tmp_path, "autoscaling:\n  api: {maxReplicas: 2.5}\n", "SL100")
    assert [f.message for f in found] == [
        "autoscaling.api.maxReplicas (2.5) must be a whole number, not a fraction"
    ]
    found = check(tmp_path, "autoscaling:\n  api: {maxReplicas: 'x'}\n", "SL100")
    assert [f.message for f in found] == ["autoscaling.api.maxReplicas must be a whole number, not a string"]


def test_a_cpu_amount_missing_its_m_is_reported(tmp_path):
    found = check(
        tmp_path,
        "web:\n  resources:\n    requests: {cpu: 250, memory: 384Mi}\n    limits: {memory: 512Mi}\n",
        "SL504",
    )
    assert any("250 whole CPUs" in f.message and "250m" in f.message for f in found), messages(found)
    fine = check(
        tmp_path,
        "web:\n  resources:\n    requests: {cpu: 2, memory: 384Mi}\n    limits: {memory: 512Mi}\n",
        "SL504",
    )
    assert not any("whole CPUs" in f.message for f in fine)
