"""Which findings' fixes `fix` applies: one per values path, safe ones unless --unsafe-fixes.

Safe and unsafe, as ruff means them: a **safe** fix does not change what Helm renders. It may
change only the path it names, to exactly the value it names, and where it turns a value from
one YAML type into another (`yes` -> `true`, `5` -> `"5"`, `017` -> `15`) the text Helm renders for
it stays the same; a fix of a key keeps the key Helm reads (`on:` -> `"true":`). Everything else
(`1.10` -> `"1.10"`, where Helm read 1.1) is **unsafe** and applied only with `--unsafe-fixes`.

Whether a fix is offered as safe is what its rule file declares (`fix:` in rules/SLnnn-*.yaml,
read through the catalog, so the declaration and the fixer cannot disagree); a `mixed` rule's
check says per fix. This module checks the claim for every fix before applying it and holds
back (and reports) a "safe" fix that would change what Helm renders.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..catalog import load_catalog
from ..errors import StarterLintError
from ..findings import Finding, Fix, format_path
from ..gofmt import helm_string
from ..options import Options
from ..paths import display_path
from ..records import field, record
from ..redact import is_secret_path
from ..results import Report
from ..tree import same_values
from ..values.layers import get_path
from .diff import unified_diff

_MISSING = object()
KEY_FIX = "ambiguous-key"  # the SL104 identity key of a finding about a key, not a value
REWRITE_CHANGES_OTHERS = "rewriting the file for it would change other values Helm loads"


@record
class FileFix:
    """One values file's fix plan: the fixes chosen, those held back, its text before and after."""

    path: str  # the file on disk
    shown: str  # its display path
    findings: list[Finding] = field(default_factory=list)  # those whose fix is applied
    held: list[tuple[Finding, str]] = field(default_factory=list)  # (finding, reason) of fixes not applied
    before: str = ""
    after: str = ""
    hidden_before: dict[int, int] = field(default_factory=dict)  # line -> first column of a secret value
    hidden_after: dict[int, int] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return self.before != self.after

    def diff(self, secrets: Iterable[str] = ()) -> str:
        """The unified diff of this plan (`diff.unified_diff`: no secret shown, or DiffRefused)."""
        return unified_diff(self, secrets)


def fix_of(finding: Finding) -> Fix:
    """The fix of a finding `fixable` planned (it keeps only findings with one)."""
    assert finding.fix is not None, "only findings with a fix are planned"
    return finding.fix


# ---------------------------------------------------------------------------------------------
# Which findings, in which files


def fixable(report: Report, options: Options) -> list[FileFix]:
    """FileFix per user values file that has active findings with a fix (safe or not), in input
    order; `plan_fixes` decides which are applied."""
    by_file: dict[str, FileFix] = {}
    for result in report.targets:
        target = result.target
        if target is None:
            continue
        user_files = {display_path(p, options.cwd): p for p in target.files}
        # a related finding (related.py) is the same mistake: its fix is a candidate too, and
        # `choose_fixes` keeps one per values path (SL604's "true" over SL104's true)
        for finding in [f for owner in result.active for f in (owner,) + tuple(owner.related)]:
            fix = finding.fix
            if fix is None or not fix.path or finding.location.path not in user_files:
                continue
            shown = finding.location.path
            entry = by_file.setdefault(shown, FileFix(user_files[shown], shown))
            if all(f.fix != fix or f.key != finding.key for f in entry.findings):
                entry.findings.append(finding)
    return list(by_file.values())


def fix_is_safe(finding: Finding) -> bool:
    """Whether the finding's fix is offered as safe, by its rule's declaration (`fix:` in the
    shipped rule file: a repository's rule-dirs file re-describes a rule's words, never what its
    code may write): a `safe` rule's fixes are safe, an `unsafe` rule's are not, and a `mixed`
    rule's check says per fix (`Fix.safe`). A fix from a rule declaring none is a bug here."""
    declared = load_catalog()[finding.rule].fix
    if declared == "none":
        raise StarterLintError(
            f"internal: {finding.rule} offered a fix, but its rule file declares `fix: none`"
        )
    return fix_of(finding).safe if declared == "mixed" else declared == "safe"


# ---------------------------------------------------------------------------------------------
# Safe or unsafe: what Helm renders before and after


def _rendered(value: Any) -> str:
    return value if isinstance(value, str) else helm_string(value)


