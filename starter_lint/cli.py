"""The command line: the commands (their options come from the option table, through
cli_options), which run the pipeline and print; and the entry point, which turns every error
into one line and an exit code.

Exit codes (docs/design/exit-codes.md): 0 nothing at or above --fail-on; 1 findings at or above it; 2 the tool
could not do its job (one line on stderr, never a traceback).
"""

from __future__ import annotations

import gc
import os
import stat
import sys
from typing import NoReturn

import click

from . import __version__
from .cli_options import build_options, choose_config_targets, table_options
from .errors import StarterLintError
from .options import Options

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


def _fail(message: str) -> NoReturn:
    raise StarterLintError(message)


def say(message: str) -> None:
    """The one way a line reaches stderr: `starter-lint: message`, its key, value and file names
    escaped (report.escape.terminal), so that none starts a line, a workflow command (`::error`)
    or an ESC sequence, whatever a pull request names its files."""
    from .report.escape import terminal  # deferred: `--help` and completion load click only

    sys.stderr.write(f"starter-lint: {terminal(message)}\n")


def write_output(text: str, options: Options) -> None:
    """stdout, or the --output file written atomically (no half-written SARIF if anything fails)."""
    if not options.output:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    from .paths import write_atomic  # deferred: `--help` and completion load click only

    output = options.output
    problem = _unsafe_output(output, options)
    if problem:
        raise StarterLintError(f"--output {output}: {problem}; write the report elsewhere")
    write_atomic(output, text, what="--output")


def _unsafe_output(output: str, options: Options) -> str:
    """Why the report must not go to `output`, or "": the rename that writes it would replace a
    symlink, a device or a FIFO with a regular file, and must never replace what the run read
    (values, manifests, baseline, config, CRDs, rule folders, anything in a chart folder)."""

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
    from .paths import in_git_folder  # deferred: `--help` and completion load click only

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
# Commands


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="starter-lint")
def main():
    """Policy and lint checks for the starter Helm chart's values and rendered manifests."""


def _policy_warnings(options) -> None:
    """Unbound admission policies, and config select/ignore entries naming no loaded policy."""
    if options.policies or options.config_selectors:
        from .policy.load import run_warnings  # deferred: only runs with policies

        for warning in run_warnings(options):
            say(warning)


@main.command()
@table_options("check")
def check(target_names, statistics, **params):
    """Check values files and manifests: the config's targets, or the files named (a file a
    config target lists is checked as that target; a chart's values.yaml as chart defaults)."""
    from .pipeline import run, run_catalog  # deferred: --help and completion load click only
    from .report import reads_fingerprints, render  # deferred: --help and completion load click only

    options = build_options(params, "check")
    choose_config_targets(options, target_names, params)
    # a report that prints no fingerprint, with no baseline to match: findings are not identified
    options.fingerprints = bool(options.baseline) or reads_fingerprints(options.format)
    if statistics:
        from .report import statistics as per_rule  # deferred: only --statistics counts per rule

        if options.format not in per_rule.FORMATS:
            _fail(f"--statistics counts findings in the text or json format, not {options.format}")
        render = per_rule.render
    report = run(options)
    _policy_warnings(options)
    text = render(report, run_catalog(options), options)
    write_output(text, options)
    sys.exit(EXIT_FINDINGS if report.failed else EXIT_OK)


@main.command()
@table_options("values")
def values(fmt, provenance, show_secrets, target_name, **params):
    """Print the effective values after layering, as Helm would see them."""
    from .pipeline import build_context  # deferred: `--help` and completion load click only
    from .targets import choose_targets, plan_targets  # deferred: `--help` and completion load click only
    from .values.show import render_values  # deferred: `--help` and completion load click only

    options = build_options(params, "values")
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
@table_options("baseline")
def baseline(target_names, **params):
    """Record today's findings (fingerprints) in a baseline file that `check --baseline` accepts."""
    import json  # deferred: `--help` and completion load click only

    from .pipeline import run  # deferred: --help and completion load click only
    from .report.escape import json_text  # deferred: `--help` and completion load click only
    from .suppress.baseline import baseline_document  # deferred: `--help` and completion load click only

    options = build_options(params, "baseline")
    choose_config_targets(options, target_names, params)
    options.baseline = None  # record every finding, including those an older baseline accepts
    report = run(options)
    _policy_warnings(options)
    text = json_text(json.dumps(baseline_document(report.active), indent=2, ensure_ascii=False)) + "\n"
    write_output(text, options)  # findings are scrubbed in the pipeline
    if options.output:
        say(
            f"recorded {len(report.active)} finding{'s' if len(report.active) != 1 else ''} in {options.output}"
        )


