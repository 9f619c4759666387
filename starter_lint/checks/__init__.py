"""Rule implementations, one module per area; each check is registered by rule id.

A check is `def check(ctx: Context) -> Iterable[Problem]`: it reads the context, never files,
never prints, never decides the exit code. Severity comes from the rule's catalog entry unless
the Problem carries an override.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Callable

# Modules holding checks, imported by load_checks(). Add a module here to add an area.
MODULES = ("syntax", "values", "secrets", "ingress", "billing", "autoscaling", "images", "env",
           "manifests", "crossref", "drift")


@dataclass(frozen=True)
class CheckSpec:
    rule_id: str
    function: Callable
    needs: str  # "values" (a values target), "chart" (--chart given), "manifests" (objects present)


CHECKS: dict = {}


def check(rule_id: str, *, needs: str = "values"):
    """Register a check for `rule_id` (one function per rule id)."""
    if needs not in ("values", "chart", "manifests"):
        raise ValueError(f"needs must be values, chart or manifests, not {needs!r}")

    def register(function):
        if rule_id in CHECKS and CHECKS[rule_id].function is not function:
            raise ValueError(f"two checks registered for {rule_id}")
        CHECKS[rule_id] = CheckSpec(rule_id, function, needs)
        return function

    return register


_loaded = False


def load_checks() -> dict:
    global _loaded
    if not _loaded:
        for name in MODULES:
            try:
                importlib.import_module(f"{__name__}.{name}")
            except ModuleNotFoundError as exc:
                if exc.name != f"{__name__}.{name}":
                    raise
        _loaded = True
    return CHECKS
