"""Suppressions (docs/design/suppressions.md): findings accepted on purpose are marked, counted and reported, never dropped.

In order of precedence, a finding is suppressed by
1. an inline comment in the file it points at (`inSource`):
   `# starter-lint: disable=SL301,SL302 reason` on the finding's line or on a comment line
   directly above it; `# starter-lint: disable-file=SL301 reason` in the file's leading comments;
2. the annotation `starter-lint.io/ignore: "SL802,SL807"` on the manifest object the finding is
   about (`inSource`);
3. an `ignores:` entry of the config file (`external`), matched by rule, path glob, values path
   and resource; an expired entry no longer applies and the finding says so in its notes;
4. the `--baseline` file, by fingerprint (`external`).

Rule lists take ids or prefixes (`SL3`), or `all`.

Suppressions never fail silently (SL107 unused-suppression, a note): an inline rule id that
names no rule, a `disable-file` below the file's leading comments, an inline rule that
suppresses nothing on its line (or file), and — in a run of the whole config — an `ignores:`
entry, or one of its rules, paths, values paths or resources, that suppresses nothing. A
suppression is judged only where it could have been used: every rule it names ran on its file.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from ..options import rule_matches
from ..redact import finding_scrubber
from .baseline import baseline_fingerprints
from .inline import inline_suppression

# the pipeline's entry points besides apply and mark (SL107, after every target has run)
from .unused import unused_ignores, unused_inline

if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Any

    from ..context import Context
    from ..directives import FileDirectives
    from ..findings import Finding
    from ..options import Options
    from ..results import TargetResult
    from .ignores import ConfigIgnore

__all__ = ["apply", "mark", "unused_ignores", "unused_inline"]

ANNOTATION = "starter-lint.io/ignore"
IN_SOURCE, EXTERNAL = "inSource", "external"


# ---------------------------------------------------------------------------------------------
# Manifest annotations


def _annotated(ctx: Context | None) -> dict[str, tuple[str, ...]]:
    """Kind/ns/name -> rule patterns from the object's starter-lint.io/ignore annotation."""
    out: dict[str, tuple[str, ...]] = {}
    manifests = getattr(ctx, "manifests", None)
    for obj in getattr(manifests, "objects", None) or ():
        annotations = obj.metadata.get("annotations")
        value = annotations.get(ANNOTATION) if isinstance(annotations, dict) else None
        if isinstance(value, str) and value.strip():
            from ..directives import split_rules  # deferred: only an annotated object needs it

            out[obj.ref] = split_rules(value)
    return out


def apply(result: TargetResult, ctx: Context, options: Options) -> None:
    """Mark the suppressed findings of one target (replacing them in `result.findings`)."""
    result.findings[:] = mark(result.findings, result, ctx, options)


def mark(
    findings: Iterable[Finding], result: TargetResult, ctx: Context | None, options: Options
) -> list[Finding]:
    """`findings` of the target `result`, the suppressed ones marked; what suppressed them is
    added to `result.used`."""
    directives = _directives(result.sources or {})
    annotated = _annotated(ctx)
    ignores = list(getattr(options, "config_ignores", None) or ())
    baseline = baseline_fingerprints(options.baseline) if options.baseline else frozenset()
    if not (directives or annotated or ignores or baseline):
        return list(findings)  # nothing can suppress a finding (or add an expired ignore's note)
    today = datetime.date.today()
    # a suppression's reason (a config ignore's, an inline comment's) and an expired ignore's note
    # are the repository's text, added after the findings were scrubbed: scrubbed likewise
    scrubbed = finding_scrubber(getattr(result, "secrets", None) or ())
    out = []
    for finding in findings:
        marked = _suppress_one(finding, directives, annotated, ignores, baseline, options, today, result.used)
        out.append(marked if marked is finding else scrubbed(marked))
    return out


def _directives(sources: dict[str, str]) -> dict[str, FileDirectives]:
    """The inline suppression comments of each file that has any, by display path."""
    commented = {path: text for path, text in sources.items() if text and "starter-lint" in text}
    if not commented:
        return {}
    from ..directives import parse_directives  # deferred: few files have inline disables

    return {path: parse_directives(text) for path, text in commented.items()}


def _suppress_one(
    finding: Finding,
    directives: dict[str, FileDirectives],
    annotated: dict[str, tuple[str, ...]],
    ignores: list[ConfigIgnore],
    baseline: frozenset[str],
    options: Options,
    today: datetime.date,
    used: set[tuple[Any, ...]],
) -> Finding:
    """The finding, suppressed or not; what suppressed it (or an expired ignore that matched it)
    is added to `used`: ("inline", path, line, part) and ("ignore", index, field, item)."""
    if finding.suppressed:
        return finding
    inline = inline_suppression(finding, directives.get(finding.location.path))
    if inline is not None:
        reason, directive_part = inline
        used.add(("inline",) + directive_part)
        return finding.with_(suppressed=reason, suppression_kind=IN_SOURCE)
    ref = finding.logical.partition("#")[0]
    if ref in annotated and rule_matches(finding.selector, annotated[ref]):
        return finding.with_(suppressed=f"annotation {ANNOTATION} on {ref}", suppression_kind=IN_SOURCE)
    notes = list(finding.notes)
    for index, ignore in enumerate(ignores):
        parts = ignore.matched_parts(finding, options.cwd)
        if parts is None:
            continue
        used.update(("ignore", index) + part for part in parts)
        used.add(("ignore", index))
        if ignore.expires is not None and ignore.expired(today):
            note = f"the config ignore at {ignore.where} ({ignore.reason}) expired on {ignore.expires.isoformat()}"
            if note not in notes:
                notes.append(note)
            continue
        return finding.with_(suppressed=ignore.reason, suppression_kind=EXTERNAL)
    if notes != list(finding.notes):
        finding = finding.with_(notes=tuple(notes))
    if baseline and finding.fingerprint in baseline:  # no baseline: no hashing (OpenSSL is 3 MiB)
        return finding.with_(suppressed="baseline", suppression_kind=EXTERNAL)
    return finding
