"""Findings: what a rule reports, where, and how it is identified across runs."""

from __future__ import annotations

import enum
import operator
from dataclasses import MISSING, dataclass, field
from dataclasses import fields as dataclass_fields
from typing import Any

# A path into loaded values: mapping keys and list positions, e.g. ("ingress", "tls", 0, "hosts")
ValuesPath = tuple[Any, ...]
# What Finding.sort_key returns: target, file, line, column, rule, logical location, message
SortKey = tuple[str, str, int, int, str, str, str]


def record(cls: type) -> type:
    """`cls`, a frozen dataclass with slots, made cheaper to make, copy and hand between processes:

    - its __init__ sets each slot through the slot's own descriptor, where the one dataclasses
      writes calls `object.__setattr__` per field (to get past the frozen check): 1.0 µs for a
      Finding instead of 1.7 (2.8 before slots). The source is generated from the class's own
      field names, as dataclasses generates its __init__;
    - it pickles as the class and its field values (the policy stage's child hands back thousands
      of findings), not as a state the default slots protocol sets field by field.

    A run makes tens of thousands of findings, each made, copied and handed over a few times (and
    an admission policy run one Request per rendered object: policy/admission_match.py)."""
    fields = dataclass_fields(cls)
    # what the generated __init__ does not do: it takes the dataclass' own defaults by position,
    # calls no __post_init__, and the pickled values are a tuple only for two fields or more
    plain = len(fields) > 1 and not hasattr(cls, "__post_init__")
    if not plain or any(not f.init or f.default_factory is not MISSING or f.kw_only for f in fields):
        raise TypeError(f"{cls.__name__}: record takes plain fields only (two or more, no factory)")
    names = [f.name for f in fields]
    setters = {f"_set_{name}": getattr(cls, name).__set__ for name in names}
    source = f"def __init__(self, {', '.join(names)}):\n" + "".join(
        f"    _set_{name}(self, {name})\n" for name in names
    )
    made: dict[str, Any] = {}
    exec(source, setters, made)  # the class's own field names: nothing from input
    init = made["__init__"]
    generated = cls.__init__  # type: ignore[misc]  # the dataclass' own: its defaults and docs
    init.__defaults__ = generated.__defaults__
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__doc__ = generated.__doc__
    values = operator.attrgetter(*names)
    cls.__init__ = init  # type: ignore[misc]

    def reduce(self: Any) -> tuple[type, tuple[Any, ...]]:
        return cls, values(self)

    cls.__reduce__ = reduce  # type: ignore[method-assign,assignment]
    return cls


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


@record
@dataclass(frozen=True, order=True, slots=True)
class Location:
    """A 1-based region in a file as the user sees it (display path, relative where possible)."""

    path: str
    line: int = 1
    col: int = 1
    end_line: int | None = None
    end_col: int | None = None


@dataclass(frozen=True)
class Fix:
    """A replacement a rule proposes; `safe` fixes are applied by `starter-lint fix`."""

    description: str
    safe: bool = True
    # values path of the node to change and its new value (None = delete); `fix` applies it
    path: ValuesPath = ()
    value: Any = None


@record
@dataclass(frozen=True, slots=True)
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


@record
@dataclass(frozen=True, slots=True)
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


_FINDING_INDEX = {name: i for i, name in enumerate(Finding.__dataclass_fields__)}
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
