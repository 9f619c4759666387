"""Loaded admission policies are first-class (docs/policies.md): `rules` lists them under SL901,
`explain SL901/<name>` shows one, `--select`/`--ignore` (and the config's select/ignore) take
`SL901/<name>` and refuse an unknown name; a policy no binding names is said on stderr; a CEL
error gives its line and column; SARIF results carry the policy's name."""

from __future__ import annotations

import json

import pytest

from starter_lint.options import Options, parse_rule_ids, rule_matches

from .support import run_in_process

POLICY = """\
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata:
  name: {name}
spec:
  matchConstraints:
    resourceRules:
      - apiGroups: [apps]
        apiVersions: [v1]
        operations: [CREATE]
        resources: [deployments]
  validations:
    - expression: {expression}
      message: "{message}"
      reason: Invalid
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata:
  name: {name}-binding
spec:
  policyName: {name}
  validationActions: [{action}]
"""
DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  replicas: 12
  template:
    spec:
      containers:
        - name: api
          image: docker.io/api:latest
"""


def policy(name, expression, message, action="Deny"):
    return POLICY.format(name=name, expression=expression, message=message, action=action)


@pytest.fixture
def repo(tmp_path):
    (tmp_path / ".git").mkdir()  # the repository root: inputs are confined to it
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "replicas.yaml").write_text(
        policy("replica-limit", "object.spec.replicas <= 5", "at most 5 replicas")
    )
    (tmp_path / "policies" / "images.yaml").write_text(
        policy(
            "trusted-images",
            "object.spec.template.spec.containers.all(c, c.image.startsWith('r.example/'))",
            "images from r.example",
            action="Warn",
        )
    )
    (tmp_path / "rendered.yaml").write_text(DEPLOYMENT)
    return tmp_path


def check(repo, *args):
    select = () if "--select" in args else ("--select", "SL9")  # the policies' findings only
    return run_in_process(
        ["check", "--manifests", "rendered.yaml", "--policy", "policies", *select, *args], repo
    )


def policies_of(stdout):
    return sorted(line.split('"')[1] for line in stdout.splitlines() if " SL901 " in line)


# --- selecting one admission policy ------------------------------------------------------------


def test_a_policy_selector_is_parsed_and_normalised_and_a_bad_one_refused():
    assert parse_rule_ids(["sl901/Replica-Limit, sl3"], ValueError) == ["SL901/replica-limit", "SL3"]
    for bad in (
        "SL901/",
        "SL901/under_score",
        "SL901/-x",
        "ACME001/x",
        "SL901/a/b",
        "SL901/\u212aeep",
        "\u017fl301",
    ):
        with pytest.raises(ValueError):
            parse_rule_ids([bad], ValueError)


def test_a_policy_pattern_names_only_that_policy_and_a_rule_pattern_names_all_of_them():
    assert rule_matches("SL901/replica-limit", ["SL901/REPLICA-LIMIT"])
    assert not rule_matches("SL901/replica-limit-2", ["SL901/replica-limit"])  # no prefix of a name
    assert rule_matches("SL901/replica-limit", ["SL9"]) and rule_matches("SL901/x", ["all"])
    assert not rule_matches("SL901", ["SL901/replica-limit"])  # ignoring one policy keeps SL901
    selected = Options(select=["SL901/replica-limit"])
    assert selected.selects("SL901") and selected.selects("SL901/replica-limit")
    assert not selected.selects("SL901/other") and not selected.selects("SL101")
    ignored = Options(ignore=["SL901/replica-limit"])
    assert ignored.selects("SL901") and ignored.selects("SL901/other")
    assert not ignored.selects("SL901/replica-limit")


def test_select_and_ignore_take_one_admission_policy(repo):
    code, out, err = check(repo)
    assert code == 1 and policies_of(out) == ["replica-limit", "trusted-images"], err
    code, out, err = check(repo, "--ignore", "SL901/replica-limit")
    assert code == 0 and policies_of(out) == ["trusted-images"], out + err  # a warning only
    code, out, err = check(repo, "--select", "SL901/replica-limit")
    assert code == 1 and policies_of(out) == ["replica-limit"], out + err


def test_the_config_select_and_ignore_take_one_admission_policy(repo):
    (repo / ".starter-lint.yaml").write_text("policies: [policies]\nignore: [SL901/trusted-images]\n")
    code, out, err = run_in_process(["check", "--manifests", "rendered.yaml", "--select", "SL9"], repo)
    assert code == 1 and policies_of(out) == ["replica-limit"], out + err


@pytest.mark.parametrize(
    "args,expected",
    [
        (
            ("--ignore", "SL901/replica-limits"),
            'starter-lint: error: --ignore SL901/replica-limits: no ValidatingAdmissionPolicy "replica-limits" '
            "is loaded (loaded: replica-limit, trusted-images)\n",
        ),
        (
            ("--select", "SL301/replica-limit"),
            "starter-lint: error: --select SL301/replica-limit: only SL901 names one policy "
            "(SL901/<policy name>); SL301 has none\n",
        ),
    ],
)
def test_an_unknown_policy_selector_is_one_exit_2_line(repo, args, expected):
    code, out, err = check(repo, *args)
    assert (code, out, err) == (2, "", expected)


def test_a_policy_selector_without_policy_files_is_refused(repo):
    code, _, err = run_in_process(["check", "--manifests", "rendered.yaml", "--ignore", "SL901/x"], repo)
    assert code == 2 and "no ValidatingAdmissionPolicy is loaded" in err and err.count("\n") == 1


# --- rules and explain -------------------------------------------------------------------------


def test_rules_lists_each_admission_policy_under_sl901_in_every_format(repo):
    code, out, err = run_in_process(["rules", "--policy", "policies"], repo)
    assert code == 0, err
    lines = out.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("SL901 "))
    assert lines[at + 1 : at + 5] == [
        "       SL901/replica-limit  bindings: replica-limit-binding (Deny)",
        "         - at most 5 replicas",
        "       SL901/trusted-images  bindings: trusted-images-binding (Warn)",
        "         - images from r.example",
    ]
    code, out, _ = run_in_process(["rules", "--policy", "policies", "--format", "json"], repo)
    [sl901] = [rule for rule in json.loads(out) if rule["id"] == "SL901"]
    assert sl901["policies"][0] == {
        "id": "SL901/replica-limit",
        "name": "replica-limit",
        "file": "policies/replicas.yaml",
        "line": 1,
        "bindings": [{"name": "replica-limit-binding", "validationActions": ["Deny"]}],
        "validations": ["at most 5 replicas"],
    }
    code, out, _ = run_in_process(["rules", "--policy", "policies", "--format", "markdown"], repo)
    assert "| SL901/trusted-images | trusted-images-binding (Warn) | images from r.example |" in out
    code, out, _ = run_in_process(["rules"], repo)  # without policy files: no policy lines
    assert "SL901/" not in out


def test_rules_escapes_what_a_policy_file_says(repo):
    (repo / "policies" / "replicas.yaml").write_text(
        policy("replica-limit", "object.spec.replicas <= 5", "::error::x\\u001b[2J <a>|b")
    )
    _, out, _ = run_in_process(["rules", "--policy", "policies"], repo)
    assert "\x1b" not in out and "\n::" not in out and "- ::error::x\\x1b[2J <a>|b" in out
    _, out, _ = run_in_process(["rules", "--policy", "policies", "--format", "json"], repo)
    assert "\x1b" not in out and "\\u001b" in out
    _, out, _ = run_in_process(["rules", "--policy", "policies", "--format", "markdown"], repo)
    assert "\x1b" not in out and "\\<a\\>&#124;b" in out


def test_explain_shows_one_admission_policy(repo):
    code, out, err = run_in_process(["explain", "sl901/Replica-Limit", "--policy", "policies"], repo)
    assert code == 0, err
    assert out.startswith(
        "## SL901/replica-limit (ValidatingAdmissionPolicy)\n\nfile: policies/replicas.yaml:1\n"
    )
    assert "- replica-limit-binding (policies/replicas.yaml:17): validationActions Deny\n" in out
    assert "### Match constraints\n\n    resourceRules:\n    - apiGroups:\n      - apps\n" in out
    assert (
        "### Validations\n\n- object.spec.replicas <= 5\n  message: at most 5 replicas\n  reason: Invalid\n"
        in out
    )
    code, out, err = run_in_process(["explain", "SL901/nope", "--policy", "policies"], repo)
    assert (code, out) == (2, "") and err.startswith("starter-lint: error: explain SL901/nope: no Validating")


# --- small UX --------------------------------------------------------------------------------------


def test_a_policy_no_binding_names_is_a_warning_line_not_an_error(repo):
    text = policy("replica-limit", "object.spec.replicas <= 5", "at most 5 replicas")
    (repo / "policies" / "replicas.yaml").write_text(text.split("---")[0])
    code, out, err = check(repo, "--ignore", "SL901/trusted-images")
    assert code == 0 and "SL901" not in out.replace("SL901/", "")
    assert err == (
        'starter-lint: warning: policies/replicas.yaml:1: ValidatingAdmissionPolicy "replica-limit" has no '
        "ValidatingAdmissionPolicyBinding: Kubernetes evaluates nothing for it, and neither does "
        "starter-lint (bind it, or remove it from the policy files)\n"
    )
    code, out, err = run_in_process(["rules", "--policy", "policies"], repo)
    assert "SL901/replica-limit  bindings: none (Kubernetes evaluates nothing for it)" in out
    (repo / "policies" / "replicas.yaml").write_text(text)
    assert check(repo)[2] == ""  # bound policies: no warning


@pytest.mark.parametrize(
    "expression,expected",
    [
        # a plain scalar: its line, and its column plus the one within the expression
        ("object.spec.replicas <= )", "replicas.yaml:13:43: spec.validations[0].expression: Syntax error"),
        # quoted: after the quote
        ('"object.spec.replicas <= )"', "replicas.yaml:13:44: spec.validations[0].expression: Syntax error"),
        # a literal block: the expression's second line is the file's line 15, at its indentation
        (
            "|\n        object.spec.replicas <= 5 &&\n          object.spec.replicas >= )",
            "replicas.yaml:15:35: spec.validations[0].expression: Syntax error",
        ),
        # a folded block is one line to CEL: the line after the indicator, the expression's column
        (
            ">-\n        object.spec.replicas <= 5 &&\n        object.spec.replicas >= )",
            "replicas.yaml:14: spec.validations[0].expression: Syntax error",
        ),
    ],
)
def test_a_cel_syntax_error_is_at_its_line_with_the_column(repo, expression, expected):
    (repo / "policies" / "replicas.yaml").write_text(policy("replica-limit", expression, "m"))
    code, _, err = check(repo)
    assert code == 2 and err.count("\n") == 1 and expected in err, err
    assert err.rstrip().endswith("(column 54)") if expression.startswith(">") else "(column" not in err


def test_an_admission_policy_name_is_a_kubernetes_object_name(repo):
    (repo / "policies" / "replicas.yaml").write_text(policy("Replica_Limit", "object.spec.replicas > 0", "m"))
    code, _, err = check(repo)
    assert code == 2 and "replicas.yaml:4: ValidatingAdmissionPolicy: metadata.name must be a DNS-1123" in err


def test_sarif_results_name_the_admission_policy(repo):
    code, out, _ = check(repo, "--format", "sarif")
    results = json.loads(out)["runs"][0]["results"]
    assert code == 1 and sorted(r["properties"]["policy"] for r in results) == [
        "replica-limit",
        "trusted-images",
    ]
    assert {r["ruleId"] for r in results} == {"SL901"}
