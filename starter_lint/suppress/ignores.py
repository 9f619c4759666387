"""One `ignores:` entry of the config file (`ConfigIgnore`), and what it matches a finding by:
rule, path glob, values path and resource (`Kind/namespace/name`, `object_ref`).
"""

from __future__ import annotations

import datetime
import os
from typing import TYPE_CHECKING

from ..findings import Location
from ..lazy_pattern import LazyPattern
from ..options import rule_matches
from ..records import record
from .globs import glob_matches, posix_path, star_match

if TYPE_CHECKING:
    from ..findings import Finding

_OBJECT_REF = LazyPattern(r"^[A-Z][A-Za-z0-9]*/[^/]+(?:/[^/]+)?$")  # Kind/name or Kind/ns/name


@record(frozen=True)
class ConfigIgnore:
    """One `ignores:` entry of the config file (built by config.py)."""

    reason: str
    rules: tuple[str, ...] = ()  # ids or prefixes; empty: every rule
    paths: tuple[str, ...] = ()  # globs, relative to the config file's directory
    values_paths: tuple[str, ...] = ()  # globs over values paths (`ingress.*`)
    resources: tuple[str, ...] = ()  # globs over Kind/namespace/name (`Ingress/*`)
    expires: datetime.date | None = None
    base_dir: str = "."  # the config file's directory (paths are relative to it)
    where: str = ""  # "file:line" of the entry, for notes
    location: Location | None = None  # the entry in the config file, for SL107

    def expired(self, today: datetime.date | None = None) -> bool:
        return self.expires is not None and (today or datetime.date.today()) > self.expires

    def matches(self, finding: Finding, cwd: str | None) -> bool:
        return self.matched_parts(finding, cwd) is not None

    def matched_parts(self, finding: Finding, cwd: str | None) -> frozenset[tuple[str, str]] | None:
        """None when the entry does not match `finding`; else the parts that matched it, as
        (field, item) pairs (`("rules", "SL301")`, `("paths", "envs/*.yaml")`)."""
        ref = object_ref(finding.logical)
        is_object = ref is not None
        parts = [
            ("rules", [p for p in self.rules if rule_matches(finding.selector, [p])]),
            ("paths", [p for p in self.paths if self._path_matches(p, finding, cwd)]),
            (
                "values-path",
                [] if is_object else [p for p in self.values_paths if star_match(finding.logical, p)],
            ),
            ("resource", [p for p in self.resources if ref is not None and star_match(ref, p)]),
        ]
        given = {
            "rules": self.rules,
            "paths": self.paths,
            "values-path": self.values_paths,
            "resource": self.resources,
        }
        if any(given[kind] and not matched for kind, matched in parts):
            return None
        return frozenset((kind, item) for kind, matched in parts for item in matched)

    def parts(self) -> list[tuple[str, str]]:
        return (
            [("rules", r) for r in self.rules]
            + [("paths", p) for p in self.paths]
            + [("values-path", p) for p in self.values_paths]
            + [("resource", p) for p in self.resources]
        )

    def _path_matches(self, pattern: str, finding: Finding, cwd: str | None) -> bool:
        location = posix_path(os.path.join(os.path.abspath(cwd or os.getcwd()), finding.location.path))
        if glob_matches(pattern, location, os.path.abspath(self.base_dir)):
            return True
        # a rendered object's Helm template (`chart/templates/x.yaml`), as written in the config
        return bool(finding.template) and glob_matches(pattern, finding.template)


def object_ref(logical: str) -> str | None:
    """`Kind/ns/name` of a finding about a manifest object (logical `Kind/ns/name#/pointer`)."""
    ref, hash_, _pointer = (logical or "").partition("#")
    return ref if hash_ or _OBJECT_REF.match(ref) else None