@main.command()
@table_options("fix")
def fix(show_diff, unsafe_fixes, target_names, **params):
    """Apply the safe autofixes to values files, keeping comments, order and quoting."""
    from .fix import DiffRefused, atomic_write, fixed_counts, notices, plan_fixes  # deferred: start-up
    from .paths import reading_instead  # deferred: `--help` and completion load click only
    from .pipeline import run  # deferred: --help and completion load click only

    options = build_options(params, "fix")
    choose_config_targets(options, target_names, params)
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
@table_options("rules")
def rules(fmt, **params):
    """List the rule catalog (with the config's rule-dirs, the --policy values policies, and
    the --policy admission policies under SL901)."""
    import json  # deferred: `--help` and completion load click only

    from .pipeline import run_catalog  # deferred: --help and completion load click only
    from .report.escape import text_line  # deferred: `--help` and completion load click only
    from .rule_file import catalog_markdown  # deferred: --help and completion load click only

    options = build_options(params, "rules")
    catalog = run_catalog(options)
    admission: list = []  # the loaded admission policies, listed under SL901
    if options.policies:
        from .report.admission_listing import loaded_admission, policy_entries  # deferred: --policy only

        admission = policy_entries(loaded_admission(options))
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
            | ({"policies": admission} if r.id == "SL901" and admission else {})
            for r in catalog.values()
        ]
        # (ASCII JSON: controls, bidi and line separators in a repository's rule text are \u escapes)
        sys.stdout.write(json.dumps(document, indent=2) + "\n")
    elif fmt == "markdown":
        sys.stdout.write(catalog_markdown(catalog))
        if admission:
            from .report.admission_listing import markdown_section  # deferred: --policy only

            sys.stdout.write(markdown_section(admission))
    else:
        shown = [rule.escaped(text_line) for rule in catalog.values()]
        width = max(len(r.name) for r in shown)
        for r in shown:
            fix = "" if r.fix == "none" else f"{r.fix}-fix"
            sys.stdout.write(f"{r.id}  {r.name:<{width}}  {r.severity!s:<7}  {fix:<11}  {r.summary}\n")
            if r.id == "SL901" and admission:
                from .report.admission_listing import text_lines  # deferred: --policy only

                sys.stdout.write("".join(line + "\n" for line in text_lines(admission)))


@main.command()
@click.argument("rule_id")
@table_options("explain")
def explain(rule_id, **params):
    """Explain one rule (or a --policy values policy, or an admission policy as SL901/NAME):
    what it checks, why, how to fix it."""
    from .catalog import find_rule  # deferred: --help and completion load click only
    from .pipeline import run_catalog  # deferred: --help and completion load click only
    from .report.escape import text_line  # deferred: `--help` and completion load click only

    options = build_options(params, "explain")
    if "/" in rule_id:  # SL901/<name>: one admission policy of --policy (docs/policies.md)
        from .report.admission_listing import explain_policy  # deferred: --policy only

        sys.stdout.write(explain_policy(options, rule_id))
        return
    # a repository's rule (rule-dirs, a policy) is text from a pull request: each line escaped
    # for a terminal and a CI log (the shipped rules' text is unchanged by it)
    try:
        rule = find_rule(run_catalog(options), rule_id).escaped(text_line)
    except StarterLintError as exc:
        from .report.admission_listing import policy_named  # deferred: only a name that is no rule

        meant = policy_named(options, rule_id) if options.policies else ""
        if not meant:
            raise
        raise StarterLintError(f"{exc}; {rule_id} is an admission policy: `explain {meant}`") from None
    sys.stdout.write(rule.help_markdown(fix_safety=True))
    sys.stdout.write(f"\nseverity: {rule.severity}   tags: {', '.join(rule.tags)}   fix: {rule.fix}\n")


@main.group()
def policy():
    """Work with CEL policy files (docs/policies.md)."""


@policy.command("test")
@click.argument("paths", nargs=-1, required=True)
def policy_test(paths):
    """Run every values policy's examples: a fail example must be flagged, a pass example not."""
    from .policy.examples import run_examples  # deferred: --help and completion load click only

    results = run_examples(paths, os.getcwd())
    for line in results.failures:
        say(line)
    failed = len(results.failures)
    say(f"{results.ran - failed} of {results.ran} policy examples passed")
    sys.exit(EXIT_FINDINGS if failed else EXIT_OK)


@main.command()
def schema():
    """Print the values JSON Schema (a drop-in values.schema.json for the chart)."""
    from .resources import schemas_dir  # deferred: `--help` and completion load click only

    sys.stdout.write((schemas_dir() / "values.schema.json").read_text(encoding="utf-8"))


@main.command()
@click.option("--log-file", metavar="PATH", help="Also write the server's log lines to PATH.")
def server(log_file):
    """Run the language server on stdin/stdout, for editors (docs/editor.md)."""
    import importlib.util  # deferred: only the server needs to look for pygls

    if importlib.util.find_spec("pygls") is None or importlib.util.find_spec("lsprotocol") is None:
        _fail("starter-lint server needs the server extra: pip install 'starter-lint[server]'")
    from .server.lsp import serve  # deferred: pygls loads only when the server starts

    serve(log_file)


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
    except click.exceptions.Abort:  # click's form of Ctrl-C (KeyboardInterrupt) during a command
        say("interrupted")
        return 130
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
    code = run_cli()
    # The process ends here. Its shutdown collects the cycles among every object still alive,
    # module by module (a check of one release: 30 ms, an eighth of its CPU), to free memory the
    # exit frees anyway; frozen objects are left out. Nothing here needs a collection to finish:
    # the report is written and flushed, --output closed, exit handlers still run.
    gc.freeze()
    sys.exit(code)
