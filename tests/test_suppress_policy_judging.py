"""When a `disable=SL901/<name>` is judged, and what SL107 and the config warnings point at
(docs/suppressions.md "Unused suppressions", docs/policies.md): an unknown policy name is SL107
only where SL901 ran with admission policies loaded; two SL107 findings of one file about the
same text have fingerprints of their own; a config select/ignore warning names its entry's line."""

from __future__ import annotations

import json

import pytest

from starter_lint.directives import numbered_key, unknown_rule_parts

from .support import run_in_process
from .test_policy_admission_ux import DEPLOYMENT
from .test_policy_selector_fixes import tree as policy_tree  # noqa: F401  (a fixture: two policies loaded)

VALUES = "replicas: 2  # starter-lint: disable=SL901/no-such-policy accepted\n"


@pytest.fixture
def tree(policy_tree):  # noqa: F811  (pytest passes the imported fixture)
    (policy_tree / "values.yaml").write_text(VALUES)
    (policy_tree / "rendered.yaml").write_text(
        DEPLOYMENT.replace("replicas: 12", "replicas: 12  # starter-lint: disable=SL901/no-such-policy")
    )
    return policy_tree


def sl107(args, tree):
    _code, out, err = run_in_process(["check", "--select", "SL107,SL9", *args], tree)
    assert "Traceback" not in err, err
    return [line for line in out.splitlines() if " SL107 " in line]


def test_an_unknown_policy_is_not_judged_where_no_admission_policy_ran(tree):
    for args in (
        ["-f", "values.yaml"],  # a values-only (pre-commit) run
        ["-f", "values.yaml", "--policy", "policies"],  # policies loaded, but no objects: SL901 did not run
        ["--manifests", "rendered.yaml"],  # objects, but no --policy
        ["--manifests", "rendered.yaml", "--policy", "policies", "--ignore", "SL901"],
    ):
        assert sl107(args, tree) == [], args


def test_an_unknown_policy_is_sl107_where_sl901_ran_with_policies(tree):
    (line,) = sl107(["--manifests", "rendered.yaml", "--policy", "policies"], tree)
    assert "rendered.yaml:6:" in line and "`SL901/no-such-policy`" in line
    assert "names no loaded admission policy" in line


def test_a_policy_name_is_judged_only_against_the_policies_sl901_ran_with():
    catalog = ["SL301", "SL901"]
    parts = ["SL901/a", "SL901/b", "SL301/a", "SL3O1"]
    assert unknown_rule_parts(parts, catalog, {"a"}) == ["SL901/b", "SL301/a", "SL3O1"]
    assert unknown_rule_parts(parts, catalog, set()) == parts  # SL901 ran, with none of them
    # SL901 ran with no policies: a policy name is not judged; a policy of another rule still is
    assert unknown_rule_parts(parts, catalog) == ["SL301/a", "SL3O1"]


def test_numbered_keys_tell_namesakes_apart_and_keep_the_first_as_it_was():
    seen: dict[str, int] = {}
    assert [numbered_key(k, seen) for k in ("a", "b", "a", "a")] == ["a", "b", "a#2", "a#3"]


def fingerprints(tree, args):
    _code, out, _err = run_in_process(["check", "--format", "json", "--select", "SL107,SL9", *args], tree)
    report = json.loads(out)
    return [
        (f["line"], f["fingerprint"])
        for target in report["targets"]
        for f in target["findings"]
        if f["rule"] == "SL107"
    ]


def test_two_unknown_disables_of_one_name_have_fingerprints_of_their_own(tree):
    disabled = "replicas: 12  # starter-lint: disable=SL9999"
    text = (
        DEPLOYMENT.replace("replicas: 12", disabled) + "---\n" + DEPLOYMENT.replace("replicas: 12", disabled)
    )
    (tree / "rendered.yaml").write_text(text)
    found = fingerprints(tree, ["--manifests", "rendered.yaml"])
    assert [line for line, _ in found] == [6, 18], found
    assert len({fingerprint for _, fingerprint in found}) == 2, found
    # a line moved above both keeps both fingerprints
    (tree / "rendered.yaml").write_text("# a comment\n" + text)
    assert [fp for _, fp in fingerprints(tree, ["--manifests", "rendered.yaml"])] == [fp for _, fp in found]


def test_two_disables_of_one_rule_that_suppress_nothing_have_fingerprints_of_their_own(tree):
    (tree / "values.yaml").write_text(
        "a: 1  # starter-lint: disable=SL104 why\nb: 2  # starter-lint: disable=SL104 why\n"
    )
    found = fingerprints(tree, ["-f", "values.yaml", "--select", "SL104"])
    assert [line for line, _ in found] == [1, 2], found
    assert len({fingerprint for _, fingerprint in found}) == 2, found


@pytest.mark.parametrize(
    "config,lines",
    [
        ("ignore:\n  - SL901/first\n  - SL3\n  - SL901/second\n", {"first": 2, "second": 4}),
        ("\nignore: [SL901/first, SL901/second]\n", {"first": 2, "second": 2}),
        ("ignore:\n  - SL1\n\n  - sl901/First,SL901/second\n", {"first": 4, "second": 4}),
        ("ignore: SL901/first\n", {"first": 1}),
    ],
)
def test_a_config_warning_names_the_line_of_its_entry(tree, config, lines):
    (tree / ".starter-lint.yaml").write_text("policies: [policies]\n" + config)
    _code, out, err = run_in_process(["check", "--manifests", "rendered.yaml", "--select", "SL9"], tree)
    warned = {
        line.split("SL901/")[1].split()[0]: int(line.split(".starter-lint.yaml:")[1].split(":")[0])
        for line in err.splitlines()
        if "names no loaded admission policy" in line
    }
    assert warned == {name: line + 1 for name, line in lines.items()}, out + err
