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


def fail(message: str) -> NoReturn:
    raise StarterLintError(message)


def say(message: str) -> None:
    """The one way a line reaches stderr: `starter-lint: message`, its key, value and file names
    escaped (report.escape.terminal), so that none starts a line, a workflow command (`::error`)
    or an ESC sequence, whatever a pull request names its files."""
    from .report.escape import terminal  # deferred: `--help` and completion load no pipeline

    sys.stderr.write(f"starter-lint: {terminal(message)}\n")


def write_output(text: str, options: Options) -> None:
    """stdout, or the --output file written atomically (no half-written SARIF if anything fails)."""
    if not options.output:
        sys.stdout.write(text)
        sys.stdout.flush()
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


def policy_warnings(options: Options) -> None:
    """Unbound admission policies, and config select/ignore entries naming no loaded policy."""
    if options.policies or options.config_selectors:
        from .policy.load import run_warnings  # deferred: only runs with policies

        for warning in run_warnings(options):
            say(warning)


def check(target_names, statistics: bool, params: dict) -> NoReturn:
    """Check values files and manifests, print the report, exit 1 when it fails."""
    from .pipeline import run, run_catalog  # deferred: --help and completion load no pipeline
    from .report import reads_fingerprints, render  # deferred: --help and completion load no pipeline

    options = build_options(params, "check")
    choose_config_targets(options, target_names, params)
    # a report that prints no fingerprint, with no baseline to match: findings are not identified
    options.fingerprints = bool(options.baseline) or reads_fingerprints(options.format)
    if statistics:
        from .report import statistics as per_rule  # deferred: only --statistics counts per rule

        if options.format not in per_rule.FORMATS:
            fail(f"--statistics counts findings in the text or json format, not {options.format}")
        render = per_rule.render
    report = run(options)
    policy_warnings(options)
    text = render(report, run_catalog(options), options)
    write_output(text, options)
    sys.exit(EXIT_FINDINGS if report.failed else EXIT_OK)
