"""The option table: each option of starter-lint declared once.

A row gives the Options field an option sets, its command-line flags, its config key, how a value
is read and checked, its choices, default and help text, and the commands that take it. The click
options (cli_options), the config keys and their checks (config) and the defaults of
`options.Options` are all made from it, so that a flag and its config key cannot drift apart.
"""

from __future__ import annotations

from typing import Any

from .findings import Severity
from .lazy_pattern import LazyPattern
from .records import record

# A rule id or prefix as --select, --ignore, config ignores and inline comments take them: a
# shipped rule's (SL301, SL3) or a policy's (ACME001, ACME0: docs/policies.md), never SL + 4 digits.
# ASCII digits and `\Z` (`$` matches before a final newline, `\d` any script's digit): an id is
# printed in every report, and "ACME001\n" or Arabic-Indic digits must not pass for one.
RULE_PATTERN = LazyPattern(r"^(ALL|SL[0-9]{0,3}|(?!SL)[A-Z]{2,8}[0-9]{1,4})\Z")
# A values policy's own rule id (spec.id): letters of the team's choosing, then 3 or 4 digits.
POLICY_ID_PATTERN = LazyPattern(r"^(?!SL)[A-Z]{2,8}[0-9]{3,4}\Z")

DEFAULT_KUBE_VERSION = "1.27"  # the Kubernetes version validated for when none is given
DEFAULT_TIMEOUT_SECONDS = 60.0  # how long kubeconform or a chart render may take
MAX_TIMEOUT_SECONDS = 86_400.0  # a day: beyond it a "timeout" is a typo (and Python's own limit is near)
FORMATS = ("text", "json", "sarif", "github", "junit")  # report formats: report/<name>_format.py
SEVERITIES = ("error", "warning", "note")
VALIDATORS = ("auto", "kubeconform", "builtin")
HELM_VERSIONS = ("4", "3")  # the Helm majors whose reading of a `-f` file differs, the default first
# the --set family, in the order Helm applies them (pkg/cli/values/options.go MergeValues)
SET_KINDS = ("set-json", "set", "set-string", "set-file", "set-literal")

NO_DEFAULT = object()  # a second row for a field another row gives the default of


@record(frozen=True)
class OptionSpec:
    """One row of the option table: one command-line spelling and/or config key of an option.

    `kind` says how a value is read and checked: path, paths, string, version, choice, seconds,
    positive-int, severity, rules, bool, flag (a command-line switch only), or a kind of the
    --set family (SET_KINDS)."""

    field: str | None  # the Options attribute it sets; None: the command itself takes it
    flags: tuple[str, ...] = ()  # command-line spellings, in --help's order; () for a config-only key
    keys: tuple[str, ...] = ()  # config keys (one, or an old spelling too); () for a command-line-only option
    kind: str = "string"
    commands: tuple[str, ...] = ()  # the commands that take the flags
    help: str | None = None
    metavar: str | None = None
    choices: tuple[str, ...] = ()
    repeatable: bool = False  # the flag may be given several times (a list)
    default: Any = NO_DEFAULT  # the Options default (a list default is a fresh list each time)
    param: str | None = None  # click's parameter name, when it is not `field`
    switch: Any = None  # a flag with no value: the value it gives the field (--no-color: False)
    argument: bool = False  # a positional argument, not a --flag
    cli_default: Any = None  # a command's own default, shown in --help (values --format yaml)
    completes_targets: bool = False  # the shell completes it with the config's target names

    @property
    def name(self) -> str:
        """The command function's parameter (click's `dest`)."""
        return self.param or self.field or ""


_VALUES_COMMANDS = ("check", "values", "baseline", "fix")  # commands that layer a target's values
_RUN_COMMANDS = ("check", "baseline")  # commands that run every check and report


# the --set family's rows: kind, click parameter, metavar, help (in --help's order)
_SET_ROWS = (
    ("set", "set_values", "K=V", "Set a value, Helm's --set syntax (a.b=c, a[0]=x, l={x,y})."),
    ("set-string", "set_strings", "K=V", "Like --set, but every value stays a string."),
    (
        "set-json",
        "set_jsons",
        "K=JSON",
        'Like --set, but each value is JSON (a={"b":1}), or all is one object.',
    ),
    ("set-file", "set_files", "K=PATH", "Like --set, but each value is a file (from the working directory)."),
    ("set-literal", "set_literals", "K=V", "Like --set, but all after the = is one string, verbatim."),
)

