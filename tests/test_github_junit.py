"""`--format github` workflow commands and `--format junit` XML."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from starter_lint.checks import load_checks
from starter_lint.findings import Finding, Location, Severity
from starter_lint.report.github_format import annotation, escape_data, escape_property
from starter_lint.report.locations import Place

from .support import REPO, cli

AMBIGUOUS = "worker:\n  enabled: yes\n"


def test_escaping_follows_the_runner():
    assert escape_data("100% done\r\nnext") == "100%25 done%0D%0Anext"
    assert escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"


def test_annotation_shape():
    finding = Finding(
        "SL301",
        "tls-host-coverage",
        Severity.ERROR,
        "host a, b: 50% covered\nsee docs",
        Location("values.yaml", 12, 5, 12, 9),
    )
    place = Place("/r/values:prod.yaml", "values:prod.yaml", 12, 5, 12, 9)
    # a line break inside the message is shown, not made (report.escape); %0A only parts notes
    assert annotation(finding, place) == (
        "::error file=values%3Aprod.yaml,line=12,col=5,endLine=12,endColumn=9,title=SL301 tls-host-coverage"
        "::host a, b: 50%25 covered\\nsee docs"
    )
    note = finding.with_(severity=Severity.NOTE, location=Location("--set", 1, 1), notes=("expired",))
    assert annotation(note, None) == (
        "::notice title=SL301 tls-host-coverage::host a, b: 50%25 covered\\nsee docs"
        " (--set:1)%0ANote: expired"
    )


def test_github_format_end_to_end(tmp_path):
    (tmp_path / "values.yaml").write_text(
        AMBIGUOUS + "api:\n  env:\n    X: 1.10  # starter-lint: disable=SL104 ok\n"
    )
    done = cli("check", "values.yaml", "--select", "SL104", "--format", "github", cwd=tmp_path)
    assert done.returncode == 0
    lines = done.stdout.splitlines()
    assert lines[0].startswith(
        "::warning file=values.yaml,line=2,col=12,endLine=2,endColumn=15,title=SL104 ambiguous-scalar::worker.enabled: `yes`"
    )
    assert len([line for line in lines if line.startswith("::")]) == 1  # the suppressed one is not annotated
    assert lines[-1].startswith("starter-lint: 0 errors, 1 warning") and "(1 suppressed)" in lines[-1]


def test_junit_one_suite_per_target_one_case_per_rule(tmp_path):
    (tmp_path / "bad.yaml").write_text(AMBIGUOUS)
    (tmp_path / "good.yaml").write_text((REPO / "examples" / "values.prod.yaml").read_text())
    done = cli(
        "check",
        "bad.yaml",
        "good.yaml",
        "--select",
        "SL1",
        "--fail-on",
        "warning",
        "--format",
        "junit",
        cwd=tmp_path,
    )
    assert done.returncode == 1
    root = ET.fromstring(done.stdout)
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == ["bad.yaml", "good.yaml"]
    values_rules = sorted(
        r for r, spec in load_checks().items() if r.startswith("SL1") and spec.needs in ("values", "any")
    )
    for suite in suites:
        names = [case.get("name").split()[0] for case in suite.findall("testcase")]
        assert names == values_rules
        assert suite.get("tests") == str(len(values_rules))
    bad = {case.get("name").split()[0]: case for case in suites[0].findall("testcase")}
    failure = bad["SL104"].find("failure")
    assert failure is not None and failure.get("type") == "warning" and "bad.yaml:2:12" in failure.text
    assert all(case.find("failure") is None for case in suites[1].findall("testcase"))
    assert root.get("failures") == suites[0].get("failures")


def test_junit_lists_findings_below_the_threshold_without_failing(tmp_path):
    (tmp_path / "bad.yaml").write_text(AMBIGUOUS)
    done = cli("check", "bad.yaml", "--select", "SL104", "--format", "junit", cwd=tmp_path)
    assert done.returncode == 0
    case = ET.fromstring(done.stdout).find("testsuite/testcase")
    assert case.find("failure") is None and "bad.yaml:2:12: warning" in case.find("system-out").text


def test_junit_and_github_never_print_secrets(tmp_path):
    broken = (REPO / "examples" / "values.broken.yaml").read_text()
    (tmp_path / "v.yaml").write_text(broken)
    for fmt in ("junit", "github"):
        done = cli("check", "v.yaml", "--format", fmt, cwd=tmp_path)
        assert done.returncode == 1, done.stderr
        assert "sk_live_do_not_commit_me" not in done.stdout
        if fmt == "junit":
            ET.fromstring(done.stdout)
