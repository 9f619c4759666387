"""Suppressions (docs/design/suppressions.md): inline comments, manifest annotations, config ignores, baselines."""

from __future__ import annotations

import datetime
import json
import os

import pytest

from starter_lint.directives import parse_directives
from starter_lint.errors import StarterLintError
from starter_lint.options import Options
from starter_lint.pipeline import run
from starter_lint.suppress.globs import glob_regex
from starter_lint.suppress.ignores import ConfigIgnore

from .support import cli

AMBIGUOUS = "worker:\n  enabled: yes\napi:\n  env:\n    APP_VERSION: 1.10\n"


def check(tmp_path, text=AMBIGUOUS, name="values.yaml", **options):
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    old = os.getcwd()
    os.chdir(tmp_path)
    try:
        report = run(Options(cwd=str(tmp_path), values_files=[str(path)], select=["SL104"], **options))
    finally:
        os.chdir(old)
    return {f.logical: f for f in report.findings}, report


def test_without_suppressions_both_fire(tmp_path):
    found, report = check(tmp_path)
    assert set(found) == {"worker.enabled", "api.env.APP_VERSION"}
    assert not report.suppressed


def test_inline_on_the_line_and_on_the_line_above(tmp_path):
    text = (
        "worker:\n  enabled: yes  # starter-lint: disable=SL104 the chart wants a bool\n"
        "api:\n  env:\n    # starter-lint: disable=SL1,SL999 legacy version string\n    APP_VERSION: 1.10\n"
    )
    found, report = check(tmp_path, text)
    assert found["worker.enabled"].suppressed == "the chart wants a bool"
    assert found["worker.enabled"].suppression_kind == "inSource"
    assert found["api.env.APP_VERSION"].suppressed == "legacy version string"
    assert len(report.suppressed) == 2 and not report.active


def test_inline_does_not_reach_further_or_other_rules(tmp_path):
    text = (
        "# starter-lint: disable=SL104 too far away\n\nworker:\n  enabled: yes\n"
        "api:\n  env:\n    APP_VERSION: 1.10  # starter-lint: disable=SL301\n"
    )
    found, _ = check(tmp_path, text)
    assert not found["worker.enabled"].suppressed
    assert not found["api.env.APP_VERSION"].suppressed


def test_trailing_directive_covers_only_its_own_line(tmp_path):
    text = "worker:\n  enabled: yes  # starter-lint: disable=SL104\napi:\n  env:\n    APP_VERSION: 1.10\n"
    found, _ = check(
        tmp_path,
        text.replace(
            "  enabled: yes  # starter-lint: disable=SL104\n",
            "  x: 1  # starter-lint: disable=SL104\n  enabled: yes\n",
        ),
    )
    assert not found["worker.enabled"].suppressed


def test_disable_file_in_the_header_only(tmp_path):
    found, report = check(
        tmp_path, "# values for prod\n# starter-lint: disable-file=SL104 generated file\n" + AMBIGUOUS
    )
    assert all(f.suppressed == "generated file" for f in found.values()) and len(report.suppressed) == 2
    found, _ = check(tmp_path, AMBIGUOUS + "# starter-lint: disable-file=SL104\n")
    assert not any(f.suppressed for f in found.values())


def test_hash_inside_a_value_is_not_a_comment():
    directives = parse_directives(
        "a: http://x/#starter-lint: disable=SL104\nb: 1  # starter-lint: disable=SL1\n"
    )
    assert 1 not in directives.by_line and [d.rules for d in directives.by_line[2]] == [("SL1",)]


def test_manifest_annotation(tmp_path):
    manifests = tmp_path / "m.yaml"
    manifests.write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  annotations:\n"
        "    starter-lint.io/ignore: \"SL704, SL8\"\n---\n"
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n"
    )
    old = os.getcwd()
    os.chdir(tmp_path)
    try:
        report = run(Options(cwd=str(tmp_path), manifests=[str(manifests)], select=["SL704"]))
    finally:
        os.chdir(old)
    hits = [f for f in report.findings if f.rule == "SL704"]
    if not hits:
        pytest.fail("SL704 did not report the duplicate object")
    assert all(
        f.suppressed and "starter-lint.io/ignore" in f.suppressed
        for f in hits
        if f.logical.startswith("ConfigMap/a")
    ), [(f.logical, f.suppressed) for f in hits]


