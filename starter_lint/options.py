"""Every option of a run, whatever set it (command line, config file, defaults): `Options`, its
defaults taken from the option table (option_table), and the readers of rule ids and timeouts
that the command line and the config share."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable
from typing import Any

from .findings import Severity
from .option_table import (
    DEFAULT_KUBE_VERSION,
    FORMATS,
    MAX_TIMEOUT_SECONDS,
    NO_DEFAULT,
    OPTION_TABLE,
    RULE_PATTERN,
)
from .records import field, record

__all__ = ["DEFAULT_KUBE_VERSION", "FORMATS", "RULE_PATTERN", "Options", "parse_rule_ids", "rule_matches"]

# One admission policy of SL901 in --select/--ignore and the config's select/ignore:
# `SL901/require-team-label`, the rule then the policy's metadata.name (a DNS-1123 subdomain, as
# the API server requires; lower-cased here, as names are). docs/policies.md.
POLICY_SELECTOR = re.compile(r"^(SL[0-9]{3})/([a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?)\Z")


def _default(name: str) -> Callable[[], Any]:
    """The default of an Options field, from the one table row that gives it (a list default is
    a new list for each Options)."""
    (value,) = [s.default for s in OPTION_TABLE if s.field == name and s.default is not NO_DEFAULT]
    return (lambda: list(value)) if isinstance(value, list) else (lambda: value)


def rule_part_hint(part: str) -> str:
    """What a refused --select/--ignore (or config) part with a `/` should have been: the
    `SL901/<name>` form, and the name's rule (`SL901/Web_App` has an underscore)."""
    if "/" not in part:
        return ""
    return (
        "; one admission policy is SL901/<metadata.name>, a DNS-1123 subdomain (lower-case "
        "letters, digits, '-' and '.', starting and ending with a letter or digit)"
    )


def timeout_problem(value) -> str | None:
    """Why `value` cannot be a timeout in seconds (None when it can): a finite number above zero,
    at most a day. `nan` and `inf` parse as floats but no subprocess or clock can wait for them."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return f"must be a number of seconds, not {value!r}"
    if not math.isfinite(value) or not 0 < value <= MAX_TIMEOUT_SECONDS:
        return f"must be a number of seconds above 0 and at most {MAX_TIMEOUT_SECONDS:g}, not {value!r}"
    return None


def parse_rule_ids(values: Iterable[str], refuse: Callable[[str], Exception]) -> list:
    """Rule ids and prefixes, comma-separated in each value, upper-cased (`sl3,SL106` ->
    SL3, SL106), and admission policies (`sl901/Team-Labels` -> SL901/team-labels);
    `refuse(part)` is the error raised for a part that is none of them."""
    out = []
    for value in values:
        for given in (part.strip() for part in value.split(",")):
            rule, slash, name = given.partition("/")
            part = f"{rule.upper()}/{name.lower()}" if slash else given.upper()
            if not part:
                continue
            # ASCII before case mapping: 'ſl301' and the Kelvin sign in 'SL901/\u212aeep' would
            # otherwise become SL301 and SL901/keep, a name other than the one written
            if not given.isascii() or not (RULE_PATTERN.match(part) or POLICY_SELECTOR.match(part)):
                raise refuse(part)
            out.append(part)
    return out


def rule_matches(rule_id: str, patterns) -> bool:
    """`SL301`, a prefix (`SL3`) or `all` (any case) names the rule. A rule id may name one
    admission policy (`SL901/team-labels`, what policy/run.py asks about): a rule or prefix names
    it when it names its rule, and a pattern with a policy names only that policy."""
    rule_id = rule_id.upper()
    rule = rule_id.partition("/")[0]
    for pattern in (str(p).strip().upper() for p in patterns):
        if pattern == "ALL" or (
            rule_id == pattern if "/" in pattern else pattern and rule.startswith(pattern)
        ):
            return True
    return False


@record
class Options:
    """A run's options; each field with a table row takes its default from the row."""

    values_files: list = field(default_factory=_default("values_files"))
    files: list = field(default_factory=_default("files"))
    set: list = field(default_factory=_default("set"))
    chart: str | None = field(default_factory=_default("chart"))
    helm_version: str = field(default_factory=_default("helm_version"))
    manifests: list = field(default_factory=_default("manifests"))
    kube_version: str = field(default_factory=_default("kube_version"))
    validator: str = field(default_factory=_default("validator"))
    kubeconform: str | None = field(default_factory=_default("kubeconform"))
    kubeconform_timeout: float = field(default_factory=_default("kubeconform_timeout"))
    render_timeout: float = field(default_factory=_default("render_timeout"))
    crds: list = field(default_factory=_default("crds"))
    format: str = field(default_factory=_default("format"))
    output: str | None = field(default_factory=_default("output"))
    fail_on: Severity = field(default_factory=_default("fail_on"))
    select: list | None = field(default_factory=_default("select"))
    ignore: list = field(default_factory=_default("ignore"))
    config: str | None = field(default_factory=_default("config"))
    baseline: str | None = field(default_factory=_default("baseline"))
    color: bool | None = field(default_factory=_default("color"))
    quiet: bool = field(default_factory=_default("quiet"))
    jobs: int = field(default_factory=_default("jobs"))
    rule_dirs: list = field(default_factory=_default("rule_dirs"))
    policies: list = field(default_factory=_default("policies"))  # --policy files and folders
    release_name: str = field(default_factory=_default("release_name"))
    namespace: str = field(default_factory=_default("namespace"))
    # what the config file sets beyond the table's options, and how the run was asked for
    severity_overrides: dict = field(default_factory=dict)  # rule id -> Severity
    config_ignores: list = field(default_factory=list)  # suppress.ConfigIgnore
    # ("select" | "ignore", "SL901/<name>") -> "config:line": a policy the config names in its
    # select/ignore, which a --policy of the command line may not load (then a warning, not exit 2)
    config_selectors: dict = field(default_factory=dict)
    targets: list = field(default_factory=list)  # named targets from the config
    config_targets: list = field(default_factory=list)  # all of them, even when files replace them
    # the config's top-level set-file paths as written -> (file, where): relative to the config
    config_set_files: dict = field(default_factory=dict)
    partial_run: bool = False  # the command line chose part of the config
    render: bool = True  # render a target's chart (the language server does on save only)
    # findings get their fingerprint parts (identity, repository path): `check` turns it off when
    # its report prints no fingerprint and no baseline reads one (report.reads_fingerprints)
    fingerprints: bool = True
    cwd: str | None = None

    def selects(self, rule_id: str) -> bool:
        """--select / --ignore: ids, prefixes (SL3 selects every ingress rule) or `all`. Selecting
        one admission policy (`SL901/team-labels`) selects its rule too: SL901 runs, for it."""
        within = f"{rule_id.upper()}/"
        if (
            self.select
            and not rule_matches(rule_id, self.select)
            and not any(str(p).upper().startswith(within) for p in self.select)
        ):
            return False
        return not rule_matches(rule_id, self.ignore)
