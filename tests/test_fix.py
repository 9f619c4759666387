"""`starter-lint fix`: safe fixes applied with comments, order and quoting kept; idempotent."""
from __future__ import annotations

import os
import stat

import pytest

from starter_lint.catalog import load_catalog
from starter_lint.findings import Finding, Fix, Location, Severity
from starter_lint.fix import apply_fixes
from starter_lint.options import Options
from starter_lint.pipeline import run
from starter_lint.yamlio import load_values

from .support import cli

COMMENTED = """\
# Production values (owned by the platform team)
api:
  env:
    DEBUG: yes       # turn off after the launch
    APP_VERSION: 1.10
    on: 'x'
    MODE: 0644
  hosts:
      - a.example.com   # primary
      - 'b.example.com'
worker:
  enabled: true
"""


def finding(rule, path, value, key=""):
    return Finding(rule, "x", Severity.WARNING, "m", Location("values.yaml", 1), logical="",
                   fix=Fix("fix", safe=True, path=tuple(path), value=value), key=key)


def test_fix_keeps_comments_order_and_quoting(tmp_path):
    values = tmp_path / "values.yaml"
    values.write_text(COMMENTED)
    values.chmod(0o640)
    done = cli("fix", "values.yaml", "--select", "SL104", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "fixed 4 findings in values.yaml" in done.stderr
    assert values.read_text() == COMMENTED.replace("DEBUG: yes       #", "DEBUG: true      #").replace(
        "APP_VERSION: 1.10", 'APP_VERSION: "1.10"').replace("    on: 'x'", "    \"on\": 'x'").replace(
        "MODE: 0644", 'MODE: "0644"')
    assert stat.S_IMODE(values.stat().st_mode) == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["values.yaml"]   # no temporary files left
    # idempotent: nothing left to fix, nothing changes
    again = cli("fix", "values.yaml", "--select", "SL104", cwd=tmp_path)
    assert again.returncode == 0 and "nothing to fix" in again.stderr
    data = load_values(values.read_text()).data
    assert data["api"]["env"] == {"DEBUG": True, "APP_VERSION": "1.10", "on": "x", "MODE": "0644"}


def test_diff_prints_and_does_not_write(tmp_path):
    values = tmp_path / "values.yaml"
    values.write_text(COMMENTED)
    done = cli("fix", "values.yaml", "--select", "SL104", "--diff", cwd=tmp_path)
    assert done.returncode == 1
    assert done.stdout.startswith("--- a/values.yaml\n+++ b/values.yaml\n")
    assert "\n-    APP_VERSION: 1.10\n" in done.stdout and '\n+    APP_VERSION: "1.10"\n' in done.stdout
    assert values.read_text() == COMMENTED
    cli("fix", "values.yaml", "--select", "SL104", cwd=tmp_path)
    done = cli("fix", "values.yaml", "--select", "SL104", "--diff", cwd=tmp_path)
    assert done.returncode == 0 and done.stdout == ""


def test_missing_paths_are_created_with_the_files_indentation():
    text = "# worker\nworker:\n    enabled: true   # dedicated\n    image: app:1.2\nlist:\n    - a\n"
    fixes = [finding("SL402", ("worker", "env", "ENABLE_BILLING_RETRY_WORKER"), "true"),
             finding("SL402", ("worker", "env", "BILLING_RETRY_DEPLOYMENT_MODE"), "dedicated")]
    out = apply_fixes(text, fixes)
    assert out == ("# worker\nworker:\n    enabled: true   # dedicated\n    image: app:1.2\n"
                   "    env:\n        ENABLE_BILLING_RETRY_WORKER: \"true\"\n"
                   "        BILLING_RETRY_DEPLOYMENT_MODE: \"dedicated\"\nlist:\n    - a\n")
    assert apply_fixes(out, fixes) == out


def test_creation_under_null_and_flow_mappings():
    out = apply_fixes("worker:\n  enabled: true\n  env:\n", [finding("SL402", ("worker", "env", "A"), "true")])
    assert load_values(out).data["worker"]["env"] == {"A": "true"}
    out = apply_fixes("worker:\n  env: {}\n", [finding("SL402", ("worker", "env", "A"), "true")])
    assert load_values(out).data["worker"]["env"] == {"A": "true"}


def test_non_string_env_values_are_quoted():
    text = "api:\n  env:\n    PORT: 8080  # the API port\n    RATIO: 0.5\n    FLAG: true\n"
    fixes = [finding("SL604", ("api", "env", key), value) for key, value in
             (("PORT", "8080"), ("RATIO", "0.5"), ("FLAG", "true"))]
    out = apply_fixes(text, fixes)
    # the comment stays; ruamel moves it one column when the value outgrows its old place
    assert out == 'api:\n  env:\n    PORT: "8080" # the API port\n    RATIO: "0.5"\n    FLAG: "true"\n'


def test_indented_and_unindented_sequences_are_kept():
    for text in ("a:\n  - x: 1\n    y: yes\n", "a:\n- x: 1\n  y: yes\n", "a:\n    - x: 1\n      y: yes\n"):
        out = apply_fixes(text, [finding("SL104", ("a", 0, "y"), True)])
        assert out == text.replace("yes", "true")


def test_a_fix_that_does_not_apply_changes_nothing():
    text = "api:\n  env: [1, 2]\n"
    assert apply_fixes(text, [finding("SL604", ("api", "env", "PORT"), "1")]) == text


SAFE_RULES = [rule for rule in load_catalog().values() if rule.fix == "safe"]
SAFE_EXAMPLES = [(rule, example) for rule in SAFE_RULES for example in rule.failing
                 if example.values is not None and not (example.chart or example.manifests or example.files or example.set)]


@pytest.mark.parametrize("rule,example", SAFE_EXAMPLES,
                         ids=[f"{rule.id}-{i}" for i, (rule, _) in enumerate(SAFE_EXAMPLES)])
def test_every_safe_fix_of_the_catalog_resolves_its_findings(rule, example, tmp_path):
    values = tmp_path / "values.yaml"
    values.write_text(example.values)

    def fixable():
        old = os.getcwd()
        os.chdir(tmp_path)
        try:
            report = run(Options(cwd=str(tmp_path), values_files=[str(values)], select=[rule.id],
                                 **{k.replace("-", "_"): v for k, v in (example.options or {}).items()}))
        finally:
            os.chdir(old)
        return [f for f in report.active if f.fix is not None and f.fix.safe]

    before = fixable()
    if not before:
        pytest.skip(f"{example.title!r}: no safe fix offered for this example")
    done = cli("fix", "values.yaml", "--select", rule.id, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert not fixable(), f"{rule.id} still offers fixes after `fix` on {example.title!r}:\n{values.read_text()}"
    text = values.read_text()
    assert cli("fix", "values.yaml", "--select", rule.id, cwd=tmp_path).returncode == 0
    assert values.read_text() == text


def test_the_domain_rule_wins_when_two_fixes_disagree():
    from starter_lint.fix import choose_fixes

    generic = finding("SL104", ("api", "env", "DEBUG"), True)
    domain = finding("SL604", ("api", "env", "DEBUG"), "true")
    other = finding("SL104", ("worker", "enabled"), True)
    assert choose_fixes([generic, domain, other]) == [domain, other]
    assert apply_fixes("api:\n  env:\n    DEBUG: yes\n", choose_fixes([generic, domain])) == 'api:\n  env:\n    DEBUG: "true"\n'


def test_fix_end_to_end_with_overlapping_rules(tmp_path):
    values = tmp_path / "values.yaml"
    values.write_text("api:\n  env:\n    DEBUG: yes   # verbose logs\n")
    done = cli("fix", "values.yaml", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert 'DEBUG: "true" # verbose logs' in values.read_text()
    text = values.read_text()
    assert cli("fix", "values.yaml", "--diff", cwd=tmp_path).returncode == 0 and values.read_text() == text
