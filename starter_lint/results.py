"""What a run found: each target's findings (suppressed ones marked) with what a reporter needs
to show them (sources for excerpts, secrets to hide), and the Report over all targets that
decides the exit code."""

from __future__ import annotations

from dataclasses import dataclass, field

from . import __version__
from .findings import Severity
from .targets import Target


@dataclass
class TargetResult:
    name: str
    findings: list  # every finding, suppressed ones included (marked)
    files: list  # display paths of the inputs
    objects: int = 0  # manifest objects checked
    sources: dict = field(default_factory=dict)  # display path -> text, for excerpts
    secrets: frozenset = frozenset()  # strings that must never be printed
    secret_columns: dict = field(default_factory=dict)  # values file -> {line: [(col, end_col)]} to hide
    manifest_secret_columns: dict = field(default_factory=dict)  # manifest file -> {line: [(col, end_col)]}
    target: Target | None = None  # what was asked for (its chart, files, manifests)
    rules_run: tuple = ()  # ids of the checks that ran on this target
    used: set = field(default_factory=set)  # the suppressions that suppressed something (suppress.apply)

    @property
    def active(self) -> list:
        return [f for f in self.findings if not f.suppressed]


@dataclass
class Report:
    targets: list
    fail_on: Severity = Severity.ERROR
    version: str = __version__

    @property
    def findings(self) -> list:
        return [f for t in self.targets for f in t.findings]

    @property
    def active(self) -> list:
        return [f for f in self.findings if not f.suppressed]

    @property
    def suppressed(self) -> list:
        return [f for f in self.findings if f.suppressed]

    def counts(self) -> dict:
        out = {"error": 0, "warning": 0, "note": 0}
        for f in self.active:
            out[str(f.severity)] += 1
        return out

    @property
    def failed(self) -> bool:
        return any(f.severity >= self.fail_on for f in self.active)

    @property
    def secrets(self) -> frozenset:
        out: set = set()
        for t in self.targets:
            out |= t.secrets
        return frozenset(out)

    @property
    def sources(self) -> dict:
        out: dict = {}
        for t in self.targets:
            out.update(t.sources)
        return out
