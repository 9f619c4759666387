"""What each command does, apart from how its command line is read: the commands of
`starter-lint` as functions of the values they were given (cli_click declares them for click;
command_line reads a plain `check` without it). They run the pipeline and print.

Exit codes (docs/design/exit-codes.md): 0 nothing at or above --fail-on; 1 findings at or above it;
2 the tool could not do its job (one line on stderr, never a traceback).
"""

from __future__ import annotations

import os
import stat
import sys
from typing import NoReturn

from .command_line import build_options, choose_config_targets
from .errors import StarterLintError
from .options import Options

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


def _fail(message: str) -> NoReturn:
    raise StarterLintError(message)


def say(message: str) -> None:
    """The one way a line reaches stderr: `starter-lint: message`, its key, value and file names
    escaped (report.escape.terminal), so that none starts a line, a workflow command (`::error`)
    or an ESC sequence, whatever a pull request names its files."""
    if sys.stderr is None:  # started with it closed (`2>&-`): nowhere to say it, the exit code still tells
        return
    from .report.escape import terminal  # deferred: `--help` and completion load no pipeline

    try:
        sys.stderr.write(f"starter-lint: {terminal(message)}\n")
    except OSError:  # a full or broken stderr: the same (an exception here would end the run with exit 1)
        pass


def show(text: str, hint: str = "") -> None:
    """The one way a command's output reaches stdout: written and flushed, or one error line
    (exit 2, `hint` after it) when it cannot be."""
    if sys.stdout is None:  # started with it closed (`>&-`)
        raise StarterLintError(f"standard output is closed{hint}")
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:
        raise  # its reader is gone (`| head`): exit 2 without a word (cli.run_cli)
    except OSError as exc:  # a full disk, /dev/full, an I/O error
        raise StarterLintError(f"cannot write to standard output: {exc.strerror or exc}{hint}") from None


def write_output(text: str, options: Options) -> None:
    """stdout, or the --output file written atomically (no half-written SARIF if anything fails)."""
    if not options.output:
        show(text, hint="; write the report with --output FILE")
        return
    from .paths import write_atomic  # deferred: `--help` and completion load no pipeline

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
    from .paths import in_git_folder  # deferred: `--help` and completion load no pipeline

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


def _policy_warnings(options: Options) -> None:
    """Unbound admission policies, and config select/ignore entries naming no loaded policy."""
    if options.policies or options.config_selectors:
        from .policy.load import run_warnings  # deferred: only runs with policies

        for warning in run_warnings(options):
            say(warning)


def check(target_names, statistics: bool, params: dict) -> NoReturn:
    """`check`: check values files and manifests, print the report, exit 1 when it fails."""
    from .pipeline import run, run_catalog  # deferred: --help and completion load no pipeline
    from .report import reads_fingerprints, render  # deferred: --help and completion load no pipeline

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


def values(fmt, provenance, show_secrets, target_name, params: dict) -> None:
    """`values`: print the effective values after layering, as Helm would see them."""
    from .pipeline import build_context  # deferred: `--help` and completion load no pipeline
    from .targets import choose_targets, plan_targets  # deferred: `--help` and completion load no pipeline
    from .values.show import render_values  # deferred: `--help` and completion load no pipeline

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
    show(text)


def baseline(target_names, params: dict) -> None:
    """`baseline`: record today's findings (fingerprints) in a baseline file that
    `check --baseline` accepts."""
    import json  # deferred: `--help` and completion load no pipeline

    from .pipeline import run  # deferred: --help and completion load no pipeline
    from .report.escape import json_text  # deferred: `--help` and completion load no pipeline
    from .suppress.baseline import baseline_document  # deferred: `--help` and completion load no pipeline

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


def fix(show_diff, unsafe_fixes, target_names, params: dict) -> None:
    """`fix`: apply the safe autofixes to values files, keeping comments, order and quoting."""
    from .fix import DiffRefused, atomic_write, fixed_counts, notices, plan_fixes  # deferred: start-up
    from .paths import reading_instead  # deferred: `--help` and completion load no pipeline
    from .pipeline import run  # deferred: --help and completion load no pipeline

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
        show("".join(diffs))
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


