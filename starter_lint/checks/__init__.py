"""Rule implementations, one module per area; each check is registered by rule id.

A check is `def check(ctx: Context) -> Iterable[Problem]`: it reads the context, never files,
never prints, never decides the exit code. Severity comes from the rule's catalog entry unless
the Problem carries an override.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Callable

# Modules holding checks, by what a target must have for any of their checks to run: a target
# without manifests never imports the manifest checks, nor a manifests-only target the values ones.
MODULES = {"syntax": "values", "values": "values", "secrets": "values", "ingress": "values",
           "billing": "values", "autoscaling": "values", "images": "values", "env": "values", "chart": "values",
           "manifests": "manifests", "crossref": "manifests", "drift": "manifests", "suppressions": "any"}


@dataclass(frozen=True)
class CheckSpec:
    rule_id: str
    function: Callable
    needs: str  # "values" (a values target), "chart" (--chart given), "manifests" (objects present), "any"


CHECKS: dict = {}


def check(rule_id: str, *, needs: str = "values"):
    """Register a check for `rule_id` (one function per rule id)."""
    if needs not in ("values", "chart", "manifests", "any"):
        raise ValueError(f"needs must be values, chart, manifests or any, not {needs!r}")

    def register(function):
        if rule_id in CHECKS and CHECKS[rule_id].function is not function:
            raise ValueError(f"two checks registered for {rule_id}")
        CHECKS[rule_id] = CheckSpec(rule_id, function, needs)
        return function

    return register


_imported: set = set()


def load_checks(available=None) -> dict:
    """Import the check modules a target can use (`available` ⊆ {"values", "manifests"}; None:
    all of them) and return the registry."""
    for name, area in MODULES.items():
        if name in _imported or (available is not None and area not in available and area != "any"):
            continue
        try:
            importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{__name__}.{name}":
                raise
        _imported.add(name)
    return CHECKS


def load_extra_checks(directories) -> None:
    """Import the Python modules of config `rule-dirs`: a team's own rules register with @check
    beside their SLnnn-name.yaml files, exactly as the shipped ones do."""
    import importlib.util
    from pathlib import Path

    from ..errors import StarterLintError

    for directory in directories:
        for path in sorted(Path(directory).glob("*.py")):
            name = f"starter_lint_rules_{abs(hash(str(path.resolve())))}_{path.stem}"
            if name in _imported:
                continue
            spec = importlib.util.spec_from_file_location(name, path)
            try:
                module = importlib.util.module_from_spec(spec)
                spec.loader.exec_module(module)
            except Exception as exc:  # a team's rule module is their code: say which file failed
                raise StarterLintError(f"rule-dirs: {path} failed to load: {type(exc).__name__}: {exc}") from None
            _imported.add(name)
