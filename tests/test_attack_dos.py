"""Denial of service and crashes from a stranger's input, as attacks on the real CLI.

Each input runs `python -m starter_lint` in a child process limited to 1 GB of address space
and must finish within 10 seconds of CPU time with the right finding or one clear exit-2 line (issue 15).
Before the fixes: 200 KB of `[` took 79 s, a CRD pattern `^(a+)+$` 52 s, a 1 KB CRD alias
bomb ran out of memory, `--set a[0]…` and `--kubeconform-timeout nan` crashed.
"""

from __future__ import annotations

import json
import os
import re
import resource
import subprocess
import sys
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from .support import children_cpu_seconds, widget_crd

MEMORY_LIMIT = 1024 * 1024 * 1024
TIME_LIMIT = 10.0

VALUES = "api:\n  replicas: 2\n"


def _limit_memory():
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def attack(*args, cwd):
    """Run the CLI under the budget; returns the CompletedProcess (the budget already asserted)."""
    env = dict(os.environ)
    env.pop("STARTER_LINT_DEBUG", None)
    spent = children_cpu_seconds()
    done = subprocess.run(
        [sys.executable, "-m", "starter_lint", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=env,
        timeout=TIME_LIMIT * 3,
        preexec_fn=_limit_memory,
    )
    cpu = children_cpu_seconds() - spent
    assert cpu < TIME_LIMIT, f"took {cpu:.1f} s of CPU"
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr, done.stderr
    assert "out of memory" not in done.stderr, done.stderr
    return done


def one_error_line(done, wanted: str) -> None:
    assert done.returncode == 2, (done.returncode, done.stdout[-500:], done.stderr[-500:])
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("starter-lint: error: "), done.stderr[-500:]
    assert wanted in lines[0], lines[0][-300:]


# ---------------------------------------------------------------------------------------------
# Pathological flow nesting: linear time, values files and manifests alike


@pytest.mark.parametrize(
    "body",
    [
        "[" * 200_000,  # libyaml's path
        "a: " + "{" * 200_000,
        "[" * 200_000 + "?",  # `?` sends the text to the go-yaml scanner port
        "!" * 100_000 + " " + "?" * 100_000 + "[" * 100_000,  # each once made the leniency check quadratic
    ],
    ids=["brackets", "braces", "brackets-goyaml-scanner", "bangs-questions"],
)
def test_values_file_of_deep_flow_nesting_is_refused_in_linear_time(tmp_path, body):
    (tmp_path / "values.yaml").write_text(body + "\n", encoding="utf-8")
    done = attack("check", "values.yaml", "--select", "SL102", cwd=tmp_path)
    assert done.returncode == 1
    assert "SL102" in done.stdout


def test_large_values_file_with_a_syntax_error_is_not_reread_by_the_slow_goyaml_path(tmp_path):
    body = "".join(f"k{i}: v{i}\n" for i in range(22_000)) + "z: [\n"  # 300 KB; libyaml refuses it
    (tmp_path / "values.yaml").write_text(body, encoding="utf-8")
    done = attack("check", "values.yaml", "--select", "SL102", cwd=tmp_path)
    assert done.returncode == 1 and "SL102" in done.stdout


@pytest.mark.parametrize(
    "body",
    [
        "a: [" + "[]," * 90_000 + "b]\nc: [x?y]\n",  # `?` in a flow: libyaml reads it more leniently
        "a: [" + "[]," * 90_000 + "b]\nc: [\n",  # libyaml refuses it
    ],
)
def test_goyaml_path_reads_at_most_256_kb(monkeypatch, body):
    from starter_lint import yamlio
    from starter_lint.yamlio import events

    def too_slow(*args):
        raise AssertionError("the go-yaml path read a text above its budget")

    monkeypatch.setattr(events, "_ruamel_documents", too_slow)
    assert len(body) > yamlio.MAX_GOYAML_PATH_CHARS
    try:
        yamlio.load_values(body, "v.yaml")
    except yamlio.YamlLoadError as exc:
        assert "flow" in exc.message


def test_manifest_of_deep_flow_nesting_is_one_syntax_finding(tmp_path):
    (tmp_path / "m.yaml").write_text("[" * 200_000 + "\n", encoding="utf-8")
    done = attack("check", "--manifests", "m.yaml", "--validator", "builtin", cwd=tmp_path)
    assert done.returncode == 1 and "SL102" in done.stdout


# The leniency check, rewritten to run in linear time, answers exactly as the old expression did
_OLD_LENIENT = re.compile(r"\?[^\n]*[\]}]|[\[{][^\n]*\?|.\ufeff|!\S*[,\[\]{}]", re.S)


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet="?[]{}!,ab \n\t\ufeff\x85\u2028\xa0:#", max_size=40))
def test_the_linear_leniency_check_agrees_with_the_quadratic_one(text):
    from starter_lint.yamlio.events import _LIBYAML_LENIENT

    assert bool(_LIBYAML_LENIENT.search(text)) == bool(_OLD_LENIENT.search(text))