def rules(fmt, params: dict) -> None:
    """`rules`: list the rule catalog (with the config's rule-dirs, the --policy values policies,
    and the --policy admission policies under SL901)."""
    import json  # deferred: `--help` and completion load no pipeline

    from .pipeline import run_catalog  # deferred: --help and completion load no pipeline
    from .report.escape import text_line  # deferred: `--help` and completion load no pipeline
    from .rule_file import catalog_markdown  # deferred: --help and completion load no pipeline

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
        show(json.dumps(document, indent=2) + "\n")
    elif fmt == "markdown":
        show(catalog_markdown(catalog))
        if admission:
            from .report.admission_listing import markdown_section  # deferred: --policy only

            show(markdown_section(admission))
    else:
        shown = [rule.escaped(text_line) for rule in catalog.values()]
        width = max(len(r.name) for r in shown)
        lines = []
        for r in shown:
            fix = "" if r.fix == "none" else f"{r.fix}-fix"
            lines.append(f"{r.id}  {r.name:<{width}}  {r.severity!s:<7}  {fix:<11}  {r.summary}\n")
            if r.id == "SL901" and admission:
                from .report.admission_listing import text_lines  # deferred: --policy only

                lines += [line + "\n" for line in text_lines(admission)]
        show("".join(lines))  # one write (show flushes)


def explain(rule_id, params: dict) -> None:
    """`explain`: explain one rule (or a --policy values policy, or an admission policy as
    SL901/NAME): what it checks, why, how to fix it."""
    from .catalog import find_rule  # deferred: --help and completion load no pipeline
    from .pipeline import run_catalog  # deferred: --help and completion load no pipeline
    from .report.escape import text_line  # deferred: `--help` and completion load no pipeline

    options = build_options(params, "explain")
    if "/" in rule_id:  # SL901/<name>: one admission policy of --policy (docs/policies.md)
        from .report.admission_listing import explain_policy  # deferred: --policy only

        show(explain_policy(options, rule_id))
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
    show(
        rule.help_markdown(fix_safety=True)
        + f"\nseverity: {rule.severity}   tags: {', '.join(rule.tags)}   fix: {rule.fix}\n"
    )


def policy_test(paths) -> None:
    """`policy test`: run every values policy's examples: a fail example must be flagged, a pass
    example not."""
    from .policy.examples import run_examples  # deferred: --help and completion load no pipeline

    results = run_examples(paths, os.getcwd())
    for line in results.failures:
        say(line)
    failed = len(results.failures)
    say(f"{results.ran - failed} of {results.ran} policy examples passed")
    sys.exit(EXIT_FINDINGS if failed else EXIT_OK)


def schema() -> None:
    """`schema`: print the values JSON Schema (a drop-in values.schema.json for the chart)."""
    from .resources import schemas_dir  # deferred: `--help` and completion load no pipeline

    show((schemas_dir() / "values.schema.json").read_text(encoding="utf-8"))


def server(log_file) -> None:
    """`server`: run the language server on stdin/stdout, for editors (docs/editor.md)."""
    import importlib.util  # deferred: only the server needs to look for pygls

    if importlib.util.find_spec("pygls") is None or importlib.util.find_spec("lsprotocol") is None:
        _fail("starter-lint server needs the server extra: pip install 'starter-lint[server]'")
    from .server.lsp import serve  # deferred: pygls loads only when the server starts

    serve(log_file, starting=_end_server_at_once)


def _end_server_at_once() -> None:
    """SIGTERM ends the server at once, as its default does: raised as an exception
    (cli.Terminated), it would wait for pygls' thread reading stdin, which only the editor
    closing the pipe ends. What a render in the analysis thread started goes first: helm's
    process group (a session of its own) and the values file it reads (the user's secrets)."""
    import signal  # deferred: only the server sets its own
    import threading  # deferred: only the server watches for SIGTERM

    # (imported before the handler is set: a handler's own import could meet a module half
    # imported by the interrupted line, and fail)
    from .paths import remove_written  # deferred: only the server ends this way
    from .render import stop_renders  # deferred: only the server ends this way (renders on save)

    def clean_up() -> None:
        stop_renders()
        remove_written()

    def end_at_once(signum: int, frame: object) -> None:
        clean_up()
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGTERM)

    signal.signal(signal.SIGTERM, end_at_once)
    # The kernel may hand the signal to pygls' thread reading stdin: then the handler waits for
    # the main thread, asleep in the event loop until the next message. The signal's byte in a
    # wakeup pipe wakes a watcher thread instead, which does the same and ends the process.
    try:
        woken, wakeup = os.pipe()
        os.set_blocking(wakeup, False)
        signal.set_wakeup_fd(wakeup, warn_on_full_buffer=False)
    except (OSError, ValueError):
        return

    def watch() -> None:
        while signal.SIGTERM not in os.read(woken, 64):
            pass
        clean_up()
        os._exit(128 + signal.SIGTERM)

    threading.Thread(target=watch, name="sigterm", daemon=True).start()
