"""The command line's options as click declares them: click options made from the option table
(option_table). What a command was given becomes Options in command_line."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import click

from .errors import StarterLintError
from .option_table import OptionSpec, command_options
from .options import Options


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
