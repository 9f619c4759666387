"""Suppressions (SPEC §7): findings accepted on purpose are marked, counted and reported, never dropped.

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
"""
from __future__ import annotations

import datetime
import json
import os
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Optional

from .errors import StarterLintError
from .options import rule_matches

ANNOTATION = "starter-lint.io/ignore"
IN_SOURCE, EXTERNAL = "inSource", "external"

# `#` starts a comment only at the start of a line or after whitespace (YAML's rule), so a `#`
# inside a URL or a plain scalar like `a#b` is not mistaken for one.
_DIRECTIVE = re.compile(
    r"(?:^|\s)#\s*starter-lint:\s*(?P<kind>disable-file|disable)\s*=\s*"
    r"(?P<rules>[A-Za-z0-9]+(?:\s*,\s*[A-Za-z0-9]+)*)\s*(?P<reason>.*?)\s*$")
_COMMENT_ONLY = re.compile(r"^\s*#")
_OBJECT_REF = re.compile(r"^[A-Z][A-Za-z0-9]*/[^/]+(?:/[^/]+)?$")   # Kind/name or Kind/ns/name


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


@dataclass(frozen=True)
class ConfigIgnore:
    """One `ignores:` entry of the config file (built by config.py)."""

    reason: str
    rules: tuple = ()            # ids or prefixes; empty: every rule
    paths: tuple = ()            # globs, relative to the config file's directory
    values_paths: tuple = ()     # globs over values paths (`ingress.*`)
    resources: tuple = ()        # globs over Kind/namespace/name (`Ingress/*`)
    expires: Optional[datetime.date] = None
    base_dir: str = "."          # the config file's directory (paths are relative to it)
    where: str = ""              # "file:line" of the entry, for notes

    def expired(self, today: Optional[datetime.date] = None) -> bool:
        return self.expires is not None and (today or datetime.date.today()) > self.expires

    def matches(self, finding, cwd: Optional[str]) -> bool:
        if self.rules and not rule_matches(finding.rule, self.rules):
            return False
        if self.paths and not any(self._path_matches(p, finding, cwd) for p in self.paths):
            return False
        ref = object_ref(finding.logical)
        is_object = ref is not None
        if self.values_paths and (is_object or not any(
                _star_match(finding.logical, pattern) for pattern in self.values_paths)):
            return False
        if self.resources and (not is_object or not any(
                _star_match(ref, pattern) for pattern in self.resources)):
            return False
        return True

    def _path_matches(self, pattern: str, finding, cwd: Optional[str]) -> bool:
        def posix(path: str) -> str:
            return os.path.normpath(path).replace(os.sep, "/")

        location = posix(os.path.join(os.path.abspath(cwd or os.getcwd()), finding.location.path))
        if glob_regex(posix(os.path.join(os.path.abspath(self.base_dir), pattern))).match(location):
            return True
        # a rendered object's Helm template (`chart/templates/x.yaml`), as written in the config
        return bool(finding.template) and bool(glob_regex(pattern).match(finding.template))


def object_ref(logical: str) -> Optional[str]:
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
        steps, i = [], 0   # (kind, character) per step
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
                    todo.append(-1 - state)   # inside `**/`: reading folder names up to a `/`
        return out

    def match(self, text: str) -> bool:
        """The whole text matches (folder separators `/`; `**` does not span a line break)."""
        steps, end = self.steps, len(self.steps)
        states = self._closure({0})
        for ch in text:
            following = set()
            for state in states:
                if state < 0:   # inside `**/`
                    if ch != "\n":
                        following.add(state)
                    if ch == "/":
                        following.add(-state)   # -1 - i -> i + 1
                    continue
                if state == end:
                    continue
                kind, literal = steps[state]
                if kind == "char" and ch == literal or kind == "one" and ch != "/":
                    following.add(state + 1)
                elif kind == "run" and ch != "/" or kind == "any" and ch != "\n":
                    following.add(state)
            if not following:
                return False
            states = self._closure(following)
        return end in states


