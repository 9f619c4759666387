"""The rule catalog: the rule files by id (rules/SLnnn-name.yaml, then config `rule-dirs`).

Each file is read into a Rule (rule_file.py) when its rule is first looked up; checks are in checks/.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import StarterLintError
from .lazy_pattern import LazyPattern
from .paths import allowed_roots, display_path, refuse_outside_link
from .resources import rules_dir

if TYPE_CHECKING:
    from .rule_file import Rule

_FILE_NAME = LazyPattern(r"^(SL\d{3})-[a-z0-9-]+\.yaml$")


class Catalog(Mapping[str, "Rule"]):
    """Rules by id, each parsed from its file on first use.

    A clean `check` run looks up no rule at all, so parsing every file up front would be the
    single largest cost of a pre-commit run; `rules`, `explain` and SARIF iterate and parse all.
    """

    def __init__(self, files: Mapping[str, Path], loaded: Iterable[Rule] = ()) -> None:
        self._files = dict(sorted(files.items()))  # id -> Path
        self._rules: dict[str, Rule] = {rule.id: rule for rule in loaded}
        self._ids = sorted(set(self._files) | set(self._rules))

    def __getitem__(self, rule_id: str) -> Rule:
        rule = self._rules.get(rule_id)
        if rule is None:
            from .rule_file import read_rule  # deferred: a clean run looks up no rule (no YAML parsed)

            rule = self._rules[rule_id] = read_rule(self._files[rule_id])
        return rule

    def get(self, rule_id: str, default: Rule | None = None) -> Rule | None:  # type: ignore[override]
        # Mapping.get answers through __getitem__ and a KeyError: each finding made asks once
        rule = self._rules.get(rule_id)
        if rule is not None:
            return rule
        try:
            return self[rule_id] if rule_id in self._files else default
        except KeyError:  # as Mapping.get answers a KeyError from reading the rule's file
            return default

    def __iter__(self) -> Iterator[str]:
        return iter(self._ids)

    def __len__(self) -> int:
        return len(self._ids)


@cache
def load_catalog(extra_dirs: tuple[str, ...] = (), policy_rules: tuple[Rule, ...] = ()) -> Catalog:
    """Every rule by id, shipped rules first, then `extra_dirs` (config `rule_dirs`) over them,
    then the rules of the loaded values policies (policy/load.py: ids that collide with none).

    A rule folder holds data only (rule files): no code from a repository is ever run, so a
    Python file there is an error rather than a rule that silently never fires."""

    files: dict[str, Path] = {}
    for directory in extra_dirs:
        if not Path(directory).is_dir():
            raise StarterLintError(f"rule-dirs: {directory} is not a folder")
        python = sorted(Path(directory).glob("*.py"))
        if python:
            raise StarterLintError(
                f"rule-dirs: {display_path(python[0])}: Python rules are not loaded (a repository's code "
                "never runs); a rule folder holds rule files (SLnnn-name.yaml) only. "
                "User-written rules will come as CEL policies"
            )
    folders: list[tuple[Path, tuple[str, ...] | None]] = [(rules_dir(), None)]
    folders += [(Path(d), allowed_roots(d)) for d in extra_dirs]
    for folder, roots in folders:  # the shipped folder is the package's own: no roots to keep to
        for path in folder.glob("SL*.yaml"):
            if roots is not None:
                refuse_outside_link(path, roots, "rule-dirs")
            match = _FILE_NAME.match(path.name)
            if match is None:
                raise StarterLintError(f"{path}: a rule file is named SLnnn-name.yaml (lower-case name)")
            files[match.group(1)] = path
    return Catalog(files, policy_rules)


def get_rule(rule_id: str, extra_dirs: Iterable[str] = ()) -> Rule:
    return find_rule(load_catalog(tuple(extra_dirs)), rule_id)


def find_rule(catalog: Catalog, rule_id: str) -> Rule:
    """The rule of `catalog` with this id (any case) or name; StarterLintError when none."""
    key = rule_id.strip().upper()
    if key not in catalog:
        by_name = {rule.name: rule for rule in catalog.values()}
        if rule_id in by_name:
            return by_name[rule_id]
        raise StarterLintError(f"unknown rule {rule_id!r}; `starter-lint rules` lists them")
    return catalog[key]
