"""SL107 unused-suppression: suppressions that suppress nothing are reported, never silent, and
only where the run could have used them."""

from __future__ import annotations

import json

from .support import cli

AMBIGUOUS = "worker:\n  enabled: yes\n"
CLEAN_ENV = "api:\n  env:\n    DEBUG: \"true\"\n"


def sl107(done) -> list:
    """(path, line, message) of the SL107 findings of a --format json run."""
    assert done.returncode in (0, 1), done.stderr
    report = json.loads(done.stdout)
    return [
        (f["path"], f["line"], f["message"])
        for t in report["targets"]
        for f in t["findings"]
        if f["rule"] == "SL107"
    ]


def run(cwd, *args):
    return cli("check", "--format", "json", *args, cwd=cwd)


def test_a_used_disable_is_quiet_and_an_unused_one_is_a_note(tmp_path):
    (tmp_path / "a.yaml").write_text("worker:\n  enabled: yes  # starter-lint: disable=SL104,SL105 meant\n")
    found = sl107(run(tmp_path, "a.yaml", "--select", "SL104,SL105,SL107"))
    # SL104 was used; SL105 ran and found nothing on that line
    assert found == [
        (
            "a.yaml",
            2,
            "`# starter-lint: disable=SL105` suppresses nothing: no SL105 finding on its line; remove it",
        )
    ]
    done = run(tmp_path, "a.yaml", "--select", "SL104,SL105,SL107", "--fail-on", "note")
    assert done.returncode == 1


def test_a_disable_is_not_judged_when_its_rule_did_not_run(tmp_path):
    (tmp_path / "a.yaml").write_text(
        CLEAN_ENV.replace('"true"', '"true"  # starter-lint: disable=SL804,SL1 x')
    )
    # SL804 needs manifests; SL1 names SL106, which needs --chart: neither ran on the whole
    assert sl107(run(tmp_path, "a.yaml")) == []
    assert sl107(run(tmp_path, "a.yaml", "--select", "SL107")) == []


def test_unknown_rule_ids_and_a_misplaced_disable_file(tmp_path):
    (tmp_path / "a.yaml").write_text(
        "api:\n  # starter-lint: disable-file=SL104 late\n  env:\n"
        "    DEBUG: \"true\"  # starter-lint: disable=SL9999,SL3O1 typo\n"
    )
    messages = sorted((line, message.split(" ")[0]) for _, line, message in sl107(run(tmp_path, "a.yaml")))
    assert messages == [(2, "`disable-file`"), (4, "`SL3O1`"), (4, "`SL9999`")]


def test_a_disable_in_a_shared_file_is_used_if_any_target_uses_it(tmp_path):
    (tmp_path / "common.yaml").write_text(
        "api:\n  env:\n    WORKERS: 4  # starter-lint: disable=SL604 parsed as a number\n"
    )
    (tmp_path / "prod.yaml").write_text(
        "api:\n  env:\n    WORKERS: \"8\"\n"
    )  # overrides it: no SL604 in prod
    (tmp_path / "dev.yaml").write_text("worker:\n  enabled: false\n")
    (tmp_path / ".starter-lint.yaml").write_text(
        "select: [SL604, SL107]\ntargets:\n  prod: {values: [common.yaml, prod.yaml]}\n"
        "  dev: {values: [common.yaml, dev.yaml]}\n"
    )
    assert sl107(run(tmp_path)) == []
    assert sl107(run(tmp_path, "-j", "2")) == []
    (tmp_path / "dev.yaml").write_text("api:\n  env:\n    WORKERS: \"2\"\n")  # now no target uses it
    found = sl107(run(tmp_path))
    assert [(path, line) for path, line, _ in found] == [("common.yaml", 3)]
    assert sl107(run(tmp_path, "-j", "2")) == found


IGNORES = """select: [SL104, SL107]
targets:
  prod: {values: [prod.yaml]}
  dev: {values: [dev.yaml]}
ignores:
  - rules: [SL104, SL103]
    paths: [prod.yaml, old/*.yaml]
    reason: the chart coerces it
  - values-path: autoscaling.*
    reason: nothing matches this
"""


def test_config_ignores_that_suppress_nothing_in_a_whole_run(tmp_path):
    (tmp_path / "prod.yaml").write_text(AMBIGUOUS)
    (tmp_path / "dev.yaml").write_text("worker:\n  enabled: false\n")
    (tmp_path / ".starter-lint.yaml").write_text(
        IGNORES.replace("select: [SL104, SL107]", "select: [SL1, SL107]")
    )
    found = sl107(run(tmp_path))
    assert found == [
        (
            ".starter-lint.yaml",
            6,
            "'SL103' in 'rules' of this ignore matches none of the findings it suppresses; remove it",
        ),
        (
            ".starter-lint.yaml",
            6,
            "'old/*.yaml' in 'paths' of this ignore matches none of the findings it suppresses; remove it",
        ),
        (
            ".starter-lint.yaml",
            9,
            "this ignore suppresses nothing: no finding matches it; remove it or fix it",
        ),
    ]
    # a run of part of the config (the hook's changed files, --target) does not judge ignores
    assert sl107(run(tmp_path, "dev.yaml")) == []
    assert sl107(run(tmp_path, "--target", "dev")) == []


def test_an_ignore_of_rules_that_did_not_run_is_not_judged(tmp_path):
    (tmp_path / "prod.yaml").write_text(AMBIGUOUS)
    (tmp_path / "dev.yaml").write_text("worker:\n  enabled: false\n")
    (tmp_path / ".starter-lint.yaml").write_text(IGNORES)  # select leaves SL103 out
    found = sl107(run(tmp_path))
    # the first entry could be for SL103 findings in old/: only the second is judged
    assert [(line, message.split(" ")[0]) for _, line, message in found] == [(9, "this")]


def test_sl107_findings_are_suppressed_like_any_other(tmp_path):
    (tmp_path / "a.yaml").write_text(
        "worker:\n  enabled: false  # starter-lint: disable=SL104,SL107 comes and goes\n"
    )
    done = run(tmp_path, "a.yaml", "--select", "SL104,SL107")
    assert sl107(done) == [
        (
            "a.yaml",
            2,
            "`# starter-lint: disable=SL104` suppresses nothing: no SL104 finding on its line; remove it",
        )
    ]
    assert [f["suppressed"] for t in json.loads(done.stdout)["targets"] for f in t["findings"]] == [
        "comes and goes"
    ]
    recorded = cli("baseline", "--select", "SL104,SL107", "--output", "b.json", "--", "a.yaml", cwd=tmp_path)
    assert recorded.returncode == 0, recorded.stderr
    (tmp_path / "b.yaml").write_text("worker:\n  enabled: false  # starter-lint: disable=SL104 gone\n")
    assert [
        f["suppressed"]
        for t in json.loads(
            run(tmp_path, "b.yaml", "--select", "SL104,SL107", "--baseline", "b.json").stdout
        )["targets"]
        for f in t["findings"]
    ] == [None]
    (tmp_path / "b.json").write_text(
        cli("baseline", "b.yaml", "--select", "SL104,SL107", cwd=tmp_path).stdout
    )
    assert [
        f["suppressed"]
        for t in json.loads(
            run(tmp_path, "b.yaml", "--select", "SL104,SL107", "--baseline", "b.json").stdout
        )["targets"]
        for f in t["findings"]
    ] == ["baseline"]
