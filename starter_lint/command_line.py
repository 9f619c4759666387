"""What a command was given, turned into Options (command line over config over defaults); and
a plain `check` command line read without click.

Reading `check` here spares every check the import of click and its parsing (a fifth of a small
run's start-up: issue 12). It reads exactly the forms click reads the same way, from the same
option table (option_table): `--flag`, `--flag value`, `--flag=value`, `-x`, `-x value`, values
and `--`; anything else (help, completion, another command, an unknown, abbreviated or joined
option, a value click would refuse or that looks like an option) is left to click, which
words its errors. A test compares the two readings over generated command lines.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from . import speedups
from .errors import StarterLintError
from .findings import Severity
from .option_table import DEFAULT_KUBE_VERSION, SET_KINDS, OptionSpec, command_options
from .options import Options, parse_rule_ids, rule_part_hint, timeout_problem

# how click converts a value of these kinds (cli_options gives it these types); other kinds are
# strings, or choices (kept only when they are one of them, as click.Choice does)
_CONVERT: dict[str, Callable[[str], Any]] = {"seconds": float, "positive-int": int}
# set by a shell's completion script: click answers it (cli_click), not a check
_COMPLETION_VARIABLE = "_STARTER_LINT_COMPLETE"


def _unread() -> dict:
    """`check`'s parameters as click gives them when the command line names none."""
    return {
        spec.name: ()
        if spec.repeatable or spec.argument
        else False
        if spec.switch is not None
        else spec.cli_default
        for spec in command_options("check")
    }


def _value(spec: OptionSpec, text: str) -> Any:
    """An option's value as click converts it; None when click would refuse it."""
    if spec.choices:
        return text if text in spec.choices else None
    convert = _CONVERT.get(spec.kind)
    if convert is None:
        return text
    try:
        return convert(text)
    except ValueError:
        return None


def read_check(args: list[str]) -> dict | None:
    """The parameters click would give `check` for the command line `args` (the command's
    name first), or None when click is to read it."""
    if not speedups.FAST_PATHS or args[:1] != ["check"] or os.environ.get(_COMPLETION_VARIABLE):
        return None
    specs = command_options("check")
    by_flag = {flag: spec for spec in specs for flag in spec.flags}
    params = _unread()
    positional: list[str] = []
    rest = args[1:]
    at = 0
    while at < len(rest):
        token = rest[at]
        at += 1
        if token == "--":  # the end of options: the rest are files, even `-x`
            positional += rest[at:]
            break
        if token[:1] != "-" or token == "-":
            positional.append(token)
            continue
        flag, equals, attached = token.partition("=") if token.startswith("--") else (token, "", "")
        spec = by_flag.get(flag)
        if spec is None:  # --help, -h, an unknown or abbreviated option, -qj2, -j2
            return None
        if spec.switch is not None:
            if equals:  # click refuses a value given to a switch
                return None
            params[spec.name] = True
            continue
        if equals:
            text = attached
        elif at < len(rest) and not (rest[at][:1] == "-" and rest[at] != "-"):
            text = rest[at]
            at += 1
        else:  # no value, or one that looks like an option: click says which
            return None
        value = _value(spec, text)
        if value is None:
            return None
        params[spec.name] = params[spec.name] + (value,) if spec.repeatable else value
    for spec in specs:
        if spec.argument:
            params[spec.name] = tuple(positional)
    return params


def _given(spec: OptionSpec, value) -> bool:
    """The command line set this option: a list or a switch when not empty, a value when given."""
    listed = spec.repeatable or spec.argument or spec.switch is not None
    return bool(value) if listed else value is not None


def _refuse_rule(option: str) -> Callable[[str], Exception]:
    return lambda part: StarterLintError(
        f"{option} {part}: not a rule id or prefix such as SL301, SL3 or all" + rule_part_hint(part)
    )


def build_options(params: dict, command: str) -> Options:
    """Command-line values over the config file over the defaults."""
    options = Options(cwd=os.getcwd())
    from .config import apply_config  # deferred: the config reader is not needed to start

    apply_config(options, params.get("config"))
    # inputs on the command line replace the config's named targets; values files also replace
    # the config's values and manifests (a --manifests alone keeps the config's values)
    if params.get("values_files") or params.get("files") or params.get("manifests"):
        options.targets = []  # (a positional file still resolves to the targets that list it)
        options.partial_run = True
    if params.get("values_files") or params.get("files"):
        options.files, options.manifests = [], []
    sets: list = []
    for spec in command_options(command):
        value: Any = params.get(spec.name)
        if spec.field is None or spec.field == "config" or not _given(spec, value):
            continue
        if spec.kind in SET_KINDS:
            sets += [(e, spec.kind) for e in value]
        elif spec.kind == "rules":
            ids = parse_rule_ids(value, _refuse_rule(spec.flags[-1]))
            # --ignore adds to the config's ignores; --select replaces its selection
            setattr(options, spec.field, list(options.ignore) + ids if spec.field == "ignore" else ids)
            # what the command line names is its own (exit 2 if unknown); --select drops the config's
            options.config_selectors = {
                (field, p): where
                for (field, p), where in options.config_selectors.items()
                if field != spec.field or (field == "ignore" and p not in ids)
            }
        elif spec.kind == "severity":
            setattr(options, spec.field, Severity.parse(value))
        elif spec.switch is not None:
            setattr(options, spec.field, spec.switch)
        else:
            setattr(options, spec.field, list(value) if spec.repeatable or spec.argument else value)
    if sets:  # they replace the config's top-level set family, and so its set-file paths
        options.set, options.config_set_files = sets, {}
    for option, seconds in (
        ("--kubeconform-timeout", options.kubeconform_timeout),
        ("--render-timeout", options.render_timeout),
    ):
        problem = None if seconds is None else timeout_problem(seconds)
        if problem:
            raise StarterLintError(f"{option} {problem}")
    if options.jobs is not None and options.jobs < 1:
        raise StarterLintError("-j/--jobs must be at least 1")
    if options.kube_version != DEFAULT_KUBE_VERSION:
        from .validate.schemas import normalise_version  # deferred: the schemas are not needed to start

        normalise_version(options.kube_version)  # one of the bundled versions, or exit 2 saying which
    return options


def choose_config_targets(options: Options, target_names, params: dict) -> None:
    """--target NAME: only those of the config's targets (a partial run: SL107 judges what ran)."""
    if not target_names:
        return
    from .targets import choose_targets  # deferred: only when completing --target

    if params.get("values_files") or params.get("files") or params.get("manifests"):
        raise StarterLintError(
            "--target chooses among the config's targets; values files and --manifests replace them"
        )
    options.targets = choose_targets(options.config_targets, target_names)
    options.partial_run = True
