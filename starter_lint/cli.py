"""The command line: parse options into Options, run the pipeline, print, exit.

Exit codes (docs/design/exit-codes.md): 0 nothing at or above --fail-on; 1 findings at or above it; 2 the tool
could not do its job (one line on stderr, never a traceback).
"""

from __future__ import annotations

import os
import sys
from typing import NoReturn

import click

from . import __version__
from .errors import StarterLintError
from .findings import Severity
from .options import Options, timeout_problem

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


def _fail(message: str) -> NoReturn:
    raise StarterLintError(message)


def say(message: str) -> None:
    """The one way a line reaches stderr: `starter-lint: message`, its key, value and file names
    escaped (report.escape.terminal), so that none starts a line, a workflow command (`::error`)
    or an ESC sequence, whatever a pull request names its files."""
    from .report.escape import terminal

    sys.stderr.write(f"starter-lint: {terminal(message)}\n")


def _split_ids(values, option: str) -> list:
    from .options import RULE_PATTERN

    out = []
    for value in values or ():
        for part in (part.strip().upper() for part in value.split(",") if part.strip()):
            if not RULE_PATTERN.match(part):
                _fail(f"{option} {part}: not a rule id or prefix such as SL301, SL3 or all")
            out.append(part)
    return out


def write_output(text: str, options: Options) -> None:
    """stdout, or the --output file written atomically (no half-written SARIF if anything fails)."""
    if not options.output:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    from .paths import write_atomic

    output = options.output
    problem = _unsafe_output(output, options)
    if problem:
        raise StarterLintError(f"--output {output}: {problem}; write the report elsewhere")
    write_atomic(output, text, what="--output")


def _unsafe_output(output: str, options: Options) -> str:
    """Why the report must not go to `output`, or "": the rename that writes it would replace a
    symlink, a device or a FIFO with a regular file, and must never replace what the run read
    (values, manifests, baseline, config, CRDs, rule folders, anything in a chart folder)."""
    import stat

    try:
        mode = os.lstat(output).st_mode
    except FileNotFoundError:
        mode = None
    except OSError as exc:
        return f"cannot use it ({exc.strerror or exc})"
    if mode is not None and stat.S_ISLNK(mode):
        return "is a symlink"
    if mode is not None and not stat.S_ISREG(mode):
        return "exists and is not a regular file"
    from .paths import in_git_folder

    if in_git_folder(output, options.cwd):
        return "is in the repository's .git folder (git runs its hooks and reads its config from there)"
    inputs = list(options.values_files) + list(options.files) + list(options.manifests) + list(options.crds)
    inputs += [p for p in (options.baseline, options.config, options.chart) if p] + list(options.rule_dirs)
    inputs += [p for t in options.targets for p in list(t.files) + list(t.manifests) + [t.chart] if p]
    target = os.path.realpath(output)
    for given in inputs:
        if given == "-" or not os.path.exists(given):
            continue
        real = os.path.realpath(given)
        if target == real or (os.path.isdir(real) and os.path.commonpath([real, target]) == real):
            return "is one of the inputs" if target == real else f"is inside the input folder {given}"
    return ""


# ---------------------------------------------------------------------------------------------
# Shared options


def values_options(function):
    """-f / --set / --set-string / --chart: how a target's values are layered."""
    for decorator in reversed(
        [
            click.option(
                "-f",
                "--values",
                "files",
                multiple=True,
                metavar="FILE",
                help="Values file layered in order into one target, as `helm -f`.",
            ),
            click.option(
                "--set",
                "set_values",
                multiple=True,
                metavar="K=V",
                help="Set a value, Helm's --set syntax (a.b=c, a[0]=x, l={x,y}).",
            ),
            click.option(
                "--set-string",
                "set_strings",
                multiple=True,
                metavar="K=V",
                help="Like --set, but every value stays a string.",
            ),
            click.option("--chart", metavar="DIR", help="The chart: its values.yaml is the base layer."),
            click.option(
                "--config",
                "config",
                metavar="FILE",
                help="Config file (default: .starter-lint.yaml found upward).",
            ),
        ]
    ):
        function = decorator(function)
    return function


