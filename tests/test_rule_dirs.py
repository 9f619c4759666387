"""A team's own rules from config `rule-dirs`: a rule file plus a Python check beside it."""
from __future__ import annotations

import json

from .support import cli

RULE = """\
id: SL901
name: team-owner-label
severity: warning
summary: Every values file names the owning team in api.env.TEAM.
rationale: Pages go to the right team.
remediation: Add api.env.TEAM.
tags: [team]
examples:
  fail:
    - title: no team
      values: |
        api:
          env: {}
  pass:
    - title: a team
      values: |
        api:
          env:
            TEAM: "payments"
"""

CHECK = """\
from starter_lint.checks import check
from starter_lint.findings import Problem


@check("SL901")
def team_owner_label(ctx):
    if not ctx.get(("api", "env", "TEAM")):
        yield Problem("api.env.TEAM is not set: add the owning team's name", path=("api", "env", "TEAM"))
"""


def _repo(tmp_path, with_check=True):
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "SL901-team-owner-label.yaml").write_text(RULE)
    if with_check:
        (tmp_path / "policies" / "team_rules.py").write_text(CHECK)
    (tmp_path / ".starter-lint.yaml").write_text("rule-dirs: [policies/]\n")
    (tmp_path / "values.yaml").write_text("api:\n  env:\n    ENVIRONMENT: \"production\"\n")


def test_a_custom_rule_fires_and_is_listed(tmp_path):
    _repo(tmp_path)
    done = cli("check", "values.yaml", "--select", "SL901", "--format", "json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr  # a warning does not fail at --fail-on error
    findings = json.loads(done.stdout)["targets"][0]["findings"]
    assert [(f["rule"], f["line"]) for f in findings] == [("SL901", 2)]
    assert "SL901" in cli("rules", cwd=tmp_path).stdout
    assert cli("explain", "SL901", cwd=tmp_path).returncode == 0


def test_a_custom_rule_without_its_check_is_an_error(tmp_path):
    _repo(tmp_path, with_check=False)
    done = cli("check", "values.yaml", cwd=tmp_path)
    assert done.returncode == 2 and "no check implements SL901" in done.stderr


def test_missing_rule_and_crd_folders_are_errors(tmp_path):
    (tmp_path / "values.yaml").write_text("api: {}\n")
    (tmp_path / ".starter-lint.yaml").write_text("rule-dirs: [nowhere/]\n")
    done = cli("check", "values.yaml", cwd=tmp_path)
    assert done.returncode == 2 and "nowhere" in done.stderr and "not a folder" in done.stderr
    (tmp_path / ".starter-lint.yaml").unlink()
    done = cli("check", "values.yaml", "--crd", "nodir/", cwd=tmp_path)
    assert done.returncode == 2 and "--crd nodir/: no such file or folder" in done.stderr
