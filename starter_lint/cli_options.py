"""The command line's options: click options made from the option table (option_table), and
the values a command was given turned into Options (command line over config over defaults)."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import click

from .errors import StarterLintError
from .findings import Severity
from .option_table import DEFAULT_KUBE_VERSION, SET_KINDS, OptionSpec, command_options
from .options import Options, parse_rule_ids, rule_part_hint, timeout_problem


def _complete_target_names(ctx, param, incomplete) -> list:
    """Shell completion of --target: the config's target names (none when it cannot be read)."""
    try:
        options = Options(cwd=os.getcwd())
        from .config import apply_config  # deferred: reading a config is not needed to start

        apply_config(options, ctx.params.get("config"))
    except StarterLintError:
        return []
    return [t.name for t in options.config_targets if t.name.startswith(incomplete)]


_CLICK_TYPES: dict[str, Any] = {"seconds": float, "positive-int": int}


def _click_parameter(spec: OptionSpec) -> Callable:
    """The click decorator of one table row."""
    if spec.argument:
        return click.argument(spec.name, nargs=-1, metavar=spec.metavar)
    settings: dict[str, Any] = {"help": spec.help}
    if spec.metavar:
        settings["metavar"] = spec.metavar
    if spec.repeatable:
        settings["multiple"] = True
    if spec.choices:
        settings["type"] = click.Choice(list(spec.choices))
    elif spec.kind in _CLICK_TYPES:
        settings["type"] = _CLICK_TYPES[spec.kind]
    if spec.switch is not None:
        settings["is_flag"] = True
        if spec.field is not None:  # (the Options field's own default decides when it is absent)
            settings["default"] = False
    if spec.cli_default is not None:
        settings.update(default=spec.cli_default, show_default=True)
    if spec.completes_targets:
        settings["shell_complete"] = _complete_target_names
    names = list(spec.flags) + ([spec.name] if spec.param or spec.field else [])
    return click.option(*names, **{k: v for k, v in settings.items() if v is not None})


def table_options(command: str) -> Callable:
    """A decorator giving a command every option the table says it takes, in the table's order."""
    decorators = [_click_parameter(spec) for spec in command_options(command)]

    def apply(function):
        for decorator in reversed(decorators):
            function = decorator(function)
        return function

    return apply


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
