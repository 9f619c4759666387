"""Every option of a run, whatever set it (command line, config file, defaults)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .findings import Severity

# A rule id or prefix as --select, --ignore, config ignores and inline comments take them.
RULE_PATTERN = re.compile(r"^(ALL|SL\d{0,3})$")


MAX_TIMEOUT_SECONDS = 86_400.0  # a day: beyond it a "timeout" is a typo (and Python's own limit is near)


def timeout_problem(value) -> str | None:
    """Why `value` cannot be a timeout in seconds (None when it can): a finite number above zero,
    at most a day. `nan` and `inf` parse as floats but no subprocess or clock can wait for them."""
    import math

    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return f"must be a number of seconds, not {value!r}"
    if not math.isfinite(value) or not 0 < value <= MAX_TIMEOUT_SECONDS:
        return f"must be a number of seconds above 0 and at most {MAX_TIMEOUT_SECONDS:g}, not {value!r}"
    return None


def rule_matches(rule_id: str, patterns) -> bool:
    """`SL301`, a prefix (`SL3`) or `all` (any case) names the rule."""
    return any(p == "ALL" or rule_id.startswith(p) for p in (str(p).strip().upper() for p in patterns) if p)


@dataclass
class Options:
    values_files: list = field(default_factory=list)  # positional: independent targets
    files: list = field(default_factory=list)  # -f: layered in order into one target
    set: list = field(default_factory=list)  # [(expression, string_only)] in order
    chart: str | None = None
    manifests: list = field(default_factory=list)  # files, directories, "-" for stdin
    kube_version: str = "1.27"
    validator: str = "auto"  # auto | kubeconform | builtin
    kubeconform: str | None = None  # explicit path to the binary
    kubeconform_timeout: float = 60.0
    render_timeout: float = 60.0  # seconds --chart may take to render
    crds: list = field(default_factory=list)
    format: str = "text"
    output: str | None = None
    fail_on: Severity = Severity.ERROR
    select: list | None = None  # rule ids or prefixes (SL3, SL301)
    ignore: list = field(default_factory=list)
    config: str | None = None
    baseline: str | None = None
    color: bool | None = None  # None: only on a TTY without NO_COLOR
    quiet: bool = False
    jobs: int = 1
    severity_overrides: dict = field(default_factory=dict)  # rule id -> Severity
    config_ignores: list = field(default_factory=list)  # suppress.ConfigIgnore
    targets: list = field(default_factory=list)  # named targets from the config
    config_targets: list = field(default_factory=list)  # all of them, even when files replace them
    partial_run: bool = False  # the command line chose part of the config
    rule_dirs: list = field(default_factory=list)
    cwd: str | None = None
    release_name: str = "starter"
    namespace: str = "default"

    def selects(self, rule_id: str) -> bool:
        """--select / --ignore: ids, prefixes (SL3 selects every ingress rule) or `all`."""
        if self.select and not rule_matches(rule_id, self.select):
            return False
        return not rule_matches(rule_id, self.ignore)
