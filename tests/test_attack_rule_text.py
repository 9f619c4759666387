"""Attacks through text that is not a finding: a repository's rule files (config `rule-dirs`,
perhaps from the pull request checked) shown by `explain`, `rules` and SARIF, and the file names
and `--set` expressions that `values --provenance` and `fix --diff` print. No output line may
begin a GitHub Actions workflow command, and no ESC, CR or bidi control may reach it raw."""

from __future__ import annotations

import json
import re

import pytest
import yaml

from .support import REPO, run_in_process
from .test_attack_output import HOSTILE, assert_inert, sarif_markup, sarif_problems

# each hostile string as its own line of a multi-line field, and at the start of one
PROSE = "\n".join(HOSTILE) + "\n::error file=a.yaml::INJ\n  ::add-mask::secret\n::stop-commands::tok\n"
LINK = "[x](http://evil) <img src=x> &#x202e;"


def hostile_rule() -> str:
    """SL101 re-described (a valid rule file) with every shown text hostile."""
    rule = yaml.safe_load((REPO / "rules" / "SL101-unknown-key.yaml").read_text(encoding="utf-8"))
    rule.update(
        summary="sum\n::error file=a.yaml::INJ\x1b]8;;http://evil\x07 \r\u202e " + LINK,
        what=PROSE + LINK,
        rationale=PROSE,
        remediation=LINK + "\n" + PROSE,
        tags=["t\n::error::TAG", "\x1b[31m\u202e", LINK],
        fix="safe",  # (a kind the loader knows: it refuses any other text)
        fix_safety="::error::FIX\x1b[31m\u202e " + LINK + "\n" + PROSE,
    )
    rule["examples"]["fail"][0].update(
        title="\n::error::TITLE\x1b[31m", values="```\n::error::EXAMPLE\n<img src=y>\n\x1b[31m\u202e\r\n"
    )
    rule["examples"]["pass"][0].update(values="```\n::warning::GOOD\n")
    return yaml.safe_dump(rule, allow_unicode=False)


@pytest.fixture(scope="module")
def repo(tmp_path_factory):
    root = tmp_path_factory.mktemp("rule-text")
    (root / ".git").mkdir()
    (root / "policies").mkdir()
    (root / "policies" / "SL101-unknown-key.yaml").write_text(hostile_rule(), encoding="utf-8")
    (root / ".starter-lint.yaml").write_text("rule-dirs: [policies/]\n", encoding="utf-8")
    (root / "values.yaml").write_text("api:\n  replicaz: 2\n", encoding="utf-8")
    return root


def _inert(code, out, err, where):
    assert code in (0, 1), (where, out, err)
    assert_inert(out, "text", f"{where} stdout")
    assert_inert(err, "text", f"{where} stderr")


def test_explain_shows_a_repository_rule_escaped_line_by_line(repo):
    code, out, err = run_in_process(["explain", "SL101"], str(repo))
    _inert(code, out, err, "explain")
    assert "\\x3a:error file=a.yaml::INJ" in out and "\\x3a:add-mask::secret" in out  # shown, not dropped
    assert "\\x1b]8;;http://evil\\x07" in out and "\\u202e" in out and "\\r" in out
    assert "tags: t\\n::error::TAG" in out and "\\x3a:error::FIX\\x1b[31m\\u202e" in out  # fix_safety


@pytest.mark.parametrize("fmt", ["text", "json", "markdown"])
def test_rules_show_a_repository_rule_inert_in_every_format(repo, fmt):
    code, out, err = run_in_process(["rules", "--format", fmt], str(repo))
    _inert(code, out, err, f"rules --format {fmt}")
    if fmt == "json":
        shown = {rule["id"]: rule for rule in json.loads(out)}["SL101"]
        assert (
            shown["summary"].startswith("sum\n::error") and shown["tags"][0] == "t\n::error::TAG"
        )  # data kept
    if fmt == "markdown":
        section = out[out.index("## SL101 unknown-key") : out.index("## SL102")]
        prose = re.sub(r"(`{3,})yaml\n.*?\n\1\n", "", section, flags=re.S)
        assert sarif_markup(prose) == []  # no link, image or HTML of the rule's own
        assert (
            "````yaml\n```\n\\x3a:error::EXAMPLE\n<img src=y>" in section
        )  # a fence the example cannot close


def test_shipped_rules_in_markdown_are_unchanged_beside_a_repository_rule(repo):
    from starter_lint.catalog import load_catalog

    shipped = load_catalog()
    _, out, _ = run_in_process(["rules", "--format", "markdown"], str(repo))
    for rule_id in ("SL100", "SL102"):
        assert shipped[rule_id].help_markdown().rstrip() in out


def test_sarif_help_of_a_repository_rule_is_escaped_text(repo, checker):
    code, out, err = run_in_process(["check", "values.yaml", "--format", "sarif"], str(repo))
    assert code == 1, err
    _inert(0, out, err, "check --format sarif")
    assert sarif_problems(checker, out, repo) == []
    for run in json.loads(out)["runs"]:
        rules = {rule["id"]: rule for rule in run["tool"]["driver"]["rules"]}
        mine = rules["SL101"]
        for text in (
            mine["shortDescription"]["text"],
            mine["fullDescription"]["text"],
            mine["help"]["text"],
            mine["help"]["markdown"],
            *mine["properties"]["tags"],
        ):
            assert sarif_markup(text) == [], text
            assert "\x1b" not in text and "\u202e" not in text and "\r" not in text
        assert "::error file=a.yaml::INJ" in mine["help"]["markdown"]  # shown as text
        shipped = rules["SL100"]  # the shipped rules' help stays the Markdown written for it
        from starter_lint.catalog import load_catalog

        assert shipped["help"]["markdown"] == load_catalog()["SL100"].help_markdown()


