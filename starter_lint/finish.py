"""Finishing findings after the checks: placed, cleaned, and each reported once (in a target, and
across the targets of a run).

The pipeline places and cleans its checks' findings, and the policy stage's child the policies'
(pipeline._finish_policy_findings), so a finding is finished the same way in either process; the
pipeline dedupes a target's findings, and judges over all targets what they share.
"""

from __future__ import annotations

from .context import Context
from .identity import documents_by_ref, identity_of
from .paths import repo_relative
from .redact import scrub_findings


def placed(findings: list, ctx: Context) -> list:
    """Rendered findings moved to the values lines that set them (a chart's render)."""
    if ctx.manifests is None:
        return findings
    from .manifests.trace import trace_to_values  # deferred: only with --manifests or --chart

    return trace_to_values(findings, ctx)


def cleaned(
    findings: list, ctx: Context, secrets: frozenset, cwd: str | None, fingerprints: bool = True
) -> list:
    """Findings scrubbed of the target's secrets (checks print keys, not values; this is the net
    under that rule, on each finding's own text), given their logical identity and named by
    their file's repository path: one copy of each finding for all three. Without
    `fingerprints` (Options.fingerprints: nothing will read one), only scrubbed."""
    findings = scrub_findings(findings, secrets)
    if not fingerprints:
        return findings
    documents = documents_by_ref(ctx.manifests)
    names: dict = {}  # the documents do not change while their findings are named
    # display path -> repository path: once per file, not per finding (a stat each)
    relative = {path: repo_relative(path, cwd) for path in {f.location.path for f in findings}}
    out = []
    for finding in findings:
        changes = {"fingerprint_path": relative[finding.location.path]}
        identity = identity_of(finding, ctx, secrets, documents, names)
        if identity is not None:
            changes["identity"], changes["identity_text"] = identity
        out.append(finding.with_(**changes))
    return out


def deduped(findings: list) -> list:
    """A target's findings, the same defect never reported twice under one rule
    (docs/design/findings.md, 'One defect, reported once'); sorted.

    Two findings of one defect (rule, location, logical location and message) have equal sort
    keys, so only findings whose keys equal the one before can repeat one: each finding's key is
    made once, and only such a run of equal keys compares the rest of the location (its end)."""
    keys = [finding.sort_key() for finding in findings]
    out: list = []
    last: object = None
    ends: set | None = None  # the ends of the run's findings kept, once the run has a second
    for i in sorted(range(len(findings)), key=keys.__getitem__):
        finding = findings[i]
        if keys[i] != last:
            last, ends = keys[i], None
            out.append(finding)
            continue
        if ends is None:
            first = out[-1].location
            ends = {(first.end_line, first.end_col)}
        end = (finding.location.end_line, finding.location.end_col)
        if end not in ends:
            ends.add(end)
            out.append(finding)
    return out


def reported_once_across_targets(results: list) -> None:
    """A file several targets layer (values.common.yaml) is read the same by each: a finding in
    it that every such target reports alike is one mistake, reported once, under the first
    target, with a note naming the others (the same rule, place, message and suppression)."""
    first: dict = {}
    for result in results:
        kept = []
        for finding in result.findings:
            loc = finding.location
            if finding.template is not None or loc.path not in result.files:
                kept.append(finding)
                continue
            key = (finding.rule, loc.path, loc.line, loc.col, finding.message, finding.suppressed)
            if key not in first:
                first[key] = (result, len(kept), [])
                kept.append(finding)
            else:
                first[key][2].append(result.name)
        result.findings[:] = kept
    for owner, index, others in first.values():
        if others:
            finding = owner.findings[index]
            note = f"also reported for {', '.join(others)}: a file {'they share' if len(others) > 1 else 'both share'}"
            owner.findings[index] = finding.with_(notes=tuple(finding.notes) + (note,))
