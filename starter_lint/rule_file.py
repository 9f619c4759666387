"""A rule file, rules/SLnnn-name.yaml, read into a Rule: metadata, explanation and examples.

A rule file is the single source of `rules`, `explain`, SARIF help and the example tests. The
catalog (catalog.py) only indexes the files by id; a file is parsed here the first time its rule
is looked up, so a clean `check` run parses none (and imports none of this).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, overload

import yaml

from .errors import StarterLintError
from .findings import Severity
from .lazy_pattern import LazyPattern
from .paths import read_control_file
from .records import field, record, replace
from .report.escape import sarif_message, text_line
from .resources import rules_dir

_ID = LazyPattern(r"^SL\d{3}$")
_REQUIRED = ("id", "name", "severity", "summary", "rationale", "remediation", "tags", "examples")
# What a rule judges (its `scope:`): `file` rules judge a values file by itself (syntax,
# duplicates, types, key and value formats), so they also check a chart's own values.yaml;
# `deployment` rules (the default) judge what one environment deploys (placeholders left in,
# required env, secrets mapping, replicas, rendered objects) and never run on chart defaults.
SCOPES = ("deployment", "file")
# What a rule's fixes may do (its `fix:`), as ruff's fix safety: `safe` fixes never change what
# Helm renders and `fix` applies them; `unsafe` ones only with --unsafe-fixes; a `mixed` rule's
# check says per fix which it is. `fix` reads this declaration (tests/test_fix_contract.py checks
# that every fix a check emits agrees with it), and a rule with a fix says why in `fix_safety`.
FIX_KINDS = ("none", "safe", "unsafe", "mixed")


@record(frozen=True)
class Example:
    """One example in a rule file: inputs the rule flags (a failing example) or does not (a passing one)."""

    title: str
    values: str | None = None  # a values file (layered over the contract defaults)
    files: tuple[tuple[str, str], ...] = ()  # several -f files: ((name, text), ...)
    set: tuple[str, ...] = ()  # --set expressions
    manifests: str | None = None  # a rendered manifest stream
    chart: dict[str, Any] | None = None  # {"values.yaml": "...", "templates/x.yaml": "..."}
    policies: tuple[tuple[str, str], ...] = ()  # --policy files: ((name, text), ...) (SL901)
    options: dict[str, Any] = field(default_factory=dict)
    message: str | None = None  # a substring the finding's message must contain
    line: int | None = None  # the line the finding must point at


@record(frozen=True)
class Rule:
    """A rule of the catalog, read from its rule file."""

    id: str
    name: str
    severity: Severity
    summary: str
    what: str
    rationale: str
    remediation: str
    tags: tuple[str, ...]
    fix: str  # one of FIX_KINDS
    fix_safety: str  # why its fixes are safe or unsafe ("" for fix: none)
    scope: str  # "deployment" | "file" (also checks chart defaults)
    security_severity: float | None
    failing: tuple[Example, ...]
    passing: tuple[Example, ...]
    source: str  # the rule file's name
    shipped: bool = False  # read from starter-lint's own rules/, not a rule-dirs folder
    help_url: str | None = None  # a values policy's own docs page (its spec.docs), for SARIF's helpUri

    @property
    def slug(self) -> str:
        return f"{self.id}-{self.name}"

    def help_markdown(self, fix_safety: bool = False) -> str:
        """The rule's page; with `fix_safety` (explain, docs/rules.md: not SARIF's help) its
        "Fix safety" paragraph too."""
        parts = [f"## {self.id} {self.name}", "", self.summary, ""]
        if self.what:
            parts += ["### What it does", "", self.what.strip(), ""]
        parts += ["### Why it matters", "", self.rationale.strip(), ""]
        example = next((e for e in self.failing if e.values or e.manifests), None)
        if example:
            parts += ["### Example", ""] + _code_block(example.values or example.manifests)
        parts += ["### Use instead", "", self.remediation.strip(), ""]
        good = next((e for e in self.passing if e.values or e.manifests), None)
        if good:
            parts += _code_block(good.values or good.manifests)
        if fix_safety and self.fix_safety:
            parts += ["### Fix safety", "", self.fix_safety.strip(), ""]
        return "\n".join(parts).rstrip() + "\n"

    def help_text(self) -> str:
        return f"{self.summary}\n\nWhy: {self.rationale.strip()}\n\nFix: {self.remediation.strip()}\n"

    def escaped(self, line: Callable[[str], str], code: Callable[[str], str] | None = None) -> Rule:
        """This rule with every text an output shows passed through `line` (a function of
        report.escape), `code` (default `line`) for the examples' YAML: a one-line field (summary,
        tags, an example's title) as a whole, so a line break in it is shown escaped, never
        written; a multi-line one (what, rationale, remediation, examples) line by line, so each
        of its lines is one output line that cannot begin a workflow command."""
        code_line = code or line

        @overload
        def lines(text: str, escape: Callable[[str], str] = line) -> str: ...
        @overload
        def lines(text: None, escape: Callable[[str], str] = line) -> None: ...
        def lines(text: str | None, escape: Callable[[str], str] = line) -> str | None:
            return "\n".join(escape(part) for part in text.split("\n")) if isinstance(text, str) else text

        def example(e: Example) -> Example:
            return replace(
                e,
                title=line(e.title),
                values=lines(e.values, code_line),
                manifests=lines(e.manifests, code_line),
            )

        return replace(
            self,
            name=line(self.name),
            summary=line(self.summary),
            what=lines(self.what),
            rationale=lines(self.rationale),
            remediation=lines(self.remediation),
            tags=tuple(line(tag) for tag in self.tags),
            fix=line(self.fix),
            fix_safety=lines(self.fix_safety),
            failing=tuple(map(example, self.failing)),
            passing=tuple(map(example, self.passing)),
        )


def _code_block(text: object) -> list[str]:
    """A fenced YAML block whose fence is longer than any run of backticks in it, so that no
    example (from a repository's rule-dirs) closes it early and writes Markdown of its own."""
    text = str(text).rstrip()
    fence = "`" * max(3, 1 + max((len(run) for run in re.findall("`+", text)), default=0))
    return [fence + "yaml", text, fence, ""]


def _example(raw: Any, source: str) -> Example:
    if not isinstance(raw, dict):
        raise StarterLintError(f"{source}: every example must be a mapping")
    files = tuple((str(k), str(v)) for k, v in (raw.get("files") or {}).items())
    return Example(
        title=str(raw.get("title", "")),
        values=raw.get("values"),
        files=files,
        set=tuple(raw.get("set") or ()),
        manifests=raw.get("manifests"),
        chart=raw.get("chart"),
        policies=tuple((str(k), str(v)) for k, v in (raw.get("policies") or {}).items()),
        options=dict(raw.get("options") or {}),
        message=raw.get("message"),
        line=raw.get("line"),
    )


def parse_rule(data: Any, source: str) -> Rule:
    if not isinstance(data, dict):
        raise StarterLintError(f"{source}: a rule file must be a mapping")
    missing = [key for key in _REQUIRED if key not in data]
    if missing:
        raise StarterLintError(f"{source}: missing {', '.join(missing)}")
    if not _ID.match(str(data["id"])):
        raise StarterLintError(f"{source}: id {data['id']!r} is not SLnnn")
    examples = data.get("examples") or {}
    failing = tuple(_example(e, source) for e in examples.get("fail") or ())
    passing = tuple(_example(e, source) for e in examples.get("pass") or ())
    if not failing or not passing:
        raise StarterLintError(f"{source}: needs at least one failing and one passing example")
    sec = data.get("security_severity")
    scope = str(data.get("scope", "deployment"))
    if scope not in SCOPES:
        raise StarterLintError(f"{source}: scope must be one of {', '.join(SCOPES)}, not {scope!r}")
    fix, fix_safety = _fix_fields(data, source)
    return Rule(
        id=str(data["id"]),
        name=str(data["name"]),
        severity=Severity.parse(data["severity"]),
        summary=str(data["summary"]).strip(),
        what=str(data.get("what", "")).strip(),
        rationale=str(data["rationale"]),
        remediation=str(data["remediation"]),
        tags=tuple(str(t) for t in data.get("tags") or ()),
        fix=fix,
        fix_safety=fix_safety,
        scope=scope,
        security_severity=float(sec) if sec is not None else None,
        failing=failing,
        passing=passing,
        source=source,
    )


def _fix_fields(data: dict[str, Any], source: str) -> tuple[str, str]:
    """(fix, fix_safety): a rule with a fix says why it is safe or unsafe; one without says nothing."""
    fix = str(data.get("fix", "none"))
    if fix not in FIX_KINDS:
        raise StarterLintError(f"{source}: fix must be one of {', '.join(FIX_KINDS)}, not {fix!r}")
    fix_safety = data.get("fix_safety")
    if fix == "none" and fix_safety is not None:
        raise StarterLintError(f"{source}: fix_safety is only for a rule with a fix (this one has fix: none)")
    if fix != "none" and (not isinstance(fix_safety, str) or not fix_safety.strip()):
        raise StarterLintError(
            f"{source}: fix: {fix} needs fix_safety, a paragraph saying when and why its fixes are safe or unsafe"
        )
    return fix, str(fix_safety or "")


MAX_RULE_BYTES = 1024 * 1024


def read_rule(path: Path) -> Rule:
    """The rule in `path`; `shipped` when it is one of starter-lint's own (its text is trusted
    Markdown, where a repository's rule text is escaped for each output)."""

    text = read_control_file(path, MAX_RULE_BYTES, "rule file")
    try:
        data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as exc:
        raise StarterLintError(f"rule file {path}: {str(exc).splitlines()[0]}") from None
    rule = replace(parse_rule(data, path.name), shipped=path.parent == rules_dir())
    expected = f"{rule.id}-{rule.name}.yaml"
    if path.name != expected:
        raise StarterLintError(f"{path.name}: the file must be named {expected}")
    return rule


def catalog_markdown(catalog: Mapping[str, Rule]) -> str:
    """The whole catalog as one Markdown page: an index table, then each rule's help. The
    shipped rules' text is Markdown written for it; a repository's (rule-dirs) is shown as text:
    its links, images and HTML escaped, no line of it the start of a workflow command."""

    rules = [
        rule if rule.shipped else rule.escaped(lambda text: sarif_message(text_line(text)), text_line)
        for rule in catalog.values()
    ]
    lines = [
        "# starter-lint rules",
        "",
        "Generated by `starter-lint rules --format markdown` from `rules/`; do not edit by hand.",
        "",
        "| id | name | severity | fix | summary |",
        "|---|---|---|---|---|",
    ]
    lines += [
        f"| [{r.id}](#{r.id.lower()}-{r.name}) | {r.name} | {r.severity} | {r.fix} | "
        f"{r.summary.replace('|', '&#124;')} |"
        for r in rules
    ]
    for rule in rules:
        chart_defaults = (
            " Scope: file (also checks a chart's own values.yaml)." if rule.scope == "file" else ""
        )
        lines += [
            "",
            rule.help_markdown(fix_safety=True).rstrip(),
            "",
            f"Severity: {rule.severity}. Tags: {', '.join(rule.tags)}. Fix: {rule.fix}.{chart_defaults}",
        ]
    return "\n".join(lines) + "\n"