def _decorate(function, decorators):
    for decorator in reversed(decorators):
        function = decorator(function)
    return function


def _complete_target_names(ctx, param, incomplete) -> list:
    """Shell completion of --target: the config's target names (none when it cannot be read)."""
    try:
        options = Options(cwd=os.getcwd())
        from .config import apply_config  # deferred: --help and completion load click only

        apply_config(options, ctx.params.get("config"))
    except StarterLintError:
        return []
    return [t.name for t in options.config_targets if t.name.startswith(incomplete)]


OUTPUT_OPTION = click.option("--output", "-o", metavar="FILE", help="Write the report to FILE (atomically).")


def input_options(function):
    """What a run checks and how: the options `check` and `baseline` share."""
    return _decorate(
        function,
        [
            click.option(
                "--manifests",
                multiple=True,
                metavar="PATH|-",
                help="Rendered manifests: files, directories (recursive) or - for stdin.",
            ),
            click.option(
                "--kube-version", metavar="X.Y", help="Kubernetes version to validate for (default 1.27)."
            ),
            click.option(
                "--validator",
                type=click.Choice(["auto", "kubeconform", "builtin"]),
                help="Manifest validator (default auto: kubeconform when found, else builtin).",
            ),
            click.option(
                "--kubeconform", "kubeconform_path", metavar="PATH", help="The kubeconform binary to use."
            ),
            click.option(
                "--kubeconform-timeout",
                type=float,
                metavar="SECONDS",
                help="Kill kubeconform after this long (default 60).",
            ),
            click.option(
                "--render-timeout",
                type=float,
                metavar="SECONDS",
                help="Stop rendering --chart after this long (default 60).",
            ),
            click.option(
                "--crd",
                "crds",
                multiple=True,
                metavar="PATH",
                help="CustomResourceDefinition YAML or JSON Schema files/directories.",
            ),
            click.option(
                "--select",
                multiple=True,
                metavar="IDS",
                help="Only these rules (ids or prefixes, comma-separated).",
            ),
            click.option(
                "--ignore", multiple=True, metavar="IDS", help="Skip these rules (ids or prefixes)."
            ),
            click.option("-j", "--jobs", type=int, metavar="N", help="Targets checked in parallel."),
        ],
    )


TARGET_OPTION = click.option(
    "--target",
    "target_names",
    multiple=True,
    metavar="NAME",
    shell_complete=_complete_target_names,
    help="Only this config target (repeatable; default: all of them).",
)


def _choose_config_targets(options: Options, target_names, params: dict) -> None:
    """--target NAME: only those of the config's targets (a partial run: SL107 judges what ran)."""
    if not target_names:
        return
    from .pipeline import choose_targets  # deferred: --help and completion load click only

    if params.get("values_files") or params.get("files") or params.get("manifests"):
        _fail("--target chooses among the config's targets; values files and --manifests replace them")
    options.targets = choose_targets(options.config_targets, target_names)
    options.partial_run = True


def report_options(function):
    """How `check` reports and decides its exit code (a baseline is always JSON and exits 0)."""
    return _decorate(
        function,
        [
            TARGET_OPTION,
            click.option(
                "--format",
                "fmt",
                type=click.Choice(["text", "json", "sarif", "github", "junit"]),
                help="Output format (default text).",
            ),
            OUTPUT_OPTION,
            click.option(
                "--fail-on",
                type=click.Choice(["error", "warning", "note"]),
                help="Lowest severity that fails the run (default error).",
            ),
            click.option("--baseline", metavar="FILE", help="Accept the findings recorded in FILE."),
            click.option("--no-color", is_flag=True, default=False, help="Never colour the text output."),
            click.option(
                "-q",
                "--quiet",
                is_flag=True,
                default=False,
                help="No excerpts, only finding lines and the summary.",
            ),
        ],
    )


