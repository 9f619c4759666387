"""Values policies (`kind: ValuesPolicy`, docs/policies.md): loading and its errors, evaluation
at the values line that set the value, and policy ids as rule ids everywhere (select, ignore,
inline disables, config, baseline, SARIF, explain, rules) and `policy test`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("cel_expr_python", reason="cel-expr-python has wheels for Python 3.11+ only")

from starter_lint.errors import InputError
from starter_lint.options import Options
from starter_lint.policy import load
from starter_lint.policy.values_policy import values_path
from starter_lint.targets import Target

from .sarif_rules import problems
from .support import REPO, run_in, run_in_process

POLICY = """\
apiVersion: starter-lint.io/v1
kind: ValuesPolicy
metadata:
  name: pinned-api-image
spec:
  id: ACME001
  severity: warning
  summary: The API image is pinned to a version
  why: latest moves under you
  fix: pin it
  validations:
    - expression: "!values.api.image.endsWith(':latest')"
      messageExpression: "'api.image must not be latest in ' + target.name"
      path: api.image
  examples:
    fail:
      - {api: {image: "registry.example.org/app-api:latest"}}
    pass:
      - {api: {image: "registry.example.org/app-api:1.2.3"}}
"""
LATEST = "api:\n  image: registry.example.org/app-api:latest\n"


@pytest.fixture
def repo(tmp_path):
    (tmp_path / ".git").mkdir()  # the repository root: inputs are confined to it
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "acme.yaml").write_text(POLICY)
    (tmp_path / "values.yaml").write_text(LATEST)
    return tmp_path


def check(repo: Path, *args: str) -> tuple[int, str, str]:
    return run_in_process(["check", "--policy", "policies", "values.yaml", *args], repo)


def acme(stdout: str) -> list[str]:
    return [line for line in stdout.splitlines() if " ACME001 " in line]


def test_a_false_validation_is_a_finding_at_the_values_line(repo):
    code, out, _ = check(repo, "--select", "ACME001", "-q")
    assert acme(out) == [
        "values.yaml:2:10: warning ACME001 api.image must not be latest in values.yaml [pinned-api-image]"
    ]
    assert code == 0  # a warning does not fail the run at --fail-on error
    (repo / "values.yaml").write_text("api:\n  image: registry.example.org/app-api:1.0\n")
    assert acme(check(repo, "--select", "ACME001")[1]) == []


@pytest.mark.parametrize(
    ("args", "found"),
    [
        (("--select", "ACME001"), True),
        (("--select", "ACME0"), True),  # a prefix, as SL3
        (("--select", "SL1"), False),
        (("--ignore", "ACME001"), False),
    ],
)
def test_select_and_ignore_take_policy_ids(repo, args, found):
    assert bool(acme(check(repo, *args)[1])) is found


def test_inline_disable_config_rules_and_ignores(repo):
    (repo / "values.yaml").write_text(LATEST.rstrip() + "  # starter-lint: disable=ACME001 accepted\n")
    code, out, _ = check(repo, "--select", "ACME001,SL107", "--format", "json")
    findings = json.loads(out)["targets"][0]["findings"]
    assert [(f["rule"], bool(f["suppressed"])) for f in findings] == [("ACME001", True)]

    (repo / "values.yaml").write_text(LATEST)
    (repo / ".starter-lint.yaml").write_text(
        "policies: [policies]\nrules:\n  ACME001: error\n"
        "ignores:\n  - rules: [ACME001]\n    values-path: [web.image]\n    reason: not this one\n"
    )
    code, out, _ = run_in_process(["check", "values.yaml", "--select", "ACME001", "-q"], repo)
    assert code == 1 and acme(out)[0].startswith("values.yaml:2:10: error ACME001 ")


def test_a_baseline_accepts_a_policy_finding(repo):
    code, _, _ = run_in_process(
        ["baseline", "--policy", "policies", "values.yaml", "--select", "ACME001", "-o", "base.json"], repo
    )
    assert code == 0 and "ACME001" in (repo / "base.json").read_text()
    code, out, _ = check(repo, "--select", "ACME001", "--baseline", "base.json", "--fail-on", "warning")
    assert code == 0 and acme(out) == []


def test_sarif_describes_the_policy_rule(repo):
    _, out, _ = check(repo, "--select", "ACME001", "--format", "sarif")
    run = json.loads(out)["runs"][0]
    rule = next(r for r in run["tool"]["driver"]["rules"] if r["id"] == "ACME001")
    assert rule["name"] == "pinned-api-image"
    assert rule["shortDescription"]["text"] == "The API image is pinned to a version"
    assert rule["defaultConfiguration"]["level"] == "warning"
    assert "helpUri" not in rule  # no spec.docs: no page to point at
    assert [r["ruleId"] for r in run["results"]] == ["ACME001"]

    (repo / "policies" / "acme.yaml").write_text(
        POLICY.replace("  fix: pin it\n", "  fix: pin it\n  docs: https://example.com/acme001\n")
    )
    _, out, _ = check(repo, "--select", "ACME001", "--format", "sarif")
    log = json.loads(out)
    rules = log["runs"][0]["tool"]["driver"]["rules"]
    assert next(r for r in rules if r["id"] == "ACME001")["helpUri"] == "https://example.com/acme001"
    assert problems(log, repo) == []  # what GitHub code scanning accepts (tests/sarif_rules.py)


def test_explain_and_rules_list_the_policy(repo):
    code, out, _ = run_in_process(["explain", "ACME001", "--policy", "policies"], repo)
    assert code == 0 and out.startswith("## ACME001 pinned-api-image\n") and "latest moves under you" in out
    code, out, _ = run_in_process(["rules", "--policy", "policies", "--format", "json"], repo)
    assert {"id": "ACME001", "name": "pinned-api-image"}.items() <= next(
        r for r in json.loads(out) if r["id"] == "ACME001"
    ).items()
    code, _, err = run_in_process(["explain", "ACME001"], repo)
    assert code == 2 and "unknown rule 'ACME001'" in err


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("values.api.nope == 1", "policy ACME001 could not be evaluated: "),
        ("values.api.image", "policy ACME001 could not be evaluated: its expression gave str, not a bool"),
    ],
)
def test_an_expression_that_fails_is_a_finding_not_silence(repo, expression, message):
    (repo / "policies" / "acme.yaml").write_text(
        POLICY.replace("\"!values.api.image.endsWith(':latest')\"", json.dumps(expression))
    )
    lines = acme(check(repo, "--select", "ACME001", "-q")[1])
    assert len(lines) == 1 and message in lines[0], lines


@pytest.mark.parametrize(
    ("old", "new", "error"),
    [
        ("  why:", "  wyh:", "acme.yaml:9: ValuesPolicy: unknown field spec.wyh"),
        ("id: ACME001", "id: SL999", "acme.yaml:6: ValuesPolicy: spec.id 'SL999' must be"),
        ("id: ACME001", "id: acme1", "acme.yaml:6: ValuesPolicy: spec.id 'acme1' must be"),
        # `$` would match before the final newline, `\d` Arabic-Indic digits
        ("id: ACME001", 'id: "ACME001\\n"', "acme.yaml:6: ValuesPolicy: spec.id 'ACME001\\n' must be"),
        ("id: ACME001", 'id: "ACME\\u0660\\u0660\\u0661"', "acme.yaml:6: ValuesPolicy: spec.id 'ACME"),
        # the name is printed by rules and explain: a Kubernetes object name, nothing else
        *(
            (
                "name: pinned-api-image",
                f"name: {name}",
                "acme.yaml:4: ValuesPolicy: metadata.name must be a DNS-1123",
            )
            for name in (
                '"nm\\u001b[31mRED\\u202e::error::x\\n::error file=a.yaml::pwned"',
                "Pinned",
                "pinned_api",
                "a" * 254,
                "[a]",
                "pinned-",
            )
        ),
        ("name: pinned-api-image", "name: " + "a" * 253, None),
        ("name: pinned-api-image", "name: acme.pinned-1", None),
        (
            "severity: warning",
            "severity: fatal",
            "acme.yaml:7: ValuesPolicy: spec.severity: unknown severity",
        ),
        (
            "\"!values.api.image.endsWith(':latest')\"",
            "\"values.api.image.endsWith(\"",
            "acme.yaml:12:46: ValuesPolicy: spec.validations[0].expression: Syntax error",
        ),
        (
            "\"!values.api.image.endsWith(':latest')\"",
            "\"object.spec.replicas > 1\"",
            # the file's column: the quoted scalar's, after its quote, plus the expression's 12
            "acme.yaml:12:31: ValuesPolicy: spec.validations[0].expression: undeclared reference to 'object.spec.replicas'\n",
        ),
        ("      path: api.image\n", "", None),  # no path: the finding points at the file
        ("      messageExpression:", "      messageExpresion:", "acme.yaml:13: ValuesPolicy: unknown field"),
        ("kind: ValuesPolicy", "kind: ValuesPolicy\nkind: Again", "acme.yaml:3: not a policy file:"),
        (
            "metadata:",
            "spek: {}\nmetadata:",
            "acme.yaml:3: ValuesPolicy: unknown field spek (known: apiVersion",
        ),
        (
            "apiVersion: starter-lint.io/v1",
            "apiVersion: starter-lint.io/v2",
            "acme.yaml:1: ValuesPolicy: apiVersion must be",
        ),
        ("  validations:\n", "  validations: []\n  x:\n", "acme.yaml:12: ValuesPolicy: unknown field spec.x"),
        (
            '    fail:\n      - {api: {image: "registry.example.org/app-api:latest"}}\n',
            "    fail: 1\n",
            "acme.yaml:16: ValuesPolicy: spec.examples.fail must be a list",
        ),
        (
            "  fix: pin it\n",
            "  fix: pin it\n  examples: {}\n",
            "acme.yaml:16: not a policy file: policies/acme.yaml",
        ),
        (
            "      path: api.image",
            "      path: [api, image]",
            "acme.yaml:14: ValuesPolicy: a validation's path is a string",
        ),
        (
            "  fix: pin it\n",
            "  fix: pin it\n  docs: http://x\n",
            "acme.yaml:11: ValuesPolicy: spec.docs must be an https:// URL",
        ),
        *(
            (
                "  fix: pin it\n",
                f"  fix: pin it\n  docs: {docs}\n",
                "acme.yaml:11: ValuesPolicy: spec.docs must be an https:// URL",
            )
            for docs in ('"https://x\\u001b[2J\\n::error::d"', '"https://x y"', '"https://x\\u202e"')
        ),
        ("  fix: pin it\n", "  fix: pin it\n  docs: https://example.com/p?q=1#ACME\n", None),
    ],
)
def test_a_bad_policy_is_one_file_line_error(repo, old, new, error):
    assert old in POLICY
    (repo / "policies" / "acme.yaml").write_text(POLICY.replace(old, new, 1))
    code, _, err = check(repo, "--select", "ACME001")
    if error is None:
        assert code == 0, err
        return
    assert code == 2 and err.count("\n") == 1 and "Traceback" not in err, err
    assert f"starter-lint: error: policies/{error}" in err, err


def test_duplicate_ids_and_missing_paths_are_errors(repo):
    (repo / "policies" / "again.yml").write_text(POLICY)
    code, _, err = check(repo)
    assert code == 2 and "ValuesPolicy: spec.id ACME001 is used twice (first at policies/" in err
    code, _, err = run_in_process(["check", "--policy", "nowhere", "values.yaml"], repo)
    assert code == 2 and "--policy nowhere: no such file or folder" in err


def test_policy_files_are_loaded_once_per_run(repo):
    (repo / "other.yaml").write_text(LATEST)
    load._load.cache_clear()
    options = Options(cwd=str(repo), policies=["policies"], select=["ACME001"], jobs=1, baseline=None)
    options.targets = [Target(name="a", files=["values.yaml"]), Target(name="b", files=["other.yaml"])]
    report = run_in(repo, options)
    assert sorted(f.location.path for f in report.findings) == ["other.yaml", "values.yaml"]
    assert load._load.cache_info().misses == 1
    (repo / "policies" / "acme.yaml").write_text(POLICY.replace("severity: warning", "severity: note"))
    report = run_in(repo, options)  # an edited policy file is read again
    assert {str(f.severity) for f in report.findings} == {"note"} and load._load.cache_info().misses == 2


def test_policy_test_runs_the_examples(repo):
    code, _, err = run_in_process(["policy", "test", "policies"], repo)
    assert code == 0 and err.strip().endswith("2 of 2 policy examples passed")
    (repo / "policies" / "acme.yaml").write_text(
        POLICY.replace("app-api:1.2.3", "app-api:latest").replace(
            'fail:\n      - {api: {image: "registry.example.org/app-api:latest"}}',
            "fail:\n      - {api: {image: x:1}}",
        )
    )
    code, _, err = run_in_process(["policy", "test", "policies"], repo)
    lines = err.strip().splitlines()
    assert code == 1, err
    # each at the example's own line (the policy starts at line 1)
    assert (
        lines[0]
        == "starter-lint: policies/acme.yaml:17: ACME001 fail example 1: expected a finding, got none"
    )
    assert lines[1].startswith(
        "starter-lint: policies/acme.yaml:19: ACME001 pass example 1: expected no finding, got: api.image must not be latest"
    )
    assert lines[2] == "starter-lint: 0 of 2 policy examples passed"
    (repo / "policies" / "acme.yaml").write_text("kind: [\n")
    assert run_in_process(["policy", "test", "policies"], repo)[0] == 2


def test_the_shipped_example_policies_pass_their_examples():
    code, _, err = run_in_process(["policy", "test", "examples/policies"], REPO)
    assert code == 0 and "policy examples passed" in err, err


@pytest.mark.parametrize(
    ("text", "path"),
    [
        ("replicaCount", ("replicaCount",)),
        ("api.image", ("api", "image")),
        ("ingress.hosts[0].host", ("ingress", "hosts", 0, "host")),
        ("/ingress/hosts/0/host", ("ingress", "hosts", 0, "host")),
        ("/a~1b/c~0d", ("a/b", "c~d")),
        ("", ()),
        # a digit to str.isdigit but no index (int() refused it: an internal error), and an
        # index of more digits than int() reads (a key, as the rest of the package reads it)
        ("stage.²", ("stage", "²")),
        ("/stage/" + "9" * 5000, ("stage", "9" * 5000)),
    ],
)
def test_values_paths(text, path):
    assert values_path(text) == path


def test_a_policy_reads_no_file_and_runs_no_code(repo):
    """A policy is data: CEL has no function that opens a file or runs a program."""
    (repo / "policies" / "acme.yaml").write_text(
        POLICY.replace("\"!values.api.image.endsWith(':latest')\"", "\"open('/etc/passwd') == ''\"")
    )
    code, _, err = check(repo)
    assert code == 2 and "undeclared reference to 'open'" in err
    with pytest.raises(InputError):
        load.load_policies(["policies"], str(repo))


def test_a_message_expression_never_prints_a_secret(repo):
    """A messageExpression may read any value; the pipeline's scrubbing still keeps secrets out."""
    (repo / "values.yaml").write_text(
        "api:\n  secrets:\n    DATABASE_URL: postgres://u:hunter2-very-secret@db/prod\n"
    )
    (repo / "policies" / "acme.yaml").write_text(
        POLICY.replace("\"!values.api.image.endsWith(':latest')\"", '"false"')
        .replace(
            "\"'api.image must not be latest in ' + target.name\"",
            "\"'the value is ' + values.api.secrets.DATABASE_URL\"",
        )
        .replace("path: api.image", "path: api.secrets.DATABASE_URL")
    )
    _, out, err = check(repo, "--select", "ACME001", "--format", "json")
    assert "hunter2" not in out + err
    assert json.loads(out)["targets"][0]["findings"][0]["message"] == "the value is <redacted>"


