"""Rule implementations, one module per area; each check is registered by rule id.

A check is `def check(ctx: Context) -> Iterable[Problem]`: it reads the context, never files,
never prints, never decides the exit code. Severity comes from the rule's catalog entry unless
the Problem carries an override.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

from ..records import record

# Modules holding checks, by what a target must have for any of their checks to run: a target
# without manifests never imports the manifest checks, nor a manifests-only target the values ones.
MODULES = {
    "syntax": "values",
    "values": "values",
    "secrets": "values",
    "ingress": "values",
    "billing": "values",
    "autoscaling": "values",
    "images": "values",
    "env": "values",
    "chart": "values",
    "manifests": "manifests",
    "rendered_scaling": "manifests",
    "rendered_routing": "manifests",
    "rendered_secrets": "manifests",
    "rendered_billing": "manifests",
    "rendered_probes": "manifests",
    "drift": "manifests",
    "suppressions": "any",
}


@record(frozen=True)
class CheckSpec:
    """A registered check: its rule, its function and what a target must have for it to run."""

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
