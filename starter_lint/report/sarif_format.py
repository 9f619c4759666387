"""SARIF 2.1.0 for GitHub code scanning (`upload-sarif`), one run per target.

Shape decisions (GitHub code scanning's rules, as tests/sarif_rules.py checks them):
- every catalog rule is listed in every run, so `ruleIndex` is stable and code scanning knows
  rules that found nothing; `helpUri` points at the rule's section of `docs/rules.md` (generated
  from `rules/`) in the repository of this version;
- URIs are relative to the git top level (`uriBaseId: %SRCROOT%`, percent-encoded); a finding
  whose location is not a file in the repository resolves as `report.locations` describes,
  and one with no file at all becomes a tool notification of the run that says why (GitHub
  refuses results without a physical location);
- columns are UTF-16 code units (GitHub's convention) where the source text is known, and left
  out otherwise (the whole line is highlighted);
- `partialFingerprints["starterLint/v1"]` is `Finding.fingerprint`: rule, repository path, logical
  identity (list items by key, `identity.py`) and the finding's identity key, so it survives
  moved lines and unrelated list edits; `primaryLocationLineHash` is left to
  `upload-sarif`, which computes it from the checked-out file;
- suppressed findings are kept, with `suppressions` (inSource or external, justification);
- each run has `automationDetails.id` `starter-lint/<target>/`; beyond GitHub's limit of 20
  runs per file the targets share one run `starter-lint/` (each result names its target);
- `message.text` is plain text whatever the inputs (`escape.sarif_message`), and the document
  valid UTF-8 (`escape.json_text`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..catalog import load_catalog
from ..findings import Finding
from ..rule_file import Rule
from ..suppress.ignores import object_ref
from .escape import json_text, sarif_message
from .json_format import COMPACT_ABOVE
from .locations import Locator, Place, unlocated_reason

if TYPE_CHECKING:  # annotations only: the report layer reads what the pipeline produced
    from ..options import Options
    from ..results import Report, TargetResult

# partialFingerprints (report.reads_fingerprints)
FINGERPRINTS = True

# A SARIF object as json.dumps writes it
SarifObject = dict[str, Any]

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
PROJECT_URL = "https://github.com/starter-lint/starter-lint"
MAX_RUNS = 20  # GitHub rejects files with more runs
MAX_TEXT = 1024  # GitHub's limit for short/full descriptions
MAX_TAGS = 10  # GitHub keeps only ten tags per rule
FINGERPRINT_KEY = "starterLint/v1"
_LEVELS = {"error": "error", "warning": "warning", "note": "note"}


def _clip(text: str, limit: int = MAX_TEXT) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def help_uri(rule: Rule, version: str) -> str | None:
    """The rule's page in docs/rules.md of this release; a policy's own docs URL; custom rules
    (config rule-dirs) and policies without docs have none."""
    if rule.help_url:
        return rule.help_url

    shipped = load_catalog()
    if rule.id not in shipped or shipped[rule.id].source != rule.source:
        return None
    return f"{PROJECT_URL}/blob/v{version}/docs/rules.md#{rule.id.lower()}-{rule.name}"


def rule_descriptor(rule: Rule, version: str) -> SarifObject:
    """A rule's descriptor. The shipped rules' help is Markdown written for it; a repository's
    rule (rule-dirs, perhaps from the pull request checked) is text: escaped as `message.text`
    is, and its help.markdown that text, so none of it becomes a link, an image or HTML."""
    markdown = rule.help_markdown() if rule.shipped else None
    if not rule.shipped:
        rule = rule.escaped(sarif_message)
    tags = list(dict.fromkeys(rule.tags))
    properties: SarifObject = {"precision": "high"}
    if rule.security_severity is not None:
        if "security" not in tags:
            tags.insert(0, "security")
        properties["security-severity"] = f"{rule.security_severity:.1f}"
    else:
        properties["problem.severity"] = (
            "recommendation" if str(rule.severity) == "note" else str(rule.severity)
        )
    properties["tags"] = tags[:MAX_TAGS]
    uri = help_uri(rule, version)
    text = rule.help_text().rstrip() + f"\n\nRun `starter-lint explain {rule.id}` for examples."
    if uri:
        text += f"\nDocumentation: {uri}"
    descriptor: SarifObject = {
        "id": rule.id,
        "name": rule.name,
        "shortDescription": {"text": _clip(rule.summary)},
        "fullDescription": {"text": _clip(rule.what or rule.summary)},
        "help": {"text": text, "markdown": markdown or text},
        "defaultConfiguration": {"level": _LEVELS[str(rule.severity)]},
        "properties": properties,
    }
    if uri:
        descriptor["helpUri"] = uri
    return descriptor


def _utf16(line: str, col: int) -> int:
    """A 1-based code-point column as a 1-based UTF-16 column."""
    return len(line[: max(0, col - 1)].encode("utf-16-le", "surrogatepass")) // 2 + 1


def _region(place: Place, lines: list[str] | None) -> dict[str, int]:
    region = {"startLine": place.line}
    if lines is None:
        return region
    if place.line > max(1, len(lines)):  # e.g. a syntax error at the end of the file
        return {"startLine": max(1, len(lines))}
    if not lines:
        return region
    line = lines[place.line - 1]
    if place.col:
        region["startColumn"] = _utf16(line, min(place.col, len(line) + 1))
    end_line = place.end_line if place.end_line and place.line <= place.end_line <= len(lines) else None
    if end_line is not None and place.end_col:
        end_text = lines[end_line - 1]
        end_col = _utf16(end_text, min(place.end_col, len(end_text) + 1))
        if end_line > place.line or end_col > region.get("startColumn", 1):
            region["endLine"] = end_line
            region["endColumn"] = end_col
    return region


def _message(finding: Finding, place: Place | None) -> str:
    text = finding.message
    ref = object_ref(finding.logical) if finding.logical else None
    if ref and ref not in text:
        text += f" [{ref}]"
    if finding.template and (place is None or not place.exact):
        text += f" (rendered from {finding.template})"
    if place is not None and not place.exact and finding.location.path not in text:
        text += f" (reported at {finding.location.path}:{finding.location.line})"
    for note in finding.notes:
        text += f" Note: {note}."
    return text


def _location(finding: Finding, place: Place, locator: Locator, target_result: TargetResult) -> SarifObject:
    location: SarifObject = {
        "physicalLocation": {
            "artifactLocation": {"uri": place.uri, "uriBaseId": "%SRCROOT%"},
            "region": _region(place, locator.source_lines(finding, place, target_result)),
        }
    }
    if finding.logical:
        is_object = object_ref(finding.logical) is not None
        location["logicalLocations"] = [
            {"fullyQualifiedName": finding.logical, "kind": "resource" if is_object else "property"}
        ]
    return location


def _result(
    finding: Finding,
    place: Place,
    locator: Locator,
    rule_index: dict[str, int],
    target_result: TargetResult,
) -> SarifObject:
    result: SarifObject = {"ruleId": finding.rule}
    if finding.rule in rule_index:
        result["ruleIndex"] = rule_index[finding.rule]
    result["level"] = _LEVELS[str(finding.severity)]
    result["message"] = {"text": sarif_message(_message(finding, place))}
    result["locations"] = [_location(finding, place, locator, target_result)]
    related = _related_locations(finding, locator, target_result)
    if finding.related:
        # after escaping: the links to the related locations are ours and must stay links
        result["message"]["text"] += _same_cause(finding, related)
    if related:
        result["relatedLocations"] = list(related.values())
    result["partialFingerprints"] = {FINGERPRINT_KEY: finding.fingerprint}
    properties: SarifObject = {"target": locator.target_label(finding.target)}
    if finding.template:
        properties["template"] = finding.template
    if finding.fix is not None:
        properties["fix"] = {"description": finding.fix.description, "safe": finding.fix.safe}
    if finding.policy:  # as `--select SL901/<policy>` names it
        properties["policy"] = finding.policy
    result["properties"] = properties
    if finding.suppressed:
        result["suppressions"] = [
            {
                "kind": finding.suppression_kind or "external",
                "status": "accepted",
                "justification": finding.suppressed,
            }
        ]
    return result


def _related_locations(
    finding: Finding, locator: Locator, target_result: TargetResult
) -> dict[int, SarifObject]:
    """id(related finding) -> its SARIF location, for each finding folded into this one
    (related.py) that has a file in the repository (a location needs one)."""
    out: dict[int, SarifObject] = {}
    for related in finding.related:
        place = locator.place(related, target_result)
        if place is None:
            continue
        entry = {
            "id": len(out) + 1,
            **_location(related, place, locator, target_result),
            "message": {"text": sarif_message(f"{related.rule} {related.name}: {_message(related, place)}")},
        }
        out[id(related)] = entry
    return out


def _same_cause(finding: Finding, located: dict[int, SarifObject]) -> str:
    """The owner's message names each related finding; GitHub shows a related location where the
    message links to it (`[text](id)`)."""
    names = [
        f"[{r.rule} {r.name}]({located[id(r)]['id']})"
        if id(r) in located
        else sarif_message(f"{r.rule} {r.name} ({r.location.path}:{r.location.line})")
        for r in finding.related
    ]
    return f" (same cause, also seen by {', '.join(names)})"


def _notification(finding: Finding, rule_index: dict[str, int]) -> SarifObject:
    note: SarifObject = {
        "level": _LEVELS[str(finding.severity)],
        "message": {
            "text": sarif_message(
                f"{finding.rule} at {finding.location.path}: {_message(finding, None)}"
                + (_same_cause(finding, {}) if finding.related else "")
                + f" (not a result: {unlocated_reason(finding)})"
            )
        },
        "associatedRule": {"id": finding.rule},
    }
    if finding.rule in rule_index:
        note["associatedRule"]["index"] = rule_index[finding.rule]
    return note


def _run(
    category: str,
    results: list[tuple[TargetResult, Finding]],
    catalog: Mapping[str, Rule],
    version: str,
    locator: Locator,
) -> SarifObject:
    rules = list(catalog.values())
    rule_index = {rule.id: i for i, rule in enumerate(rules)}
    sarif_results: list[SarifObject] = []
    notifications: list[SarifObject] = []
    for result, finding in results:
        place = locator.place(finding, result)
        if place is None:
            notifications.append(_notification(finding, rule_index))
        else:
            sarif_results.append(_result(finding, place, locator, rule_index, result))
    return {
        "tool": {
            "driver": {
                "name": "starter-lint",
                "version": version,
                "semanticVersion": version,
                "informationUri": PROJECT_URL,
                "rules": [rule_descriptor(rule, version) for rule in rules],
            }
        },
        "automationDetails": {"id": category},
        "invocations": [{"executionSuccessful": True, "toolExecutionNotifications": notifications}],
        "columnKind": "utf16CodeUnits",
        "results": sarif_results,
    }


def _categories(report: Report, locator: Locator) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for target in report.targets:
        name = locator.target_label(target.name).replace("\\", "/")
        count = seen[name] = seen.get(name, 0) + 1
        out.append(f"starter-lint/{name}{'' if count == 1 else f'#{count}'}/")
    return out


def render(report: Report, catalog: Mapping[str, Rule], options: Options) -> str:
    locator = Locator(report, options)

    def ordered(target: TargetResult) -> list[tuple[TargetResult, Finding]]:
        return [(target, f) for f in sorted(target.findings, key=lambda f: f.sort_key())]

    if len(report.targets) <= MAX_RUNS:
        runs = [
            _run(category, ordered(target), catalog, report.version, locator)
            for category, target in zip(_categories(report, locator), report.targets, strict=False)
        ]
    else:
        everything = [pair for target in report.targets for pair in ordered(target)]
        runs = [_run("starter-lint/", everything, catalog, report.version, locator)]
    log = {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": runs}
    # compact past a few thousand results, as the JSON format: only then does the encoder run in C
    indent = 2 if len(report.findings) <= COMPACT_ABOVE else None
    return json_text(json.dumps(log, indent=indent, ensure_ascii=False)) + "\n"