OPTION_TABLE: tuple[OptionSpec, ...] = (
    OptionSpec(
        "values_files",
        kind="paths",
        commands=("check", "baseline", "fix"),
        metavar="[VALUES_FILE]...",
        argument=True,
        default=[],  # positional: independent targets
    ),
    OptionSpec(
        "files",
        flags=("-f", "--values"),
        keys=("values",),
        kind="paths",
        commands=_VALUES_COMMANDS,
        help="Values file layered in order into one target, as `helm -f`.",
        metavar="FILE",
        repeatable=True,
        default=[],  # layered in order into one target
    ),
    *(
        OptionSpec(
            "set",  # [(expression, kind)] in command-line order; applied in Helm's order (SET_KINDS)
            flags=(f"--{kind}",),
            keys=(kind,),
            kind=kind,
            commands=_VALUES_COMMANDS,
            help=text,
            metavar=metavar,
            repeatable=True,
            default=[] if kind == "set" else NO_DEFAULT,
            param=param,
        )
        for kind, param, metavar, text in _SET_ROWS
    ),
    OptionSpec(
        "chart",
        flags=("--chart",),
        keys=("chart",),
        kind="path",
        commands=_VALUES_COMMANDS,
        help="The chart: its values.yaml is the base layer.",
        metavar="DIR",
        default=None,
    ),
    OptionSpec(
        "helm_version",
        flags=("--helm-version",),
        keys=("helm-version",),
        kind="choice",
        commands=_VALUES_COMMANDS,
        help="The Helm major whose `-f` reading to follow: 4 merges every document of a file, 3 reads the first.",
        metavar="4|3",
        choices=HELM_VERSIONS,
        default="4",
    ),
    OptionSpec(
        "config",
        flags=("--config",),
        keys=(),
        kind="path",
        commands=_VALUES_COMMANDS,
        help="Config file (default: .starter-lint.yaml found upward).",
        metavar="FILE",
        default=None,
    ),
    OptionSpec(
        None,
        flags=("--format",),
        kind="choice",
        commands=("values",),
        choices=("yaml", "json"),
        param="fmt",
        cli_default="yaml",
    ),
    OptionSpec(
        None,
        flags=("--provenance",),
        kind="flag",
        commands=("values",),
        help="Show which file and line set every leaf.",
        switch=True,
    ),
    OptionSpec(
        None,
        flags=("--show-secrets",),
        kind="flag",
        commands=("values",),
        help="Print secret values instead of <redacted>.",
        switch=True,
    ),
    OptionSpec(
        "manifests",
        flags=("--manifests",),
        keys=("manifests",),
        kind="paths",
        commands=_RUN_COMMANDS,
        help="Rendered manifests: files, directories (recursive) or - for stdin.",
        metavar="PATH|-",
        repeatable=True,
        default=[],  # files, directories, "-" for stdin
    ),
    OptionSpec(
        "kube_version",
        flags=("--kube-version",),
        keys=("kube-version",),
        kind="version",
        commands=_RUN_COMMANDS,
        help=f"Kubernetes version to validate for (default {DEFAULT_KUBE_VERSION}).",
        metavar="X.Y",
        default=DEFAULT_KUBE_VERSION,
    ),
    OptionSpec(
        "validator",
        flags=("--validator",),
        keys=("validator",),
        kind="choice",
        commands=_RUN_COMMANDS,
        help="Manifest validator (default auto: kubeconform when found, else builtin).",
        choices=VALIDATORS,
        default="auto",
    ),
    OptionSpec(
        "kubeconform",  # never a config key: a repository does not choose the programs that run
        flags=("--kubeconform",),
        keys=(),
        kind="path",
        commands=_RUN_COMMANDS,
        help="The kubeconform binary to use.",
        metavar="PATH",
        default=None,  # explicit path to the binary
        param="kubeconform_path",
    ),
    OptionSpec(
        "kubeconform_timeout",
        flags=("--kubeconform-timeout",),
        keys=("kubeconform-timeout",),
        kind="seconds",
        commands=_RUN_COMMANDS,
        help=f"Kill kubeconform after this long (default {DEFAULT_TIMEOUT_SECONDS:g}).",
        metavar="SECONDS",
        default=DEFAULT_TIMEOUT_SECONDS,
    ),
    OptionSpec(
        "render_timeout",
        flags=("--render-timeout",),
        keys=("render-timeout",),
        kind="seconds",
        commands=_RUN_COMMANDS,
        help=f"Stop rendering --chart after this long (default {DEFAULT_TIMEOUT_SECONDS:g}).",
        metavar="SECONDS",
        default=DEFAULT_TIMEOUT_SECONDS,
    ),
    OptionSpec(
        "crds",
        flags=("--crd",),
        keys=("crd-dirs", "crds"),
        kind="paths",
        commands=_RUN_COMMANDS,
        help="CustomResourceDefinition YAML or JSON Schema files/directories.",
        metavar="PATH",
        repeatable=True,
        default=[],
    ),
    OptionSpec(
        "select",
        flags=("--select",),
        keys=("select",),
        kind="rules",
        commands=_RUN_COMMANDS,
        help="Only these rules (ids or prefixes, comma-separated).",
        metavar="IDS",
        repeatable=True,
        default=None,  # rule ids or prefixes (SL3, SL301); None: every rule
    ),
    OptionSpec(
        "ignore",
        flags=("--ignore",),
        keys=("ignore",),
        kind="rules",
        commands=_RUN_COMMANDS,
        help="Skip these rules (ids or prefixes).",
        metavar="IDS",
        repeatable=True,
        default=[],
    ),
    OptionSpec(
        "select",
        flags=("--select",),
        keys=(),
        kind="rules",
        commands=("fix",),
        help="Only fix these rules (ids or prefixes).",
        metavar="IDS",
        repeatable=True,
    ),
    OptionSpec(
        "ignore",
        flags=("--ignore",),
        keys=(),
        kind="rules",
        commands=("fix",),
        help="Do not fix these rules.",
        metavar="IDS",
        repeatable=True,
    ),
    OptionSpec(
        "jobs",
        flags=("-j", "--jobs"),
        keys=("jobs",),
        kind="positive-int",
        commands=_RUN_COMMANDS,
        help="Check the targets in up to N processes (no more than the cores).",
        metavar="N",
        default=1,
    ),
    OptionSpec(
        None,
        flags=("--diff",),
        kind="flag",
        commands=("fix",),
        help="Print a unified diff instead of writing (exit 1 if any).",
        param="show_diff",
        switch=True,
    ),
    OptionSpec(
        None,
        flags=("--unsafe-fixes",),
        kind="flag",
        commands=("fix",),
        help="Also apply fixes that change what Helm renders.",
        switch=True,
        param="unsafe_fixes",
    ),
    OptionSpec(
        None,
        flags=("--target",),
        kind="string",
        commands=("check", "baseline", "fix"),
        help="Only this config target (repeatable; default: all of them).",
        metavar="NAME",
        repeatable=True,
        param="target_names",
        completes_targets=True,
    ),
    OptionSpec(
        None,
        flags=("--target",),
        kind="string",
        commands=("values",),
        help="The config target to show, when the config names several.",
        metavar="NAME",
        param="target_name",
        completes_targets=True,
    ),
    OptionSpec(
        "format",
        flags=("--format",),
        keys=("format",),
        kind="choice",
        commands=("check",),
        help="Output format (default text).",
        choices=FORMATS,
        default="text",
        param="fmt",
    ),
    OptionSpec(
        "output",
        flags=("--output", "-o"),
        keys=("output",),
        kind="path",
        commands=_RUN_COMMANDS,
        help="Write the report to FILE (atomically).",
        metavar="FILE",
        default=None,
    ),
    OptionSpec(
        "fail_on",
        flags=("--fail-on",),
        keys=("fail-on",),
        kind="severity",
        commands=("check",),
        help="Lowest severity that fails the run (default error).",
        choices=SEVERITIES,
        default=Severity.ERROR,
    ),
    OptionSpec(
        "baseline",
        flags=("--baseline",),
        keys=("baseline",),
        kind="path",
        commands=("check",),
        help="Accept the findings recorded in FILE.",
        metavar="FILE",
        default=None,
    ),
    OptionSpec(
        "color",
        flags=("--no-color",),
        keys=("color",),
        kind="bool",
        commands=("check",),
        help="Never colour the text output.",
        default=None,  # None: only on a TTY without NO_COLOR
        param="no_color",
        switch=False,
    ),
    OptionSpec(
        "quiet",
        flags=("-q", "--quiet"),
        keys=("quiet",),
        kind="bool",
        commands=("check",),
        help="No excerpts, only finding lines and the summary.",
        default=False,
        switch=True,
    ),
    OptionSpec(
        "policies",
        flags=("--policy",),
        keys=("policies",),
        kind="paths",
        commands=_RUN_COMMANDS + ("rules", "explain"),
        help="CEL policy files/directories: values and admission policies (docs/policies.md).",
        metavar="PATH",
        repeatable=True,
        default=[],
    ),
    OptionSpec(
        None,  # a way to read one run's report, not a setting of the repository: no config key
        flags=("--statistics",),
        kind="flag",
        commands=("check",),
        help="Count the findings of each rule instead of listing them (text or json).",
        switch=True,
        param="statistics",
    ),
    OptionSpec(
        None,
        flags=("--format",),
        kind="choice",
        commands=("rules",),
        choices=("text", "json", "markdown"),
        param="fmt",
        cli_default="text",
    ),
    # config only: a rules folder, the release name and namespace a chart is rendered with
    OptionSpec("rule_dirs", keys=("rule-dirs",), kind="paths", default=[]),
    OptionSpec("release_name", keys=("release-name",), kind="string", default="starter"),
    OptionSpec("namespace", keys=("namespace",), kind="string", default="default"),
)

# config key -> its row
CONFIG_KEYS: dict[str, OptionSpec] = {key: spec for spec in OPTION_TABLE for key in spec.keys}


def command_options(command: str) -> list[OptionSpec]:
    """The rows of the options `command` takes, in --help's order."""
    return [spec for spec in OPTION_TABLE if command in spec.commands]
