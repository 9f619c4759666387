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
import json
import os
import re
from dataclasses import dataclass, field
from functools import lru_cache

from .errors import StarterLintError
from .findings import Location, Problem
from .options import RULE_PATTERN, rule_matches

ANNOTATION = "starter-lint.io/ignore"
IN_SOURCE, EXTERNAL = "inSource", "external"

# `#` starts a comment only at the start of a line or after whitespace (YAML's rule), so a `#`
# inside a URL or a plain scalar like `a#b` is not mistaken for one.
_DIRECTIVE = re.compile(
    r"(?:^|\s)#\s*starter-lint:\s*(?P<kind>disable-file|disable)\s*=\s*"
    r"(?P<rules>[A-Za-z0-9]+(?:\s*,\s*[A-Za-z0-9]+)*)\s*(?P<reason>.*?)\s*$"
)
_COMMENT_ONLY = re.compile(r"^\s*#")
_OBJECT_REF = re.compile(r"^[A-Z][A-Za-z0-9]*/[^/]+(?:/[^/]+)?$")  # Kind/name or Kind/ns/name


def _star_match(text: str, pattern: str) -> bool:
    """Only `*` is a wildcard (any text): values paths are full of `[0]` and `.`, which must match
    as written (`ingress.hosts[1].host`, `ingress.hosts[*].host`, `Ingress/*`).

    Matched without a regex: the pieces between stars are found left to right, each at its
    first place, which is a match whenever one exists. Time is length x pattern, where a
    backtracking regex of `*a*a*a…` (the config and the keys are a stranger's) is exponential.
    """
    first, *middle, last = pattern.split("*") if "*" in pattern else (pattern, None)
    if last is None:
        return text == pattern
    if len(text) < len(first) + len(last) or not text.startswith(first) or not text.endswith(last):
        return False
    position, end = len(first), len(text) - len(last)
    for piece in middle:
        found = text.find(piece, position, end)
        if found < 0:
            return False
        position = found + len(piece)
    return True


@dataclass(frozen=True)
class Directive:
    rules: tuple
    reason: str
    line: int
    col: int = 1
    kind: str = "disable"  # or "disable-file"


@dataclass(frozen=True)
class ConfigIgnore:
    """One `ignores:` entry of the config file (built by config.py)."""

    reason: str
    rules: tuple = ()  # ids or prefixes; empty: every rule
    paths: tuple = ()  # globs, relative to the config file's directory
    values_paths: tuple = ()  # globs over values paths (`ingress.*`)
    resources: tuple = ()  # globs over Kind/namespace/name (`Ingress/*`)
    expires: datetime.date | None = None
    base_dir: str = "."  # the config file's directory (paths are relative to it)
    where: str = ""  # "file:line" of the entry, for notes
    location: Location | None = None  # the entry in the config file, for SL107

    def expired(self, today: datetime.date | None = None) -> bool:
        return self.expires is not None and (today or datetime.date.today()) > self.expires

    def matches(self, finding, cwd: str | None) -> bool:
        return self.matched_parts(finding, cwd) is not None

    def matched_parts(self, finding, cwd: str | None) -> frozenset | None:
        """None when the entry does not match `finding`; else the parts that matched it, as
        (field, item) pairs (`("rules", "SL301")`, `("paths", "envs/*.yaml")`)."""
        ref = object_ref(finding.logical)
        is_object = ref is not None
        parts = [
            ("rules", [p for p in self.rules if rule_matches(finding.rule, [p])]),
            ("paths", [p for p in self.paths if self._path_matches(p, finding, cwd)]),
            (
                "values-path",
                [] if is_object else [p for p in self.values_paths if _star_match(finding.logical, p)],
            ),
            ("resource", [p for p in self.resources if is_object and _star_match(ref, p)]),
        ]
        given = {
            "rules": self.rules,
            "paths": self.paths,
            "values-path": self.values_paths,
            "resource": self.resources,
        }
        if any(given[kind] and not matched for kind, matched in parts):
            return None
        return frozenset((kind, item) for kind, matched in parts for item in matched)

    def parts(self) -> list:
        return (
            [("rules", r) for r in self.rules]
            + [("paths", p) for p in self.paths]
            + [("values-path", p) for p in self.values_paths]
            + [("resource", p) for p in self.resources]
        )

    def _path_matches(self, pattern: str, finding, cwd: str | None) -> bool:
        location = _posix(os.path.join(os.path.abspath(cwd or os.getcwd()), finding.location.path))
        if glob_matches(pattern, location, os.path.abspath(self.base_dir)):
            return True
        # a rendered object's Helm template (`chart/templates/x.yaml`), as written in the config
        return bool(finding.template) and glob_matches(pattern, finding.template)


