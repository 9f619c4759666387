"""Every option of a run, whatever set it (command line, config file, defaults)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from .findings import Severity


@dataclass
class Options:
    values_files: list = field(default_factory=list)   # positional: independent targets
    files: list = field(default_factory=list)          # -f: layered in order into one target
    set: list = field(default_factory=list)            # [(expression, string_only)] in order
    chart: Optional[str] = None
    manifests: list = field(default_factory=list)      # files, directories, "-" for stdin
    kube_version: str = "1.27"
    validator: str = "auto"                            # auto | kubeconform | builtin
    kubeconform: Optional[str] = None                  # explicit path to the binary
    kubeconform_timeout: float = 60.0
    crds: list = field(default_factory=list)
    format: str = "text"
    output: Optional[str] = None
    fail_on: Severity = Severity.ERROR
    select: Optional[list] = None                      # rule ids or prefixes (SL3, SL301)
    ignore: list = field(default_factory=list)
    config: Optional[str] = None
    baseline: Optional[str] = None
    color: Optional[bool] = None                       # None: only on a TTY without NO_COLOR
    quiet: bool = False
    jobs: int = 1
    show_secrets: bool = False
    severity_overrides: dict = field(default_factory=dict)   # rule id -> Severity
    config_ignores: list = field(default_factory=list)       # suppress.ConfigIgnore
    targets: list = field(default_factory=list)              # named targets from the config
    rule_dirs: list = field(default_factory=list)
    cwd: Optional[str] = None
    release_name: str = "starter"
    namespace: str = "default"

    def selects(self, rule_id: str) -> bool:
        """--select / --ignore: ids or prefixes (SL3 selects every ingress rule)."""
        def matches(patterns):
            return any(rule_id.startswith(p.strip().upper()) for p in patterns if p.strip())

        if self.select and not matches(self.select):
            return False
        return not matches(self.ignore)
