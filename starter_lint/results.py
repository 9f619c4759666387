"""What a run found: each target's findings (suppressed ones marked) with what a reporter needs
to show them (sources for excerpts, secrets to hide), and the Report over all targets that
decides the exit code."""

from __future__ import annotations

from typing import Any

from . import __version__
from .findings import Finding, Severity
from .records import field, record
from .targets import Target

# the columns to hide of each line of a file: {display path: {line: [(col, end_col)]}}
SecretColumns = dict[str, dict[int, list[tuple[int, int]]]]


@record
class TargetResult:
    """The findings of one target and what the reporters need about its inputs."""

    name: str
    findings: list[Finding]  # every finding, suppressed ones included (marked)
    files: list[str]  # display paths of the inputs
    objects: int = 0  # manifest objects checked
    sources: dict[str, str] = field(default_factory=dict)  # display path -> text, for excerpts
    secrets: frozenset[str] = frozenset()  # strings that must never be printed
    secret_columns: SecretColumns = field(default_factory=dict)  # of the values files
    manifest_secret_columns: SecretColumns = field(default_factory=dict)  # of the manifest files
    target: Target | None = None  # what was asked for (its chart, files, manifests)
    rules_run: tuple[str, ...] = ()  # ids of the checks that ran on this target
    used: set[tuple[Any, ...]] = field(
        default_factory=set
    )  # the suppressions that suppressed something (suppress.apply)

    @property
    def active(self) -> list[Finding]:
        return [f for f in self.findings if not f.suppressed]


@record
class Report:
    """The results of one run: every target, the --fail-on threshold and the tool's version."""

    targets: list[TargetResult]
    fail_on: Severity = Severity.ERROR
    version: str = __version__

    @property
    def findings(self) -> list[Finding]:
        return [f for t in self.targets for f in t.findings]

    @property
    def active(self) -> list[Finding]:
        return [f for f in self.findings if not f.suppressed]

    @property
    def suppressed(self) -> list[Finding]:
        return [f for f in self.findings if f.suppressed]

    def counts(self) -> dict[str, int]:
        out = {"error": 0, "warning": 0, "note": 0}
        for f in self.active:
            out[str(f.severity)] += 1
        return out

    @property
    def failed(self) -> bool:
        return any(f.severity >= self.fail_on for f in self.active)

    @property
    def secrets(self) -> frozenset[str]:
        out: set[str] = set()
        for t in self.targets:
            out |= t.secrets
        return frozenset(out)

    @property
    def sources(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for t in self.targets:
            out.update(t.sources)
        return out
