"""A plain `check` is read without click (command_line.read_check, issue 12's start-up): what it
reads, it reads exactly as click does, and what it does not, it leaves to click.

The reading is compared with click's own (`make_context` of the `check` command, the parameters
the command function receives) over generated command lines made of the table's flags, their
values, values click refuses, joined and abbreviated options and file names.
"""

from __future__ import annotations

import click
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from starter_lint import speedups
from starter_lint.cli_click import main
from starter_lint.command_line import read_check
from starter_lint.option_table import command_options

CHECK = main.commands["check"]
SPECS = command_options("check")
FLAGS = sorted({flag for spec in SPECS for flag in spec.flags})


def clicks_reading(args: list) -> dict | None:
    """The parameters click gives the `check` command for `args` (after `check`), or None
    when it refuses them."""
    try:
        # with the group's settings (`-h`): as `starter-lint check` reads it, and without caching
        # a help option of `--help` alone on the command for the tests after this one
        with CHECK.make_context("check", list(args), **main.context_settings) as ctx:
            return dict(ctx.params)
    except (click.exceptions.Exit, click.ClickException):
        return None


def same(reading: dict | None, other: dict | None) -> bool:
    """Equal readings; a value compared by its repr, so that `--render-timeout nan` read both
    ways is the same (NaN is not equal to itself; build_options refuses it either way)."""
    shown = [
        None if r is None else {name: repr(value) for name, value in r.items()} for r in (reading, other)
    ]
    return shown[0] == shown[1]


# what may follow a flag or stand alone: each option's kind of value, values click refuses, and
# tokens that are options or look like them
VALUES = [
    "values.yaml",
    "-",
    "--",
    "",
    "=",
    "a=b",
    "1",
    "2.5",
    "-1",
    "0",
    " 3 ",
    "nan",
    "1_000",
    "x",
    "٣",
    "json",
    "sarif",
    "JSON",
    "warning",
    "error",
    "builtin",
    "kubeconform",
    "3",
    "4",
    "SL301,SL4",
    "-q",
    "-h",
    "--help",
    "--version",
    "--qui",
    "-qj",
    "-j2",
    "-j=2",
    "--quiet=1",
    "--format=json",
    "--format=",
    "--jobs=2",
    "--jobs=x",
    "-x",
    "--no-such",
]
TOKENS = st.one_of(st.sampled_from(FLAGS), st.sampled_from(VALUES), st.text(max_size=6))


@settings(max_examples=1500, deadline=None)
@given(st.lists(TOKENS, max_size=8))
def test_what_it_reads_it_reads_as_click_does(tokens):
    ours = read_check(["check", *tokens])
    if ours is not None:
        assert same(clicks_reading(tokens), ours), tokens


@pytest.mark.parametrize("spec", [s for s in SPECS if s.flags], ids=lambda s: s.flags[-1])
def test_every_option_of_check_is_read_without_click(spec):
    """The fast reading is no dead path: each option, in each of its spellings, takes it."""
    value = spec.choices[0] if spec.choices else {"seconds": "30", "positive-int": "2"}.get(spec.kind, "x")
    for flag in spec.flags:
        args = [flag] if spec.switch is not None else [flag, value]
        if flag.startswith("--") and spec.switch is None:
            assert same(read_check(["check", f"{flag}={value}"]), clicks_reading([f"{flag}={value}"]))
        ours = read_check(["check", *args, "values.yaml"])
        assert ours is not None and same(ours, clicks_reading([*args, "values.yaml"])), args


@pytest.mark.parametrize(
    "args",
    [
        ["examples/values.prod.yaml"],  # the README's
        ["--fail-on", "warning", "--", "values.yaml", "-x.yaml", "--y.yaml"],  # the pre-commit hook's
        ["--format", "sarif", "--output", "out.sarif"],  # the action's
        ["--validator", "builtin", "--fail-on", "error", "-q", "--manifests", "release.yaml"],  # bench/
        ["--config", "targets.yaml", "-j", "2", "--target", "a", "--target", "b"],
        ["-f", "a.yaml", "-f", "b.yaml", "--set", "a=b", "--set-json", "c=1", "--no-color"],
    ],
)
def test_the_usual_command_lines_are_read_without_click(args):
    ours = read_check(["check", *args])
    assert ours is not None and same(ours, clicks_reading(args))


