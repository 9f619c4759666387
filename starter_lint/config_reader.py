"""Reading `.starter-lint.yaml`: the YAML loaded with its line numbers, and the readers of each
kind of value (string, paths inside the repository, booleans, severities, rule ids, dates) that
point a mistake at its `file:line`. What each key means is in config.
"""

from __future__ import annotations

import datetime
import os
from functools import lru_cache
from pathlib import Path

from .errors import StarterLintError
from .findings import Severity
from .jsontypes import describe_type
from .options import parse_rule_ids, rule_part_hint
from .paths import in_git_folder, inside_repository, read_control_file, repo_root


class ConfigError(StarterLintError):
    pass


MAX_CONFIG_BYTES = 1024 * 1024


class ConfigReader:
    """Type checks that point at the offending line of the config file."""

    def __init__(self, path: Path, shown: str, cwd=None):

        self.config_path = path
        self.shown = shown
        self.base_dir = path.parent
        # the repository the config's paths must stay in: the working directory's, or the
        # config's own when --config names one elsewhere
        self.root = repo_root(cwd)
        if not self.inside(str(path)):
            self.root = repo_root(str(self.base_dir))

    def error(self, line: int, message: str) -> ConfigError:
        return ConfigError(f"{self.shown}:{line}: {message}")

    @staticmethod
    def key_line(mapping, key) -> int:
        try:
            return mapping.lc.key(key)[0] + 1
        except (AttributeError, KeyError, TypeError):
            return getattr(getattr(mapping, "lc", None), "line", 0) + 1

    @staticmethod
    def item_line(seq, index: int, fallback: int) -> int:
        try:
            return seq.lc.item(index)[0] + 1
        except (AttributeError, KeyError, TypeError, IndexError):
            return fallback

    def check_keys(self, mapping, known: tuple, what: str) -> None:
        for key in mapping:
            if canonical_key(key) not in known:
                import difflib  # deferred: only a typo needs a suggestion

                close = difflib.get_close_matches(canonical_key(key), known, n=1, cutoff=0.6)
                hint = f"; did you mean '{close[0]}'?" if close else f" (known: {', '.join(known)})"
                raise self.error(self.key_line(mapping, key), f"unknown key '{key}' in {what}{hint}")

    def mapping(self, value, line: int, what: str) -> dict:
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise self.error(line, f"{what} must be a mapping, not {describe_type(value)}")
        return value

    def string(self, value, line: int, what: str) -> str:
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise self.error(line, f"{what} must be a string, not {describe_type(value)}")
        return str(value)

    def strings(self, value, line: int, what: str) -> list:
        """A list of strings; a single string counts as a list of one."""
        if value is None:
            return []
        if isinstance(value, (str, int, float)) and not isinstance(value, bool):
            return [str(value)]
        if not isinstance(value, list):
            raise self.error(line, f"{what} must be a list of strings, not {describe_type(value)}")
        return [
            self.string(item, self.item_line(value, i, line), f"each entry of {what}")
            for i, item in enumerate(value)
        ]

    def inside(self, path: str) -> bool:
        """`path` is in the repository, as written and with symlinks resolved."""

        absolute = os.path.abspath(path)
        root = str(self.root)
        return (absolute == root or absolute.startswith(root.rstrip(os.sep) + os.sep)) and inside_repository(
            absolute, root
        )

    def path(self, text: str, line: int = 0, what: str = "a path") -> str:
        """A path relative to the config file, made absolute (display_path shortens it again);
        one outside the repository is an error: the config may be a stranger's."""
        if text == "-":
            return text
        if "\x00" in text:  # no file has such a name, and os.path refuses it with ValueError
            raise self.error(line, f"{what} {text!r} holds a NUL character, which no file name can")
        expanded = os.path.expanduser(text)
        absolute = str(self.base_dir / expanded) if not os.path.isabs(expanded) else expanded
        if not self.inside(absolute):
            raise self.error(
                line,
                f"{what} {text!r} is outside the repository; a config names only "
                "files inside it (give outside files on the command line)",
            )

        if in_git_folder(absolute, str(self.root)):
            raise self.error(
                line,
                f"{what} {text!r} is in the repository's .git folder, which a config "
                "never names (git runs its hooks and keeps credentials there)",
            )
        return absolute

    def paths(self, value, line: int, what: str) -> list:
        return [self.path(p, line, what) for p in self.strings(value, line, what)]

    def boolean(self, value, line: int, what: str) -> bool:
        if not isinstance(value, bool):
            raise self.error(line, f"{what} must be true or false, not {describe_type(value)}")
        return value

    def severity(self, value, line: int, what: str) -> Severity:
        try:
            return Severity.parse(self.string(value, line, what))
        except ValueError:
            raise self.error(line, f"{what} must be error, warning or note, not {value!r}") from None

    def rule_ids(self, value, line: int, what: str) -> list:
        return parse_rule_ids(
            self.strings(value, line, what),
            lambda part: self.error(
                line,
                f"{what}: {part!r} is not a rule id or prefix such as SL301 or SL3" + rule_part_hint(part),
            ),
        )

    def rule_id_lines(self, value, line: int) -> dict:
        """Each rule id or policy of an already read `rule_ids` value -> the line of the entry
        that names it (`line`, the key's, for a single string): a warning about one entry points
        at that entry, not at the key above the list."""
        entries = value if isinstance(value, list) else [value]
        lines: dict = {}
        for index, entry in enumerate(entries):
            for part in parse_rule_ids([str(entry)], ValueError):
                lines.setdefault(part, self.item_line(value, index, line))
        return lines

    def date(self, value, line: int, what: str) -> datetime.date:
        if isinstance(value, datetime.datetime):
            return value.date()
        if isinstance(value, datetime.date):
            return value
        if isinstance(value, str):
            try:
                return datetime.date.fromisoformat(value.strip())
            except ValueError:
                pass
        raise self.error(line, f"{what} must be a date YYYY-MM-DD, not {value!r}")


def canonical_key(key) -> str:
    """A config key as the tables spell it: `fail_on`, `Fail-On ` -> `fail-on`."""
    return str(key).strip().replace("_", "-").lower()


@lru_cache(maxsize=1)
def _constructor():
    """ruamel's round-trip constructor, except that dates stay text (a bad date is then
    reported with its line by ConfigReader.date instead of failing the whole load)."""
    from ruamel.yaml.constructor import (
        RoundTripConstructor,  # deferred: ruamel.yaml (30 ms) only when a config file is read
    )

    class ConfigConstructor(RoundTripConstructor):
        pass

    ConfigConstructor.add_constructor(
        "tag:yaml.org,2002:timestamp", lambda constructor, node: constructor.construct_scalar(node)
    )
    return ConfigConstructor


def load_config(path: Path, shown: str):
    from ruamel.yaml import YAML  # deferred: ruamel.yaml (30 ms) only when a config file is read
    from ruamel.yaml.error import (  # deferred: ruamel.yaml (30 ms) only when a config file is read
        MarkedYAMLError,
        YAMLError,
    )

    text = read_control_file(path, MAX_CONFIG_BYTES, "config", shown)
    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = False
    yaml.Constructor = _constructor()
    try:
        data = yaml.load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        raise ConfigError(f"{shown}:{line}: not valid YAML: {exc.problem or exc.context}") from None
    except YAMLError as exc:
        raise ConfigError(f"{shown}: not valid YAML: {str(exc).splitlines()[0]}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{shown}:1: the config must be a mapping of options, not {describe_type(data)}")
    return data
