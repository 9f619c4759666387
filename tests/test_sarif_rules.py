"""The SARIF checks themselves: a good log passes, and each kind of mistake GitHub refuses or
cannot place is caught (so the SARIF tests cannot pass by checking nothing)."""

from __future__ import annotations

import copy
import json

import pytest

from . import sarif_rules


def good_log() -> dict:
    rule = {
        "id": "SL301",
        "name": "tls-covers-hosts",
        "shortDescription": {"text": "TLS covers every host"},
        "fullDescription": {"text": "Every ingress host has a TLS entry."},
        "help": {"text": "Add the host to a tls entry."},
        "helpUri": "https://example.org/rules.md#sl301",
        "defaultConfiguration": {"level": "error"},
        "properties": {"tags": ["security"], "precision": "high", "security-severity": "7.5"},
    }
    result = {
        "ruleId": "SL301",
        "ruleIndex": 0,
        "level": "error",
        "message": {"text": "host a.example.com has no TLS, see [the tls list](1)"},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": "values.yaml"},
                    "region": {"startLine": 2, "startColumn": 3, "endColumn": 8},
                }
            }
        ],
        "relatedLocations": [
            {
                "id": 1,
                "message": {"text": "tls"},
                "physicalLocation": {"artifactLocation": {"uri": "values.yaml"}, "region": {"startLine": 1}},
            }
        ],
        "partialFingerprints": {"starterLint/v1": "abc"},
    }
    return {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": {"name": "starter-lint", "version": "0.1.0", "rules": [rule]}},
                "automationDetails": {"id": "starter-lint/prod/"},
                "columnKind": "utf16CodeUnits",
                "results": [result],
            }
        ],
    }


@pytest.fixture
def repo(tmp_path):
    (tmp_path / "values.yaml").write_text("ingress:\n  hosts: [a.example.com]\n")
    return tmp_path


def test_a_good_log_passes(repo):
    path = repo / "out.sarif"
    path.write_text(json.dumps(good_log()))
    assert sarif_rules.problems_in_file(path, repo) == []


def _set(log, path, value):
    *parents, last = path
    node = log
    for part in parents:
        node = node[part]
    if value is KeyError:
        del node[last]
    else:
        node[last] = value


RESULT = ("runs", 0, "results", 0)
RULE = ("runs", 0, "tool", "driver", "rules", 0)
LOCATION = (*RESULT, "locations", 0, "physicalLocation")
MISTAKES = {
    "schema": (("runs", 0, "results", 0, "level"), "fatal", "schema"),
    "version": (("version",), "2.0.0", "version"),
    "no $schema": (("$schema",), KeyError, "$schema"),
    "no results": (("runs", 0, "results"), KeyError, "results: missing"),
    "no locations": ((*RESULT, "locations"), [], "locations: 0"),
    "logical only": (
        (*RESULT, "locations", 0),
        {"logicalLocations": [{"name": "x"}]},
        "physicalLocation: missing",
    ),
    "empty uri": ((*LOCATION, "artifactLocation", "uri"), "", "missing or empty"),
    "https uri": ((*LOCATION, "artifactLocation", "uri"), "https://x/values.yaml", "scheme"),
    "colon": ((*LOCATION, "artifactLocation", "uri"), "Dockerfile (nginx:1)", "first segment"),
    "space": ((*LOCATION, "artifactLocation", "uri"), "a b.yaml", "RFC 3986"),
    "leading slash": ((*LOCATION, "artifactLocation", "uri"), "/values.yaml", "leading /"),
    "dotdot": ((*LOCATION, "artifactLocation", "uri"), "../values.yaml", "climbs out"),
    "missing file": ((*LOCATION, "artifactLocation", "uri"), "nope.yaml", "not in the repository"),
    "wrong case": ((*LOCATION, "artifactLocation", "uri"), "Values.yaml", "not in the repository"),
    "past eof": ((*LOCATION, "region", "startLine"), 40, "past the end"),
    "column past eol": ((*LOCATION, "region", "startColumn"), 60, "startColumn: past the end"),
    "end before start": ((*LOCATION, "region", "endColumn"), 2, "before startColumn"),
    "no start line": ((*LOCATION, "region"), {"startColumn": 1}, "startLine: missing"),
    "severity word": ((*RULE, "properties", "security-severity"), "High", "numeric string"),
    "severity number": ((*RULE, "properties", "security-severity"), 7.5, "numeric string"),
    "no help": ((*RULE, "help"), KeyError, "help.text"),
    "long description": ((*RULE, "shortDescription", "text"), "x" * 1025, "longer than"),
    "undefined rule": ((*RESULT, "ruleId"), "SL999", "not among"),
    "wrong index": ((*RESULT, "ruleIndex"), 3, "ruleIndex"),
    "empty message": ((*RESULT, "message", "text"), "", "message.text"),
    "dangling link": ((*RESULT, "relatedLocations", 0, "id"), 2, "link to location 1"),
    "related without message": ((*RESULT, "relatedLocations", 0, "message"), KeyError, "message: missing"),
    "no column kind": (("runs", 0, "columnKind"), KeyError, "columnKind"),
    "relative help": ((*RULE, "helpUri"), "docs/rules.md", "absolute"),
    "no version": (("runs", 0, "tool", "driver", "version"), KeyError, "version"),
    "many tags": ((*RULE, "properties", "tags"), [f"t{i}" for i in range(21)], "tags"),
}


@pytest.mark.parametrize("name", sorted(MISTAKES))
def test_each_mistake_is_caught(name, repo):
    path, value, expected = MISTAKES[name]
    log = copy.deepcopy(good_log())
    _set(log, path, value)
    out = repo / "out.sarif"
    out.write_text(json.dumps(log))
    found = sarif_rules.problems_in_file(out, repo)
    assert any(expected in line for line in found), found


def test_two_runs_of_one_category_are_refused(repo):
    log = good_log()
    log["runs"].append(copy.deepcopy(log["runs"][0]))
    assert any("same category" in p for p in sarif_rules.problems(log, repo))


def test_a_symlinked_path_is_not_placed(repo):
    (repo / "link.yaml").symlink_to(repo / "values.yaml")
    log = good_log()
    _set(log, (*LOCATION, "artifactLocation", "uri"), "link.yaml")
    assert any("symlink" in p for p in sarif_rules.problems(log, repo))


def test_not_json_is_a_problem(repo):
    (repo / "bad.sarif").write_bytes(b"\xff{")
    assert sarif_rules.problems_in_file(repo / "bad.sarif")[0].startswith("(file): not UTF-8 JSON")