@pytest.mark.parametrize(
    "args",
    [
        ["check", "--help"],
        ["check", "-h"],
        ["--version"],
        ["values", "-f", "a.yaml"],
        ["check", "--qui"],  # click names the option it meant
        ["check", "-qj", "2"],  # joined short options
        ["check", "--format", "yaml"],  # a choice click refuses
        ["check", "-j", "two"],
        ["check", "--manifests"],  # no value
        ["check", "--output", "-q"],  # a value that looks like an option: click decides
        ["check", "--quiet=yes"],
    ],
)
def test_what_it_does_not_read_is_left_to_click(args):
    assert read_check(args) is None


def test_completion_and_the_general_path_are_clicks(monkeypatch):
    monkeypatch.setenv("_STARTER_LINT_COMPLETE", "bash_complete")
    assert read_check(["check", "values.yaml"]) is None
    monkeypatch.delenv("_STARTER_LINT_COMPLETE")
    assert read_check(["check", "values.yaml"]) is not None
    monkeypatch.setattr(speedups, "FAST_PATHS", False)  # the tests' switch: click reads every command line
    assert read_check(["check", "values.yaml"]) is None


class _ClosedPipe:
    """A standard output whose reader has gone (`starter-lint check | head`)."""

    def isatty(self):
        return False

    def write(self, text):
        raise BrokenPipeError(32, "Broken pipe")

    def flush(self):
        raise BrokenPipeError(32, "Broken pipe")


@pytest.mark.parametrize("fast", [True, False], ids=["read without click", "read by click"])
@pytest.mark.parametrize("command", [["check", "values.yaml"], ["rules"]])
def test_a_closed_output_is_exit_2_however_the_command_line_was_read(
    tmp_path, monkeypatch, capsys, fast, command
):
    """The report could not be written: exit 2 (click alone would exit 1, which means findings),
    and nothing on stderr."""
    from starter_lint.cli import run_cli

    (tmp_path / "values.yaml").write_text("image:\n  tag: 1.2.3\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(speedups, "FAST_PATHS", fast)
    monkeypatch.setattr("sys.stdout", _ClosedPipe())
    assert run_cli(command) == 2
    assert capsys.readouterr().err == ""


class _FullDisk(_ClosedPipe):
    def write(self, text):
        raise OSError(28, "No space left on device")


@pytest.mark.parametrize(
    "stdout, said",
    [
        (None, "standard output is closed"),  # `>&-`
        (_FullDisk(), "cannot write to standard output: No space left on device"),
    ],
)
@pytest.mark.parametrize(
    "command, hint",
    [
        (["check", "values.yaml"], "; write the report with --output FILE"),
        (["rules"], ""),
        (["explain", "SL301"], ""),
        (["schema"], ""),
    ],
)
def test_output_that_cannot_be_written_is_one_line_and_exit_2(
    tmp_path, monkeypatch, capsys, stdout, said, command, hint
):
    from starter_lint.cli import run_cli

    (tmp_path / "values.yaml").write_text("image:\n  tag: 1.2.3\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("sys.stdout", stdout)
    assert run_cli(command) == 2
    assert capsys.readouterr().err == f"starter-lint: error: {said}{hint}\n"


@pytest.mark.parametrize("stderr", [None, _FullDisk()], ids=["closed", "full"])
def test_an_error_with_stderr_closed_or_full_is_still_exit_2(tmp_path, monkeypatch, stderr):
    """`2>&-`: the line cannot be said, the exit code still tells (an exception writing it
    would end the run with exit 1, which means findings)."""
    from starter_lint.cli import run_cli

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("sys.stderr", stderr)
    assert run_cli(["check", "--manifests", "missing.yaml"]) == 2
    assert run_cli(["rules", "--bogus"]) == 2