def test_annotation_matches_by_object_ref():
    from types import SimpleNamespace

    from starter_lint.findings import Finding, Location, Severity
    from starter_lint.pipeline import TargetResult
    from starter_lint.suppress import apply

    obj = SimpleNamespace(
        ref="Service/prod/api", metadata={"annotations": {"starter-lint.io/ignore": "SL802,SL807"}}
    )
    ctx = SimpleNamespace(manifests=SimpleNamespace(objects=[obj]))
    findings = [
        Finding(rule, "x", Severity.ERROR, "m", Location("m.yaml", 3), logical=logical)
        for rule, logical in [
            ("SL802", "Service/prod/api#/spec/selector"),
            ("SL803", "Service/prod/api"),
            ("SL807", "Service/prod/web#/spec"),
        ]
    ]
    result = TargetResult(name="t", findings=findings, files=[])
    apply(result, ctx, Options())
    assert [bool(f.suppressed) for f in result.findings] == [True, False, False]
    assert result.findings[0].suppression_kind == "inSource"


def _ignore(**fields):
    return ConfigIgnore(**{"reason": "accepted", "where": ".starter-lint.yaml:3", **fields})


def test_config_ignores_by_rule_path_and_values_path(tmp_path):
    found, _ = check(
        tmp_path,
        name="envs/values.yaml",
        config_ignores=[
            _ignore(
                rules=("SL104",), paths=("envs/*.yaml",), values_paths=("worker.*",), base_dir=str(tmp_path)
            )
        ],
    )
    assert found["worker.enabled"].suppressed == "accepted"
    assert found["worker.enabled"].suppression_kind == "external"
    assert not found["api.env.APP_VERSION"].suppressed
    found, _ = check(
        tmp_path,
        name="envs/values.yaml",
        config_ignores=[_ignore(rules=("SL104",), paths=("other/*.yaml",), base_dir=str(tmp_path))],
    )
    assert not any(f.suppressed for f in found.values())


def test_expired_ignore_returns_the_finding_with_a_note(tmp_path):
    yesterday = datetime.date.today() - datetime.timedelta(days=1)
    found, report = check(tmp_path, config_ignores=[_ignore(rules=("SL104",), expires=yesterday)])
    assert not report.suppressed
    note = found["worker.enabled"].notes[0]
    assert f"expired on {yesterday.isoformat()}" in note and ".starter-lint.yaml:3" in note
    found, report = check(tmp_path, config_ignores=[_ignore(rules=("SL104",), expires=datetime.date.today())])
    assert len(report.suppressed) == 2


def test_resource_ignores_only_match_objects():
    from starter_lint.findings import Finding, Location, Severity

    ignore = _ignore(resources=("Ingress/*",))
    on_object = Finding(
        "SL804", "x", Severity.ERROR, "m", Location("m.yaml"), logical="Ingress/prod/web#/spec/tls"
    )
    on_values = Finding("SL301", "x", Severity.ERROR, "m", Location("v.yaml"), logical="ingress.hosts[0]")
    assert ignore.matches(on_object, None) and not ignore.matches(on_values, None)


def test_glob():
    assert glob_regex("values/*.yaml").match("values/a.yaml")
    assert not glob_regex("values/*.yaml").match("values/x/a.yaml")
    assert glob_regex("**/values.yaml").match("a/b/values.yaml") and glob_regex("**/values.yaml").match(
        "values.yaml"
    )