def unsafe_reason(finding: Finding, original: dict[str, Any]) -> str | None:
    """Why applying this fix would change what Helm renders (None: it would not). `original` is
    the file's data as Helm loads it. Never shows a secret value."""
    fix = fix_of(finding)
    path = tuple(fix.path)
    where = format_path(path)
    if finding.key == KEY_FIX:
        if fix.value != path[-1]:
            return f'Helm reads the key as "{path[-1]}"; the fix would make it "{fix.value}"'
        return None
    old = get_path(original, path, _MISSING)
    new = fix.value
    if (
        old is _MISSING
        or old is None
        or new is None
        or isinstance(old, (dict, list))
        or isinstance(new, (dict, list))
    ):
        return None  # adding, deleting or restructuring a setting: the rule's own claim
    if isinstance(old, str) and isinstance(new, str):
        return None  # a string for a string (`App.Acme.io` -> `app.acme.io`): the rule's claim
    if _rendered(old) == _rendered(new) and (isinstance(new, str) or same_values(old, new)):
        return None
    if is_secret_path(path, old) or is_secret_path(path, new):
        return f"Helm renders {where} differently after this fix"
    return f'Helm renders {where} as "{_rendered(old)}"; the fix would make it "{_rendered(new)}"'


def choose_fixes(
    findings: list[Finding], original: dict[str, Any] | None = None, unsafe: bool = False
) -> tuple[list[Finding], list[tuple[Finding, str]]]:
    """(findings whose fix is applied, [(finding, reason) held back]).

    One fix per values path (a key and its value are different paths). Per path a safe fix beats
    an unsafe one, and among equals the domain rule (higher id: SL604 over SL104) beats the
    generic YAML rule; without `unsafe` an unsafe fix is never applied. Safe means the rule marks
    it safe *and* `unsafe_reason` finds nothing (with `original` given)."""

    def reason(finding: Finding) -> str | None:
        if not fix_is_safe(finding):
            return "the rule marks this fix unsafe"
        return None if original is None else unsafe_reason(finding, original)

    reasons = {id(f): reason(f) for f in findings}
    chosen: dict[tuple[bool, tuple[Any, ...]], Finding] = {}
    for finding in sorted(findings, key=lambda f: (reasons[id(f)] is None, f.rule), reverse=True):
        if reasons[id(finding)] is None or unsafe:
            chosen.setdefault((finding.key == KEY_FIX, tuple(fix_of(finding).path)), finding)
    applied = [f for f in findings if any(f is c for c in chosen.values())]
    held = [
        (f, why)
        for f in findings
        if (why := reasons[id(f)]) is not None
        and not any(f is c for c in chosen.values())
        and (f.key == KEY_FIX, tuple(fix_of(f).path)) not in chosen
    ]
    return applied, held


def notices(plans: list[FileFix], unsafe: bool = False) -> list[str]:
    """Lines for stderr: each fix a rule calls safe that was held back (it would change what Helm
    renders, or rewriting the file for it would change other values), and how many fixes their
    rules mark unsafe `--unsafe-fixes` would add."""
    lines: list[str] = []
    unsafe_edits: set[tuple[str, bool, tuple[Any, ...]]] = set()
    for plan in plans:
        for finding, reason in plan.held:
            if reason == REWRITE_CHANGES_OTHERS:
                lines.append(
                    f"{plan.shown}:{finding.location.line}: {finding.rule} fix not applied: {reason}"
                )
            elif fix_is_safe(finding):
                lines.append(
                    f"{plan.shown}:{finding.location.line}: {finding.rule} fix not applied as "
                    f"safe: {reason}" + ("" if unsafe else " (apply it with --unsafe-fixes)")
                )
            else:
                # one edit, however many rules propose it (SL104 and SL604 on one scalar)
                unsafe_edits.add((plan.shown, finding.key == KEY_FIX, tuple(fix_of(finding).path)))
    hidden = len(unsafe_edits)
    if hidden and not unsafe:
        lines.append(
            f"{hidden} unsafe fix not applied (it changes what Helm renders; review it and rerun "
            "with --unsafe-fixes)"
            if hidden == 1
            else f"{hidden} unsafe fixes not applied (they change what Helm renders; review them and "
            "rerun with --unsafe-fixes)"
        )
    return lines