HOSTILE_NAME = "v\n::error file=x::FN1\x1b[31m\u202e\r.yaml"
CONFIG_SET = 'set: ["api.b=1\\n::error::CFGSET\\e]8;;http://x\\a"]\n'
CLI_SETS = ["--set", "api.c=1\n::error::CLISET\x1b[31m", "--set-string", "api.d=\r::warning::STR\u202e"]


@pytest.fixture
def hostile_files(tmp_path):
    (tmp_path / HOSTILE_NAME).write_text("api:\n  replicas: 2\nworker:\n  enabled: yes\n", encoding="utf-8")
    (tmp_path / ".starter-lint.yaml").write_text(CONFIG_SET, encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize("fmt", ["yaml", "json"])
@pytest.mark.parametrize("sets", [[], CLI_SETS], ids=["config-set", "cli-set"])
def test_values_provenance_escapes_file_names_and_set_expressions(hostile_files, fmt, sets):
    code, out, err = run_in_process(
        ["values", "-f", HOSTILE_NAME, *sets, "--provenance", "--format", fmt], str(hostile_files)
    )
    assert code == 0, err
    assert_inert(out, "text", f"values --format {fmt}")
    assert_inert(err, "text", "values stderr")
    if fmt == "yaml":
        assert "# v\\n::error file=x::FN1\\x1b[31m\\u202e\\r.yaml:2" in out  # as `check` shows it
        if sets:
            assert "# --set api.c=1\\n::error::CLISET\\x1b[31m" in out
            assert yaml.safe_load(out)["api"]["d"] == "\r::warning::STR\u202e"  # the data itself is unchanged
        else:  # (a --set on the command line replaces the config's)
            assert "# --set api.b=1\\n::error::CFGSET\\x1b]8;;http://x\\x07" in out
    else:
        document = json.loads(out)
        assert document["provenance"]["api.replicas"] == HOSTILE_NAME + ":2"  # escapes decode to the data
        assert "\\u202e" in out
        if sets:
            assert document["values"]["api"]["d"] == "\r::warning::STR\u202e"
        else:
            assert document["provenance"]["api.b"] == "--set api.b=1\n::error::CFGSET\x1b]8;;http://x\x07"


def test_fix_diff_refuses_a_file_whose_name_a_header_cannot_show(hostile_files):
    before = (hostile_files / HOSTILE_NAME).read_text(encoding="utf-8")
    code, out, err = run_in_process(["fix", "--diff", HOSTILE_NAME, *CLI_SETS], str(hostile_files))
    assert code == 2, (out, err)
    assert_inert(out, "text", "fix --diff stdout")
    assert_inert(err, "text", "fix --diff stderr")
    assert "no --diff: the file name holds" in err and "v\\n::error file=x::FN1" in err
    assert (hostile_files / HOSTILE_NAME).read_text(encoding="utf-8") == before


def test_fix_diff_of_a_plain_name_beside_a_hostile_one_is_still_a_patch(hostile_files):
    (hostile_files / "plain.yaml").write_text("api:\n  enabled: yes\n", encoding="utf-8")
    code, out, err = run_in_process(["fix", "--diff", "plain.yaml", HOSTILE_NAME], str(hostile_files))
    assert code == 2, (out, err)
    assert out.startswith("--- a/plain.yaml\n+++ b/plain.yaml\n"), out
    assert re.search(r"^\+  enabled: true$", out, re.M), out
    assert_inert(out, "text", "fix --diff stdout")
    assert_inert(err, "text", "fix --diff stderr")


def test_fix_diff_never_prints_a_line_a_ci_runner_would_obey(tmp_path):
    """A diff shows the file's own lines as they are: where one would begin with `::` or hold a
    control character, there is no diff for that file (exit 2, one line), never the raw line."""
    from .support import cli

    for hostile in ("::error::HACKED", "\x1b[31mred", "text \u202e reversed"):
        path = tmp_path / "values.yaml"
        path.write_text(f"api:\n  env:\n    DEBUG: yes\n    NOTE: |\n      {hostile}\n", encoding="utf-8")
        done = cli("fix", "values.yaml", "--diff", cwd=tmp_path)
        # refused, or nothing to fix (YAML itself refuses a raw ESC): never the line printed raw
        assert done.returncode in (0, 2) and done.stdout == "", (hostile, done.stdout, done.stderr)
        assert hostile not in done.stderr and (done.returncode == 0 or "no --diff" in done.stderr)
    assert done.returncode == 2  # the bidi line loads: its diff is refused


def test_a_repository_rule_name_is_escaped_as_its_summary():
    """`rules` and `explain` print a rule-dirs rule's name: escaped like every other text of it."""
    from starter_lint.catalog import load_catalog
    from starter_lint.records import replace
    from starter_lint.report.escape import text_line

    rule = replace(load_catalog()["SL101"], name="nm\x1b[31m\u202e\n::error file=a.yaml::pwned")
    shown = rule.escaped(text_line)
    assert shown.name == "nm\\x1b[31m\\u202e\\n::error file=a.yaml::pwned"
    assert "\x1b" not in shown.help_markdown() and "\n::error" not in shown.help_markdown()