def build_options(params: dict) -> Options:
    """Command-line values over the config file over the defaults."""
    options = Options(cwd=os.getcwd())
    from .config import apply_config  # deferred: --help and completion load click only

    apply_config(options, params.get("config"))
    # inputs on the command line replace the config's named targets; values files also replace
    # the config's values and manifests (a --manifests alone keeps the config's values)
    if params.get("values_files") or params.get("files") or params.get("manifests"):
        options.targets = []  # (a positional file still resolves to the targets that list it)
        options.partial_run = True
    if params.get("values_files") or params.get("files"):
        options.files, options.manifests = [], []
    if params.get("values_files"):
        options.values_files = list(params["values_files"])
    if params.get("files"):
        options.files = list(params["files"])
    sets = [(e, False) for e in params.get("set_values") or ()] + [
        (e, True) for e in params.get("set_strings") or ()
    ]
    if sets:
        options.set = sets
    simple = {
        "chart": "chart",
        "kube_version": "kube_version",
        "validator": "validator",
        "kubeconform_path": "kubeconform",
        "kubeconform_timeout": "kubeconform_timeout",
        "render_timeout": "render_timeout",
        "fmt": "format",
        "output": "output",
        "baseline": "baseline",
        "jobs": "jobs",
    }
    for param, attribute in simple.items():
        if params.get(param) is not None:
            setattr(options, attribute, params[param])
    if params.get("manifests"):
        options.manifests = list(params["manifests"])
    if params.get("crds"):
        options.crds = list(params["crds"])
    if params.get("fail_on"):
        options.fail_on = Severity.parse(params["fail_on"])
    if params.get("select"):
        options.select = _split_ids(params["select"], "--select")
    if params.get("ignore"):
        options.ignore = list(options.ignore) + _split_ids(params["ignore"], "--ignore")
    if params.get("no_color"):
        options.color = False
    if params.get("quiet"):
        options.quiet = True
    for option, seconds in (
        ("--kubeconform-timeout", options.kubeconform_timeout),
        ("--render-timeout", options.render_timeout),
    ):
        problem = None if seconds is None else timeout_problem(seconds)
        if problem:
            _fail(f"{option} {problem}")
    if options.jobs is not None and options.jobs < 1:
        _fail("-j/--jobs must be at least 1")
    if options.kube_version != Options.kube_version:
        from .validate.schemas import normalise_version

        normalise_version(options.kube_version)  # one of the bundled versions, or exit 2 saying which
    return options


# ---------------------------------------------------------------------------------------------
# Commands


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="starter-lint")
def main():
    """Policy and lint checks for the starter Helm chart's values and rendered manifests."""


@main.command()
@click.argument("values_files", nargs=-1, metavar="[VALUES_FILE]...")
@values_options
@input_options
@report_options
def check(target_names, **params):
    """Check values files and manifests: the config's targets, or the files named (a file a
    config target lists is checked as that target; a chart's values.yaml as chart defaults)."""
    from .catalog import load_catalog  # deferred: --help and completion load click only
    from .pipeline import run  # deferred: --help and completion load click only
    from .report import render  # deferred: --help and completion load click only

    options = build_options(params)
    _choose_config_targets(options, target_names, params)
    report = run(options)
    text = render(report, load_catalog(tuple(options.rule_dirs)), options)
    write_output(text, options)
    sys.exit(EXIT_FINDINGS if report.failed else EXIT_OK)


