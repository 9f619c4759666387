"""`starter-lint values`: the effective values as Helm sees them, with provenance and redaction."""

from __future__ import annotations

import json

import pytest

from starter_lint.yamlio import load_values

from .support import cli

BASE = """\
api:
  image: registry.example.org/app-api:1.4.2
  replicas: 2
  env:
    LOG_LEVEL: debug
    DB_PASSWORD: hunter2-secret
  secrets:
    DATABASE_URL: postgres://app:s3cr3t-pw@db.internal:5432/app
web:
  env:
    CALLBACK: https://bot:t0ken-value@hooks.example.org/x
"""
OVERRIDE = """\
api:
  replicas: 5
  env:
    LOG_LEVEL: null
    FEATURE: "on"
"""
SECRETS = ("hunter2-secret", "s3cr3t-pw", "t0ken-value")


@pytest.fixture()
def workdir(tmp_path):
    (tmp_path / "base.yaml").write_text(BASE)
    (tmp_path / "override.yaml").write_text(OVERRIDE)
    return tmp_path


def run(workdir, *args):
    return cli("values", *args, cwd=str(workdir))


def test_json_is_the_layered_values(workdir):
    result = run(
        workdir,
        "-f",
        "base.yaml",
        "-f",
        "override.yaml",
        "--set",
        "api.env.EXTRA=1",
        "--set-string",
        "web.replicas=3",
        "--format",
        "json",
        "--show-secrets",
    )
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert values["api"]["replicas"] == 5
    # override.yaml's null deletes base.yaml's value; the base layer lacks the key, so Helm keeps
    # the null itself (coalesce deletes only keys of the chart's own values)
    assert values["api"]["env"]["LOG_LEVEL"] is None
    assert values["api"]["env"]["FEATURE"] == "on" and values["api"]["env"]["EXTRA"] == 1
    assert values["web"]["replicas"] == "3"
    assert values["worker"]["enabled"] is False  # contract defaults are the base layer
    assert values["api"]["env"]["DB_PASSWORD"] == "hunter2-secret"


def test_yaml_output_reads_back_as_the_same_values(workdir):
    tricky = (
        'odd:\n  "on": "yes"\n  "1.10": "1.10"\n  mode: "0644"\n  "null": "~"\n  empty: ""\n'
        '  colon: "a: b"\n  hash: "x #y"\n  list: ["-", "*a", "&b", "!c", "[d]"]\n  big: 12345678901234567890\n'
        '  text: "line1\\nline2"\n  "true": 1e21\n  unicode: "é 日本"\n'
    )
    (workdir / "tricky.yaml").write_text(tricky)
    as_json = json.loads(run(workdir, "-f", "tricky.yaml", "--format", "json").stdout)
    as_yaml = run(workdir, "-f", "tricky.yaml")
    assert as_yaml.returncode == 0, as_yaml.stderr
    assert load_values(as_yaml.stdout).data == as_json


def test_provenance_in_yaml_names_file_and_line(workdir):
    result = run(workdir, "-f", "base.yaml", "-f", "override.yaml", "--set", "api.image=x", "--provenance")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert any(
        line.strip().startswith("replicas: 5") and line.endswith("# override.yaml:2") for line in lines
    )
    assert any(line.strip().startswith("FEATURE:") and line.endswith("# override.yaml:5") for line in lines)
    assert any(line.strip().startswith("image: x") and line.endswith("# --set api.image=x") for line in lines)
    assert any(line.strip().startswith("enabled: false") and "<contract defaults>:" in line for line in lines)


def test_provenance_in_json(workdir):
    result = run(workdir, "-f", "base.yaml", "-f", "override.yaml", "--format", "json", "--provenance")
    document = json.loads(result.stdout)
    assert document["values"]["api"]["replicas"] == 5
    assert document["provenance"]["api.replicas"] == "override.yaml:2"
    assert document["provenance"]["api.image"] == "base.yaml:2"