def test_a_runaway_policy_is_stopped_and_reported(repo):
    (repo / "values.yaml").write_text("items: [" + ", ".join(["1"] * 2000) + "]\n")
    (repo / "policies" / "acme.yaml").write_text(
        POLICY.replace(
            "\"!values.api.image.endsWith(':latest')\"",
            '"values.items.map(a, values.items.map(b, a + b)).size() > 0"',
        )
    )
    lines = acme(check(repo, "--select", "ACME001", "-q")[1])
    assert len(lines) == 1 and "could not be evaluated: cost limit exceeded" in lines[0], lines


def test_a_policy_folder_is_confined_to_the_repository(repo, tmp_path_factory):
    outside = tmp_path_factory.mktemp("outside")
    (outside / "evil.yaml").write_text(POLICY.replace("ACME001", "EVIL001"))
    (repo / "policies" / "link.yaml").symlink_to(outside / "evil.yaml")
    code, _, err = check(repo)
    assert code == 2 and "--policy policies" in err and "Traceback" not in err, err


def test_policies_and_rule_dirs_together(repo):
    """A repository's rule folder re-describes shipped rules; the policies' ids are no such rule."""
    (repo / "rules").mkdir()
    shipped = REPO / "rules" / "SL104-ambiguous-scalar.yaml"
    (repo / "rules" / shipped.name).write_text(shipped.read_text())
    (repo / ".starter-lint.yaml").write_text("rule-dirs: [rules]\npolicies: [policies]\n")
    code, out, err = run_in_process(["check", "values.yaml", "--select", "ACME001", "-q"], repo)
    assert code == 0 and len(acme(out)) == 1, err


def test_config_policies_are_relative_to_the_config_file(repo):
    (repo / "ci").mkdir()
    (repo / "ci" / "lint.yaml").write_text("policies: [../policies]\n")
    code, out, err = run_in_process(
        ["check", "--config", "ci/lint.yaml", "values.yaml", "--select", "ACME001", "-q"], repo
    )
    assert len(acme(out)) == 1, err
    (repo / "ci" / "lint.yaml").write_text("policies: [policies]\n")  # ci/policies: not there
    code, _, err = run_in_process(["check", "--config", "ci/lint.yaml", "values.yaml"], repo)
    assert code == 2 and "--policy ci/policies: no such file or folder" in err, err


def test_an_unused_disable_of_a_policy_is_reported(repo):
    (repo / "values.yaml").write_text(
        "api:\n  image: registry.example.org/app-api:1.0  # starter-lint: disable=ACME001 fine\n"
    )
    _, out, _ = check(repo, "--select", "ACME001,SL107", "-q")
    assert "SL107 `# starter-lint: disable=ACME001` suppresses nothing" in out
    _, out, _ = run_in_process(["check", "values.yaml", "--select", "SL107", "-q"], repo)
    assert "`ACME001` in this disable comment names no rule" in out  # without the policy loaded