def test_goyaml_scanner_reads_deep_but_allowed_flow_nesting_as_libyaml_does(monkeypatch):
    from starter_lint import yamlio
    from starter_lint.yamlio import events

    text = "a: [" + ("[" * 300 + "x" + "]" * 300 + ", ") * 20 + "{k: [1, {j: 2}]}]\n"
    expected = yamlio.load_values(text, "v.yaml").data
    monkeypatch.setattr(events, "EVENT_BACKEND", "ruamel")  # the go-yaml scanner port
    assert yamlio.load_values(text, "v.yaml").data == expected
    with pytest.raises(yamlio.YamlLoadError, match="nesting deeper than 500 levels"):
        yamlio.load_values("a: " + "[" * 501 + "]" * 501 + "\n", "v.yaml")


# ---------------------------------------------------------------------------------------------
# CRDs: patterns through RE2, aliases and nesting budgeted

CRD = widget_crd(
    "{type: object, properties: {spec: {type: object,"
    ' properties: {name: {type: string, pattern: "^(a+)+$"}, look: {type: string, pattern: "^(?=x)x$"}},'
    ' patternProperties: {"^(b+)+$": {type: string}}}}}',
    group="example.org",
)

WIDGET = """\
apiVersion: example.org/v1
kind: Widget
metadata: {name: w}
spec:
  name: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!
  look: x
  bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbc: one
"""


def test_crd_pattern_of_catastrophic_backtracking_runs_in_linear_time(tmp_path):
    (tmp_path / "crd.yaml").write_text(CRD, encoding="utf-8")
    (tmp_path / "w.yaml").write_text(WIDGET, encoding="utf-8")
    done = attack(
        "check",
        "--manifests",
        "w.yaml",
        "--crd",
        "crd.yaml",
        "--validator",
        "builtin",
        "--format",
        "json",
        cwd=tmp_path,
    )
    assert done.returncode == 1
    findings = {
        (f["severity"], f["message"].split(";")[0])
        for target in json.loads(done.stdout)["targets"]
        for f in target["findings"]
    }
    assert findings == {
        ("error", "Widget/w example.org/v1: spec.name: does not match pattern '^(a+)+$'"),
        (
            "error",
            "Widget/w example.org/v1: spec: additional properties "
            "'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbc' not allowed",
        ),
        # a lookahead is no RE2 (the API server refuses it too): noted as unchecked, not an error
        (
            "note",
            "Widget/w example.org/v1: spec.look: pattern '^(?=x)x$' was not checked: RE2, as the "
            "API server uses, cannot compile it: invalid perl operator: (?=",
        ),
    }


def test_crd_pattern_matches_as_the_api_server_does():
    from starter_lint.validate.json_schema import SchemaValidator

    validator = SchemaValidator()
    schema = {
        "type": "object",
        "properties": {"n": {"type": "string", "pattern": r"^\d+$"}},
        "patternProperties": {"^x-": {"type": "integer"}},
    }
    assert validator.errors(schema, {"n": "42"}) == []
    assert validator.errors(schema, {"n": "42\n"})  # Go's `$` is the end of the text
    assert validator.errors(schema, {"n": "\u0663"})  # Go's `\d` is ASCII
    assert validator.errors(schema, {"x-a": "s"})  # the patternProperties schema applies
    assert validator.errors(schema, {"n": "1\ud800"}) and validator.unchecked == []


def test_unverifiable_pattern_property_neither_allows_nor_refuses_a_key():
    from starter_lint.validate.json_schema import SchemaValidator

    validator = SchemaValidator()
    schema = {
        "type": "object",
        "additionalProperties": False,
        "properties": {"a": {}},
        "patternProperties": {"^(?!a)": {}},
    }
    assert validator.errors(schema, {"a": 1, "b": 2}) == []
    assert [note.message for note in validator.unchecked] == [
        "pattern '^(?!a)' was not checked: RE2, as the API server uses, cannot compile it: "
        "invalid perl operator: (?!"
    ]