def object_ref(logical: str) -> str | None:
    """`Kind/ns/name` of a finding about a manifest object (logical `Kind/ns/name#/pointer`)."""
    ref, hash_, _pointer = (logical or "").partition("#")
    return ref if hash_ or _OBJECT_REF.match(ref) else None


class PathGlob:
    """A path glob: `**/` is any number of folders, `**` any text, `*` and `?` stay within a
    folder (`*` any run of characters but `/`, `?` one of them). Everything else is literal.

    Matched as a small automaton, all its states at once (time: path length x glob length),
    not as a backtracking regex, where `**a**a**a…` (a config is a stranger's input) against a
    long path takes exponential time.
    """

    def __init__(self, pattern: str):
        steps, i = [], 0  # (kind, character) per step
        while i < len(pattern):
            if pattern.startswith("**/", i):
                steps.append(("folders", ""))
                i += 3
            elif pattern.startswith("**", i):
                steps.append(("any", ""))
                i += 2
            elif pattern[i] in "*?":
                steps.append(("run" if pattern[i] == "*" else "one", ""))
                i += 1
            else:
                steps.append(("char", pattern[i]))
                i += 1
        self.steps = steps

    def _closure(self, states: set) -> set:
        """The states reachable without reading: past a `*`, `**` or `**/`, or into `**/`."""
        out, todo = set(), list(states)
        while todo:
            state = todo.pop()
            if state in out:
                continue
            out.add(state)
            if state >= 0 and state < len(self.steps) and self.steps[state][0] in ("run", "any", "folders"):
                todo.append(state + 1)
                if self.steps[state][0] == "folders":
                    todo.append(-1 - state)  # inside `**/`: reading folder names up to a `/`
        return out

    def match(self, text: str) -> bool:
        """The whole text matches (folder separators `/`; `**` does not span a line break)."""
        steps, end = self.steps, len(self.steps)
        states = self._closure({0})
        for ch in text:
            following = set()
            for state in states:
                if state < 0:  # inside `**/`
                    if ch != "\n":
                        following.add(state)
                    if ch == "/":
                        following.add(-state)  # -1 - i -> i + 1
                    continue
                if state == end:
                    continue
                kind, literal = steps[state]
                if (kind == "char" and ch == literal) or (kind == "one" and ch != "/"):
                    following.add(state + 1)
                elif (kind == "run" and ch != "/") or (kind == "any" and ch != "\n"):
                    following.add(state)
            if not following:
                return False
            states = self._closure(following)
        return end in states


@lru_cache(maxsize=256)
def glob_regex(pattern: str) -> PathGlob:
    """The compiled path glob (`.match(path)`), once per pattern."""
    return PathGlob(pattern)


def _posix(path: str) -> str:
    return os.path.normpath(path).replace(os.sep, "/")


@lru_cache(maxsize=65_536)
def glob_matches(pattern: str, text: str, base_dir: str = "") -> bool:
    """Whether path glob `pattern` (joined to the folder `base_dir` when given) matches all of
    `text`, answered once per (glob, path): every finding in one file asks each `ignores:` glob
    the same question. Keyed by the config's own pattern, so the memo keeps no copy of a long
    glob per path."""
    if base_dir:
        pattern = _posix(os.path.join(base_dir, pattern))
    return glob_regex(pattern).match(text)


