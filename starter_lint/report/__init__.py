"""Output formats, one module each, behind one interface: `render(report, catalog, options) -> str`.

Reporters receive findings and the catalog; they never change severity or filter findings.
Every output passes through `redact.scrub` before it is written.
"""
from __future__ import annotations

import importlib

FORMATS = ("text", "json", "sarif", "github", "junit")


def render(report, catalog: dict, options) -> str:
    from ..errors import StarterLintError
    from ..redact import scrub

    if options.format not in FORMATS:
        raise StarterLintError(f"unknown format {options.format!r} ({', '.join(FORMATS)})")
    try:
        module = importlib.import_module(f"{__name__}.{options.format}_format")
    except ModuleNotFoundError:
        raise StarterLintError(f"the {options.format} format is not available in this build") from None
    text = module.render(report, catalog, options)
    return scrub(text, report.secrets)
