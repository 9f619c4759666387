"""The option table (starter_lint/option_table.py) is the one declaration of every option: each
command's options and `--help` stay as they were before the table existed (a snapshot), and a
config key and its command-line flag reach the same Options field with the same value."""

from __future__ import annotations

import json
import os
from pathlib import Path

import click
import pytest

from starter_lint import config, records
from starter_lint.cli_click import main
from starter_lint.command_line import build_options
from starter_lint.option_table import DEFAULT_KUBE_VERSION, NO_DEFAULT, OPTION_TABLE
from starter_lint.options import Options

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


# one value of each kind, as a config file spells it and as the command line passes it
SAMPLES = {
    "paths": (["in/a.yaml"], ("in/a.yaml",)),
    "path": ("in/b", "in/b"),
    "set": (["a.b=1"], ("a.b=1",)),
    "set-string": (["a.c=2"], ("a.c=2",)),
    "set-json": (['a.d={"e":[1]}'], ('a.d={"e":[1]}',)),
    "set-file": (["a.f=in/f.txt"], ("a.f=in/f.txt",)),
    "set-literal": (["a.g=x,y"], ("a.g=x,y",)),
    "version": ("1.28", "1.28"),
    "seconds": (5, 5.0),
    "positive-int": (3, 3),
    "severity": ("warning", "warning"),
    "rules": (["sl1, SL301"], ("sl1,SL301",)),
}


def sample(spec) -> tuple:
    if spec.kind == "choice":
        return spec.choices[-1], spec.choices[-1]  # never the default
    if spec.kind == "bool":  # the config's `color: false` is --no-color; `quiet: true` is -q
        return spec.switch, True
    return SAMPLES[spec.kind]


BOTH = [spec for spec in OPTION_TABLE if spec.field and spec.keys and spec.flags]


@pytest.mark.parametrize("spec", BOTH, ids=[spec.flags[-1] for spec in BOTH])
def test_config_key_and_flag_set_the_same_field(spec, tmp_path, monkeypatch):
    from_config, from_flag = sample(spec)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "empty.yaml").write_text("")
    for key in spec.keys:
        (tmp_path / ".starter-lint.yaml").write_text(json.dumps({key: from_config}))
        configured = build_options({}, spec.commands[0])
        flagged = build_options({"config": "empty.yaml", spec.name: from_flag}, spec.commands[0])
        configured_value, flagged_value = getattr(configured, spec.field), getattr(flagged, spec.field)
        assert configured_value != getattr(Options(), spec.field), key
        if spec.kind == "path":
            configured_value, flagged_value = [configured_value], [flagged_value]
        if spec.kind in ("path", "paths"):
            # config paths are made absolute (relative to the config file); the command line's
            # stay as given (relative to the working directory): the same files either way
            configured_value = [os.path.relpath(p, tmp_path) for p in configured_value]
            flagged_value = [os.path.normpath(p) for p in flagged_value]
        assert configured_value == flagged_value, key


def test_every_row_says_how_it_is_given():
    fields = {f.name for f in records.fields(Options)}
    for spec in OPTION_TABLE:
        assert spec.field is None or spec.field in fields, spec
        assert spec.flags or spec.keys or spec.argument, spec  # an option nobody can give
        assert not spec.flags or spec.commands, spec  # a flag no command takes
    defaults = Options()
    for spec in OPTION_TABLE:
        if spec.default is not NO_DEFAULT:
            assert getattr(defaults, spec.field) == spec.default


def test_config_keys_are_those_of_before():
    # `unknown key` errors list them: the table must keep every key the config took
    assert (
        *("baseline", "chart", "color", "crd-dirs", "crds", "fail-on", "format", "helm-version"),
        *("ignore", "ignores"),
        *("jobs", "kube-version", "kubeconform-timeout", "manifests", "namespace", "output"),
        *("policies", "quiet"),
        *("release-name", "render-timeout", "rule-dirs", "rules", "select", "set", "set-file"),
        *("set-json", "set-literal", "set-string", "targets", "validator", "values"),
    ) == config.TOP_KEYS


def test_the_default_kubernetes_version_is_one_constant():
    assert Options().kube_version == DEFAULT_KUBE_VERSION
    assert f"(default {DEFAULT_KUBE_VERSION})" in help_text("check")