def split_rules(text: str) -> tuple:
    return tuple(part.strip().upper() for part in str(text).split(",") if part.strip())


# ---------------------------------------------------------------------------------------------
# Inline comments


@dataclass
class FileDirectives:
    by_line: dict  # line -> Directive that covers it
    whole_file: list  # Directives for the whole file
    misplaced: list = field(default_factory=list)  # `disable-file` below the leading comments: no effect

    def all(self) -> list:
        """Every directive of the file, once each, in line order."""
        seen = {d for ds in self.by_line.values() for d in ds} | set(self.whole_file) | set(self.misplaced)
        return sorted(seen, key=lambda d: d.line)


def parse_directives(text: str) -> FileDirectives:
    by_line: dict = {}
    whole_file: list = []
    misplaced: list = []
    in_header = True
    lines = text.splitlines()
    for number, line in enumerate(lines, start=1):
        comment_only = bool(_COMMENT_ONLY.match(line))
        blank = not line.strip() or line.strip() == "---"
        if not (comment_only or blank):
            in_header = False
        match = _DIRECTIVE.search(line) if "starter-lint" in line else None
        if match is None:
            continue
        directive = Directive(
            split_rules(match.group("rules")),
            match.group("reason"),
            number,
            line.index("#", match.start()) + 1,
            match.group("kind"),
        )
        if match.group("kind") == "disable-file":
            (whole_file if in_header and comment_only else misplaced).append(directive)
            continue
        # trailing: this line; on a comment line of its own: the next line
        by_line.setdefault(number + 1 if comment_only else number, []).append(directive)
    return FileDirectives(by_line, whole_file, misplaced)


def _inline(finding, directives: FileDirectives | None) -> tuple:
    """(reason, (path, directive line, rule part) that suppressed it), or (None, None)."""
    if directives is None:
        return None, None
    for directive in directives.by_line.get(finding.location.line, []) + directives.whole_file:
        for part in directive.rules:
            if rule_matches(finding.rule, [part]):
                where = f"{finding.location.path}:{directive.line}"
                return directive.reason or f"disabled by the comment at {where}", (
                    finding.location.path,
                    directive.line,
                    part,
                )
    return None, None


# ---------------------------------------------------------------------------------------------
# Manifest annotations


def _annotated(ctx) -> dict:
    """Kind/ns/name -> rule patterns from the object's starter-lint.io/ignore annotation."""
    out: dict = {}
    manifests = getattr(ctx, "manifests", None)
    for obj in getattr(manifests, "objects", None) or ():
        annotations = obj.metadata.get("annotations")
        value = annotations.get(ANNOTATION) if isinstance(annotations, dict) else None
        if isinstance(value, str) and value.strip():
            out[obj.ref] = split_rules(value)
    return out


# ---------------------------------------------------------------------------------------------
# Baseline

# 2: fingerprints name list items by their key (identity.py), not their position; the
# fingerprints of version 1 files no longer match, so such a file is refused, not silently ignored
BASELINE_VERSION = 2
MAX_BASELINE_BYTES = 32 * 1024 * 1024  # a baseline of 100k findings is about 30 MB


@lru_cache(maxsize=8)
def _load_baseline(path: str, mtime: float) -> frozenset:
    from .paths import read_control_file

    text = read_control_file(path, MAX_BASELINE_BYTES, "--baseline")
    try:
        document = json.loads(text)
    except ValueError as exc:
        raise StarterLintError(f"--baseline {path}: not JSON ({exc})") from None
    version = document.get("version") if isinstance(document, dict) else None
    if isinstance(version, int) and not isinstance(version, bool) and version != BASELINE_VERSION:
        if version < BASELINE_VERSION:
            raise StarterLintError(
                f"--baseline {path}: written by an older starter-lint (baseline version {version}, whose "
                f"fingerprints held list positions); regenerate it with `starter-lint baseline --output {path}`"
            )
        raise StarterLintError(
            f"--baseline {path}: baseline version {version} is newer than this "
            f"starter-lint reads ({BASELINE_VERSION}); upgrade starter-lint"
        )
    entries = document.get("findings") if isinstance(document, dict) else None
    if not isinstance(entries, list) or not all(
        isinstance(e, dict) and isinstance(e.get("fingerprint"), str) for e in entries
    ):
        raise StarterLintError(
            f"--baseline {path}: not a starter-lint baseline "
            "(expected {\"findings\": [{\"fingerprint\": ...}]}; "
            "write one with `starter-lint baseline --output FILE`)"
        )
    return frozenset(e["fingerprint"] for e in entries)


