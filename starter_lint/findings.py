"""Findings: what a rule reports, where, and how it is identified across runs."""

from __future__ import annotations

import enum
import operator
from typing import Any

from .records import field, fields, record

# A path into loaded values: mapping keys and list positions, e.g. ("ingress", "tls", 0, "hosts")
ValuesPath = tuple[Any, ...]
# What Finding.sort_key returns: target, file, line, column, rule, logical location, message
SortKey = tuple[str, str, int, int, str, str, str]


class Severity(enum.IntEnum):
    """Ordered so that `severity >= fail_on` decides the exit code."""

    NOTE = 1
    WARNING = 2
    ERROR = 3

    @classmethod
    def parse(cls, text: str) -> Severity:
        try:
            return cls[str(text).upper()]
        except KeyError:
            raise ValueError(f"unknown severity {text!r} (error, warning or note)") from None

    def __str__(self) -> str:  # "error", "warning", "note": what users type and read
        return _SEVERITY_NAMES[self]  # not self.name.lower(): each finding printed asks


_SEVERITY_NAMES = ("", "note", "warning", "error")  # by value: each one's name, lower case


@record(frozen=True, order=True, slots=True)
class Location:
    """A 1-based region in a file as the user sees it (display path, relative where possible)."""

    path: str
    line: int = 1
    col: int = 1
    end_line: int | None = None
    end_col: int | None = None


@record(frozen=True)
class Fix:
    """A replacement a rule proposes; `safe` fixes are applied by `starter-lint fix`."""

    description: str
    safe: bool = True
    # values path of the node to change and its new value (None = delete); `fix` applies it
    path: ValuesPath = ()
    value: Any = None


@record(frozen=True, slots=True)
class Problem:
    """What a check yields. The engine turns it into a Finding (rule id, severity, location).

    A check names *what* is wrong (a values path, or a manifest object and pointer); where that
    is in a file is resolved through provenance, so checks never deal with files.
    """

    message: str
    path: ValuesPath | None = None  # values path, e.g. ("ingress", "tls", 0, "hosts", 1)
    location: Location | None = None  # explicit location (manifests, yaml-syntax)
    logical: str | None = None  # e.g. "Deployment/prod/api#/spec/replicas"
    severity: Severity | None = None  # overrides the rule's default (e.g. SL502 warning)
    fix: Fix | None = None
    template: str | None = None  # Helm `# Source:` template of a rendered object
    key: str | None = None  # stable extra identity for the fingerprint
    at_key: bool = False  # point at the key of `path` (its name is the problem)


@record(frozen=True, slots=True)
class Finding:
    """A Problem placed and identified: rule, severity, location, fingerprint parts and suppression."""

    rule: str
    name: str
    severity: Severity
    message: str
    location: Location
    logical: str = ""
    target: str = ""
    template: str | None = None
    fix: Fix | None = None
    key: str = ""
    path: ValuesPath = ()  # the values path it is about, if any
    identity: str = ""  # logical location without list positions (identity.py)
    identity_text: str = ""  # key or message with positions rewritten likewise
    fingerprint_path: str = ""  # the file as the repository names it (paths.repo_relative)
    suppressed: str | None = None  # why it is suppressed (inline, config, baseline)
    suppression_kind: str | None = None  # "inSource" | "external"
    notes: tuple[str, ...] = field(default=())
    # Findings of the same cause folded into this one (related.py)
    related: tuple[Finding, ...] = field(default=())

    @property
    def fingerprint(self) -> str:
        """Stable across line moves, working directories and unrelated list edits: rule, repository
        path of the file, logical identity (list items by their key, not position) and the
        identity key only."""
        # a message may name the file as displayed (relative to the working directory): identify
        # it by the repository path instead, so the fingerprint does not depend on where one ran
        text = self.identity_text or self.key or self.message
        if not self.key:
            text = text.replace(self.location.path, self.fingerprint_path or self.location.path)
        basis = "\x1f".join(
            [self.rule, self.fingerprint_path or self.location.path, self.identity or self.logical, text]
        )
        import hashlib  # here: only reports that print fingerprints pay for it  # deferred: loads OpenSSL (3 MiB); only fingerprints need it

        # surrogatepass: a file or key name that is not UTF-8 (surrogateescape) hashes too
        return hashlib.sha256(basis.encode("utf-8", "surrogatepass")).hexdigest()[:32]

    @property
    def policy(self) -> str:
        """The admission policy an SL901 finding is about ("" for any other finding): its key
        starts with the policy's name (`policy/binding/validations[0]`, policy/admission_eval.py)."""
        return self.key.partition("/")[0] if self.rule == "SL901" and "/" in self.key else ""

    @property
    def selector(self) -> str:
        """The rule id as --select, `disable=` and `ignores:` name this finding: `SL901/<policy>`
        for an admission policy's finding (options.rule_matches reads both forms), else the rule."""
        return f"{self.rule}/{self.policy}" if self.policy else self.rule

    def sort_key(self) -> SortKey:
        return (
            self.target,
            self.location.path,
            self.location.line,
            self.location.col,
            self.rule,
            self.logical,
            self.message,
        )

    def with_(self, **changes: Any) -> Finding:
        """A copy with `changes`: what `dataclasses.replace` gives (no field is computed), for a
        third of its cost, as each of a run's findings is copied a few times on its way."""
        values = list(_finding_values(self))
        for name, value in changes.items():
            index = _FINDING_INDEX.get(name)
            if index is None:
                unknown = ", ".join(sorted(changes.keys() - _FINDING_INDEX.keys()))
                raise TypeError(f"Finding has no field {unknown}")
            values[index] = value
        return Finding(*values)


_FINDING_INDEX = {spec.name: i for i, spec in enumerate(fields(Finding))}
_finding_values = operator.attrgetter(*_FINDING_INDEX)  # a Finding's field values, in order


def format_path(path: ValuesPath | None) -> str:
    """("ingress", "tls", 0, "hosts") -> "ingress.tls[0].hosts"; keys with dots are quoted."""
    out: list[str] = []
    for part in path or ():
        if isinstance(part, int):
            out.append(f"[{part}]")
        else:
            text = str(part)
            if not text or any(c in text for c in ".[]\" "):
                text = '"' + text.replace('"', '\\"') + '"'
            out.append(("." if out else "") + text)
    return "".join(out)