def test_without_re2_a_pattern_is_unchecked_never_backtracked(monkeypatch):
    from starter_lint import inputregex
    from starter_lint.validate.json_schema import SchemaValidator

    monkeypatch.setattr(inputregex, "_re2_options", lambda: None)
    inputregex._compile.cache_clear()
    try:
        validator = SchemaValidator()
        start = time.process_time()
        errors = validator.errors({"type": "string", "pattern": "^(a+)+$"}, "a" * 40 + "!")
        assert time.process_time() - start < 1 and errors == []
        assert "RE2 (the google-re2 package) is not installed" in validator.unchecked[0].message
    finally:
        inputregex._compile.cache_clear()


def _alias_bomb_crd() -> str:
    lines = [
        "apiVersion: apiextensions.k8s.io/v1",
        "kind: CustomResourceDefinition",
        "metadata: {name: bombs.example.org}",
        "x-bomb:",
        "  l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]",
    ]
    lines += [f"  l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 10) + "]" for i in range(1, 9)]
    lines += [
        "spec:",
        "  group: example.org",
        "  names: {kind: Bomb, plural: bombs}",
        "  versions:",
        "    - name: v1",
        "      served: true",
        "      schema:",
        "        openAPIV3Schema:",
        "          type: object",
        "          properties:",
        "            spec: {type: object, properties: {name: {type: string, enum: *l8}}}",
    ]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("validator", ["builtin", "kubeconform"])
def test_crd_alias_bomb_is_refused_as_a_values_file_would_be(tmp_path, validator):
    crd = _alias_bomb_crd()
    assert len(crd) < 2048
    (tmp_path / "crds").mkdir()
    (tmp_path / "crds" / "bomb.yaml").write_text(crd, encoding="utf-8")
    (tmp_path / "b.yaml").write_text(
        "apiVersion: example.org/v1\nkind: Bomb\nmetadata: {name: b}\nspec: {name: x}\n", encoding="utf-8"
    )
    (tmp_path / ".starter-lint.yaml").write_text("crd-dirs: [crds/]\n", encoding="utf-8")
    done = attack(
        "check",
        "--manifests",
        "b.yaml",
        "--validator",
        validator,
        "--kubeconform",
        os.path.join(os.path.dirname(__file__), "fake_kubeconform"),
        cwd=tmp_path,
    )
    one_error_line(done, "document contains excessive aliasing")


@pytest.mark.parametrize(
    "body, wanted",
    [
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
        (
            '{"kind": "CustomResourceDefinition", "spec": ' + '{"a": ' * 900 + "{}" + "}" * 900 + "}",
            "nested more than 200 levels deep",
        ),
    ],
)
def test_deep_json_crd_is_one_error_line(tmp_path, body, wanted):
    (tmp_path / "crd.json").write_text(body, encoding="utf-8")
    (tmp_path / "values.yaml").write_text(VALUES, encoding="utf-8")
    done = attack("check", "values.yaml", "--crd", "crd.json", "--manifests", "values.yaml", cwd=tmp_path)
    one_error_line(done, wanted)


# ---------------------------------------------------------------------------------------------
# --set, options, fix


def test_set_of_ten_thousand_indexes_is_one_error_line(tmp_path):
    (tmp_path / "values.yaml").write_text(VALUES, encoding="utf-8")
    done = attack("check", "values.yaml", "--set", "a" + "[0]" * 10_000, cwd=tmp_path)
    one_error_line(done, "nesting deeper than 500 levels")


def test_config_set_padding_lists_is_bounded(tmp_path):
    (tmp_path / "values.yaml").write_text(VALUES, encoding="utf-8")
    expression = ",".join(f"k{i}[65536]=1" for i in range(100))
    (tmp_path / ".starter-lint.yaml").write_text(
        f"targets:\n  t: {{values: [values.yaml], set: ['{expression}']}}\n", encoding="utf-8"
    )
    done = attack("check", cwd=tmp_path)
    one_error_line(done, "hold more than 1,000,000 items in all")


