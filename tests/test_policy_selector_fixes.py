"""`SL901/<name>` wherever a rule list is written (docs/policies.md, docs/suppressions.md): an
inline `disable=SL901/<name>` suppresses that policy's findings only, an unknown name is SL107; a
config select/ignore naming a policy this run did not load is a warning line, not an error."""

from __future__ import annotations

import pytest

from starter_lint.directives import parse_directives, unknown_rule_parts
from starter_lint.findings import Finding, Location, Severity
from starter_lint.policy.cel import CelError, compile_expression

from .support import run_in_process
from .test_policy_admission_ux import DEPLOYMENT, policies_of, policy


@pytest.fixture
def tree(tmp_path):
    (tmp_path / ".git").mkdir()  # the repository root: inputs are confined to it
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "replicas.yaml").write_text(
        policy("replica-limit", "object.spec.replicas <= 5", "at most 5 replicas")
    )
    (tmp_path / "policies" / "replicas-2.yaml").write_text(
        policy("replica-floor", "object.spec.replicas <= 2", "at most 2 replicas")
    )
    (tmp_path / "rendered.yaml").write_text(DEPLOYMENT)
    return tmp_path


def with_disable(tree, rules):
    text = DEPLOYMENT.replace("replicas: 12", f"replicas: 12  # starter-lint: disable={rules}")
    (tree / "rendered.yaml").write_text(text)


def check(tree, *args):
    return run_in_process(["check", "--manifests", "rendered.yaml", "--policy", "policies", *args], tree)


def test_a_directive_rule_list_ends_at_whitespace_and_keeps_a_policy_name():
    (directive,) = parse_directives("a: 1  # starter-lint: disable=sl901/Name-Format,SL3 the reason\n").all()
    assert directive.rules == ("SL901/name-format", "SL3") and directive.reason == "the reason"
    (bare,) = parse_directives("a: 1  # starter-lint: disable=SL301\n").all()
    assert bare.rules == ("SL301",) and bare.reason == ""
    (comma,) = parse_directives("a: 1  # starter-lint: disable=SL301,,SL302, why\n").all()
    assert comma.rules == ("SL301", "SL302", "WHY") and comma.reason == ""  # a part, as ever
    (trailing,) = parse_directives("a: 1\nb: 2  # starter-lint: disable=SL3, SL4,\n").all()
    assert trailing.rules == ("SL3", "SL4") and trailing.reason == ""
    (glued,) = parse_directives("a: 1  # starter-lint: disable=SL301: why\n").all()
    assert glued.rules == ("SL301:",)  # no rule: SL107 says so, rather than a reason ": why"
    catalog = ["SL301", "SL901"]
    assert unknown_rule_parts(["SL901/a", "SL901/b", "SL301/a", "SL3"], catalog, {"a"}) == [
        "SL901/b",
        "SL301/a",
    ]


def test_a_finding_says_its_policy():
    def finding(rule, key):
        return Finding(rule, "n", Severity.ERROR, "m", Location("f"), key=key)

    assert finding("SL901", "replica-limit/b/validations[0]").selector == "SL901/replica-limit"
    assert finding("SL901", "replica-limit/b/validations[0]").policy == "replica-limit"
    assert finding("SL301", "x/y").selector == "SL301" and finding("SL301", "x/y").policy == ""


def test_an_inline_disable_of_one_policy_suppresses_that_policy_only(tree):
    with_disable(tree, "SL901/replica-floor")
    code, out, err = check(tree, "--select", "SL901")
    assert code == 1 and policies_of(out) == ["replica-limit"] and "(1 suppressed)" in out, out + err


def test_an_inline_disable_of_a_policy_that_suppresses_nothing_or_is_unknown_is_sl107(tree):
    (tree / "policies" / "replicas-2.yaml").write_text(
        policy("replica-floor", "object.spec.replicas <= 20", "at most 20 replicas")
    )
    with_disable(tree, "SL901/replica-floor,SL901/replica-flor")
    _code, out, err = check(tree, "--select", "SL901,SL107")
    assert "no SL901/replica-floor finding on its line" in out, out + err
    assert "`SL901/replica-flor` in this disable comment names no loaded admission policy" in out
    # not judged where the policy did not run
    _code, out, err = check(tree, "--select", "SL901,SL107", "--ignore", "SL901/replica-floor")
    assert "no SL901/replica-floor finding" not in out, out + err


def test_a_config_ignore_entry_takes_a_policy(tree):
    (tree / ".starter-lint.yaml").write_text(
        "ignores:\n  - rules: [SL901/replica-floor]\n    reason: accepted\n"
    )
    code, out, err = check(tree, "--select", "SL901")
    assert code == 1 and policies_of(out) == ["replica-limit"] and "(1 suppressed)" in out, out + err


def test_a_config_entry_naming_no_loaded_policy_is_a_warning_and_the_command_lines_an_error(tree):
    (tree / "other").mkdir()
    (tree / "other" / "p.yaml").write_text(policy("other", "object.spec.replicas <= 50", "m"))
    (tree / ".starter-lint.yaml").write_text("policies: [policies]\nignore: [SL901/replica-floor]\n")
    args = ["check", "--manifests", "rendered.yaml", "--select", "SL9", "--policy", "other"]
    code, out, err = run_in_process(args, tree)
    assert (code, err) == (
        0,
        "starter-lint: warning: .starter-lint.yaml:2: ignore: SL901/replica-floor names no loaded admission policy\n",
    ), out + err
    code, out, err = run_in_process([*args, "--ignore", "SL901/replica-floor"], tree)
    assert code == 2 and err.startswith("starter-lint: error: --ignore SL901/replica-floor: "), err
    code, out, err = run_in_process(["check", "--manifests", "rendered.yaml", "--policy", "policies"], tree)
    assert "names no loaded" not in err and "replica-floor" not in out, out + err


