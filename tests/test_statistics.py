"""`check --statistics`: the findings of each rule counted (report/statistics.py), checked against
the full report of the same run: counts, order, the safe-fix mark, --select/--ignore, suppressed
findings left out, the JSON shape, exit codes, and formats it refuses."""

from __future__ import annotations

import json
import re
from collections import Counter

import pytest

from .support import REPO, cli

ROW = re.compile(r"^ *(\d+)  (SL\d+) +([a-z0-9-]+)( +\[\*\])?$")


@pytest.fixture
def work(tmp_path):
    (tmp_path / "broken.yaml").write_text((REPO / "examples" / "values.broken.yaml").read_text())
    (tmp_path / "prod.yaml").write_text((REPO / "examples" / "values.prod.yaml").read_text())
    return tmp_path


def active_findings(*args, cwd) -> list:
    """The active findings of the full JSON report of the same check."""
    done = cli("check", *args, "--format", "json", cwd=cwd)
    assert done.returncode in (0, 1), done.stderr
    document = json.loads(done.stdout)
    return [f for t in document["targets"] for f in t["findings"] if f["suppressed"] is None]


def rows_of(text: str) -> list:
    lines = text.splitlines()
    assert lines[-1].startswith("starter-lint: "), text  # check's summary line closes it
    rows = []
    for line in lines[:-1]:
        match = ROW.match(line)
        assert match, line
        rows.append((int(match[1]), match[2], match[3], bool(match[4])))
    return rows


def expected_rows(findings: list) -> list:
    counts = Counter(f["rule"] for f in findings)
    names = {f["rule"]: f["name"] for f in findings}
    fixable = {f["rule"] for f in findings if f["fix"] and f["fix"]["safe"]}
    ordered = sorted(counts, key=lambda rule: (-counts[rule], rule))
    return [(counts[r], r, names[r], r in fixable) for r in ordered]


def test_counts_each_rule_as_the_full_report_lists_it(work):
    done = cli("check", "--statistics", "broken.yaml", cwd=work)
    assert done.returncode == 1, done.stderr  # findings at or above --fail-on error: as check
    rows = rows_of(done.stdout)
    assert rows == expected_rows(active_findings("broken.yaml", cwd=work))
    assert len(rows) > 5 and rows[0][0] > rows[-1][0]  # several rules, most findings first
    assert any(fixable for *_, fixable in rows) and not all(fixable for *_, fixable in rows)
    full = cli("check", "broken.yaml", cwd=work).stdout.splitlines()[-1]
    assert done.stdout.splitlines()[-1] == full  # the same summary line as the full report


@pytest.mark.parametrize(
    ("option", "keeps"),
    [(("--select", "SL1,SL2"), ("SL1", "SL2")), (("--ignore", "SL5,SL6"), ("SL1", "SL2", "SL3", "SL4"))],
)
def test_select_and_ignore_count_only_the_rules_that_ran(work, option, keeps):
    done = cli("check", "--statistics", *option, "broken.yaml", cwd=work)
    rows = rows_of(done.stdout)
    assert rows and all(rule.startswith(keeps) for _, rule, _, _ in rows), rows
    assert rows == expected_rows(active_findings(*option, "broken.yaml", cwd=work))


def test_suppressed_findings_are_not_counted(work):
    (work / "values.yaml").write_text(
        "worker:\n  enabled: yes  # starter-lint: disable=SL104 read as true, as intended\n"
        "api:\n  env:\n    DEBUG: yes\n"
    )
    done = cli("check", "--statistics", "--select", "SL104", "values.yaml", cwd=work)
    assert rows_of(done.stdout) == [(1, "SL104", "ambiguous-scalar", True)]
    assert "(1 suppressed)" in done.stdout.splitlines()[-1]
    document = json.loads(
        cli("check", "--statistics", "--select", "SL104", "--format", "json", "values.yaml", cwd=work).stdout
    )
    assert document["counts"]["suppressed"] == 1
    assert document["statistics"] == [{"rule": "SL104", "name": "ambiguous-scalar", "count": 1, "fixable": 1}]


def test_json_shape(work):
    done = cli("check", "--statistics", "--format", "json", "broken.yaml", cwd=work)
    assert done.returncode == 1
    document = json.loads(done.stdout)
    assert set(document) == {"schemaVersion", "tool", "failOn", "failed", "counts", "statistics"}
    assert document["tool"]["name"] == "starter-lint" and document["failed"] is True
    findings = active_findings("broken.yaml", cwd=work)
    assert [(s["count"], s["rule"], s["name"], s["fixable"] > 0) for s in document["statistics"]] == (
        expected_rows(findings)
    )
    assert sum(s["count"] for s in document["statistics"]) == len(findings)
    assert sum(document["counts"][k] for k in ("error", "warning", "note")) == len(findings)
    for entry in document["statistics"]:
        assert 0 <= entry["fixable"] <= entry["count"]


def test_exit_codes_follow_fail_on(work):
    clean = cli("check", "--statistics", "prod.yaml", cwd=work)
    assert clean.returncode == 0 and rows_of(clean.stdout) == []  # only the summary line
    (work / "warn.yaml").write_text("worker:\n  enabled: yes\n")  # SL104, a warning
    only = ("--statistics", "--select", "SL104", "warn.yaml")
    assert cli("check", *only, cwd=work).returncode == 0
    assert cli("check", *only, "--fail-on", "warning", cwd=work).returncode == 1
    missing = cli("check", "--statistics", "missing.yaml", cwd=work)
    assert missing.returncode == 2 and "missing.yaml" in missing.stderr


@pytest.mark.parametrize("fmt", ["sarif", "github", "junit"])
def test_formats_that_list_each_finding_are_refused(work, fmt):
    done = cli("check", "--statistics", "--format", fmt, "broken.yaml", cwd=work)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.strip().splitlines() == [
        f"starter-lint: error: --statistics counts findings in the text or json format, not {fmt}"
    ]


def test_output_file_and_help(work):
    done = cli("check", "--statistics", "-o", "stats.txt", "broken.yaml", cwd=work)
    assert done.returncode == 1 and done.stdout == ""
    assert rows_of((work / "stats.txt").read_text()) == expected_rows(
        active_findings("broken.yaml", cwd=work)
    )
    assert "--statistics" in cli("check", "--help").stdout
    assert "--statistics" not in cli("baseline", "--help").stdout
