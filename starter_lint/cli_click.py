"""The command line as click reads it: the commands and their options (made from the option
table, through cli_options), each calling its work in `commands`; and `click_main`, which turns
click's own errors into the entry point's (cli.run_cli). A plain `check` is read without click
(command_line.read_check); everything else (help, completion, the other commands, a mistyped
option) comes here.
"""

from __future__ import annotations

from collections.abc import Callable

import click

from . import __version__, commands
from .cli_options import table_options
from .errors import StarterLintError


class _OutputClosed(Exception):
    """A command's BrokenPipeError (its stdout closed: `| head`) on its way past click, which
    would end the run with exit 1 (findings) itself; the entry point's answer is 2: the report
    could not be written, whichever way the command line was read."""


def _work(command: Callable[..., object], *args: object) -> None:
    try:
        command(*args)
    except BrokenPipeError as exc:
        raise _OutputClosed from exc


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
    _work(commands.check, target_names, statistics, params)


@main.command()
@table_options("values")
def values(fmt, provenance, show_secrets, target_name, **params):
    """Print the effective values after layering, as Helm would see them."""
    _work(commands.values, fmt, provenance, show_secrets, target_name, params)


@main.command()
@table_options("baseline")
def baseline(target_names, **params):
    """Record today's findings (fingerprints) in a baseline file that `check --baseline` accepts."""
    _work(commands.baseline, target_names, params)


@main.command()
@table_options("fix")
def fix(show_diff, unsafe_fixes, target_names, **params):
    """Apply the safe autofixes to values files, keeping comments, order and quoting."""
    _work(commands.fix, show_diff, unsafe_fixes, target_names, params)


@main.command()
@table_options("rules")
def rules(fmt, **params):
    """List the rule catalog (with the config's rule-dirs, the --policy values policies, and
    the --policy admission policies under SL901)."""
    _work(commands.rules, fmt, params)


@main.command()
@click.argument("rule_id")
@table_options("explain")
def explain(rule_id, **params):
    """Explain one rule (or a --policy values policy, or an admission policy as SL901/NAME):
    what it checks, why, how to fix it."""
    _work(commands.explain, rule_id, params)


@main.group()
def policy():
    """Work with CEL policy files (docs/policies.md)."""


@policy.command("test")
@click.argument("paths", nargs=-1, required=True)
def policy_test(paths):
    """Run every values policy's examples: a fail example must be flagged, a pass example not."""
    _work(commands.policy_test, paths)


@main.command()
def schema():
    """Print the values JSON Schema (a drop-in values.schema.json for the chart)."""
    _work(commands.schema)


@main.command()
@click.option("--log-file", metavar="PATH", help="Also write the server's log lines to PATH.")
def server(log_file):
    """Run the language server on stdin/stdout, for editors (docs/editor.md)."""
    _work(commands.server, log_file)


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
    except _OutputClosed:
        raise BrokenPipeError from None
