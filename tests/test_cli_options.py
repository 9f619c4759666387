"""The option table (starter_lint/options.py) is the one declaration of every option: each
command's options and `--help` stay as they were before the table existed (a snapshot), and a
config key and its command-line flag reach the same Options field with the same value."""

from __future__ import annotations

import json
from pathlib import Path

import click

from starter_lint.cli import main

PLAIN = (str, int, float, bool, list, tuple, type(None))
# as `starter-lint CMD --help` prints them at a width of 100
SETTINGS = {"terminal_width": 100, "max_content_width": 100, "help_option_names": ["-h", "--help"]}
SNAPSHOT = Path(__file__).parent / "data" / "cli_options.json"


def describe(command: click.Command) -> list:
    """Each parameter as `--help` and the command function see it."""
    out = []
    for param in command.params:
        choices = getattr(param.type, "choices", None)
        out.append(
            {
                "name": param.name,
                "kind": type(param).__name__,
                "opts": list(param.opts),
                "secondary_opts": list(param.secondary_opts),
                "multiple": param.multiple,
                "nargs": param.nargs,
                "is_flag": getattr(param, "is_flag", False),
                "type": param.type.name,
                "choices": list(choices) if choices else None,
                "default": param.default if isinstance(param.default, PLAIN) else repr(param.default),
                "show_default": getattr(param, "show_default", None),
                "metavar": param.metavar,
                "help": getattr(param, "help", None),
                "completes": param._custom_shell_complete is not None,
            }
        )
    return out


def help_text(name: str) -> str:
    command = main.commands[name]
    parent = click.Context(main, info_name="starter-lint", **SETTINGS)
    return command.get_help(click.Context(command, info_name=name, parent=parent))


def current() -> dict:
    return {
        name: {"params": describe(command), "help": help_text(name)}
        for name, command in sorted(main.commands.items())
    }


def test_every_command_keeps_its_options_and_help():
    # regenerate after an intended change: python -c "from tests.test_cli_options import write; write()"
    assert json.loads(json.dumps(current())) == json.loads(SNAPSHOT.read_text(encoding="utf-8"))


def write() -> None:
    SNAPSHOT.write_text(json.dumps(current(), indent=1, sort_keys=True) + "\n", encoding="utf-8")