@main.command()
@values_options
@click.option("--format", "fmt", type=click.Choice(["yaml", "json"]), default="yaml", show_default=True)
@click.option("--provenance", is_flag=True, help="Show which file and line set every leaf.")
@click.option("--show-secrets", is_flag=True, help="Print secret values instead of <redacted>.")
@click.option(
    "--target",
    "target_name",
    metavar="NAME",
    shell_complete=_complete_target_names,
    help="The config target to show, when the config names several.",
)
def values(fmt, provenance, show_secrets, target_name, **params):
    """Print the effective values after layering, as Helm would see them."""
    from .pipeline import build_context, choose_targets, plan_targets  # deferred: start-up
    from .values.show import render_values  # deferred: --help and completion load click only

    options = build_options(params)
    if not (options.files or options.set or options.chart or options.targets):
        _fail("nothing to show: give -f FILE, --set K=V or --chart DIR")
    targets = plan_targets(options)
    names = ", ".join(t.name for t in targets)
    if target_name is not None:
        targets = choose_targets(targets, [target_name])
    elif len(targets) > 1:
        _fail(f"{len(targets)} targets ({names}): choose one with --target NAME")
    ctx, problems = build_context(targets[0], options)
    for display, error in ctx.load_errors:
        _fail(f"{display}:{error.line}:{error.col}: {error.message}")
    for _, problem in problems:
        loc = problem.location
        _fail(f"{loc.path}:{loc.line}:{loc.col}: {problem.message}")
    text = render_values(ctx.values, fmt, provenance=provenance, show_secrets=show_secrets)
    sys.stdout.write(text)


@main.command()
@click.argument("values_files", nargs=-1, metavar="[VALUES_FILE]...")
@values_options
@input_options
@TARGET_OPTION
@OUTPUT_OPTION
def baseline(target_names, **params):
    """Record today's findings (fingerprints) in a baseline file that `check --baseline` accepts."""
    import json

    from .pipeline import run  # deferred: --help and completion load click only
    from .report.escape import json_text
    from .suppress import baseline_document

    options = build_options(params)
    _choose_config_targets(options, target_names, params)
    options.baseline = None  # record every finding, including those an older baseline accepts
    report = run(options)
    text = json_text(json.dumps(baseline_document(report.active), indent=2, ensure_ascii=False)) + "\n"
    write_output(text, options)  # findings are scrubbed in the pipeline
    if options.output:
        say(
            f"recorded {len(report.active)} finding{'s' if len(report.active) != 1 else ''} in {options.output}"
        )


@main.command()
@click.argument("values_files", nargs=-1, metavar="[VALUES_FILE]...")
@values_options
@click.option("--select", multiple=True, metavar="IDS", help="Only fix these rules (ids or prefixes).")
@click.option("--ignore", multiple=True, metavar="IDS", help="Do not fix these rules.")
@click.option(
    "--diff", "show_diff", is_flag=True, help="Print a unified diff instead of writing (exit 1 if any)."
)
@click.option("--unsafe-fixes", is_flag=True, help="Also apply fixes that change what Helm renders.")
@TARGET_OPTION
def fix(show_diff, unsafe_fixes, target_names, **params):
    """Apply the safe autofixes to values files, keeping comments, order and quoting."""
    from .fix import DiffRefused, atomic_write, fixed_counts, notices, plan_fixes  # deferred: start-up
    from .paths import reading_instead
    from .pipeline import run  # deferred: --help and completion load click only

    options = build_options(params)
    _choose_config_targets(options, target_names, params)
    options.manifests = []
    options.targets = [t for t in options.targets if t.files]
    for target in options.targets + options.config_targets:  # (a file named resolves to its target)
        target.manifests = []
    report = run(options)
    planned = plan_fixes(report, options, unsafe=unsafe_fixes)
    for notice in notices(planned, unsafe_fixes):
        say(notice)
    plans = [plan for plan in planned if plan.changed]
    if show_diff:
        diffs, refused = [], []
        for plan in plans:
            try:
                diffs.append(plan.diff(report.secrets))
            except DiffRefused as exc:
                refused.append(str(exc))
        sys.stdout.write("".join(diffs))
        for reason in refused:
            say(reason)
        sys.exit(EXIT_ERROR if refused else EXIT_FINDINGS if plans else EXIT_OK)
    with reading_instead({plan.path: plan.after for plan in plans}):
        fixed = fixed_counts(plans, report, run(options)) if plans else {}
    for plan in plans:
        atomic_write(plan.path, plan.after)
        count = fixed[plan.shown]
        say(f"fixed {count} finding{'s' if count != 1 else ''} in {plan.shown}")
    if not plans:
        say("nothing to fix")


