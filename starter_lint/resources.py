"""Where the shipped data lives: `rules/` and `schemas/` at the top of the repository, installed
into the wheel as `starter_lint/_data/rules` and `starter_lint/_data/schemas` (setup.cfg)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from .errors import StarterLintError

_PACKAGE = Path(__file__).resolve().parent


@cache
def data_dir(name: str) -> Path:
    for candidate in (_PACKAGE / "_data" / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise StarterLintError(f"starter-lint is installed without its {name}/ folder; reinstall it")


def rules_dir() -> Path:
    return data_dir("rules")


def schemas_dir() -> Path:
    return data_dir("schemas")