def test_set_within_the_budget_still_pads_as_helm():
    from starter_lint.values.setargs import apply_set

    data: dict = {}
    apply_set(data, "a[3]=x,b" + "[0]" * 400 + "=1")
    assert data["a"] == [None, None, None, "x"]
    node, depth = data["b"], 0
    while isinstance(node, list):
        node, depth = node[0], depth + 1
    assert (node, depth) == (1, 400)


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "0", "-1", "1e9"])
def test_kubeconform_timeout_must_be_finite_positive_and_sane(tmp_path, value):
    (tmp_path / "values.yaml").write_text(VALUES, encoding="utf-8")
    done = attack("check", "values.yaml", "--kubeconform-timeout", value, cwd=tmp_path)
    one_error_line(done, "--kubeconform-timeout must be a number of seconds above 0 and at most 86400")


def test_config_kubeconform_timeout_inf_is_a_config_error(tmp_path):
    (tmp_path / "values.yaml").write_text(VALUES, encoding="utf-8")
    (tmp_path / ".starter-lint.yaml").write_text("kubeconform-timeout: .inf\n", encoding="utf-8")
    done = attack("check", "values.yaml", cwd=tmp_path)
    one_error_line(done, ".starter-lint.yaml:1: 'kubeconform-timeout' must be a number of seconds")


def test_fix_leaves_an_out_of_range_number_alone_and_fixes_the_rest(tmp_path):
    # Go's ParseFloat fails on 12e3000, so Helm reads it as the string "12e3000"; ruamel reads
    # +Inf and would write `.inf` back, which Helm refuses
    text = "api:\n  replicas: 2\n  big: 12e3000\n  small: -1.5E+400\n  flag: yes\n  list: [12e3000, on]\n"
    (tmp_path / "values.yaml").write_text(text, encoding="utf-8")
    done = attack("fix", "values.yaml", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "values.yaml").read_text(encoding="utf-8") == text.replace(
        "flag: yes", "flag: true"
    ).replace("[12e3000, on]", "[12e3000, true]")


def test_placeholder_message_says_placeholder_once(tmp_path):
    (tmp_path / "values.yaml").write_text(
        "api:\n  env:\n    DATABASE_URL: postgres://u:p@db.example.com/x\n", encoding="utf-8"
    )
    done = attack("check", "values.yaml", "--select", "SL105", cwd=tmp_path)
    line = next(line for line in done.stdout.splitlines() if "DATABASE_URL" in line)
    assert "api.env.DATABASE_URL is still a placeholder: set it to the real URL" in line


def test_config_ignore_glob_of_many_stars_matches_in_polynomial_time(tmp_path):
    # `*a*a*…b` as a backtracking regex against a key of 60 `a`s: exponential
    key = "a" * 60
    (tmp_path / "values.yaml").write_text(f"api:\n  {key}: 1\n", encoding="utf-8")
    (tmp_path / ".starter-lint.yaml").write_text(
        "ignores:\n  - values-path: \"" + "*a" * 12 + "b\"\n    reason: attack\n"
        "  - values-path: \"api.*a*a*\"\n    rules: [SL101]\n    reason: matches\n",
        encoding="utf-8",
    )
    done = attack("check", "values.yaml", "--select", "SL101", "--format", "json", cwd=tmp_path)
    findings = [
        f
        for target in json.loads(done.stdout)["targets"]
        for f in target["findings"]
        if f["message"].startswith(f"api.{key} ")
    ]
    assert len(findings) == 1 and findings[0]["suppressed"] == "matches"


def test_config_ignore_path_glob_of_many_double_stars_matches_in_polynomial_time(tmp_path):
    folder = tmp_path / ("a" * 80)
    folder.mkdir()
    (folder / "values.yaml").write_text("api:\n  typo: 1\n", encoding="utf-8")
    (tmp_path / ".starter-lint.yaml").write_text(
        "ignores:\n  - paths: [\"" + "**a" * 12 + "b\"]\n    reason: attack\n"
        "  - paths: [\"**/a*a/*.yaml\"]\n    rules: [SL101]\n    reason: matches\n",
        encoding="utf-8",
    )
    done = attack(
        "check", f"{folder.name}/values.yaml", "--select", "SL101", "--format", "json", cwd=tmp_path
    )
    findings = [
        f
        for target in json.loads(done.stdout)["targets"]
        for f in target["findings"]
        if f["message"].startswith("api.typo ")
    ]
    assert len(findings) == 1 and findings[0]["suppressed"] == "matches"