def baseline_fingerprints(path: str) -> frozenset:
    try:
        mtime = os.path.getmtime(path)
    except OSError:
        mtime = 0.0
    return _load_baseline(os.path.abspath(path), mtime)


def baseline_document(findings) -> dict:
    """What `starter-lint baseline` writes: sorted fingerprints, with context for humans."""
    entries = {}
    for finding in findings:
        entries[finding.fingerprint] = {
            "fingerprint": finding.fingerprint,
            "rule": finding.rule,
            "path": finding.location.path,
            "logical": finding.logical,
            "identity": finding.identity or finding.logical,
            "message": finding.message,
        }
    return {
        "version": BASELINE_VERSION,
        "tool": "starter-lint",
        "findings": [entries[key] for key in sorted(entries)],
    }


# ---------------------------------------------------------------------------------------------


def apply(result, ctx, options) -> None:
    """Mark the suppressed findings of one target (replacing them in `result.findings`)."""
    result.findings[:] = mark(result.findings, result, ctx, options)


def mark(findings, result, ctx, options) -> list:
    """`findings` of the target `result`, the suppressed ones marked; what suppressed them is
    added to `result.used`."""
    directives = {
        path: parse_directives(text)
        for path, text in (result.sources or {}).items()
        if text and "starter-lint" in text
    }
    annotated = _annotated(ctx)
    ignores = list(getattr(options, "config_ignores", None) or ())
    baseline = baseline_fingerprints(options.baseline) if getattr(options, "baseline", None) else frozenset()
    today = datetime.date.today()
    return [
        _suppress_one(finding, directives, annotated, ignores, baseline, options, today, result.used)
        for finding in findings
    ]


def _suppress_one(finding, directives, annotated, ignores, baseline, options, today, used):
    """The finding, suppressed or not; what suppressed it (or an expired ignore that matched it)
    is added to `used`: ("inline", path, line, part) and ("ignore", index, field, item)."""
    if finding.suppressed:
        return finding
    reason, directive_part = _inline(finding, directives.get(finding.location.path))
    if reason:
        used.add(("inline",) + directive_part)
        return finding.with_(suppressed=reason, suppression_kind=IN_SOURCE)
    ref = finding.logical.partition("#")[0]
    if ref in annotated and rule_matches(finding.rule, annotated[ref]):
        return finding.with_(suppressed=f"annotation {ANNOTATION} on {ref}", suppression_kind=IN_SOURCE)
    notes = list(finding.notes)
    for index, ignore in enumerate(ignores):
        parts = ignore.matched_parts(finding, options.cwd)
        if parts is None:
            continue
        used.update(("ignore", index) + part for part in parts)
        used.add(("ignore", index))
        if ignore.expired(today):
            note = f"the config ignore at {ignore.where} ({ignore.reason}) expired on {ignore.expires.isoformat()}"
            if note not in notes:
                notes.append(note)
            continue
        return finding.with_(suppressed=ignore.reason, suppression_kind=EXTERNAL)
    if notes != list(finding.notes):
        finding = finding.with_(notes=tuple(notes))
    if finding.fingerprint in baseline:
        return finding.with_(suppressed="baseline", suppression_kind=EXTERNAL)
    return finding


# ---------------------------------------------------------------------------------------------
# Suppressions that suppress nothing (SL107)

UNUSED_SUPPRESSION = "SL107"


def unknown_rule_parts(parts, catalog) -> list:
    """The parts of a rule list that name no rule of the catalog (a typo such as SL3O1)."""
    return [p for p in parts if not RULE_PATTERN.match(p) or not any(rule_matches(r, [p]) for r in catalog)]