@lru_cache(maxsize=256)
def glob_regex(pattern: str) -> PathGlob:
    """The compiled path glob (`.match(path)`), once per pattern."""
    return PathGlob(pattern)


def split_rules(text: str) -> tuple:
    return tuple(part.strip().upper() for part in str(text).split(",") if part.strip())


# ---------------------------------------------------------------------------------------------
# Inline comments

@dataclass
class FileDirectives:
    by_line: dict          # line -> Directive that covers it
    whole_file: list       # Directives for the whole file


def parse_directives(text: str) -> FileDirectives:
    by_line: dict = {}
    whole_file: list = []
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
        directive = Directive(split_rules(match.group("rules")), match.group("reason"), number)
        if match.group("kind") == "disable-file":
            if in_header and comment_only:
                whole_file.append(directive)
            continue
        # trailing: this line; on a comment line of its own: the next line
        by_line.setdefault(number + 1 if comment_only else number, []).append(directive)
    return FileDirectives(by_line, whole_file)


def _inline(finding, directives: Optional[FileDirectives]) -> Optional[str]:
    if directives is None:
        return None
    for directive in directives.by_line.get(finding.location.line, []) + directives.whole_file:
        if rule_matches(finding.rule, directive.rules):
            where = f"{finding.location.path}:{directive.line}"
            return directive.reason or f"disabled by the comment at {where}"
    return None


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

BASELINE_VERSION = 1


@lru_cache(maxsize=8)
def _load_baseline(path: str, mtime: float) -> frozenset:
    try:
        with open(path, encoding="utf-8") as handle:
            document = json.load(handle)
    except FileNotFoundError:
        raise StarterLintError(f"--baseline {path}: no such file") from None
    except OSError as exc:
        raise StarterLintError(f"--baseline {path}: cannot read ({exc.strerror or exc})") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise StarterLintError(f"--baseline {path}: not JSON ({exc})") from None
    entries = document.get("findings") if isinstance(document, dict) else None
    if not isinstance(entries, list) or not all(isinstance(e, dict) and isinstance(e.get("fingerprint"), str)
                                                for e in entries):
        raise StarterLintError(f"--baseline {path}: not a starter-lint baseline "
                               "(expected {\"findings\": [{\"fingerprint\": ...}]}; "
                               "write one with `starter-lint baseline --output FILE`)")
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
            "message": finding.message,
        }
    return {"version": BASELINE_VERSION, "tool": "starter-lint",
            "findings": [entries[key] for key in sorted(entries)]}


# ---------------------------------------------------------------------------------------------

def apply(result, ctx, options) -> None:
    """Mark the suppressed findings of one target (replacing them in `result.findings`)."""
    directives = {path: parse_directives(text) for path, text in (result.sources or {}).items()
                  if text and "starter-lint" in text}
    annotated = _annotated(ctx)
    ignores = list(getattr(options, "config_ignores", None) or ())
    baseline = baseline_fingerprints(options.baseline) if getattr(options, "baseline", None) else frozenset()
    today = datetime.date.today()
    out = []
    for finding in result.findings:
        out.append(_suppress_one(finding, directives, annotated, ignores, baseline, options, today))
    result.findings[:] = out


def _suppress_one(finding, directives, annotated, ignores, baseline, options, today):
    if finding.suppressed:
        return finding
    reason = _inline(finding, directives.get(finding.location.path))
    if reason:
        return finding.with_(suppressed=reason, suppression_kind=IN_SOURCE)
    ref = finding.logical.partition("#")[0]
    if ref in annotated and rule_matches(finding.rule, annotated[ref]):
        return finding.with_(suppressed=f"annotation {ANNOTATION} on {ref}", suppression_kind=IN_SOURCE)
    notes = list(finding.notes)
    for ignore in ignores:
        if not ignore.matches(finding, options.cwd):
            continue
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
