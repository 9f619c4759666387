"""Config `rule-dirs`: folders of rule files (data only). They can re-describe a shipped rule;
Python beside them is never imported (a repository's code never runs), and a rule id no shipped
check implements is an error rather than a rule that silently never fires."""

from __future__ import annotations

import json

from .support import cli

SL104_TEAM = """\
id: SL104
name: ambiguous-scalar
severity: error
summary: Team wording - quote every YAML 1.1 surprise.
rationale: Our deploys broke twice on `NO`.
remediation: Quote it.
tags: [yaml, team]
examples:
  fail:
    - title: yes
      values: |
        worker:
          enabled: yes
  pass:
    - title: true
      values: |
        worker:
          enabled: true
"""

NEW_RULE = SL104_TEAM.replace("SL104", "SL999").replace("ambiguous-scalar", "team-owner-label")

MARKER = "rule-code-ran.marker"
CODE = f"open({MARKER!r}, 'w').write('ran')\n"


def _repo(tmp_path, rule_files: dict, python=False):
    (tmp_path / "policies").mkdir()
    for name, text in rule_files.items():
        (tmp_path / "policies" / name).write_text(text)
    if python:
        (tmp_path / "policies" / "team_rules.py").write_text(CODE)
        (tmp_path / "policies" / "__init__.py").write_text(CODE)
    (tmp_path / ".starter-lint.yaml").write_text("rule-dirs: [policies/]\n")
    (tmp_path / "values.yaml").write_text("worker:\n  enabled: yes\n")


def test_a_rule_file_re_describes_a_shipped_rule(tmp_path):
    _repo(tmp_path, {"SL104-ambiguous-scalar.yaml": SL104_TEAM})
    done = cli("check", "values.yaml", "--select", "SL104", "--format", "json", cwd=tmp_path)
    assert done.returncode == 1, done.stderr  # the team's file makes it an error
    findings = json.loads(done.stdout)["targets"][0]["findings"]
    assert [(f["rule"], f["line"], f["severity"]) for f in findings] == [("SL104", 2, "error")]
    assert "Team wording" in cli("rules", cwd=tmp_path).stdout
    assert "Our deploys broke twice" in cli("explain", "SL104", cwd=tmp_path).stdout


def test_python_in_a_rule_folder_is_never_run(tmp_path):
    _repo(tmp_path, {"SL104-ambiguous-scalar.yaml": SL104_TEAM}, python=True)
    for args in (
        ["check", "values.yaml"],
        ["fix", "--diff", "values.yaml"],
        ["fix", "values.yaml"],
        ["baseline", "values.yaml"],
        ["rules"],
        ["explain", "SL104"],
        ["values", "-f", "values.yaml"],
    ):
        done = cli(*args, cwd=tmp_path)
        assert not (tmp_path / MARKER).exists(), args
        if args[0] == "values":  # shows values, runs no rule: the rule folder is not read at all
            assert done.returncode == 0, done.stderr
            continue
        assert done.returncode == 2, (args, done.stdout, done.stderr)
        assert "Python rules are not loaded" in done.stderr and "policies/__init__.py" in done.stderr, args
        assert "Traceback" not in done.stderr
    assert (tmp_path / "values.yaml").read_text() == "worker:\n  enabled: yes\n"


def test_a_new_rule_id_without_a_shipped_check_is_an_error(tmp_path):
    _repo(tmp_path, {"SL999-team-owner-label.yaml": NEW_RULE})
    done = cli("check", "values.yaml", cwd=tmp_path)
    assert done.returncode == 2 and "no check implements SL999" in done.stderr
    assert "Python rules are not loaded" in done.stderr


def test_missing_rule_and_crd_folders_are_errors(tmp_path):
    (tmp_path / "values.yaml").write_text("api: {}\n")
    (tmp_path / ".starter-lint.yaml").write_text("rule-dirs: [nowhere/]\n")
    done = cli("check", "values.yaml", cwd=tmp_path)
    assert done.returncode == 2 and "nowhere" in done.stderr and "not a folder" in done.stderr
    (tmp_path / ".starter-lint.yaml").unlink()
    done = cli("check", "values.yaml", "--crd", "nodir/", cwd=tmp_path)
    assert done.returncode == 2 and "--crd nodir/: no such file or folder" in done.stderr
