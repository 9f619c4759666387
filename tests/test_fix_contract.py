"""One rule contract: the fixes the code emits are the fixes each rule file declares (`fix:`).

Every fix is enumerated by running every check over every rule's examples (failing and passing:
a fix may come from another rule than the example's) and over the repository's example and team
fixtures. A safe fix must come from a rule declaring `safe` or `mixed`, an unsafe one from
`unsafe` or `mixed`, and a rule declaring `none` emits none; conversely each declared kind is
seen (a `mixed` rule shows both), so no declaration is left without an example. `fix` itself
reads the kind from the catalog (`fix.fix_is_safe`), checked here with findings whose own
`Fix.safe` disagrees."""

from __future__ import annotations

import collections
from pathlib import Path

import pytest

from starter_lint.catalog import load_catalog
from starter_lint.errors import StarterLintError
from starter_lint.findings import Finding, Fix, Location, Severity
from starter_lint.fix import choose_fixes, fix_is_safe
from starter_lint.options import Options
from starter_lint.rule_file import FIX_KINDS

from .support import REPO, all_examples, run_example, run_in

ALLOWS = {"safe": {True}, "unsafe": {False}, "mixed": {True, False}, "none": set()}


def _fixes(report) -> list:
    """(rule, safe) of every fix in the report: suppressed findings and related ones included."""
    out = []
    for owner in report.findings:
        for finding in (owner,) + tuple(owner.related):
            if finding.fix is not None:
                out.append((finding.rule, finding.fix.safe, finding.fix.description))
    return out


def _fixture_reports(tmp_path: Path):
    """Reports of the other inputs that carry fixes: examples/ and the team repository fixture."""
    for name in ("values.prod.yaml", "values.broken.yaml"):
        yield name, run_in(tmp_path, Options(cwd=str(tmp_path), files=[str(REPO / "examples" / name)]))
    team = REPO / "tests" / "fixtures" / "team-repo" / "deploy"
    for path in sorted(team.glob("values.*.yaml")):
        yield path.name, run_in(tmp_path, Options(cwd=str(tmp_path), files=[str(path)]))


@pytest.fixture(scope="module")
def emitted(tmp_path_factory) -> dict:
    """rule id -> {safe?: [where it was seen]} over every example and fixture."""
    seen: dict = collections.defaultdict(lambda: collections.defaultdict(list))
    for number, (name, _rule, example, _failing) in enumerate(all_examples()):
        report = run_example(example, tmp_path_factory.mktemp(f"example{number}"))
        for rule_id, safe, description in _fixes(report):
            seen[rule_id][safe].append(f"{name} ({example.title}): {description}")
    for name, report in _fixture_reports(tmp_path_factory.mktemp("fixtures")):
        for rule_id, safe, description in _fixes(report):
            seen[rule_id][safe].append(f"{name}: {description}")
    return seen


def test_every_emitted_fix_is_of_a_kind_its_rule_declares(emitted):
    catalog = load_catalog()
    wrong = [
        f"{rule_id} declares fix: {catalog[rule_id].fix} but emits a {'safe' if safe else 'unsafe'} fix: {where[0]}"
        for rule_id, kinds in sorted(emitted.items())
        for safe, where in kinds.items()
        if safe not in ALLOWS[catalog[rule_id].fix]
    ]
    assert not wrong, "\n".join(wrong)


def test_every_declared_fix_kind_has_an_example_that_emits_it(emitted):
    missing = [
        f"{rule.id} declares fix: {rule.fix} but no example emits a {'safe' if safe else 'unsafe'} fix"
        for rule in load_catalog().values()
        for safe in sorted(ALLOWS[rule.fix])
        if not emitted.get(rule.id, {}).get(safe)
    ]
    assert not missing, "\n".join(missing)


def test_the_fixer_reads_the_kind_from_the_catalog_not_the_fix():
    def finding(rule: str, safe: bool) -> Finding:
        fix = Fix("fix", safe=safe, path=("api", "image"), value="app:1.2")
        return Finding(rule, "x", Severity.ERROR, "m", Location("values.yaml", 2), fix=fix)

    # SL601 declares unsafe: a fix claiming to be safe is still held back without --unsafe-fixes
    claimed = finding("SL601", safe=True)
    assert not fix_is_safe(claimed)
    assert choose_fixes([claimed]) == ([], [(claimed, "the rule marks this fix unsafe")])
    assert choose_fixes([claimed], unsafe=True) == ([claimed], [])
    assert fix_is_safe(finding("SL306", safe=False))  # declared safe
    # a mixed rule's check decides per fix
    assert fix_is_safe(finding("SL104", safe=True)) and not fix_is_safe(finding("SL104", safe=False))
    # a rule declaring no fix emitting one is a bug, not a fix to apply
    with pytest.raises(StarterLintError, match="SL101"):
        fix_is_safe(finding("SL101", safe=True))


def test_every_fixable_rule_explains_its_fix_safety():
    for rule in load_catalog().values():
        assert rule.fix in FIX_KINDS, rule.id
        assert bool(rule.fix_safety.strip()) == (rule.fix != "none"), rule.id
        page = rule.help_markdown(fix_safety=True)
        assert ("### Fix safety" in page) == (rule.fix != "none"), rule.id
        assert "### Fix safety" not in rule.help_markdown()  # SARIF's help stays as it was
