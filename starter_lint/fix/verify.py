"""Re-checking a fixed file: it must load as the original with only the fixed paths changed.

After applying, the file is re-read with the Helm-exact loader and compared with the original:
any difference other than the named paths taking the named values is an error and nothing is
written; where all fixes at once change more, each is tried alone and those that do are held back.
"""

from __future__ import annotations

import copy
from typing import Any

from ..errors import StarterLintError
from ..findings import Finding
from ..results import Report
from ..tree import same_values
from ..yamlio import LoadedYaml, YamlLoadError, load_values
from .edit import apply_fixes
from .select import KEY_FIX, REWRITE_CHANGES_OTHERS, FileFix, fix_of


def expected_values(original: dict[str, Any], findings: list[Finding]) -> dict[str, Any]:
    """The original data with each fix's path set to its value (keys renamed), nothing else."""
    data = copy.deepcopy(original)
    for finding in [f for f in findings if f.key != KEY_FIX] + sorted(
        (f for f in findings if f.key == KEY_FIX), key=lambda f: -len(fix_of(f).path)
    ):
        fix = fix_of(finding)
        path = tuple(fix.path)
        node = data
        for part in path[:-1]:
            if isinstance(node, dict):
                if not isinstance(node.get(part), (dict, list)):
                    node[part] = {}
                node = node[part]
            elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
                node = node[part]
            else:
                break
        else:
            last = path[-1]
            if finding.key == KEY_FIX:
                if isinstance(node, dict) and last in node:
                    node[fix.value] = node.pop(last)
            elif fix.value is None:
                if isinstance(node, dict):
                    node.pop(last, None)
            elif isinstance(node, dict) or (
                isinstance(node, list) and isinstance(last, int) and 0 <= last < len(node)
            ):
                node[last] = copy.deepcopy(fix.value)
    return data


def load_checked(shown: str, text: str, what: str, all_documents: bool = False) -> LoadedYaml:
    """The text's values as Helm loads them (`all_documents`: as Helm 4 reads a `-f` file); a fix
    that stops it loading is our bug, not the user's."""
    try:
        return load_values(text, shown, merge_documents=all_documents)
    except YamlLoadError as exc:
        raise StarterLintError(
            f"internal: {what} {shown} would break it ({exc.message}); nothing written"
        ) from None


def _differs(shown: str, text: str, original: LoadedYaml, findings: list[Finding]) -> bool:
    after = load_checked(shown, text, "fixing", original.all_documents)
    return not same_values(after.data, expected_values(original.data, findings))


def apply_checked(plan: FileFix, original: LoadedYaml) -> None:
    """Fill `plan.after`: all fixes at once when the result loads as expected; else each fix
    alone, holding back those that change more than their own path."""
    every = original.all_documents
    plan.after = apply_fixes(plan.before, plan.findings, plan.shown, every)
    if not plan.changed or not _differs(plan.shown, plan.after, original, plan.findings):
        return
    kept = []
    for finding in plan.findings:
        alone = apply_fixes(plan.before, [finding], plan.shown, every)
        if alone != plan.before and _differs(plan.shown, alone, original, [finding]):
            plan.held.append((finding, REWRITE_CHANGES_OTHERS))
        else:
            kept.append(finding)
    plan.findings = kept
    plan.after = apply_fixes(plan.before, kept, plan.shown, every)
    if plan.changed and _differs(plan.shown, plan.after, original, kept):
        raise StarterLintError(
            f"internal: the fixes of {plan.shown} would change other values Helm loads; nothing written"
        )


def fixed_counts(plans: list[FileFix], before: Report, after: Report) -> dict[str, int]:
    """Display path -> how many active findings there the edits really removed: those of the
    report `before` that the report `after` (the checks run again on the edited text) no longer
    has, by fingerprint. One edit can fix several findings (SL104 and SL604 on one scalar)."""

    def active(report: Report, shown: str) -> set[str]:
        return {f.fingerprint for f in report.active if f.location.path == shown}

    return {plan.shown: len(active(before, plan.shown) - active(after, plan.shown)) for plan in plans}