def _ran_all(part: str, ran: set, catalog) -> bool:
    """Every rule `part` names ran: only then can it be told that it suppressed nothing."""
    named = [rule_id for rule_id in catalog if rule_matches(rule_id, [part])]
    return bool(named) and all(rule_id in ran for rule_id in named)


def unused_inline(results, catalog) -> list:
    """(index of the target result to report it with, Problem) for every rule of an inline
    disable that suppressed nothing in any target that checked its file. A disable of SL107
    itself (`SL107`, `SL1`, `all`) is not judged: it may be there for these very findings."""
    used = set().union(*(result.used for result in results)) if results else set()
    out = []
    first_with: dict = {}  # file -> index of the first target that checked it
    ran_on: dict = {}  # file -> ids of the rules that ran on it in any target
    for index, result in enumerate(results):
        for path, text in (result.sources or {}).items():
            if text and "starter-lint" in text:
                first_with.setdefault(path, index)
                ran_on.setdefault(path, set()).update(result.rules_run)
    for path, index in first_with.items():
        directives = parse_directives(results[index].sources[path])
        for directive in directives.all():
            if directive in directives.misplaced:
                continue  # reported by the SL107 check
            for part in directive.rules:
                if (
                    rule_matches(UNUSED_SUPPRESSION, [part])
                    or unknown_rule_parts([part], catalog)
                    or not _ran_all(part, ran_on[path], catalog)
                    or ("inline", path, directive.line, part) in used
                ):
                    continue
                scope = "in this file" if directive.kind == "disable-file" else "on its line"
                owner = _owner_of_folded(results, path, directive, part)
                advice = (
                    f"{part} is reported here as part of the {owner} finding (one mistake, one "
                    f"finding): disable {owner} instead"
                    if owner
                    else "remove it"
                )
                out.append(
                    (
                        index,
                        Problem(
                            f"`# starter-lint: {directive.kind}={part}` suppresses nothing: no {part} finding "
                            f"{scope}; {advice}",
                            location=Location(path, directive.line, directive.col),
                            key=f"inline:{directive.kind}:{part}",
                        ),
                    )
                )
    return out


def _owner_of_folded(results, path: str, directive, part: str) -> str:
    """The rule of the finding that a `part` finding under this directive was folded into
    (related.py), or "": the disable names the consequence of a mistake another rule reports."""
    lines = None if directive.kind == "disable-file" else (directive.line, directive.line + 1)
    for result in results:
        for finding in result.findings:
            for related in finding.related:
                where = related.location
                if (
                    where.path == path
                    and (lines is None or where.line in lines)
                    and rule_matches(related.rule, [part])
                ):
                    return finding.rule
    return ""


def unused_ignores(results, options, catalog) -> list:
    """(0, Problem) for every config `ignores:` entry, or part of one, that suppressed nothing,
    in a run of the whole config (an ignore for files or targets a run did not check is no
    unused ignore)."""
    if getattr(options, "partial_run", False) or not results:
        return []
    used = set().union(*(result.used for result in results))
    ran = set().union(*(result.rules_run for result in results))
    out = []
    for number, ignore in enumerate(getattr(options, "config_ignores", None) or ()):
        location = ignore.location or Location(ignore.where.rpartition(":")[0] or ignore.where, 1, 1)
        if not all(_ran_all(rule, ran, catalog) for rule in ignore.rules):
            continue
        if ("ignore", number) not in used:
            out.append(
                (
                    0,
                    Problem(
                        "this ignore suppresses nothing: no finding matches it; remove it or fix it",
                        location=location,
                        key=f"ignore:{number}",
                    ),
                )
            )
            continue
        for kind, item in ignore.parts():
            if ("ignore", number, kind, item) not in used:
                out.append(
                    (
                        0,
                        Problem(
                            f"{item!r} in '{kind}' of this ignore matches none of the findings it "
                            f"suppresses; remove it",
                            location=location,
                            key=f"ignore:{kind}:{item}",
                        ),
                    )
                )
    return out