@main.command()
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text", show_default=True
)
def rules(fmt):
    """List the rule catalog (with the config's rule-dirs)."""
    import json

    from .catalog import catalog_markdown, load_catalog  # deferred: --help and completion load click only
    from .report.escape import text_line

    catalog = load_catalog(tuple(build_options({}).rule_dirs))
    if fmt == "json":
        document = [
            {
                "id": r.id,
                "name": r.name,
                "severity": str(r.severity),
                "summary": r.summary,
                "tags": list(r.tags),
                "fix": r.fix,
                "scope": r.scope,
            }
            for r in catalog.values()
        ]
        # (ASCII JSON: controls, bidi and line separators in a repository's rule text are \u escapes)
        sys.stdout.write(json.dumps(document, indent=2) + "\n")
    elif fmt == "markdown":
        sys.stdout.write(catalog_markdown(catalog))
    else:
        shown = [rule.escaped(text_line) for rule in catalog.values()]
        width = max(len(r.name) for r in shown)
        for r in shown:
            fix = "" if r.fix == "none" else f"{r.fix}-fix"
            sys.stdout.write(f"{r.id}  {r.name:<{width}}  {r.severity!s:<7}  {fix:<11}  {r.summary}\n")


@main.command()
@click.argument("rule_id")
def explain(rule_id):
    """Explain one rule: what it checks, why, how to fix it, with examples."""
    from .catalog import get_rule  # deferred: --help and completion load click only
    from .report.escape import text_line

    # a repository's rule (rule-dirs) is text from a pull request: each line escaped for a terminal
    # and a CI log (the shipped rules' text is unchanged by it)
    rule = get_rule(rule_id, tuple(build_options({}).rule_dirs)).escaped(text_line)
    sys.stdout.write(rule.help_markdown())
    sys.stdout.write(f"\nseverity: {rule.severity}   tags: {', '.join(rule.tags)}   fix: {rule.fix}\n")


@main.command()
def schema():
    """Print the values JSON Schema (a drop-in values.schema.json for the chart)."""
    from .resources import schemas_dir

    sys.stdout.write((schemas_dir() / "values.schema.json").read_text(encoding="utf-8"))


def run_cli(argv=None) -> int:
    """The entry point: every error becomes one line on stderr and exit code 2."""
    if sys.getrecursionlimit() < 10_000:
        sys.setrecursionlimit(10_000)
    args = list(sys.argv[1:] if argv is None else argv)
    if "--" in args:
        # everything after `--` is a file (the pre-commit hook puts its file names there): even
        # a file named `-` is that file, not standard input
        cut = args.index("--") + 1
        args[cut:] = [os.path.join(".", a) if a == "-" else a for a in args[cut:]]
    for stream in (sys.stdout, sys.stderr):
        # what the reporters and `say` do not escape (a diff's file name that is not UTF-8, a
        # terminal that is not UTF-8) is written as \x.. escapes, never an encoding crash
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    try:
        main.main(args=args, prog_name="starter-lint", standalone_mode=False)
        return EXIT_OK
    except SystemExit as exc:
        code = exc.code
        return code if isinstance(code, int) else (EXIT_OK if code is None else EXIT_ERROR)
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.exceptions.Abort:
        say("aborted")
        return EXIT_ERROR
    except click.ClickException as exc:
        say(f"error: {exc.format_message()}")
        return EXIT_ERROR
    except StarterLintError as exc:
        say(f"error: {exc}")
        return EXIT_ERROR
    except BrokenPipeError:
        try:
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 (stays open until exit)
        except OSError:
            pass
        return EXIT_ERROR
    except KeyboardInterrupt:
        say("interrupted")
        return 130
    except MemoryError:
        say("error: out of memory")
        return EXIT_ERROR
    except Exception as exc:  # a bug: still one line, the traceback only on request
        if os.environ.get("STARTER_LINT_DEBUG"):
            raise
        say(f"internal error: {type(exc).__name__}: {exc} (set STARTER_LINT_DEBUG=1 for the traceback)")
        return EXIT_ERROR


def entry_point() -> None:
    sys.exit(run_cli())
