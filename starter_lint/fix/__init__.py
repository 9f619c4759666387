"""`starter-lint fix`: apply the fixes of findings to the values files, keeping the rest.

`plan_fixes` runs the steps, one module each: `select` (which findings' fixes apply: one per
values path, safe or also unsafe, by what each rule's file declares), `edit` (writing them into
the text with ruamel.yaml's round trip), `verify` (re-reading the result as Helm does: only the
fixed paths may change) and `diff` (`--diff`, never showing a secret). Nothing is written until
the caller writes each plan's `after` with `atomic_write`.
"""

from __future__ import annotations

import codecs

from ..errors import StarterLintError
from ..options import Options
from ..paths import read_bytes
from ..results import Report
from ..yamlio import decode_bytes
from .diff import DiffRefused, secret_lines
from .edit import apply_fixes, atomic_write
from .select import (
    KEY_FIX,
    REWRITE_CHANGES_OTHERS,
    FileFix,
    choose_fixes,
    fix_is_safe,
    fixable,
    notices,
    unsafe_reason,
)
from .verify import apply_checked, expected_values, fixed_counts, load_checked

__all__ = [
    "KEY_FIX",
    "REWRITE_CHANGES_OTHERS",
    "DiffRefused",
    "FileFix",
    "apply_fixes",
    "atomic_write",
    "choose_fixes",
    "expected_values",
    "fix_is_safe",
    "fixable",
    "fixed_counts",
    "notices",
    "plan_fixes",
    "secret_lines",
    "unsafe_reason",
]


def plan_fixes(report: Report, options: Options, unsafe: bool = False) -> list[FileFix]:
    """FileFix objects with `before` and `after` filled in (nothing written yet); `unsafe` also
    applies the fixes that change what Helm renders."""
    plans = fixable(report, options)
    for plan in plans:
        raw = read_bytes(plan.path)
        if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            raise StarterLintError(f"{plan.shown}: cannot fix a UTF-16 file; convert it to UTF-8 first")
        plan.before = decode_bytes(raw)
        every = options.helm_version == "4"  # Helm 4 merges every document of a -f file
        original = load_checked(plan.shown, plan.before, "reading", every)
        plan.findings, plan.held = choose_fixes(plan.findings, original.data, unsafe)
        apply_checked(plan, original)
        if plan.changed:
            plan.hidden_before = secret_lines(original)
            plan.hidden_after = secret_lines(load_checked(plan.shown, plan.after, "fixing", every))
    return plans