def test_path_glob_matches_as_the_regex_it_replaces():
    from starter_lint.suppress.globs import glob_regex

    def regex(pattern: str):
        out = []
        for token in re.findall(r"\*\*/|\*\*|\*|\?|.", pattern, re.S):
            out.append(
                {"**/": "(?:.*/)?", "**": ".*", "*": "[^/]*", "?": "[^/]"}.get(token, re.escape(token))
            )
        return re.compile("".join(out) + r"\Z")

    @settings(max_examples=500, deadline=None)
    @given(st.text(alphabet="ab/\n.", max_size=10), st.text(alphabet="ab/*?.", max_size=8))
    def agrees(text, pattern):
        assert bool(glob_regex(pattern).match(text)) == bool(regex(pattern).match(text))

    agrees()


# ---------------------------------------------------------------------------------------------
# Costs per finding: each finding looks its object, node or glob answer up, never rescans all
# of them (before the fixes each of these took 18-31 s)


def test_many_manifest_documents_each_with_a_finding_cost_linear_time(tmp_path):
    # identify once scanned every object for each finding's object: 4000 documents took 21 s
    count = 4000
    (tmp_path / "many.yaml").write_text(
        "".join(
            f"---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: c{i}}}\ndata: {{x: 1}}\n"
            for i in range(count)
        ),
        encoding="utf-8",
    )
    done = attack("check", "--manifests", "many.yaml", "-q", cwd=tmp_path)
    assert done.returncode == 1, done.stderr[-500:]
    findings = [line for line in done.stdout.splitlines() if " SL701 " in line]
    assert len(findings) == count
    assert (
        f"many.yaml:{5 * count}:11: error SL701 ConfigMap/c{count - 1} v1: data.x: got integer" in done.stdout
    )


def test_one_wide_manifest_mapping_with_a_finding_per_key_costs_linear_time(tmp_path):
    # locating each finding once scanned the mapping's keys: 16,000 keys took 18 s
    count = 16_000
    (tmp_path / "wide.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: w}\ndata:\n"
        + "".join(f"  k{i}: {i}\n" for i in range(count)),
        encoding="utf-8",
    )
    done = attack("check", "--manifests", "wide.yaml", "-q", cwd=tmp_path)
    assert done.returncode == 1, done.stderr[-500:]
    findings = [line for line in done.stdout.splitlines() if " SL701 " in line]
    assert len(findings) == count
    for i in (0, count // 2, count - 1):
        assert (
            f"wide.yaml:{5 + i}:{6 + len(str(i))}: error SL701 ConfigMap/w v1: data.k{i}: got integer"
            in done.stdout
        )


def test_many_findings_against_many_long_ignore_globs_cost_linear_time(tmp_path):
    # every finding was matched against every glob anew: 300 findings x 25 globs took 31 s
    folder = tmp_path.joinpath(*["a"] * 40)
    folder.mkdir(parents=True)
    (folder / "values.yaml").write_text(
        "api:\n" + "".join(f"  typo{i}: 1\n" for i in range(300)), encoding="utf-8"
    )
    glob = "**/" * 40 + "*" * 30 + "x"
    (tmp_path / ".starter-lint.yaml").write_text(
        "ignores:\n"
        + "".join(f"  - {{rules: [SL101], paths: [\"{glob}{i}\"], reason: r}}\n" for i in range(25))
        + "  - {rules: [SL101], paths: [\""
        + "**/" * 41
        + "values.yaml\"], reason: matches}\n",
        encoding="utf-8",
    )
    done = attack(
        "check", "/".join(["a"] * 40) + "/values.yaml", "--select", "SL101", "--format", "json", cwd=tmp_path
    )
    findings = [
        f
        for target in json.loads(done.stdout)["targets"]
        for f in target["findings"]
        if f["message"].startswith("api.typo")
    ]
    assert len(findings) == 300 and all(f["suppressed"] == "matches" for f in findings)


def test_long_list_of_named_items_each_with_a_finding_costs_linear_time(tmp_path):
    # each item's rank among namesakes was counted anew over the items before it: 4000 env
    # entries took 12 s, 5000 about 18 s
    count = 5000
    (tmp_path / "env.yaml").write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: c\n    image: x\n"
        "    env:\n" + "".join(f"    - {{name: e{i % (count // 2)}, value: {i}}}\n" for i in range(count)),
        encoding="utf-8",
    )
    done = attack("check", "--manifests", "env.yaml", "--select", "SL701", "--format", "json", cwd=tmp_path)
    findings = [
        f for target in json.loads(done.stdout)["targets"] for f in target["findings"] if f["rule"] == "SL701"
    ]
    assert len(findings) == count
    assert len({f["fingerprint"] for f in findings}) == count  # namesakes told apart by rank (`#2`)