def test_baseline_round_trip(tmp_path):
    (tmp_path / "values.yaml").write_text(AMBIGUOUS)
    done = cli("baseline", "values.yaml", "--select", "SL104", "--output", "baseline.json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    document = json.loads((tmp_path / "baseline.json").read_text())
    entries = document["findings"]
    assert [e["fingerprint"] for e in entries] == sorted(e["fingerprint"] for e in entries)
    assert {e["rule"] for e in entries} == {"SL104"} and all(e["message"] and e["path"] for e in entries)
    done = cli(
        "check",
        "values.yaml",
        "--select",
        "SL104",
        "--fail-on",
        "warning",
        "--baseline",
        "baseline.json",
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stdout
    assert "(2 suppressed)" in done.stdout
    # a new finding is not in the baseline and fails; moved lines do not matter
    (tmp_path / "values.yaml").write_text("# moved\n" + AMBIGUOUS + "web:\n  x: on\n")
    done = cli(
        "check",
        "values.yaml",
        "--select",
        "SL104",
        "--fail-on",
        "warning",
        "--baseline",
        "baseline.json",
        cwd=tmp_path,
    )
    assert done.returncode == 1 and "values.yaml:8:" in done.stdout and "web.x: `on`" in done.stdout
    assert "(2 suppressed)" in done.stdout


def test_baseline_never_holds_secret_values(tmp_path):
    (tmp_path / "values.yaml").write_text(
        "api:\n  env:\n    STRIPE_SECRET_KEY: \"sk_live_abcdefghijk\"\n    DATABASE_URL: postgres://u:hunter22@db/x\n"
    )
    done = cli("baseline", "values.yaml", "--output", "b.json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    text = (tmp_path / "b.json").read_text()
    assert "sk_live_abcdefghijk" not in text and "hunter22" not in text


def test_bad_baseline_is_exit_2(tmp_path):
    (tmp_path / "values.yaml").write_text(AMBIGUOUS)
    (tmp_path / "b.json").write_text("[1, 2]")
    done = cli("check", "values.yaml", "--baseline", "b.json", cwd=tmp_path)
    assert done.returncode == 2 and "not a starter-lint baseline" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    done = cli("check", "values.yaml", "--baseline", "missing.json", cwd=tmp_path)
    assert done.returncode == 2 and "no such file" in done.stderr


def test_baseline_loader_rejects_garbage(tmp_path):
    from starter_lint.suppress.baseline import baseline_fingerprints

    (tmp_path / "b.json").write_text("{not json")
    with pytest.raises(StarterLintError):
        baseline_fingerprints(str(tmp_path / "b.json"))


def test_expired_ignore_is_shown_in_the_text_report(tmp_path):
    (tmp_path / "values.yaml").write_text(AMBIGUOUS)
    (tmp_path / ".starter-lint.yaml").write_text(
        "select: [SL104]\nfail-on: warning\nignores:\n  - rules: [SL104]\n    reason: temporary\n"
        "    expires: 2020-01-31\n"
    )
    done = cli("check", "values.yaml", cwd=tmp_path)
    assert done.returncode == 1
    assert "note: the config ignore at .starter-lint.yaml:4 (temporary) expired on 2020-01-31" in done.stdout


def test_expired_ignore_note_is_in_the_json_report(tmp_path):
    import json

    (tmp_path / "values.yaml").write_text(AMBIGUOUS)
    (tmp_path / ".starter-lint.yaml").write_text(
        "select: [SL104]\nfail-on: warning\nignores:\n  - rules: [SL104]\n    reason: temporary\n"
        "    expires: 2020-01-31\n"
    )
    done = cli("check", "values.yaml", "--format", "json", cwd=tmp_path)
    assert done.returncode == 1
    findings = json.loads(done.stdout)["targets"][0]["findings"]
    assert findings and all(f["suppressed"] is None for f in findings)
    assert any("expired on 2020-01-31" in note for f in findings for note in f["notes"])


def test_baseline_holds_from_another_folder_of_the_repository(tmp_path):
    """Fingerprints use the path from the git top level, not from the working directory."""
    import json

    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "envs").mkdir()
    (repo / "envs" / "values.yaml").write_text(AMBIGUOUS)
    recorded = cli("baseline", "envs/values.yaml", "--select", "SL104", "--output", "base.json", cwd=repo)
    assert recorded.returncode == 0, recorded.stderr
    assert json.loads((repo / "base.json").read_text())["findings"]
    from_root = cli(
        "check",
        "envs/values.yaml",
        "--select",
        "SL104",
        "--fail-on",
        "warning",
        "--baseline",
        "base.json",
        cwd=repo,
    )
    from_subfolder = cli(
        "check",
        "values.yaml",
        "--select",
        "SL104",
        "--fail-on",
        "warning",
        "--baseline",
        "../base.json",
        cwd=repo / "envs",
    )
    assert from_root.returncode == 0, from_root.stdout
    assert from_subfolder.returncode == 0, from_subfolder.stdout


@pytest.mark.parametrize("values_path", ["api.env.DEBUG", "api.env.*", "*.DEBUG"])
def test_config_ignore_values_paths_match_as_written(tmp_path, values_path):
    (tmp_path / "values.yaml").write_text(
        "api:\n  env:\n    DEBUG: yes\ningress:\n  hosts:\n    - host: A.acme.io\n"
    )
    (tmp_path / ".starter-lint.yaml").write_text(
        f"select: [SL104, SL306]\nfail-on: warning\nignores:\n  - values-path: \"{values_path}\"\n    reason: r\n"
        "  - values-path: \"ingress.hosts[0].host\"\n    reason: r\n"
    )
    done = cli("check", "values.yaml", cwd=tmp_path)
    assert done.returncode == 0, done.stdout
    assert "(2 suppressed)" in done.stdout