def test_the_unbound_policy_warning_only_when_sl901_runs_and_on_baseline_too(tree):
    text = policy("replica-limit", "object.spec.replicas <= 5", "at most 5 replicas")
    (tree / "policies" / "replicas.yaml").write_text(text.split("---")[0])
    warning = 'ValidatingAdmissionPolicy "replica-limit" has no ValidatingAdmissionPolicyBinding'
    assert warning in check(tree, "--select", "SL901")[2]
    for quiet in (("--ignore", "SL901"), ("--select", "SL1"), ("--ignore", "SL901/replica-limit")):
        assert warning not in check(tree, *quiet)[2], quiet
    base = ["baseline", "--manifests", "rendered.yaml", "--policy", "policies", "--output", "b.json"]
    assert warning in run_in_process(base, tree)[2]


@pytest.mark.parametrize(
    "expression,expected",
    [
        ("format.dns1123Label().validate(object.metadata.name).orValue([]).size() == 0", "orValue()/or() on"),
        ("format.dns1123Label().validate('a').or(optional.none()).hasValue()", "orValue()/or() on"),
        ("format.named('x') == optional.none()", "cannot be compared with an optional"),
    ],
)
def test_orvalue_on_a_format_result_says_what_to_write(expression, expected):
    with pytest.raises(CelError) as caught:
        compile_expression(expression, ["object"])
    assert expected in str(caught.value) and "map(dyn" not in str(caught.value)
    assert "(docs/cel-libraries.md)" in str(caught.value)
    # a real optional keeps them, and another overload error keeps cel's words
    assert compile_expression("optional.of(1).orValue(2) == 1", ["object"]).evaluate({"object": {}}) is True
    with pytest.raises(CelError, match="found no matching overload for '_\\+_'"):
        compile_expression("1 + 'a'", ["object"])


def test_a_validation_message_with_a_line_break_is_a_load_error(tree):
    text = policy("replica-limit", "object.spec.replicas <= 5", "at most\\n5 replicas")
    (tree / "policies" / "replicas.yaml").write_text(text)
    code, out, err = check(tree)
    assert (code, out) == (2, "") and err.count("\n") == 1, err
    assert err.startswith(
        "starter-lint: error: policies/replicas.yaml:14: spec.validations[0].message must not"
    )
    # a trailing break (a `|` block's) is trimmed, as the API server trims it
    folded = text.replace('message: "at most\\n5 replicas"', "message: |\n        at most 5 replicas")
    (tree / "policies" / "replicas.yaml").write_text(folded)
    assert check(tree, "--select", "SL901")[0] == 1


def test_rules_shows_a_multi_line_validation_on_one_line(tree):
    expression = "|\n        object.spec.replicas <= 5 &&\n          object.spec.replicas >= 1"
    (tree / "policies" / "replicas.yaml").write_text(
        policy("replica-limit", expression, "m").replace('      message: "m"\n', "")
    )
    for fmt, expected in (
        ("text", "- failed expression: object.spec.replicas <= 5 && object.spec.replicas >= 1\n"),
        ("markdown", "failed expression: object.spec.replicas \\<= 5 \\&\\& object.spec.replicas \\>= 1 |"),
    ):
        code, out, err = run_in_process(["rules", "--policy", "policies", "--format", fmt], tree)
        assert code == 0 and expected in out and "\\n" not in out, out + err


@pytest.mark.parametrize(
    "expression,hint",
    [
        ("cel.bind(x, 1, x + 1) == 2", "(cel.bind is not in Kubernetes' CEL environment)"),
        ("base64.encode(b'hello') == 'aGVsbG8='", "(base64 is not in Kubernetes' CEL environment)"),
        ("math.greatest(1, 2) == 2", "(math is not in Kubernetes' CEL environment)"),
        ("y == 1", ""),
        ("object.math.y == 1 && z", ""),  # a field named math is no library call
    ],
)
def test_a_cel_go_library_kubernetes_lacks_is_named_in_the_error(expression, hint):
    with pytest.raises(CelError) as caught:
        compile_expression(expression, ["object"])
    message = str(caught.value)
    assert "undeclared reference" in message and message.endswith(hint or "'"), message


def test_a_malformed_policy_selector_and_a_policy_name_given_as_a_rule_say_the_form(tree):
    code, _, err = check(tree, "--ignore", "SL901/Web_App")
    assert code == 2 and "SL901/<metadata.name>, a DNS-1123 subdomain" in err, err
    (tree / ".starter-lint.yaml").write_text("ignore: [SL901/Web_App]\n")
    code, _, err = check(tree)
    assert code == 2 and ".starter-lint.yaml:1:" in err and "DNS-1123" in err, err
    (tree / ".starter-lint.yaml").unlink()
    code, _, err = run_in_process(["explain", "replica-limit", "--policy", "policies"], tree)
    assert code == 2 and err.rstrip().endswith(
        "replica-limit is an admission policy: `explain SL901/replica-limit`"
    )
    code, _, err = run_in_process(["explain", "SL9999", "--policy", "policies"], tree)
    assert code == 2 and "admission policy" not in err, err
