"""Findings are identified (fingerprint parts: logical identity, repository path) only when
something reads a fingerprint: a report format that prints them (json, sarif) or a baseline.
A run that prints text, GitHub annotations or JUnit skips that work (Options.fingerprints), and
its report is the same byte for byte; a format that prints fingerprints says so
(FINGERPRINTS in its module), or this test finds out."""

from __future__ import annotations

import json

import pytest

from starter_lint.option_table import FORMATS
from starter_lint.options import Options
from starter_lint.pipeline import run, run_catalog
from starter_lint.report import reads_fingerprints, render

from .support import REPO, bench_module, cli


@pytest.fixture(scope="module")
def releases(tmp_path_factory):
    """Three releases: SL806's findings at env list items and the example policies' denials at
    containers, so identities differ from positions."""
    root = tmp_path_factory.mktemp("releases")
    bench_module("inputs").releases(root / "r", 3)
    return root


def _report(root, fmt: str, fingerprints: bool) -> str:
    options = Options(
        cwd=str(root),
        manifests=["r"],
        validator="builtin",
        format=fmt,
        policies=[str(REPO / "examples" / "policies")],
        fingerprints=fingerprints,
    )
    return render(run(options), run_catalog(options), options)


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_report_is_the_same_without_fingerprint_parts_unless_it_prints_fingerprints(releases, fmt):
    identified, unidentified = _report(releases, fmt, True), _report(releases, fmt, False)
    if reads_fingerprints(fmt):
        assert identified != unidentified  # the test can tell: positions are not identities
    else:
        assert identified == unidentified


def test_findings_without_fingerprint_parts_are_the_ones_a_text_check_makes(releases):
    identified = run(Options(cwd=str(releases), manifests=["r"], validator="builtin"))
    unidentified = run(Options(cwd=str(releases), manifests=["r"], validator="builtin", fingerprints=False))
    assert [f.message for f in identified.active] == [f.message for f in unidentified.active]
    assert any(f.identity for f in identified.active)
    assert not any(f.identity or f.fingerprint_path for f in unidentified.active)


def test_a_baseline_still_matches_when_the_report_prints_no_fingerprint(releases):
    """`check --baseline` with the text format: the baseline reads fingerprints, so they are made."""
    recorded = cli("baseline", "--validator", "builtin", "--manifests", "r", cwd=releases)
    assert recorded.returncode == 0, recorded.stderr
    (releases / "baseline.json").write_text(recorded.stdout, encoding="utf-8")
    assert json.loads(recorded.stdout)
    checked = cli(
        "check", "--validator", "builtin", "--manifests", "r", "--baseline", "baseline.json", cwd=releases
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert " 0 errors, 0 warnings, 0 notes" in checked.stdout