def test_provenance_with_a_chart_points_into_its_values_yaml(workdir):
    chart = workdir / "chart"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: starter\nversion: 0.1.0\n")
    (chart / "values.yaml").write_text(
        "api:\n  replicas: 1\n  image: repo/app:1\n  env:\n    LOG_LEVEL: info\n"
    )
    result = run(workdir, "--chart", "chart", "-f", "override.yaml", "--format", "json", "--provenance")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    # the user's null deletes the chart's LOG_LEVEL
    assert document["values"]["api"] == {"replicas": 5, "image": "repo/app:1", "env": {"FEATURE": "on"}}
    assert document["provenance"]["api.image"].endswith("values.yaml:3")
    assert document["provenance"]["api.replicas"] == "override.yaml:2"


@pytest.mark.parametrize("fmt", ["yaml", "json"])
@pytest.mark.parametrize("provenance", [[], ["--provenance"]])
def test_secrets_are_redacted_unless_asked(workdir, fmt, provenance):
    result = run(workdir, "-f", "base.yaml", "--format", fmt, *provenance)
    assert result.returncode == 0, result.stderr
    for secret in SECRETS:
        assert secret not in result.stdout + result.stderr
    assert "<redacted>" in result.stdout
    shown = run(workdir, "-f", "base.yaml", "--format", fmt, "--show-secrets", *provenance)
    for secret in SECRETS:
        assert secret in shown.stdout


@pytest.mark.parametrize(
    "files,args,fragment",
    [
        ({}, ["-f", "missing.yaml"], "missing.yaml"),
        ({"bad.yaml": "api:\n  image: [unclosed\n"}, ["-f", "bad.yaml"], "bad.yaml:"),
        ({"list.yaml": "- a\n- b\n"}, ["-f", "list.yaml"], "must be a mapping"),
        ({"inf.yaml": "a: .inf\n"}, ["-f", "inf.yaml"], "inf.yaml:1:"),
        ({"latin1.yaml": b"a: caf\xe9\n"}, ["-f", "latin1.yaml"], "UTF-8"),
        ({"tag.yaml": "a: !!int nope\n"}, ["-f", "tag.yaml"], "tag.yaml:1:"),
        ({}, ["--set", "a[x]=1"], "--set"),
        ({}, ["--set", "novalue"], "has no value"),
        ({"ok.yaml": "a: [1]\n"}, ["-f", "ok.yaml", "--set", "a.b=2"], "already"),
    ],
)
def test_errors_are_one_line_and_exit_2(workdir, files, args, fragment):
    for name, content in files.items():
        path = workdir / name
        path.write_bytes(content) if isinstance(content, bytes) else path.write_text(content)
    result = run(workdir, *args)
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and fragment in lines[0], result.stderr
    assert "Traceback" not in result.stderr


def test_a_set_alone_layers_over_the_contract_defaults(workdir):
    result = run(workdir, "--set", "api.replicas=4", "--format", "json")
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert values["api"]["replicas"] == 4 and values["ingress"]["className"] == "nginx"


def test_without_inputs_says_what_to_give(workdir):
    result = run(workdir)
    assert result.returncode == 2 and "-f FILE" in result.stderr and "Traceback" not in result.stderr


def test_values_with_config_targets_needs_a_choice(tmp_path):
    (tmp_path / "a.yaml").write_text("api:\n  image: registry.example.org/a:1.0.0\n")
    (tmp_path / "b.yaml").write_text("api:\n  image: registry.example.org/b:1.0.0\n")
    (tmp_path / ".starter-lint.yaml").write_text(
        "targets:\n  prod: {values: [a.yaml]}\n  staging: {values: [b.yaml]}\n"
    )
    both = cli("values", cwd=tmp_path)
    assert both.returncode == 2 and both.stderr == (
        "starter-lint: error: 2 targets (prod, staging): choose one with --target NAME\n"
    )
    staging = cli("values", "--target", "staging", "--format", "json", cwd=tmp_path)
    assert staging.returncode == 0, staging.stderr
    assert json.loads(staging.stdout)["api"]["image"] == "registry.example.org/b:1.0.0"
    unknown = cli("values", "--target", "qa", cwd=tmp_path)
    assert unknown.returncode == 2 and "no such target (there are: prod, staging)" in unknown.stderr
