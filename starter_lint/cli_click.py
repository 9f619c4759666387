"""The command line as click reads it: the commands and their options (made from the option
table, through cli_options), each calling its work in `commands`; and `click_main`, which turns
click's own errors into the entry point's (cli.run_cli). A plain `check` is read without click
(command_line.read_check); everything else (help, completion, the other commands, a mistyped
option) comes here.
"""

from __future__ import annotations

import os
import sys

import click

from . import __version__, commands
from .cli_options import table_options
from .command_line import build_options, choose_config_targets
from .commands import EXIT_ERROR, EXIT_FINDINGS, EXIT_OK, fail, policy_warnings, say, write_output
from .errors import StarterLintError

# ---------------------------------------------------------------------------------------------
# Commands


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="starter-lint")
def main():
    """Policy and lint checks for the starter Helm chart's values and rendered manifests."""


@main.command()
@table_options("check")
def check(target_names, statistics, **params):
    """Check values files and manifests: the config's targets, or the files named (a file a
    config target lists is checked as that target; a chart's values.yaml as chart defaults)."""
    commands.check(target_names, statistics, params)


@main.command()
@table_options("values")
def values(fmt, provenance, show_secrets, target_name, **params):
    """Print the effective values after layering, as Helm would see them."""
    from .pipeline import build_context  # deferred: `--help` and completion load click only
    from .targets import choose_targets, plan_targets  # deferred: `--help` and completion load click only
    from .values.show import render_values  # deferred: `--help` and completion load click only

    options = build_options(params, "values")
    if not (options.files or options.set or options.chart or options.targets):
        fail("nothing to show: give -f FILE, --set K=V or --chart DIR")
    targets = plan_targets(options)
    names = ", ".join(t.name for t in targets)
    if target_name is not None:
        targets = choose_targets(targets, [target_name])
    elif len(targets) > 1:
        fail(f"{len(targets)} targets ({names}): choose one with --target NAME")
    ctx, problems = build_context(targets[0], options)
    for display, error in ctx.load_errors:
        fail(f"{display}:{error.line}:{error.col}: {error.message}")
    for _, problem in problems:
        loc = problem.location
        fail(f"{loc.path}:{loc.line}:{loc.col}: {problem.message}")
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
    policy_warnings(options)
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
        fail("starter-lint server needs the server extra: pip install 'starter-lint[server]'")
    from .server.lsp import serve  # deferred: pygls loads only when the server starts

    serve(log_file)


def click_main(args: list) -> None:
    """Run the command line `args` with click. Its errors leave as the entry point's: a usage
    error as a StarterLintError (its message as click words it), click's Ctrl-C as
    KeyboardInterrupt, its exit as SystemExit."""
    try:
        main.main(args=args, prog_name="starter-lint", standalone_mode=False)
    except click.exceptions.Exit as exc:
        raise SystemExit(exc.exit_code) from None
    except click.exceptions.Abort:  # click's form of Ctrl-C (KeyboardInterrupt) during a command
        raise KeyboardInterrupt from None
    except click.ClickException as exc:
        raise StarterLintError(exc.format_message()) from None
