"""Output formats, one module each, behind one interface: `render(report, catalog, options) -> str`.

Reporters receive findings and the catalog; they never change severity or filter findings.
Secrets are hidden before a reporter sees a finding (`redact.scrub_finding`, in the pipeline), not
in the serialized output: a text search there misses escaped secrets (`&amp;`, `%25`) and
rewrites ordinary words. Source excerpts (text) hide secret columns themselves.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from types import ModuleType
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # annotations only: the report layer reads what the pipeline produced
    from ..options import Options
    from ..results import Report
    from ..rule_file import Rule

from ..errors import StarterLintError
from ..option_table import FORMATS  # declared with the --format option; a module here for each

__all__ = ["FORMATS", "reads_fingerprints", "render"]


def reads_fingerprints(format_name: str) -> bool:
    """Whether the format prints findings' fingerprints (each format module says so in
    FINGERPRINTS): a run whose report does not, and that reads no baseline, need not identify
    its findings (pipeline: Options.fingerprints)."""
    return bool(getattr(_module(format_name), "FINGERPRINTS", True))  # unsaid: computed, to be safe


def _module(format_name: str) -> ModuleType:
    if format_name not in FORMATS:
        raise StarterLintError(f"unknown format {format_name!r} ({', '.join(FORMATS)})")
    return importlib.import_module(f"{__name__}.{format_name}_format")


def render(report: Report, catalog: Mapping[str, Rule], options: Options) -> str:
    text: str = _module(options.format).render(report, catalog, options)
    return text
